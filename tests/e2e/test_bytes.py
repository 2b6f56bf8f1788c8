"""Byte for byte: nanodev's frames and JSON bodies against the reference's examples, as the real
Worker's `JSON.stringify` writes them (no spaces, non-ASCII kept, `2` not `2.0`, the reference's
key order). Where nanodev deliberately differs (a [REC] fix), the test says which part."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from nanodev.jsjson import stringify
from tests.conftest import Nano


async def exchange(
    ws: aiohttp.ClientWebSocketResponse, frame: dict[str, Any], n: int = 1
) -> list[str]:
    await ws.send_str(json.dumps(frame))
    return [await ws.receive_str(timeout=5) for _ in range(n)]


async def test_every_frame_type_is_written_as_the_reference_writes_it(nano: Nano) -> None:
    key = await nano.key()
    ws = await nano.session.ws_connect(nano.ws_url(room_id="bytes-room", key=key))
    nano.sockets.append(ws)
    assert await ws.receive_str(timeout=5) == '{"type":"reset"}'
    assert await exchange(ws, {"action": "ping"}) == ['{"type":"pong"}']
    assert await exchange(ws, {"action": "subscribe_query", "sql": "SELECT 1", "table": "t"}) == [
        '{"type":"error","error":"subscribe_query requires queryId, method, and tables"}'
    ]
    assert await exchange(ws, {"action": "query", "sql": "SELECT 1"}) == [
        '{"type":"query_error","error":"Raw SQL queries are disabled for security. '
        'Please use RPC methods."}'
    ]
    assert await exchange(ws, {"action": "mutate"}) == [
        '{"error":"Raw mutations are disabled. Use RPC actions."}'
    ]
    assert await exchange(ws, {"action": "rpc", "method": "nope"}) == [
        '{"type":"error","code":"UNKNOWN_METHOD","error":"Unknown RPC method: nope"}'
    ]
    # [REC] every direct reply echoes requestId (§3.9): appended last, nothing else changes.
    assert await exchange(ws, {"action": "rpc", "method": "nope", "requestId": "r0"}) == [
        '{"type":"error","code":"UNKNOWN_METHOD","error":"Unknown RPC method: nope",'
        '"requestId":"r0"}'
    ]
    create = {"tableName": "customers", "columns": [{"name": "name", "type": "TEXT"}]}
    schema, done = await exchange(
        ws, {"action": "rpc", "method": "createTable", "payload": create, "requestId": "r1"}, 2
    )
    assert schema.startswith('{"type":"schema_update","schema":{"tasks":[{"cid":0,"name":"id",')
    sql = json.loads(done)["data"]["sql"]  # nanodev quotes identifiers ([REC] §6 #6)
    assert done == (
        '{"type":"mutation_success","action":"createTable","requestId":"r1",'
        f'"data":{{"tableName":"customers","sql":{json.dumps(sql)}}}}}'
    )
    await ws.send_str('{"action":"subscribe","table":"customers"}')
    rows = {"table": "customers", "rows": [{"name": "Ada"}]}
    assert await exchange(
        ws, {"action": "rpc", "method": "batchInsert", "payload": rows, "requestId": "r2"}, 2
    ) == [
        '{"event":"update","table":"customers","action":"added","row":{"id":1,"name":"Ada"}}',
        '{"type":"mutation_success","action":"batchInsert","requestId":"r2",'
        '"data":{"inserted":1,"total":1,"errors":[]}}',
    ]
    edit = {"table": "customers", "id": 1, "field": "name", "value": "Grace"}
    assert await exchange(
        ws,
        {
            "action": "rpc",
            "method": "updateRow",
            "payload": edit,
            "requestId": "r3",
            "updateId": "u3",
        },
        2,
    ) == [
        '{"type":"mutation_success","action":"updateRow","updateId":"u3","requestId":"r3",'
        '"data":{"id":1,"name":"Grace"}}',
        '{"event":"update","table":"customers","action":"modified","row":{"id":1,"name":"Grace"}}',
    ]
    assert await exchange(
        ws, {"action": "rpc", "method": "getPresence", "payload": {}, "requestId": "r4"}
    ) == ['{"type":"query_result","data":[],"originalSql":"getPresence","requestId":"r4"}']
    query = "SELECT 'naïve ☃ 日本' AS t, 2.0 AS f, 0.5 AS h, 1e-7 AS e"
    assert await exchange(
        ws, {"action": "rpc", "method": "executeSQL", "payload": {"sql": query}}
    ) == [
        '{"type":"query_result","data":[{"t":"naïve ☃ 日本","f":2,"h":0.5,"e":1e-7}],'
        f'"originalSql":{json.dumps(query, ensure_ascii=False)}}}'
    ]
    assert await exchange(
        ws, {"action": "rpc", "method": "setCursor", "payload": {"userId": "u", "position": 3}}, 2
    ) == [
        '{"event":"memory_update","type":"cursors","data":{"userId":"u","position":3}}',
        '{"type":"success","action":"setCursor"}',
    ]
    assert await exchange(ws, {"action": "rpc", "method": "deleteTable", "payload": {}}) == [
        '{"type":"error","error":"deleteTable requires tableName parameter"}'
    ]
    assert await exchange(ws, {"action": "rpc", "method": "getWebhooklogs", "requestId": "r5"}) == [
        '{"type":"error","code":"CONFIG_ERROR","error":"D1 READ_REPLICA not available",'
        '"requestId":"r5"}'
    ]


async def body(nano: Nano, method: str, path: str, **kw: Any) -> tuple[int, str]:
    async with nano.session.request(method, nano.base + path, **kw) as resp:
        return resp.status, await resp.text()


async def test_json_bodies_are_written_as_the_worker_writes_them(nano: Nano) -> None:
    cookie = {"Cookie": await nano.cookie("bytes@example.com")}
    assert await body(nano, "GET", "/api/user-tier", headers=cookie) == (200, '{"tier":"free"}')
    assert await body(nano, "POST", "/api/keys/generate", headers=cookie, data="{") == (
        400,
        '{"error":"Invalid JSON body"}',
    )
    assert await body(nano, "GET", "/api/webhooks/list", headers=cookie) == (
        400,
        '{"error":"room_id parameter is required"}',
    )
    assert await body(nano, "POST", "/api/keys/delete", headers=cookie, json={"id": "x"}) == (
        400,
        '{"error":"Invalid API key ID format"}',
    )
    # nanodev's own 400 for a bad room_id (a deliberate difference: the Worker answers plain
    # text `Missing room_id query parameter`): JSON, written the same way.
    status, text = await body(nano, "GET", "/__ws/websocket?room_id")
    assert status == 400 and text.startswith(
        '{"error":"room_id is present but empty (?room_id)","hint":"'
    )
    assert text.endswith('","code":"ROOM_ID_NO_VALUE"}')
    assert text == stringify(json.loads(text)) and ", " not in text.replace('", "', "")
