"""The room protocol over real sockets: reset, ping, subscribe, the core RPCs, broadcasts,
ordering, errors that keep the socket open, and idle release."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import aiohttp

from nanodev.record.events import Closed
from tests.conftest import Nano, recv_until, rpc, wait_for

CUSTOMERS = {"tableName": "customers", "columns": [{"name": "name", "type": "TEXT"}]}


async def subscribe(ws: aiohttp.ClientWebSocketResponse, table: str) -> None:
    """Subscribe and wait until the room has handled it (subscribe has no reply)."""
    await ws.send_json({"action": "subscribe", "table": table})
    await ws.send_json({"action": "ping"})
    await recv_until(ws, lambda f: f == {"type": "pong"})


async def test_first_frame_is_reset_then_ping_pong(nano: Nano) -> None:
    ws = await nano.connect()
    await ws.send_json({"action": "ping"})
    assert await ws.receive_json(timeout=5) == {"type": "pong"}


async def test_get_schema_sends_schema_update_then_rpc_result(nano: Nano) -> None:
    ws = await nano.connect()
    reply, before = await rpc(ws, "getSchema", request_id="g1")
    assert [f["type"] for f in before] == ["schema_update"]
    assert "requestId" not in before[0]
    assert reply["type"] == "rpc_result" and reply["method"] == "getSchema"
    tasks = reply["data"]["tasks"]
    assert [c["name"] for c in tasks] == [
        "id",
        "title",
        "status",
        "vector_status",
        "owner_id",
        "user_id",
    ]
    assert tasks[3]["dflt_value"] == "'pending'"
    assert before[0]["schema"] == reply["data"]


async def test_schema_change_reaches_every_socket_before_success(nano: Nano) -> None:
    creator = await nano.connect()
    other = await nano.connect()  # never subscribed: the original sent it nothing
    reply, before = await rpc(creator, "createTable", CUSTOMERS, "c1")
    assert reply["type"] == "mutation_success" and reply["action"] == "createTable"
    assert reply["data"]["tableName"] == "customers"
    assert [f["type"] for f in before] == ["schema_update"]
    assert "customers" in before[0]["schema"]
    pushed = await other.receive_json(timeout=5)
    assert pushed["type"] == "schema_update" and "customers" in pushed["schema"]


async def test_two_tabs_see_each_others_updates(nano: Nano) -> None:
    a, b = await nano.connect(), await nano.connect()
    await rpc(a, "createTable", CUSTOMERS, "c1")
    await b.receive_json(timeout=5)  # schema_update
    for ws in (a, b):
        await subscribe(ws, "customers")
    reply, before = await rpc(
        a, "batchInsert", {"table": "customers", "rows": [{"Name": "Ada"}]}, "b1"
    )
    assert before == [
        {
            "event": "update",
            "table": "customers",
            "action": "added",
            "row": {"id": 1, "name": "Ada"},
        }
    ]
    assert reply["data"] == {"inserted": 1, "total": 1, "errors": []}
    assert await b.receive_json(timeout=5) == before[0]
    reply, _after = await rpc(
        b, "updateRow", {"table": "customers", "id": 1, "field": "name", "value": "Grace"}, "u1"
    )
    assert reply["data"] == {"id": 1, "name": "Grace"}
    update = await a.receive_json(timeout=5)
    assert update == {
        "event": "update",
        "table": "customers",
        "action": "modified",
        "row": {"id": 1, "name": "Grace"},
    }


async def test_batch_insert_skips_only_bad_rows_and_broadcasts_stored_rows(nano: Nano) -> None:
    ws = await nano.connect()
    await rpc(
        ws,
        "createTable",
        {
            "tableName": "people",
            "columns": [
                {"name": "name", "type": "TEXT", "notNull": True},
                {"name": "role", "type": "TEXT", "default": "'member'"},
            ],
        },
        "c",
    )
    await subscribe(ws, "people")
    rows = [{"name": "Ada"}, {"unknown": 1}, {"name": None}, "nonsense", {"name": "Linus"}]
    reply, before = await rpc(ws, "batchInsert", {"table": "people", "rows": rows}, "b")
    assert reply["type"] == "mutation_success"
    assert reply["data"]["inserted"] == 2 and reply["data"]["total"] == 5
    assert len(reply["data"]["errors"]) == 3
    assert [f["row"] for f in before] == [
        {"id": 1, "name": "Ada", "role": "member"},
        {"id": 2, "name": "Linus", "role": "member"},
    ]


async def test_batch_insert_errors(nano: Nano) -> None:
    ws = await nano.connect()
    cases = [
        ({"table": "", "rows": [{}]}, "Invalid table name"),
        ({"table": "tasks", "rows": []}, "Rows must be a non-empty array"),
        ({"table": "nope", "rows": [{"a": 1}]}, "Table 'nope' does not exist or is not accessible"),
        (
            {"table": "tasks", "rows": [{"zzz": 1}]},
            "Column mismatch. CSV columns (zzz) do not "
            "match Table columns (id, title, status, "
            "vector_status, owner_id, user_id)",
        ),
    ]
    for i, (payload, error) in enumerate(cases):
        reply, _ = await rpc(ws, "batchInsert", payload, f"e{i}")
        assert reply == {
            "type": "mutation_error",
            "action": "batchInsert",
            "error": error,
            "requestId": f"e{i}",
        }


async def test_execute_sql_is_read_only_at_engine_level(nano: Nano) -> None:
    ws = await nano.connect()
    await rpc(ws, "batchInsert", {"table": "tasks", "rows": [{"title": "keep me"}]}, "seed")
    for i, sql in enumerate(
        [
            "DELETE FROM tasks",
            "WITH x AS (SELECT 1) DELETE FROM tasks",
            "select 1; DROP TABLE tasks",
            "UPDATE tasks SET title = 'x'",
        ]
    ):
        payload = {"sql": sql, "readonly": False}
        reply, _ = await rpc(ws, "executeSQL", payload, f"x{i}")
        assert reply["type"] == "query_error", sql
    reply, _ = await rpc(ws, "executeSQL", {"sql": "SELECT title FROM tasks"}, "ok")
    assert reply["data"] == [{"title": "keep me"}]


async def test_execute_sql_echoes_original_sql_byte_for_byte(nano: Nano) -> None:
    ws = await nano.connect()
    sql = "  SELECT COUNT(*) as count FROM tasks  -- ünïcode\n"
    reply, _ = await rpc(ws, "executeSQL", {"sql": sql}, "q")
    assert reply["originalSql"] == sql
    assert reply["data"] == [{"count": 0}]


async def test_every_reply_echoes_request_and_update_ids(nano: Nano) -> None:
    ws = await nano.connect()
    await ws.send_json({"action": "rpc", "method": "getUsage", "requestId": "r9", "updateId": 4})
    reply = await ws.receive_json(timeout=5)
    assert reply["originalSql"] == "getUsage"
    assert (reply["requestId"], reply["updateId"]) == ("r9", 4)
    await ws.send_json({"action": "rpc", "method": "noSuchMethod", "requestId": "r10"})
    reply = await ws.receive_json(timeout=5)
    assert reply == {
        "type": "error",
        "error": "Unknown RPC method: noSuchMethod",
        "code": "UNKNOWN_METHOD",
        "requestId": "r10",
    }


async def test_bad_frames_get_errors_and_socket_stays_open(nano: Nano) -> None:
    ws = await nano.connect()
    bad = [
        "{not json",
        "[]",
        '{"action":"explode"}',
        '{"action":"subscribe"}',
        '{"action":"rpc","method":"createTable","payload":"x"}',
    ]
    codes = []
    for text in bad:
        await ws.send_str(text)
        codes.append((await ws.receive_json(timeout=5))["code"])
    await ws.send_bytes(b"\x00\x01binary")
    codes.append((await ws.receive_json(timeout=5))["code"])
    assert codes == [
        "BAD_JSON",
        "BAD_MESSAGE",
        "UNKNOWN_ACTION",
        "BAD_MESSAGE",
        "BAD_PAYLOAD",
        "BINARY_FRAME",
    ]
    await ws.send_json({"action": "ping"})
    assert await ws.receive_json(timeout=5) == {"type": "pong"}


async def test_raw_query_and_mutate_refused_like_the_original(nano: Nano) -> None:
    ws = await nano.connect()
    await ws.send_json({"action": "query", "sql": "SELECT 1"})
    assert (await ws.receive_json(timeout=5))["type"] == "query_error"
    await ws.send_json({"action": "mutate"})
    assert await ws.receive_json(timeout=5) == {
        "error": "Raw mutations are disabled. Use RPC actions."
    }


async def test_frames_are_handled_in_arrival_order(nano: Nano) -> None:
    ws = await nano.connect()
    await rpc(
        ws,
        "createTable",
        {"tableName": "counter", "columns": [{"name": "n", "type": "INTEGER"}]},
        "c",
    )
    for i in range(200):
        await ws.send_str(
            json.dumps(
                {
                    "action": "rpc",
                    "method": "batchInsert",
                    "payload": {"table": "counter", "rows": [{"n": i}]},
                    "requestId": f"i{i}",
                }
            )
        )
    seen = []
    while len(seen) < 200:
        frame = await ws.receive_json(timeout=5)
        if frame.get("type") == "mutation_success":
            seen.append(frame["requestId"])
    assert seen == [f"i{i}" for i in range(200)]
    reply, _ = await rpc(ws, "executeSQL", {"sql": "SELECT n FROM counter ORDER BY id"}, "q")
    assert [r["n"] for r in reply["data"]] == list(range(200))


async def test_success_only_after_commit(nano: Nano) -> None:
    ws = await nano.connect(room="durable-room")
    room = nano.core.rooms.rooms["durable-room"]
    reply, _ = await rpc(ws, "batchInsert", {"table": "tasks", "rows": [{"title": "t"}]}, "w")
    assert reply["type"] == "mutation_success"
    # A second, independent connection sees the row the moment the ack arrived.
    other = sqlite3.connect(room.path)
    assert other.execute("SELECT title FROM tasks").fetchall() == [("t",)]
    other.close()


async def test_create_table_rejects_injection_and_reserved_names(nano: Nano) -> None:
    ws = await nano.connect()
    cases = [
        (
            {"tableName": "t1", "columns": [{"name": "a", "default": "1); DROP TABLE tasks; --"}]},
            "Failed to create table: Invalid default value",
        ),
        ({"tableName": "_secret", "columns": [{"name": "a"}]}, "Cannot create tables with names"),
        ({"tableName": "bad-name", "columns": [{"name": "a"}]}, "Invalid table name."),
        ({"tableName": "t2", "columns": []}, "createTable requires tableName and columns array"),
        (
            {"tableName": "t3", "columns": [{"name": "a", "type": "TIMESTAMP"}]},
            "Failed to create table: Invalid column type: TIMESTAMP",
        ),
    ]
    for i, (payload, error) in enumerate(cases):
        reply, _ = await rpc(ws, "createTable", payload, f"c{i}")
        assert reply["type"] == "mutation_error" and reply["error"].startswith(error), reply
    schema, _ = await rpc(ws, "getSchema", request_id="s")
    assert list(schema["data"]) == ["tasks"]


async def test_reserved_word_table_names_work_when_quoted(nano: Nano) -> None:
    ws = await nano.connect()
    reply, _ = await rpc(
        ws,
        "createTable",
        {"tableName": "order", "columns": [{"name": "select", "type": "TEXT"}]},
        "c",
    )
    assert reply["type"] == "mutation_success"
    reply, _ = await rpc(ws, "batchInsert", {"table": "order", "rows": [{"select": "x"}]}, "b")
    assert reply["data"]["inserted"] == 1


async def test_delete_table(nano: Nano) -> None:
    ws = await nano.connect()
    await rpc(ws, "createTable", CUSTOMERS, "c")
    reply, before = await rpc(ws, "deleteTable", {"tableName": "customers"}, "d")
    assert reply == {
        "type": "mutation_success",
        "action": "deleteTable",
        "requestId": "d",
        "data": {"tableName": "customers"},
    }
    assert "customers" not in before[-1]["schema"]
    reply, _ = await rpc(ws, "deleteTable", {"tableName": "_usage"}, "d2")
    assert reply == {"type": "error", "error": "Cannot delete system tables", "requestId": "d2"}


async def test_usage_counts_reads(nano: Nano) -> None:
    ws = await nano.connect(room="usage-room")
    await rpc(ws, "getSchema", request_id="s")
    reply, _ = await rpc(ws, "getUsage", request_id="u")
    assert reply["data"][0]["reads"] == 2 and reply["data"][0]["writes"] == 0


async def test_idle_room_releases_memory_and_keeps_data(make_nano) -> None:  # type: ignore[no-untyped-def]
    nano = await make_nano(room_idle_seconds=0.05)
    ws = await nano.connect(room="idle-room")
    await rpc(ws, "batchInsert", {"table": "tasks", "rows": [{"title": "persisted"}]}, "w")
    await ws.close()
    await wait_for(lambda: "idle-room" not in nano.core.rooms.rooms, timeout=5)
    ws = await nano.connect(room="idle-room")
    reply, _ = await rpc(ws, "executeSQL", {"sql": "SELECT title FROM tasks"}, "r")
    assert reply["data"] == [{"title": "persisted"}]


async def test_close_is_recorded_with_meaning(nano: Nano) -> None:
    ws = await nano.connect()
    await ws.close(code=4000, message=b"bye")
    await wait_for(lambda: any(isinstance(e, Closed) for _, e in nano.core.recorder.events))
    closed = next(e for _, e in nano.core.recorder.events if isinstance(e, Closed))
    assert (closed.code, closed.reason, closed.by) == (4000, "bye", "client")


async def test_oversized_message_closes_1009(make_nano) -> None:  # type: ignore[no-untyped-def]
    nano = await make_nano(max_message_bytes=2048)
    ws = await nano.connect()
    await ws.send_str("x" * 5000)
    msg = await ws.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 1009


async def test_shutdown_closes_sockets_with_1001(make_nano) -> None:  # type: ignore[no-untyped-def]
    nano = await make_nano()
    ws = await nano.connect()
    closing = asyncio.ensure_future(nano.server.close())
    msg = await ws.receive(timeout=5)  # a live client reads while the server stops
    await asyncio.wait_for(closing, timeout=5)
    assert (msg.type, msg.data, msg.extra) == (aiohttp.WSMsgType.CLOSE, 1001, "Server shutdown")
