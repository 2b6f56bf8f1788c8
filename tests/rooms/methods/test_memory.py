"""Cursors, presence and the debounced writer: TTLs on read, flush timing, flush on close."""

from __future__ import annotations

import sqlite3

from nanodev.rooms.methods.memory import DebounceBuffer, MemoryStore, truthy
from tests.conftest import Nano, rpc, wait_for


def test_memory_store_expires_on_read() -> None:
    now = [100.0]
    store = MemoryStore(clock=lambda: now[0])
    store.set("cursor:a", 1, 30)
    store.set("presence:a", 2, 60)
    assert store.values("cursor:") == [1]
    now[0] = 131.0
    assert store.values("cursor:") == [] and store.values("presence:") == [2]


def test_debounce_buffer_limits() -> None:
    buffer = DebounceBuffer()
    assert buffer.add("k", {"a": 1}) is None
    assert buffer.add("k", {"a": 2}) is None
    assert buffer.size == len('{"a":2}') + 1
    assert buffer.add("big", "x" * 100_001) == "Value too large: maximum 100KB"
    assert buffer.take() == {"k": '{"a":2}'} and buffer.size == 0


def test_truthy() -> None:
    assert [truthy(v) for v in (None, False, 0, "", 0.0, "a", [], {}, 1)] == [
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        True,
        True,
    ]


def debounced(nano: Nano, room: str) -> dict[str, str]:
    db = sqlite3.connect(nano.core.rooms.path_for(room))
    rows = dict(db.execute("SELECT key, value FROM _debounced_state").fetchall())
    db.close()
    return rows


async def test_debounced_writes_flush_after_a_second(nano: Nano) -> None:
    ws = await nano.connect("deb")
    reply, _ = await rpc(ws, "updateDebounced", {"key": "k", "value": {"n": 1}}, "u")
    assert reply == {
        "type": "success",
        "action": "updateDebounced",
        "message": "Update queued for flush",
        "requestId": "u",
    }
    assert debounced(nano, "deb") == {}
    await wait_for(lambda: debounced(nano, "deb") == {"k": '{"n":1}'}, timeout=3)


async def test_flush_debounced_and_flush_on_release(nano: Nano) -> None:
    ws = await nano.connect("deb")
    await rpc(ws, "updateDebounced", {"key": "a", "value": 1}, "u")
    reply, _ = await rpc(ws, "flushDebounced", None, "f")
    assert reply["message"] == "Debounced writes flushed to SQLite"
    assert debounced(nano, "deb") == {"a": "1"}
    await rpc(ws, "updateDebounced", {"key": "b", "value": 2}, "u2")
    await ws.close()
    await wait_for(lambda: not nano.core.rooms.get("deb").sockets)
    assert nano.core.rooms.release("deb")
    assert debounced(nano, "deb") == {"a": "1", "b": "2"}


async def test_presence_roundtrip(nano: Nano) -> None:
    ws = await nano.connect("mem")
    await rpc(ws, "setPresence", {"userId": "u1", "status": "online"}, "s")
    reply, _ = await rpc(ws, "getPresence", {}, "g")
    assert reply["data"] == [{"userId": "u1", "status": "online"}]
    reply, _ = await rpc(ws, "getCursors", {}, "c")
    assert reply == {
        "type": "query_result",
        "data": [],
        "originalSql": "getCursors",
        "requestId": "c",
    }
