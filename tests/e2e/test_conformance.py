"""The reference's §5 flow A→K through nanodev, as the real frontend makes the calls: one
aiohttp client with a cookie jar (the browser), real HTTP and real WebSockets. Each reply's
status, shape and order is asserted, including the [REC] fixes (schema update to every socket
before mutation_success; requestId echoed on every direct reply)."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from tests.conftest import Nano, recv_until, rpc

ORIGIN = "http://127.0.0.1:3000"  # the page, as Vite serves it
EMAIL, PASSWORD = "Ada@Example.com", "correct horse battery"


async def browser(nano: Nano) -> aiohttp.ClientSession:
    # unsafe=True: the jar otherwise ignores cookies set by an IP-address host.
    return aiohttp.ClientSession(
        base_url=nano.base,
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        headers={"Origin": ORIGIN},
    )


async def call(
    ws: aiohttp.ClientWebSocketResponse, method: str, payload: Any = None, rid: str = "r"
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return await rpc(ws, method, payload, rid)


async def test_flow_a_to_k(nano: Nano) -> None:
    async with await browser(nano) as page:
        await _a_first_load(page)
        user = await _b_sign_up(page)
        await _b_sign_in_variant(page, user)
        await _c_d_rooms(page)
        ws = await _e_open_room(nano, page)
        await _f_tables_view(ws)
        other = await page.ws_connect(nano.ws_url(room_id="my-app"))
        assert await other.receive_json(timeout=5) == {"type": "reset"}
        await _g_create_table(ws, other)
        await _h_rows(ws)
        await _i_sql_runner(ws)
        await _j_api_keys(page)
        await ws.close()
        await other.close()
        await _k_sign_out(page)


async def _a_first_load(page: aiohttp.ClientSession) -> None:
    resp = await page.get("/api/auth/get-session")
    assert resp.status == 200 and await resp.json() is None


async def _b_sign_up(page: aiohttp.ClientSession) -> dict[str, Any]:
    body = {"email": EMAIL, "password": PASSWORD, "name": "Ada", "callbackURL": "/"}
    resp = await page.post("/api/auth/sign-up/email", json=body)
    assert resp.status == 200
    data = await resp.json()
    assert set(data) == {"token", "user"}
    user = data["user"]
    assert set(user) == {"id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt"}
    assert user["email"] == EMAIL.lower() and user["emailVerified"] is False
    assert user["image"] is None and re.match(r"^[A-Za-z0-9]{32}$", user["id"])
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", user["createdAt"])
    cookie = resp.headers["Set-Cookie"]
    assert re.match(
        r"^better-auth\.session_token=[A-Za-z0-9]{32}\.[A-Za-z0-9%]+%3D; Max-Age=604800; "
        r"Path=/; HttpOnly; SameSite=Lax$",
        cookie,
    )
    session = await (await page.get("/api/auth/get-session")).json()
    assert session["user"] == user
    assert session["session"]["userId"] == user["id"]
    assert session["session"]["token"] == data["token"]
    tier = await page.get("/api/user-tier")
    assert (tier.status, await tier.json()) == (200, {"tier": "free"})
    return dict(user)


async def _b_sign_in_variant(page: aiohttp.ClientSession, user: dict[str, Any]) -> None:
    body = {"email": EMAIL.upper(), "password": PASSWORD, "callbackURL": "/"}
    resp = await page.post("/api/auth/sign-in/email", json=body)
    assert resp.status == 200
    data = await resp.json()
    assert list(data) == ["redirect", "token", "url", "user"]
    assert data["redirect"] is True and data["url"] == "/" and data["user"] == user


async def _c_d_rooms(page: aiohttp.ClientSession) -> None:
    listed = await page.get("/api/rooms/list")
    assert (listed.status, await listed.json()) == (200, [])
    assert listed.headers["X-Frame-Options"] == "DENY"
    created = await page.post("/api/rooms/create", json={"roomId": "my-app", "name": "My App"})
    assert created.status == 200
    room = await created.json()
    assert list(room) == ["id", "name", "created_at", "last_accessed_at"]
    assert room["id"] == "my-app" and room["name"] == "My App"
    for rid in ("app-two", "app-three"):
        assert (await page.post("/api/rooms/create", json={"roomId": rid})).status == 200
    full = await page.post("/api/rooms/create", json={"roomId": "app-four"})
    assert full.status == 403
    assert await full.text() == "Plan limit reached. Maximum 3 rooms allowed."
    assert full.headers["Content-Type"].startswith("text/plain")
    ids = sorted(r["id"] for r in await (await page.get("/api/rooms/list")).json())
    assert ids == ["app-three", "app-two", "my-app"]


async def _e_open_room(nano: Nano, page: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
    ws = await page.ws_connect(nano.ws_url(room_id="my-app"))
    assert await ws.receive_json(timeout=5) == {"type": "reset"}
    await ws.send_json({"action": "rpc", "method": "getSchema"})
    await ws.send_json({"action": "rpc", "method": "getUsage"})
    frames = [await ws.receive_json(timeout=5) for _ in range(3)]
    assert [f["type"] for f in frames] == ["schema_update", "rpc_result", "query_result"]
    assert list(frames[0]["schema"]) == ["tasks"]
    assert frames[1] == {"type": "rpc_result", "method": "getSchema", "data": frames[0]["schema"]}
    usage = frames[2]
    assert usage["originalSql"] == "getUsage"
    assert usage["data"][0]["reads"] == 2 and usage["data"][0]["writes"] == 0
    assert set(usage["data"][0]) == {"date", "reads", "writes", "ai_ops"}
    analytics = await page.get("/analytics?room_id=my-app")
    assert analytics.status == 200
    assert set(await analytics.json()) == {"daily", "totals"}
    reply, _ = await call(ws, "getPresence", {}, "p1")
    assert reply == {
        "type": "query_result",
        "data": [],
        "originalSql": "getPresence",
        "requestId": "p1",
    }
    return ws


async def _f_tables_view(ws: aiohttp.ClientWebSocketResponse) -> None:
    reply, _ = await call(ws, "listTasks", {"limit": 500, "offset": 0}, "l1")
    assert reply == {
        "type": "query_result",
        "data": [],
        "originalSql": "listTasks",
        "total": 0,
        "pagination": {"limit": 500, "offset": 0, "total": 0},
        "requestId": "l1",
    }


async def _g_create_table(
    ws: aiohttp.ClientWebSocketResponse, other: aiohttp.ClientWebSocketResponse
) -> None:
    payload = {
        "tableName": "customers",
        "columns": [{"name": "name", "type": "TEXT", "notNull": False}],
    }
    reply, before = await call(ws, "createTable", payload, "r1")
    assert [f["type"] for f in before] == ["schema_update"]  # [REC]: before the success
    assert list(before[0]["schema"]) == ["tasks", "customers"]
    assert reply == {
        "type": "mutation_success",
        "action": "createTable",
        "data": {
            "tableName": "customers",
            "sql": 'CREATE TABLE IF NOT EXISTS "customers" '
            '("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT)',
        },
        "requestId": "r1",
    }
    pushed = await other.receive_json(timeout=5)  # never subscribed, still told
    assert pushed["type"] == "schema_update" and "customers" in pushed["schema"]
    await ws.send_json({"action": "subscribe", "table": "customers"})
    for sql in (
        "SELECT * FROM customers LIMIT 500 OFFSET 0",
        "SELECT COUNT(*) as count FROM customers",
    ):
        await ws.send_json(
            {"action": "rpc", "method": "executeSQL", "payload": {"sql": sql, "readonly": True}}
        )
    first, second = await ws.receive_json(timeout=5), await ws.receive_json(timeout=5)
    assert first == {
        "type": "query_result",
        "data": [],
        "originalSql": "SELECT * FROM customers LIMIT 500 OFFSET 0",
    }
    assert second["data"] == [{"count": 0}]


async def _h_rows(ws: aiohttp.ClientWebSocketResponse) -> None:
    payload = {"table": "customers", "rows": [{"name": "Ada"}]}
    reply, before = await call(ws, "batchInsert", payload, "r2")
    assert before == [
        {
            "event": "update",
            "table": "customers",
            "action": "added",
            "row": {"id": 1, "name": "Ada"},
        }
    ]
    assert reply == {
        "type": "mutation_success",
        "action": "batchInsert",
        "data": {"inserted": 1, "total": 1, "errors": []},
        "requestId": "r2",
    }
    reply, _ = await call(ws, "createTask", {"title": "Ship it"}, "t1")
    assert reply == {"type": "mutation_success", "action": "createTask", "requestId": "t1"}
    payload = {"table": "customers", "id": 1, "field": "name", "value": "Grace"}
    reply, _ = await call(ws, "updateRow", payload, "r3")
    assert reply == {
        "type": "mutation_success",
        "action": "updateRow",
        "data": {"id": 1, "name": "Grace"},
        "requestId": "r3",
    }
    update = await ws.receive_json(timeout=5)
    assert update == {
        "event": "update",
        "table": "customers",
        "action": "modified",
        "row": {"id": 1, "name": "Grace"},
    }
    reply, _ = await call(ws, "listTasks", {"limit": 500, "offset": 0}, "l2")
    assert [t["title"] for t in reply["data"]] == ["Ship it"] and reply["total"] == 1


async def _i_sql_runner(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_json({"action": "subscribe_query", "sql": "SELECT 1", "table": "customers"})
    frame = await ws.receive_json(timeout=5)
    assert frame == {
        "type": "error",
        "error": "subscribe_query requires queryId, method, and tables",
    }
    await ws.send_json({"action": "query", "sql": "SELECT 1"})
    frame = await ws.receive_json(timeout=5)
    assert frame == {
        "type": "query_error",
        "error": "Raw SQL queries are disabled for security. Please use RPC methods.",
    }


async def _j_api_keys(page: aiohttp.ClientSession) -> None:
    listed = await page.get("/api/keys/list")
    assert await listed.json() == {
        "keys": [],
        "pagination": {"limit": 100, "offset": 0, "total": 0},
    }
    body = {"name": "Mobile App", "expiresInDays": 90, "scopes": ["read", "write"]}
    made = await page.post("/api/keys/generate", json=body)
    assert made.status == 200
    key = await made.json()
    assert list(key) == ["id", "name", "created_at", "expires_at", "expires_in_days", "scopes"]
    assert re.match(r"^nk_live_[0-9a-f]{32}$", key["id"])
    assert (key["name"], key["expires_in_days"], key["scopes"]) == (
        "Mobile App",
        90,
        ["read", "write"],
    )
    listed = await (await page.get("/api/keys/list")).json()
    assert [k["id"] for k in listed["keys"]] == [key["id"]]
    assert listed["keys"][0]["is_expired"] is False
    gone = await page.post("/api/keys/delete", json={"id": key["id"]})
    assert await gone.json() == {"success": True, "message": "API key deleted successfully"}
    client = await page.get("/download-client?room_id=demo&token=demo-token")
    assert client.status == 200
    assert client.headers["Content-Type"] == "application/typescript"
    assert client.headers["Content-Disposition"] == 'attachment; filename="nanotype-client.ts"'
    assert "export interface Tasks" in await client.text()
    rooms = await (await page.get("/api/rooms/list")).json()
    assert "demo" in [r["id"] for r in rooms]  # the original's side effect, kept


async def _k_sign_out(page: aiohttp.ClientSession) -> None:
    out = await page.post("/api/auth/sign-out", json={})
    assert (out.status, await out.json()) == (200, {"success": True})
    assert "better-auth.session_token=; Max-Age=0" in out.headers.getall("Set-Cookie")[0]
    resp = await page.get("/api/auth/get-session")
    assert await resp.json() is None
    again = await page.post("/api/auth/sign-out", json={})
    assert (again.status, await again.json()) == (400, {"message": "Failed to get session"})


async def test_frames_for_tasks_reach_task_subscribers(nano: Nano) -> None:
    """createTask: mutation_success first, then the broadcast with the stored row."""
    ws = await nano.connect("task-room")
    await ws.send_json({"action": "subscribe", "table": "tasks"})
    reply, _ = await call(ws, "createTask", {"title": "  a\x00b  "}, "t")
    assert reply["type"] == "mutation_success"
    update, _ = await recv_until(ws, lambda f: f.get("event") == "update")
    row = update["row"]
    assert (row["title"], row["status"], row["vector_status"]) == ("ab", "pending", "pending")
    assert row["owner_id"] == row["user_id"] != ""
    reply, _ = await call(ws, "completeTask", {"id": row["id"]}, "c")
    assert reply == {"type": "mutation_success", "action": "completeTask", "requestId": "c"}
    update, _ = await recv_until(ws, lambda f: f.get("event") == "update")
    assert (update["action"], update["row"]["status"]) == ("modified", "completed")
    reply, _ = await call(ws, "deleteTask", {"id": row["id"]}, "d")
    update, _ = await recv_until(ws, lambda f: f.get("event") == "update")
    assert (update["action"], update["row"]["id"]) == ("deleted", row["id"])
