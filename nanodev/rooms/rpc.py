"""RPC plumbing: the per-call context handlers write to, and the per-app method table.

A handler never sends. It appends replies and broadcasts to the call's outbox; the room flushes
the outbox only after the handler returned, i.e. after its transaction committed. That is the
platform's output gate: nobody hears of a write that is not on disk.
Every direct reply echoes the request's `requestId` and `updateId` (reference §3.9 [REC]).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from nanodev.rooms.connection import Connection
    from nanodev.rooms.ratelimit import RateLimiter
    from nanodev.rooms.store import RoomStore
    from nanodev.settings import Settings
    from nanodev.tasks import TaskSet

T = TypeVar("T")


class RoomSide(Protocol):
    """What a handler may use of its room. The room (`rooms.Room`) calls handlers, so the
    handlers' side names only this much of it and never imports the room."""

    id: str
    settings: Settings
    store: RoomStore
    rate_limiter: RateLimiter
    state: dict[str, Any]  # in-memory extras (memory store, debounce buffer, …)
    tasks: TaskSet
    on_close: list[Callable[[Any], None]]

    def drop_table_subscribers(self, table: str) -> None: ...

    async def run(self, job: Callable[[], Awaitable[T]]) -> T: ...


Handler = Callable[["Call"], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class Send:
    conn: Connection
    frame: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Update:
    table: str
    action: str
    row: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SchemaChanged:
    pass


@dataclass(frozen=True, slots=True)
class ToRoom:
    """A frame for every socket in the room, once each (memory updates)."""

    frame: dict[str, Any]
    what: str


OutboxItem = Send | Update | SchemaChanged | ToRoom


class Call:
    """One RPC (or top-level action) being handled: inputs, the caller, and the outbox."""

    __slots__ = ("conn", "method", "outbox", "payload", "request_id", "room", "update_id")

    def __init__(
        self,
        room: RoomSide,
        conn: Connection,
        method: str,
        payload: Any,
        request_id: Any = None,
        update_id: Any = None,
    ) -> None:
        self.room = room
        self.conn = conn
        self.method = method
        self.payload: dict[str, Any] = payload if isinstance(payload, dict) else {}
        self.request_id = request_id
        self.update_id = update_id
        self.outbox: list[OutboxItem] = []

    @property
    def store(self) -> RoomStore:
        return self.room.store

    @property
    def user_id(self) -> str:
        return self.conn.user_id

    def reply(self, frame: dict[str, Any]) -> None:
        if self.update_id is not None and "updateId" not in frame:
            frame["updateId"] = self.update_id
        if self.request_id is not None and "requestId" not in frame:
            frame["requestId"] = self.request_id
        self.outbox.append(Send(self.conn, frame))

    def send(self, frame: dict[str, Any]) -> None:
        """A frame to the caller that is not the reply (no ids echoed), e.g. getSchema's push."""
        self.outbox.append(Send(self.conn, frame))

    def error(self, error: str, code: str | None = None, **extra: Any) -> None:
        # The reference's order: {"type":"error","code":…,"error":…} (§3.7, §3.8).
        frame: dict[str, Any] = {"type": "error"}
        if code:
            frame["code"] = code
        frame["error"] = error
        frame.update(extra)
        self.reply(frame)

    def ids(self) -> dict[str, Any]:
        """The ids to echo, for frames whose reference order puts them before `data`."""
        out: dict[str, Any] = {}
        if self.update_id is not None:
            out["updateId"] = self.update_id
        if self.request_id is not None:
            out["requestId"] = self.request_id
        return out

    def mutation_success(
        self, action: str, data: Any = None, *, ids_last: bool = False, **extra: Any
    ) -> None:
        # The reference's order: type, action, updateId, requestId, data (createTable,
        # batchInsert, updateRow); createWebhook alone writes its requestId after data.
        frame: dict[str, Any] = {"type": "mutation_success", "action": action}
        if not ids_last:
            frame.update(self.ids())
        if data is not None:
            frame["data"] = data
        frame.update(extra)
        self.reply(frame)

    def mutation_error(self, action: str, error: str, **extra: Any) -> None:
        frame: dict[str, Any] = {"type": "mutation_error", "action": action}
        if "data" in extra:  # batchInsert's "No rows were inserted" (§3.7): ids, error, data
            frame.update(self.ids())
        self.reply({**frame, "error": error, **extra})

    def query_result(self, data: Any, original_sql: str | None = None, **extra: Any) -> None:
        frame: dict[str, Any] = {"type": "query_result", "data": data}
        if original_sql is not None:
            frame["originalSql"] = original_sql
        frame.update(extra)
        self.reply(frame)

    def query_error(self, error: str) -> None:
        self.reply({"type": "query_error", "error": error})

    def success(self, action: str, **extra: Any) -> None:
        self.reply({"type": "success", "action": action, **extra})

    def broadcast_update(self, table: str, action: str, row: dict[str, Any]) -> None:
        self.outbox.append(Update(table, action, row))

    def broadcast_schema(self) -> None:
        self.outbox.append(SchemaChanged())

    def to_room(self, frame: dict[str, Any], what: str) -> None:
        self.outbox.append(ToRoom(frame, what))

    def rate_limited(self, limit: int) -> bool:
        """True when this user has called this method `limit` times in the last 60 s."""
        return not self.room.rate_limiter.allow(f"{self.user_id}:{self.method}", limit)


class MethodTable:
    """RPC method name → handler, per app, so a hooks module can add methods at runtime.

    `builtins` registers the built-in methods the first time the table is used at all, so
    their modules load on the first call rather than at start, and always before anything
    else (a hooks module) registers."""

    def __init__(self, builtins: Callable[[MethodTable], None] | None = None) -> None:
        self._methods: dict[str, Handler] = {}
        self._origins: dict[str, str] = {}
        self._builtins = builtins

    def _load_builtins(self) -> None:
        if self._builtins is not None:
            register, self._builtins = self._builtins, None
            register(self)

    def register(self, name: str, handler: Handler, origin: str = "builtin") -> None:
        self._load_builtins()
        self._methods[name] = handler
        self._origins[name] = origin

    def unregister_origin(self, origin: str) -> None:
        self._load_builtins()
        for name in [n for n, o in self._origins.items() if o == origin]:
            del self._methods[name]
            del self._origins[name]

    def get(self, name: str) -> Handler | None:
        if self._builtins is not None:
            self._load_builtins()
        return self._methods.get(name)

    def names(self) -> list[str]:
        self._load_builtins()
        return sorted(self._methods)

    def origin(self, name: str) -> str | None:
        self._load_builtins()
        return self._origins.get(name)
