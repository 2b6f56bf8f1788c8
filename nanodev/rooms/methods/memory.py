"""The room's in-memory RPCs (reference §3.7): cursors and presence with their TTLs, and the
debounced writer.

Fixes of §6 #22: entries expire when read (30 s cursors, 60 s presence), and each
`memory_update` reaches every socket in the room exactly once. The debounced buffer is flushed
to `_debounced_state` one second after the last write by a task the room owns, on
`flushDebounced`, and when the room is released or closed, so no write is lost.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from nanodev.jsvalues import js_string, json_size
from nanodev.rooms.rpc import Call, MethodTable, RoomSide

CURSOR_TTL_S = 30.0
PRESENCE_TTL_S = 60.0
FLUSH_DELAY_S = 1.0
MAX_VALUE_CHARS = 100_000
MEMORY_LIMIT = 10 * 1024 * 1024


def truthy(value: Any) -> bool:
    """JavaScript truthiness for JSON values."""
    return not any(value is v or value == v for v in (None, False, 0, ""))


class MemoryStore:
    """Key → value with a time to live; expired entries disappear when read."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._items: dict[str, tuple[float, Any]] = {}

    def set(self, key: str, value: Any, ttl_s: float) -> None:
        self._items[key] = (self.clock() + ttl_s, value)

    def values(self, prefix: str) -> list[Any]:
        now = self.clock()
        for key in [k for k, (until, _) in self._items.items() if until <= now]:
            del self._items[key]
        return [value for key, (_, value) in self._items.items() if key.startswith(prefix)]


class DebounceBuffer:
    """Pending `updateDebounced` values (JSON text) and the bytes they hold."""

    def __init__(self) -> None:
        self.pending: dict[str, str] = {}
        self.size = 0
        self.timer: asyncio.Task[Any] | None = None

    def add(self, key: str, value: Any) -> str | None:
        """Buffer one value, or return why it was refused."""
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        if json_size(value) > MAX_VALUE_CHARS:
            return "Value too large: maximum 100KB"
        old = len(self.pending.get(key, "")) + (len(key) if key in self.pending else 0)
        grown = self.size - old + len(text) + len(key)
        if grown > MEMORY_LIMIT:
            return "Memory limit reached. Please wait for pending writes to flush."
        self.pending[key] = text
        self.size = grown
        return None

    def take(self) -> dict[str, str]:
        pending, self.pending, self.size = self.pending, {}, 0
        return pending

    def stats(self) -> dict[str, int]:
        return {
            "debouncedWritesSize": self.size,
            "debouncedWritesLimit": MEMORY_LIMIT,
            "debouncedWritesRemaining": MEMORY_LIMIT - self.size,
        }


def memory(room: RoomSide) -> MemoryStore:
    store = room.state.get("memory")
    if not isinstance(store, MemoryStore):
        store = room.state["memory"] = MemoryStore()
    return store


def debounce(room: RoomSide) -> DebounceBuffer:
    buffer = room.state.get("debounce")
    if not isinstance(buffer, DebounceBuffer):
        buffer = room.state["debounce"] = DebounceBuffer()
        room.on_close.append(_flush_on_close)
    return buffer


def debounce_stats(room: RoomSide) -> dict[str, int]:
    buffer = room.state.get("debounce")
    return buffer.stats() if isinstance(buffer, DebounceBuffer) else DebounceBuffer().stats()


def flush(room: RoomSide) -> int:
    """Write every buffered value to `_debounced_state`; returns how many keys were written."""
    buffer = debounce(room)
    pending = buffer.take()
    if pending:
        with room.store.transaction() as db:
            db.executemany(
                "INSERT INTO _debounced_state (key, value, updated_at) VALUES (?, ?, "
                "datetime('now')) ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                list(pending.items()),
            )
    return len(pending)


def _flush_on_close(room: RoomSide) -> None:
    buffer = debounce(room)
    if buffer.timer is not None:
        buffer.timer.cancel()
        buffer.timer = None
    flush(room)


async def _flush_later(room: RoomSide) -> None:
    await asyncio.sleep(FLUSH_DELAY_S)

    async def job() -> None:
        debounce(room).timer = None
        flush(room)

    await room.run(job)


# -- RPCs ---------------------------------------------------------------------------------------
def _set_memory(call: Call, kind: str, field: str, ttl_s: float) -> None:
    user_id, value = call.payload.get("userId"), call.payload.get(field)
    if not truthy(user_id) or not truthy(value):
        return call.error(f"{call.method} requires userId and {field}")
    prefix = "cursor" if kind == "cursors" else "presence"
    entry = {"userId": user_id, field: value}
    memory(call.room).set(f"{prefix}:{js_string(user_id)}", entry, ttl_s)
    call.to_room({"event": "memory_update", "type": kind, "data": entry}, "memory")
    call.success(call.method)


def set_cursor(call: Call) -> None:
    _set_memory(call, "cursors", "position", CURSOR_TTL_S)


def set_presence(call: Call) -> None:
    _set_memory(call, "presence", "status", PRESENCE_TTL_S)


def get_cursors(call: Call) -> None:
    call.query_result(memory(call.room).values("cursor:"), "getCursors")


def get_presence(call: Call) -> None:
    call.query_result(memory(call.room).values("presence:"), "getPresence")


def update_debounced(call: Call) -> None:
    key = call.payload.get("key")
    if not truthy(key):
        return call.error("updateDebounced requires key parameter")
    buffer = debounce(call.room)
    problem = buffer.add(key if isinstance(key, str) else js_string(key), call.payload.get("value"))
    if problem:
        return call.error(problem)
    if buffer.timer is not None:
        buffer.timer.cancel()
    buffer.timer = call.room.tasks.spawn(_flush_later(call.room), "debounce-flush")
    call.success("updateDebounced", message="Update queued for flush")


def flush_debounced(call: Call) -> None:
    buffer = debounce(call.room)
    if buffer.timer is not None:
        buffer.timer.cancel()
        buffer.timer = None
    flush(call.room)
    call.success("flushDebounced", message="Debounced writes flushed to SQLite")


def register(methods: MethodTable) -> None:
    methods.register("setCursor", set_cursor)
    methods.register("setPresence", set_presence)
    methods.register("getCursors", get_cursors)
    methods.register("getPresence", get_presence)
    methods.register("updateDebounced", update_debounced)
    methods.register("flushDebounced", flush_debounced)
