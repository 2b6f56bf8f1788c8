"""One flow's detail as the inspector serves it: frame explanations and the flow's notes."""

from __future__ import annotations

from typing import Any

from tests.conftest import Nano


async def detail(nano: Nano, flow_id: int) -> dict[str, Any]:
    async with nano.session.get(f"{nano.base}/__nanodev/api/flows/{flow_id}") as resp:
        assert resp.status == 200
        data: dict[str, Any] = await resp.json()
        return data


async def test_the_sql_runners_subscribe_query_error_is_explained(nano: Nano) -> None:
    ws = await nano.connect("sql-room")
    await ws.send_json({"action": "subscribe_query", "sql": "SELECT 1", "table": "tasks"})
    reply = await ws.receive_json(timeout=5)
    assert reply == {
        "type": "error",
        "error": "subscribe_query requires queryId, method, and tables",
    }
    flow_id = next(c.flow for c in nano.core.rooms.get("sql-room").sockets)
    frames = (await detail(nano, flow_id))["frames"]
    error = next(f for f in frames if f["direction"] == "out" and "subscribe_query" in f["text"])
    assert "without queryId, method, tables (it sent sql, table)" in error["explanation"]["cause"]
    assert '"method":"executeSQL"' in error["explanation"]["fix"]
    assert all("explanation" not in f for f in frames if f is not error)
