"""Dispatch over real sockets: the output gate on a failed turn, the room's serial order while a
handler is suspended, and query ids that cannot key a table."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from nanodev.rooms.rpc import Call
from tests.conftest import Nano, recv_until, rpc

SLOW_SQL = (  # about a second of work on the read-only connection's worker thread
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT {n}) "
    "SELECT count(*) AS n FROM c"
)


async def until_pong(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    """Every frame the socket received before the answer to a ping sent now."""
    await ws.send_json({"action": "ping"})
    _, before = await recv_until(ws, lambda f: f == {"type": "pong"})
    return before


async def test_a_failed_turn_sends_only_its_internal_error(nano: Nano) -> None:
    def explode(call: Call) -> None:
        call.reply({"type": "rpc_result", "data": "queued reply"})
        call.to_room({"type": "note", "text": "queued broadcast"}, "note")
        call.broadcast_update("tasks", "insert", {"id": 1, "title": "queued"})
        raise RuntimeError("boom after queueing")

    nano.core.rooms.methods.register("explode", explode, "hooks")
    key = await nano.key()
    caller, other = await nano.connect("gate", key=key), await nano.connect("gate", key=key)
    for ws in (caller, other):
        await ws.send_json({"action": "subscribe", "table": "tasks"})
        await until_pong(ws)
    reply, before = await rpc(caller, "explode", {}, "x1")
    assert reply["code"] == "INTERNAL_ERROR"
    assert reply["error"] == "Internal error in explode: boom after queueing"
    assert before == []
    assert await until_pong(caller) == []
    assert await until_pong(other) == []  # neither the broadcast nor the update left


async def test_serial_order_holds_while_a_handler_suspends(nano: Nano) -> None:
    key = await nano.key()
    slow_ws, quick_ws = await nano.connect("serial", key=key), await nano.connect("serial", key=key)
    n = await _one_second_of_rows(slow_ws)
    arrived: list[str] = []

    async def answer(ws: aiohttp.ClientWebSocketResponse, request_id: str) -> None:
        await recv_until(ws, lambda f: f.get("requestId") == request_id, timeout=30)
        arrived.append(request_id)

    await slow_ws.send_json(
        {"action": "rpc", "method": "executeSQL", "payload": {"sql": SLOW_SQL.format(n=n)},
         "requestId": "slow"}
    )  # fmt: skip
    slow = asyncio.create_task(answer(slow_ws, "slow"))
    await asyncio.sleep(0.05)  # the slow query is now on its worker thread, its turn suspended
    await quick_ws.send_json({"action": "rpc", "method": "getUsage", "requestId": "quick"})
    await asyncio.gather(slow, answer(quick_ws, "quick"))
    assert arrived == ["slow", "quick"]


async def _one_second_of_rows(ws: aiohttp.ClientWebSocketResponse) -> int:
    """How many recursive rows take this machine about a second (at most 4 s, under the
    room's 5 s query limit)."""
    n = 100_000
    while True:
        started = time.perf_counter()
        reply, _ = await rpc(ws, "executeSQL", {"sql": SLOW_SQL.format(n=n)}, f"t{n}")
        assert reply["data"] == [{"n": n}], reply
        took = time.perf_counter() - started
        if took >= 0.25:
            return int(n * min(1.0 / took, 4.0 / took))
        n *= 4


async def test_a_query_id_that_is_not_a_scalar_gets_an_error_frame(nano: Nano) -> None:
    ws = await nano.connect()
    for action in ("subscribe_query", "unsubscribe_query"):
        frame = {"action": action, "queryId": ["a"], "method": "m", "tables": ["t"]}
        await ws.send_json({**frame, "requestId": action})
        reply, _ = await recv_until(ws, lambda f, a=action: f.get("requestId") == a)
        assert reply == {
            "type": "error",
            "error": "queryId must be a string or a number",
            "requestId": action,
        }
    await ws.send_json({"action": "subscribe_query", "queryId": 7, "method": "m", "tables": ["t"]})
    reply, _ = await recv_until(ws, lambda f: f.get("type") == "query_subscribed")
    assert reply["queryId"] == 7
