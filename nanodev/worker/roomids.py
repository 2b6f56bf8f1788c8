"""Pure `room_id` validation with a cause and a fix for each way it can be wrong.

The original Worker only rejected a missing or empty value; whitespace, 1,000-character and
odd-character ids went through and were auto-registered. Here every failure is named, most of
all the seed report's `/websocket?room_id` (the parameter is present with no value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_plus

MAX_LEN = 50
MIN_LEN = 3
_ALLOWED = re.compile(r"^[A-Za-z0-9_-]+$")
_DEV_SOCKET = "/__ws/websocket"


@dataclass(frozen=True, slots=True)
class RoomIdProblem:
    code: str
    error: str
    hint: str

    def body(self) -> dict[str, str]:
        return {"error": self.error, "hint": self.hint, "code": self.code}


@dataclass(frozen=True, slots=True)
class RoomIdOk:
    room_id: str


def raw_param(query_string: str, name: str) -> tuple[bool, bool, str]:
    """(present, has '=', decoded value) of the first `name` parameter, like URLSearchParams."""
    for part in query_string.split("&"):
        key, eq, value = part.partition("=")
        if unquote_plus(key) == name:
            return True, bool(eq), unquote_plus(value)
    return False, False, ""


def example(path: str) -> str:
    """The path the client used, with a room: a production build's `/websocket` is told
    `/websocket?room_id=my-room`, Vite's `/__ws/websocket` keeps its prefix."""
    return f"{path or _DEV_SOCKET}?room_id=my-room"


def check_room_id(
    query_string: str, path: str = _DEV_SOCKET, *, upgrade: bool = True
) -> RoomIdOk | RoomIdProblem:
    """`path` is the one the client used (before the /__ws rewrite), so each fix names it."""
    present, has_eq, value = raw_param(query_string, "room_id")
    if not present:
        return _missing(path, upgrade)
    if not value:
        shown = "?room_id" if not has_eq else "?room_id="
        return RoomIdProblem(
            "ROOM_ID_NO_VALUE" if not has_eq else "ROOM_ID_EMPTY",
            f"room_id is present but empty ({shown})",
            "The page built the socket URL before a room was chosen. Set room_id to the room's "
            f"id ({example(path)}) and only open the socket when it is non-empty."
            if upgrade
            else f"Send the room's id: {example(path)}.",
        )
    trimmed = value.strip()
    return _shape_problem(trimmed, path) or RoomIdOk(trimmed)


def _missing(path: str, upgrade: bool) -> RoomIdProblem:
    if upgrade:
        hint = (
            f"Connect to {example(path)}. The socket URL was built with no room at all: create "
            "the socket only once the room is known (partysocket keeps reconnecting the URL it "
            "was created with)."
        )
    else:
        hint = http_hint(path)
    return RoomIdProblem("ROOM_ID_MISSING", "room_id query parameter is missing", hint)


def http_hint(path: str) -> str:
    """A plain HTTP request (no socket): the Worker forwards it to a room's Durable Object, so
    it needs the room in its query like a handshake does."""
    hint = (
        f"This is a plain HTTP request, not a socket: the Worker sends {path} to a room's "
        f"Durable Object, so add the room to its query ({example(path)})."
    )
    if path.rstrip("/").endswith("/api/schema"):
        hint += (
            " The app's refreshSchema() fetches /api/schema without room_id and always gets "
            "this 400 (the real Worker answers the same); the schema reaches the page over the "
            "socket instead (schema_update after getSchema), so this refusal is harmless."
        )
    return hint


def _shape_problem(trimmed: str, path: str = _DEV_SOCKET) -> RoomIdProblem | None:
    """What is wrong with a present, non-empty value once trimmed (its length is measured
    after trimming: ` ab` is a 2-character id)."""
    if not trimmed:
        return RoomIdProblem(
            "ROOM_ID_BLANK",
            "room_id is only whitespace",
            f"Send the room's id, e.g. {example(path)}; a blank value is not a room.",
        )
    if len(trimmed) > MAX_LEN:
        return RoomIdProblem(
            "ROOM_ID_TOO_LONG",
            f"room_id is {len(trimmed)} characters; at most {MAX_LEN} are allowed",
            "Use the short id the room was created with (3-50 letters, digits, '-' or '_').",
        )
    if len(trimmed) < MIN_LEN:
        return RoomIdProblem(
            "ROOM_ID_TOO_SHORT",
            f"room_id {trimmed!r} is shorter than {MIN_LEN} characters",
            "Room ids are 3-50 characters, as /api/rooms/create requires.",
        )
    if not _ALLOWED.match(trimmed):
        bad = sorted({c for c in trimmed if not _ALLOWED.match(c)})
        return RoomIdProblem(
            "ROOM_ID_BAD_CHARACTERS",
            f"room_id contains characters that are not allowed: {''.join(bad)!r}",
            "Use only letters, digits, '-' and '_' (the app's slug rule is [a-z0-9-]).",
        )
    return None
