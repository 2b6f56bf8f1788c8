"""Typed, versioned event records: what each hop reports to the inspector.

Every hop (gateway, worker, auth chain, room, reloader, upstream relay) builds one of these
immutable records and hands it to `Recorder.record`. Nothing here knows how events are stored
or shown. Secrets are redacted before a record is built (see `redaction`), never after.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

SCHEMA_VERSION = 1

Outcome = Literal["allowed", "refused", "error", "none"]
Direction = Literal["in", "out"]


def now() -> float:
    return time.time()


@dataclass(slots=True)
class Event:
    """Base record. `flow` ties every event of one request or connection together (0 = none).

    Records are immutable by contract: no hop changes one after `record()`. They are not
    `frozen` dataclasses only because frozen ones cost five times more to build, and frames
    are built on every message."""

    kind: ClassVar[str] = "event"
    flow: int
    ts: float

    def to_json(self) -> dict[str, Any]:
        data = {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
        data["kind"] = self.kind
        data["v"] = SCHEMA_VERSION
        return data


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(slots=True)
class RequestReceived(Event):
    kind: ClassVar[str] = "request"
    method: str
    path: str
    query: str
    headers: dict[str, str]
    client: str
    listener: str  # "page" (:3000) or "worker" (:8787)
    upgrade: bool


@dataclass(slots=True)
class Rewritten(Event):
    kind: ClassVar[str] = "rewrite"
    original: str
    target: str
    destination: str  # worker | frontend | inspector | upstream
    reason: str


@dataclass(frozen=True, slots=True)
class AuthStep:
    """One line of the auth decision trace: which source, what was found, what it meant."""

    source: str
    present: bool
    outcome: str  # used | ignored | rejected | skipped | absent | ok
    detail: str


@dataclass(slots=True)
class AuthDecided(Event):
    kind: ClassVar[str] = "auth"
    outcome: Outcome
    user_id: str | None
    source: str | None
    room: str | None
    trace: tuple[AuthStep, ...]
    status: int | None
    cause: str
    fix: str


@dataclass(slots=True)
class Responded(Event):
    kind: ClassVar[str] = "response"
    status: int
    content_type: str
    body: str
    body_size: int
    duration_ms: float
    cause: str = ""
    fix: str = ""
    encoding: str = ""  # the Content-Encoding sent; `body` is stored decoded from it


@dataclass(slots=True)
class Upgraded(Event):
    kind: ClassVar[str] = "upgrade"
    room: str
    user_id: str
    source: str
    duration_ms: float


@dataclass(slots=True)
class Frame(Event):
    kind: ClassVar[str] = "frame"
    direction: Direction
    opcode: str  # text | binary
    size: int
    text: str
    truncated: bool
    room: str = ""


@dataclass(slots=True)
class Broadcast(Event):
    kind: ClassVar[str] = "broadcast"
    room: str
    what: str  # update | schema | memory
    table: str
    action: str
    recipients: tuple[int, ...]
    failed: tuple[int, ...]
    size: int
    # The frame itself, once: it is every recipient's frame out (the inspector shows it in
    # each recipient's frames), so fan-out does not build one record per subscriber.
    text: str = ""
    truncated: bool = False


@dataclass(slots=True)
class Closed(Event):
    kind: ClassVar[str] = "close"
    code: int | None
    reason: str
    by: str  # client | server | network
    meaning: str
    room: str = ""
    frames_in: int = 0
    frames_out: int = 0


@dataclass(slots=True)
class RoomChanged(Event):
    kind: ClassVar[str] = "room"
    room: str
    state: str  # opened | released | hibernated | woken | reset
    detail: str = ""


@dataclass(slots=True)
class Reloaded(Event):
    kind: ClassVar[str] = "reload"
    what: str  # static | config | migrations | hooks
    changed: tuple[str, ...]
    ok: bool
    duration_ms: float
    detail: str = ""


@dataclass(slots=True)
class UpstreamFailed(Event):
    kind: ClassVar[str] = "upstream_error"
    upstream: str
    error: str
    status: int | None = None


@dataclass(slots=True)
class Note(Event):
    """A server-level message worth showing (startup, warnings)."""

    kind: ClassVar[str] = "note"
    level: str
    message: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class WebhookAttempt(Event):
    """One HTTP delivery attempt of a room webhook (status None: no response at all)."""

    kind: ClassVar[str] = "webhook"
    room: str
    webhook_id: str
    url: str
    event: str
    attempt: int
    status: int | None
    ok: bool
    error: str
    duration_ms: float


@dataclass(frozen=True, slots=True)
class StackFrame:
    """One frame of the page's stack when it built a socket, resolved through a source map
    when one was found (`source` empty otherwise: `url:line:column` is the bundle position)."""

    function: str
    url: str
    line: int
    column: int
    source: str = ""
    source_line: int = 0
    source_column: int = 0
    name: str = ""


@dataclass(slots=True)
class PageSocket(Event):
    """What the page itself saw of one socket (the page probe's report): its construction with
    the stack at that moment, then `open`, `error` or `close` as the page's own handlers see
    them. `socket` numbers constructions within one page session; `attempt` counts the
    constructions of the same URL, and `since_previous_ms` is the page's time between them."""

    kind: ClassVar[str] = "page_socket"
    page_session: str
    socket: int
    what: str  # construct | open | error | close
    url: str
    page_url: str
    origin: str
    attempt: int = 1
    page_ms: float = 0.0  # since the construction, on the page's clock
    since_previous_ms: float | None = None
    code: int | None = None
    reason: str = ""
    clean: bool | None = None
    frames: tuple[StackFrame, ...] = ()
    opened_by: str = ""  # "src/hooks/useRoomSocket.ts:42 useRoomSocket", or the bundle position
    collapsed: int = 0  # frames above the app's own one (library and framework code)
    hint: str = ""  # how to get file:line when no source map was found


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        RequestReceived,
        Rewritten,
        AuthDecided,
        Responded,
        Upgraded,
        Frame,
        Broadcast,
        Closed,
        RoomChanged,
        Reloaded,
        UpstreamFailed,
        Note,
        WebhookAttempt,
        PageSocket,
    )
}

CLOSE_MEANINGS: dict[int, str] = {
    1000: "normal closure: one side finished with the socket on purpose",
    1001: "going away: the server is shutting down or the page navigated away",
    1002: "protocol error: a frame broke the WebSocket protocol",
    1003: "unsupported data: a frame type this endpoint does not accept",
    1005: "no status: the close frame carried no code",
    1006: (
        "abnormal closure: the connection dropped without a close frame; in a browser this is "
        "also all a page sees when the handshake was refused (look for the refused handshake)"
    ),
    1007: "invalid payload: the message was not valid for its type (e.g. bad UTF-8)",
    1008: "policy violation: the server refused the socket (auth expired or revoked, limits)",
    1009: "message too big: a message exceeded the size limit",
    1010: "mandatory extension missing",
    1011: "internal error: the server hit an unexpected condition",
    1012: "service restart: the backend reloaded; the client should reconnect",
    1013: "try again later: the server is overloaded or the client too slow",
    1014: "bad gateway: the upstream answered badly",
    1015: "TLS handshake failure",
}


def close_meaning(code: int | None) -> str:
    if code is None:
        return "no close code"
    if code in CLOSE_MEANINGS:
        return CLOSE_MEANINGS[code]
    if 3000 <= code <= 4999:
        return "application-defined close code"
    return "unassigned close code"
