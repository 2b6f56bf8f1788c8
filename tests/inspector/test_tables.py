"""The Rooms tab's table browser against a real room."""

from __future__ import annotations

from typing import Any

import pytest

from nanodev.inspector.tables import shown_value
from tests.conftest import Nano, rpc

API = "/__nanodev/api/rooms"


async def page(nano: Nano, room: str, table: str, query: str = "") -> tuple[int, Any]:
    response = await nano.get(f"{API}/{room}/tables/{table}{query}")
    return response.status, await response.json()


async def filled_room(nano: Nano) -> Any:
    ws = await nano.connect("tbl-room")
    columns = [{"name": "item", "type": "TEXT"}, {"name": "api_token", "type": "TEXT"}]
    await rpc(ws, "createTable", {"tableName": "orders", "columns": columns}, "c")
    rows = [{"item": f"i{n:02d}", "api_token": f"secret-token-{n:04d}"} for n in range(30)]
    await rpc(ws, "batchInsert", {"table": "orders", "rows": rows}, "b")
    return ws


async def test_pages_newest_first_with_schema_and_fingerprinted_secrets(nano: Nano) -> None:
    await filled_room(nano)
    status, data = await page(nano, "tbl-room", "orders", "?size=10")
    assert status == 200
    assert data["total"] == 30 and data["pages"] == 3
    assert [r["item"] for r in data["rows"]][:3] == ["i29", "i28", "i27"]
    assert data["rows"][0]["api_token"] == "secr…0029"
    assert [c["name"] for c in data["schema"]] == ["id", "item", "api_token"]
    assert [c["secret"] for c in data["schema"]] == [False, False, True]
    _s, last = await page(nano, "tbl-room", "orders", "?size=10&page=2")
    assert [r["item"] for r in last["rows"]][-1] == "i00"


async def test_sorts_by_a_column_both_ways(nano: Nano) -> None:
    await filled_room(nano)
    _s, up = await page(nano, "tbl-room", "orders", "?size=5&sort=item&desc=0")
    assert [r["item"] for r in up["rows"]] == ["i00", "i01", "i02", "i03", "i04"]
    _s, down = await page(nano, "tbl-room", "orders", "?size=5&sort=item&desc=1")
    assert down["rows"][0]["item"] == "i29"


async def test_each_row_links_to_its_frame_and_broadcast(nano: Nano) -> None:
    await filled_room(nano)
    _s, data = await page(nano, "tbl-room", "orders", "?size=3")
    change = data["rows"][0]["__change"]
    assert change["action"] == "added"
    socket_flow = next(f.id for f in nano.core.recorder.flows.values() if f.room == "tbl-room")
    assert change["cause"]["flow"] == socket_flow
    assert "batchInsert" in change["cause"]["text"]
    seq = change["broadcast"]["seq"]
    assert any(s == seq for s, _e in nano.core.recorder.events)


@pytest.mark.parametrize(
    ("room", "table", "query", "status", "message"),
    [
        ("tbl-room", "nope", "", 404, "has no table 'nope'"),
        ("tbl-room", "orders", "?sort=evil", 404, "cannot sort by 'evil'"),
        ("tbl-room", "orders", "?page=x", 400, "whole numbers"),
        ("closed-room", "orders", "", 404, "it is not open"),
    ],
)
async def test_bad_requests_say_what_is_wrong(
    nano: Nano, room: str, table: str, query: str, status: int, message: str
) -> None:
    await filled_room(nano)
    got, data = await page(nano, room, table, query)
    assert got == status and message in data["error"]


def test_shown_value() -> None:
    assert shown_value("password_hash", "abcdefghijkl") == "abcd…ijkl"
    assert shown_value("name", b"\x00\x01") == "<2 bytes>"
    assert shown_value("name", "x" * 300).endswith("…")
    assert shown_value("n", 3) == 3 and shown_value("n", None) is None
