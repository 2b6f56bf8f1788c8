"""The replay editor's form: a recorded handshake as method, path, every query parameter,
headers and first frames, with secrets shown only as fingerprints, and the edited form turned
back into a request the server can dial.

Pure: the raw secrets come in from the replay vault (memory only) and go out only to the
loopback handshake. A value the user leaves as its fingerprint means "keep the original";
a pasted value is used once and never stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote_plus

from nanodev.inspector.replay import Replayable
from nanodev.record import fingerprint, redact_header

MAX_FRAMES = 10
MAX_FRAME_BYTES = 64 << 10
# The headers a replay may carry: the ones that decide a handshake's fate.
EDITABLE_HEADERS = ("Origin", "Cookie", "X-Nano-Key", "Authorization", "Sec-WebSocket-Protocol")
SECRET_HEADER_NAMES = frozenset({"cookie", "x-nano-key", "authorization"})
SECRET_PARAM_NAMES = frozenset({"key", "api_key", "apikey", "token", "session_token", "session"})


class EditError(ValueError):
    """An edited form that cannot become a request: what was wrong and what to do."""


@dataclass(frozen=True, slots=True)
class Edit:
    """What the user submitted; values may be fingerprints of the original's secrets."""

    method: str = "GET"
    path: str = ""
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    frames: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EditedRequest:
    method: str
    request: Replayable
    frames: tuple[str, ...] = field(default_factory=tuple)


def split_query(query: str) -> list[tuple[str, str]]:
    """Every parameter in order, blanks kept (an empty room_id is the point of many replays)."""
    out = []
    for raw in query.split("&"):
        if raw:
            name, _eq, value = raw.partition("=")
            out.append((unquote_plus(name), unquote_plus(value)))
    return out


def join_query(params: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in params)


def form_of(original: Replayable, frames: list[str]) -> dict[str, Any]:
    """The form the page shows: secrets as fingerprints, flagged so the page can say so."""
    params = [
        {"name": n, "value": _shown_param(n, v), "secret": _secret_param(n)}
        for n, v in split_query(original.query)
    ]
    headers = []
    for name in EDITABLE_HEADERS:
        value = original.headers.get(name)
        secret = name.lower() in SECRET_HEADER_NAMES
        shown = redact_header(name, value) if value is not None and secret else value
        headers.append({"name": name, "value": shown, "secret": secret, "sent": value is not None})
    return {
        "method": "GET",
        "path": original.path,
        "params": params,
        "headers": headers,
        "frames": frames[:MAX_FRAMES],
    }


def _secret_param(name: str) -> bool:
    return name.lower() in SECRET_PARAM_NAMES


def _shown_param(name: str, value: str) -> str:
    return fingerprint(value) if _secret_param(name) and value else value


def apply_edit(original: Replayable, edit: Edit, picked: str = "") -> EditedRequest:
    """The edited handshake; fingerprints of the original's secrets become the secrets again.

    `picked` is a key chosen from the auth database by name: it replaces every key source."""
    method = edit.method.strip().upper() or "GET"
    if not method.isalpha() or len(method) > 10:
        raise EditError(f"method {edit.method!r} is not an HTTP method; use GET for a handshake")
    path = edit.path.strip() or original.path
    if not path.startswith("/") or any(c in path for c in "?# \r\n"):
        raise EditError(f"path {path!r} must start with / and hold no query, space or newline")
    params = _restore_params(original, edit.params)
    headers = _restore_headers(original, edit.headers)
    if picked:
        params = [(n, v) for n, v in params if n.lower() not in ("key", "api_key", "apikey")]
        params.append(("key", picked))
        headers.pop("X-Nano-Key", None)
    frames = tuple(f for f in edit.frames if f)
    if len(frames) > MAX_FRAMES or any(len(f.encode()) > MAX_FRAME_BYTES for f in frames):
        raise EditError(f"send at most {MAX_FRAMES} frames of at most {MAX_FRAME_BYTES} bytes")
    request = Replayable(original.listener, path, join_query(params), headers)
    return EditedRequest(method, request, frames)


def _restore_params(original: Replayable, edited: tuple[tuple[str, str], ...]) -> list[Any]:
    raw = {(n, _shown_param(n, v)): v for n, v in split_query(original.query)}
    out = []
    for given, value in edited:
        name = given.strip()
        if name:
            out.append((name, raw.get((name, value), value)))
    return out


def _restore_headers(original: Replayable, edited: tuple[tuple[str, str], ...]) -> dict[str, str]:
    shown = {
        name: redact_header(name, value)
        for name, value in original.headers.items()
        if name.lower() in SECRET_HEADER_NAMES
    }
    out: dict[str, str] = {}
    for given, value in edited:
        name = given.strip()
        if not name or not value or any(c in name + value for c in "\r\n"):
            continue  # an emptied header is not sent; a newline would split the request
        same_secret = shown.get(name) == value
        out[name] = original.headers[name] if same_secret else value
    return out


def edit_from_json(body: Mapping[str, Any]) -> Edit:
    """The JSON the page posts, checked: lists of {name, value} and of strings."""
    try:
        params = tuple((str(p["name"]), str(p["value"])) for p in body.get("params", ()))
        headers = tuple((str(h["name"]), str(h["value"])) for h in body.get("headers", ()))
        frames = tuple(str(f) for f in body.get("frames", ()))
    except (KeyError, TypeError) as exc:
        raise EditError(
            "params and headers are lists of {name, value}; frames a list of strings"
        ) from exc
    return Edit(str(body.get("method", "GET")), str(body.get("path", "")), params, headers, frames)
