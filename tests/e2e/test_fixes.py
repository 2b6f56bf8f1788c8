"""One test per row of the reference's §6 that nanodev fixes rather than copies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from yarl import URL

from tests.conftest import Nano, recv_until, rpc


async def _browser(nano: Nano, email: str = "ada@example.com") -> aiohttp.ClientSession:
    page = aiohttp.ClientSession(base_url=nano.base, cookie_jar=aiohttp.CookieJar(unsafe=True))
    body = {"email": email, "password": "password123", "name": email.split("@", maxsplit=1)[0]}
    assert (await page.post("/api/auth/sign-up/email", json=body)).status == 200
    return page


async def test_1_create_task_runs_as_intended(nano: Nano) -> None:
    ws = await nano.connect()
    reply, _ = await rpc(ws, "createTask", {"title": "works"}, "t")
    assert reply == {"type": "mutation_success", "action": "createTask", "requestId": "t"}


async def test_2_another_users_room_is_refused_for_cookies_and_keys(nano: Nano) -> None:
    async with await _browser(nano) as ada, await _browser(nano, "bob@example.com") as bob:
        assert (await ada.post("/api/rooms/create", json={"roomId": "ada-room"})).status == 200
        resp = await bob.get("/schema?room_id=ada-room")
        assert resp.status == 403 and "belongs to another user" in await resp.text()
        bob_key = await nano.key("bob@example.com")
        resp = await bob.get(f"/schema?room_id=ada-room&key={bob_key}")
        assert resp.status == 403


async def test_3_whitespace_room_id_is_400_not_a_room(nano: Nano) -> None:
    key = await nano.key()
    resp = await nano.get(f"/schema?room_id=%20%20&key={key}")
    assert resp.status == 400
    assert list(nano.core.settings.rooms_dir.iterdir()) == []


async def test_4_global_query_and_room_query_are_read_only_and_owner_only(nano: Nano) -> None:
    async with await _browser(nano) as ada, await _browser(nano, "bob@example.com") as bob:
        for page, room in ((ada, "ada-room"), (bob, "bob-room")):
            assert (await page.post("/api/rooms/create", json={"roomId": room})).status == 200
        body = {"sql": "SELECT COUNT(*) AS n FROM tasks", "rooms": ["ada-room", "bob-room"]}
        out = await (await ada.post("/global-query", json=body)).json()
        assert out["data"] == [{"n": 0}] and out["total"] == 1
        assert [e["roomId"] for e in out["errors"]] == ["bob-room"]
        write = {"sql": "DELETE FROM tasks", "rooms": ["ada-room"]}
        out = await (await ada.post("/global-query", json=write)).json()
        assert out["errors"][0]["error"] == "Only SELECT and WITH queries allowed in read-only mode"
        resp = await ada.get("/query?room_id=ada-room&sql=DROP%20TABLE%20tasks")
        assert resp.status == 400
        assert "tasks" in await (await ada.get("/schema?room_id=ada-room")).json()


async def test_5_execute_sql_is_read_only_even_when_asked_not_to_be(nano: Nano) -> None:
    ws = await nano.connect()
    for sql in (
        "WITH x AS (SELECT 1) DELETE FROM tasks",
        "DELETE FROM tasks",
        "SELECT 1; DROP TABLE tasks",
    ):
        reply, _ = await rpc(ws, "executeSQL", {"sql": sql, "readonly": False}, "q")
        assert reply["type"] == "query_error", sql
    reply, _ = await rpc(ws, "executeSQL", {"sql": "SELECT name FROM sqlite_master"}, "q2")
    assert {"name": "tasks"} in reply["data"]


async def test_6_ddl_injection_default_rejected_and_identifiers_quoted(nano: Nano) -> None:
    ws = await nano.connect()
    bad = {"tableName": "t1", "columns": [{"name": "a", "default": "1); DROP TABLE tasks; --"}]}
    reply, _ = await rpc(ws, "createTable", bad, "c1")
    assert reply["type"] == "mutation_error"
    assert reply["error"].startswith("Failed to create table: Invalid default value")
    good = {"tableName": "orders", "columns": [{"name": "order", "type": "INTEGER", "default": 0}]}
    reply, _ = await rpc(ws, "createTable", good, "c2")
    assert reply["type"] == "mutation_success"
    reply, _ = await rpc(ws, "batchInsert", {"table": "orders", "rows": [{"order": 7}]}, "b")
    assert reply["data"]["inserted"] == 1


async def test_7_debug_auth_never_echoes_cookies(nano: Nano) -> None:
    async with await _browser(nano) as page:
        raw = await page.get("/debug-auth")
        body = await raw.json()
        assert body["hasSession"] is True and body["user"]
        assert "%3D" not in await raw.text() and "." not in str(body["cookies"]).split(":")[0]
        assert body["cookies"] == "[redacted: better-auth.session_token]"


async def test_11_long_room_id_is_a_400_with_text(nano: Nano) -> None:
    async with await _browser(nano) as page:
        resp = await page.post("/api/rooms/create", json={"roomId": "x" * 51})
        assert (resp.status, await resp.text()) == (400, "Room ID must be at most 50 characters")


async def test_12_health_answers_directly(nano: Nano) -> None:
    resp = await nano.get("/health")
    assert resp.status == 200 and (await resp.json())["status"] == "healthy"


async def test_16_request_id_echoed_on_every_direct_reply(nano: Nano) -> None:
    ws = await nano.connect()
    calls: list[tuple[str, Any]] = [
        ("listTasks", {}),
        ("executeSQL", {"sql": "SELECT 1"}),
        ("getUsage", None),
        ("getAuditLog", None),
        ("search", {"query": "x"}),
        ("noSuchMethod", None),
        ("runCronJob", {}),
        ("deleteTable", {}),
    ]
    for index, (method, payload) in enumerate(calls):
        reply, _ = await rpc(ws, method, payload, f"id-{index}")
        assert reply["requestId"] == f"id-{index}", method


async def test_22_memory_update_once_per_socket(nano: Nano) -> None:
    ws = await nano.connect()
    other = await nano.connect()
    for table in ("tasks", "a", "b"):
        await other.send_json({"action": "subscribe", "table": table})
    reply, _ = await rpc(ws, "setCursor", {"userId": "u1", "position": {"x": 1}}, "s")
    assert reply == {"type": "success", "action": "setCursor", "requestId": "s"}
    await other.send_json({"action": "ping"})
    _, seen = await recv_until(other, lambda f: f == {"type": "pong"})
    assert seen == [
        {
            "event": "memory_update",
            "type": "cursors",
            "data": {"userId": "u1", "position": {"x": 1}},
        }
    ]


async def test_23_batch_insert_skips_only_the_bad_row(nano: Nano) -> None:
    ws = await nano.connect()
    spec = {
        "tableName": "people",
        "columns": [{"name": "name", "notNull": True}, {"name": "city", "default": "'Paris'"}],
    }
    await rpc(ws, "createTable", spec, "c")
    await ws.send_json({"action": "subscribe", "table": "people"})
    rows = [{"name": "a"}, {"nope": 1}, {"name": None}, {"name": "d"}]
    reply, before = await rpc(ws, "batchInsert", {"table": "people", "rows": rows}, "b")
    assert reply["data"]["inserted"] == 2 and reply["data"]["total"] == 4
    assert len(reply["data"]["errors"]) == 2
    assert [f["row"] for f in before] == [
        {"id": 1, "name": "a", "city": "Paris"},
        {"id": 2, "name": "d", "city": "Paris"},
    ]


async def test_24_webhook_updates_are_written_to_the_room(nano: Nano) -> None:
    ws = await nano.connect()
    reply, _ = await rpc(ws, "createWebhook", {"url": "http://127.0.0.1:9/h", "events": "*"}, "w")
    hook_id = reply["data"]["id"]
    reply, _ = await rpc(ws, "updateWebhook", {"id": hook_id, "active": False}, "u")
    assert reply == {"type": "mutation_success", "action": "updateWebhook", "requestId": "u"}
    listed, _ = await rpc(ws, "listWebhooks", None, "l")
    assert listed["data"][0]["active"] == 0 and "secret" not in listed["data"][0]


async def test_28_one_secret_per_state_dir_sessions_survive_a_restart(
    make_nano: Callable[..., Awaitable[Nano]],
) -> None:
    first = await make_nano()
    async with await _browser(first) as page:
        cookie = page.cookie_jar.filter_cookies(URL(first.base))["better-auth.session_token"].value
    second = await make_nano()
    resp = await second.session.get(
        second.base + "/api/auth/get-session",
        headers={"Cookie": f"better-auth.session_token={cookie}"},
    )
    assert (await resp.json())["user"]["email"] == "ada@example.com"
