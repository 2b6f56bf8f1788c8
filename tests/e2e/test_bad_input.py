"""Bad input on every route and RPC of issue 3: the documented error, and nothing changed.

State is compared before and after: every row of the auth DB and of the room's SQLite file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import Nano, rpc

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(path: Path) -> Snapshot:
    db = sqlite3.connect(path)
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: sorted(map(tuple, db.execute(_select(n))), key=repr) for n in names}
    finally:
        db.close()


def _select(table: str) -> str:
    # Any room-scoped request records the access (production does too); that is not a change.
    if table == "rooms":
        return "SELECT id, user_id, name, created_at FROM rooms"
    return f'SELECT * FROM "{table}"'


def changed(before: Snapshot, after: Snapshot) -> dict[str, Any]:
    tables = set(before) | set(after)
    return {t: (before.get(t), after.get(t)) for t in tables if before.get(t) != after.get(t)}


async def page_for(nano: Nano) -> aiohttp.ClientSession:
    page = aiohttp.ClientSession(base_url=nano.base, cookie_jar=aiohttp.CookieJar(unsafe=True))
    body = {"email": "ada@example.com", "password": "password123", "name": "Ada"}
    assert (await page.post("/api/auth/sign-up/email", json=body)).status == 200
    assert (await page.post("/api/rooms/create", json={"roomId": "my-app"})).status == 200
    return page


HTTP_CASES: list[tuple[str, str, Any, int, Any]] = [
    # method, path, body (bytes = raw), status, body expected (str = text, else JSON)
    ("POST", "/api/auth/sign-up/email", b"{nope", 400, None),
    ("POST", "/api/auth/sign-up/email", {"email": "x@y.z", "password": "p" * 8}, 400, None),
    (
        "POST",
        "/api/auth/sign-up/email",
        {"email": "bad", "password": "p" * 8, "name": "n"},
        400,
        {"code": "INVALID_EMAIL", "message": "Invalid email"},
    ),
    (
        "POST",
        "/api/auth/sign-up/email",
        {"email": "a@b.co", "password": "short", "name": "n"},
        400,
        {"code": "PASSWORD_TOO_SHORT", "message": "Password too short"},
    ),
    (
        "POST",
        "/api/auth/sign-up/email",
        {"email": "a@b.co", "password": "p" * 129, "name": "n"},
        400,
        {"code": "PASSWORD_TOO_LONG", "message": "Password too long"},
    ),
    (
        "POST",
        "/api/auth/sign-up/email",
        {"email": "ADA@example.com", "password": "password123", "name": "n"},
        422,
        {
            "code": "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
            "message": "User already exists. Use another email.",
        },
    ),
    (
        "POST",
        "/api/auth/sign-up/email",
        {
            "email": "c@d.co",
            "password": "password123",
            "name": "n",
            "callbackURL": "https://evil.example/",
        },
        403,
        {"message": "Invalid callbackURL"},
    ),
    (
        "POST",
        "/api/auth/sign-in/email",
        {"email": "ada@example.com", "password": "wrong-pass"},
        401,
        {"code": "INVALID_EMAIL_OR_PASSWORD", "message": "Invalid email or password"},
    ),
    (
        "POST",
        "/api/auth/sign-in/email",
        {"email": "nobody@example.com", "password": "whatever1"},
        401,
        {"code": "INVALID_EMAIL_OR_PASSWORD", "message": "Invalid email or password"},
    ),
    ("POST", "/api/auth/sign-in/email", [1, 2], 400, None),
    ("GET", "/api/auth/sign-in/email", None, 405, None),
    ("GET", "/api/auth/nope", None, 404, None),
    ("POST", "/api/keys/generate", b"{nope", 400, {"error": "Invalid JSON body"}),
    ("GET", "/api/keys/generate", None, 405, "Method not allowed"),
    (
        "POST",
        "/api/keys/generate",
        {"name": "x" * 101},
        400,
        {"error": "Invalid key name: Input too long: maximum 100 characters"},
    ),
    (
        "POST",
        "/api/keys/generate",
        {"expiresInDays": None},
        400,
        {"error": "expiresInDays must be a positive number"},
    ),
    (
        "POST",
        "/api/keys/generate",
        {"expiresInDays": 366},
        400,
        {"error": "expiresInDays cannot exceed 365 days"},
    ),
    (
        "POST",
        "/api/keys/generate",
        {"scopes": ["read", "root"]},
        400,
        {"error": "Invalid scopes: root. Valid scopes are: read, write, admin"},
    ),
    ("GET", "/api/keys/list?limit=abc", None, 400, None),
    ("GET", "/api/keys/delete", None, 405, {"error": "Method not allowed"}),
    ("POST", "/api/keys/delete", b"nope", 400, {"error": "Invalid JSON body"}),
    ("POST", "/api/keys/delete", {"id": "  "}, 400, {"error": "API key ID is required"}),
    ("POST", "/api/keys/delete", {"id": "abc"}, 400, {"error": "Invalid API key ID format"}),
    (
        "POST",
        "/api/keys/delete",
        {"id": "nk_live_missing"},
        404,
        {"error": "API key not found or does not belong to you"},
    ),
    ("GET", "/api/rooms/create", None, 405, "Method not allowed"),
    ("POST", "/api/rooms/create", b"{", 400, "Invalid JSON body"),
    ("POST", "/api/rooms/create", {"roomId": "ab"}, 400, "Room ID must be at least 3 characters"),
    ("POST", "/api/rooms/create", {"roomId": 12345}, 400, "Room ID must be a string"),
    (
        "POST",
        "/api/rooms/create",
        {"roomId": "a b c"},
        400,
        "Room ID may contain only letters, digits, '-' and '_'",
    ),
    (
        "POST",
        "/api/rooms/create",
        {"roomId": "good-id", "name": "n" * 101},
        400,
        "Room name must be at most 100 characters",
    ),
    ("POST", "/api/rooms/create", {"roomId": "my-app"}, 409, "Room ID already exists"),
    ("POST", "/api/rooms/delete", b"{", 400, "Invalid JSON body"),
    ("POST", "/api/rooms/delete", {"roomId": ""}, 400, "Invalid room ID"),
    (
        "POST",
        "/api/webhooks/create",
        {"url": "ftp://127.0.0.1/x"},
        400,
        {"error": "Webhook URL must use HTTP or HTTPS protocol"},
    ),
    (
        "POST",
        "/api/webhooks/create",
        {"url": "http://127.0.0.1/x", "events": "bad"},
        400,
        {"error": "Invalid event pattern. Use formats like: *, table.*, *.action, or table.action"},
    ),
    ("GET", "/api/webhooks/list", None, 400, {"error": "room_id parameter is required"}),
    ("GET", "/api/webhooks/create", None, 405, {"error": "Method not allowed"}),
    ("POST", "/api/webhooks/update", {}, 400, {"error": "Webhook ID is required"}),
    ("POST", "/api/webhooks/test", b"{", 400, {"error": "Invalid JSON body"}),
    ("GET", "/global-query", None, 405, "Method not allowed"),
    ("POST", "/global-query", b"{", 400, "Invalid JSON body"),
    (
        "POST",
        "/global-query",
        {"sql": "SELECT 1", "rooms": "my-app"},
        400,
        "rooms must be an array of room ids",
    ),
    ("GET", "/query?room_id=my-app", None, 400, "Missing sql parameter"),
    (
        "GET",
        "/query?room_id=my-app&sql=DELETE%20FROM%20tasks",
        None,
        400,
        {"error": "Only SELECT and WITH queries allowed in read-only mode"},
    ),
    ("GET", "/restore?room_id=my-app", None, 405, "Method not allowed"),
    ("POST", "/restore?room_id=my-app", b"{", 400, {"error": "Invalid JSON body"}),
    (
        "POST",
        "/restore?room_id=my-app",
        {"backupKey": "../../secret"},
        400,
        {"error": "Invalid backup key"},
    ),
    (
        "POST",
        "/restore?room_id=my-app",
        {"backupKey": "backup-2020-01-01T00-00-00-000Z.json"},
        404,
        {"error": "Backup not found"},
    ),
    ("GET", "/nonexistent-room-route?room_id=my-app", None, 404, None),
]


async def test_http_bad_input_changes_nothing(nano: Nano) -> None:
    """All cases against one server (signing up per case would cost a scrypt hash each)."""
    async with await page_for(nano) as page:
        await page.get("/schema?room_id=my-app")  # the room's file exists
        room_file = nano.core.rooms.path_for("my-app")
        for method, path, body, status, expected in HTTP_CASES:
            case = f"{method} {path} {body!r:.60}"
            before = (snapshot(nano.core.settings.auth_db_path), snapshot(room_file))
            kwargs: dict[str, Any] = {"data": body} if isinstance(body, bytes) else {"json": body}
            resp = await page.request(method, path, **(kwargs if body is not None else {}))
            assert resp.status == status, case
            if isinstance(expected, str):
                assert await resp.text() == expected, case
            elif expected is not None:
                assert await resp.json() == expected, case
            await nano.core.tasks.wait_all(timeout=2.0)
            after = (snapshot(nano.core.settings.auth_db_path), snapshot(room_file))
            assert changed(before[0], after[0]) == changed(before[1], after[1]) == {}, case


RPC_CASES: list[tuple[str, Any, dict[str, Any]]] = [
    ("createTask", {}, {"type": "mutation_error", "error": "Required field is missing"}),
    ("createTask", {"title": "x" * 501}, {"error": "Input too long: maximum 500 characters"}),
    ("completeTask", {"id": "1"}, {"error": "Invalid id: must be a positive integer"}),
    ("completeTask", {"id": 1.5}, {"error": "Invalid id: must be a positive integer"}),
    ("deleteTask", {"id": 0}, {"error": "Invalid id: must be a positive integer"}),
    ("deleteTask", {"id": True}, {"error": "Invalid id: must be a positive integer"}),
    ("executeSQL", {}, {"type": "query_error", "error": "executeSQL requires sql parameter"}),
    ("search", {"query": "q" * 501}, {"type": "query_error"}),
    (
        "setCursor",
        {"userId": "u"},
        {"type": "error", "error": "setCursor requires userId and position"},
    ),
    ("setPresence", {"status": "x"}, {"error": "setPresence requires userId and status"}),
    ("updateDebounced", {"value": 1}, {"error": "updateDebounced requires key parameter"}),
    (
        "updateDebounced",
        {"key": "k", "value": "x" * 100_001},
        {"error": "Value too large: maximum 100KB"},
    ),
    ("createWebhook", {}, {"error": "createWebhook requires url parameter"}),
    (
        "createWebhook",
        {"url": "http://127.0.0.1/x"},
        {"error": "createWebhook requires events parameter (comma-separated list)"},
    ),
    ("createWebhook", {"url": "nope", "events": "*"}, {"error": "Invalid webhook URL format"}),
    (
        "createWebhook",
        {"url": "http://127.0.0.1/x", "events": "*", "secret": 5},
        {"error": "secret must be a string"},
    ),
    ("updateWebhook", {}, {"error": "updateWebhook requires id parameter"}),
    ("updateWebhook", {"id": "wh_x"}, {"error": "No fields to update"}),
    ("updateWebhook", {"id": "wh_x", "active": True}, {"error": "Webhook not found: wh_x"}),
    ("deleteWebhook", {}, {"error": "deleteWebhook requires id parameter"}),
    ("getWebhooklogs", None, {"type": "error", "code": "CONFIG_ERROR"}),
    (
        "createTable",
        {"tableName": "t"},
        {"error": "createTable requires tableName and columns array"},
    ),
    ("createTable", {"tableName": "_x", "columns": [{"name": "a"}]}, {"type": "mutation_error"}),
    (
        "createTable",
        {"tableName": "t", "columns": [{"name": "a", "type": "TIMESTAMP"}]},
        {"type": "mutation_error"},
    ),
    (
        "deleteTable",
        {"tableName": "_usage"},
        {"type": "error", "error": "Cannot delete system tables"},
    ),
    (
        "updateRow",
        {"table": "tasks", "id": 1, "field": "a b"},
        {"error": "Invalid field name format"},
    ),
    ("batchInsert", {"table": "tasks", "rows": []}, {"error": "Rows must be a non-empty array"}),
    ("chatWithDatabase", {}, {"type": "chat_error", "error": "Message is required"}),
    ("chatWithDatabase", {"message": "m" * 1001}, {"type": "chat_error"}),
    (
        "subscribeSemantic",
        {"topic": "t", "description": "d", "threshold": 2},
        {"error": "subscribeSemantic requires threshold between 0 and 1"},
    ),
    ("getCursors", [1], {"type": "error", "code": "BAD_PAYLOAD"}),
    ("noSuchMethod", None, {"type": "error", "code": "UNKNOWN_METHOD"}),
]


@pytest.mark.parametrize(("method", "payload", "expected"), RPC_CASES)
async def test_rpc_bad_input_changes_nothing(
    nano: Nano, method: str, payload: Any, expected: dict[str, Any]
) -> None:
    ws = await nano.connect("bad-input")
    await rpc(ws, "getSchema", None, "warm")
    room_file = nano.core.rooms.path_for("bad-input")
    before = snapshot(room_file)
    reply, _ = await rpc(ws, method, payload, "req")
    assert reply["requestId"] == "req"
    assert {k: reply.get(k) for k in expected} == expected
    assert snapshot(room_file) == before
