"""One text frame → the room's answer: top-level actions (§3.6) and RPC dispatch (§3.7).

Runs inside the room's serial turn. Nothing a client sends can end the socket or escape as an
exception: every problem becomes an error frame that names it.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from nanodev.rooms import protocol
from nanodev.rooms.connection import Connection
from nanodev.rooms.protocol import (
    LegacyCall,
    Mutate,
    Ping,
    ProtocolError,
    Query,
    Rpc,
    Subscribe,
    SubscribeQuery,
    Unsubscribe,
    UnsubscribeQuery,
)
from nanodev.rooms.room import Room
from nanodev.rooms.rpc import Call

log = logging.getLogger("nanodev")


async def handle_text(room: Room, conn: Connection, text: str) -> None:
    try:
        msg = protocol.parse(text)
    except ProtocolError as exc:
        await conn.send(protocol.encode(exc.frame()))
        return
    if isinstance(msg, Ping):
        conn.push(protocol.PONG)
    elif isinstance(msg, Rpc):
        await call_method(room, conn, msg.method, msg.payload, msg.requestId, msg.updateId)
    elif isinstance(msg, LegacyCall):
        await call_method(room, conn, msg.action, msg.payload, msg.requestId, msg.updateId)
    else:
        await _handle_action(room, conn, msg)


async def _handle_action(room: Room, conn: Connection, msg: Any) -> None:
    call = Call(room, conn, msg.action, None, msg.requestId, msg.updateId)
    if isinstance(msg, Subscribe):
        if not room.subscribe(conn, msg.table):
            call.error(
                f"Table '{msg.table}' subscription limit reached (10000 max). "
                "Please try again later."
            )
    elif isinstance(msg, Unsubscribe):
        room.unsubscribe(conn, msg.table)
    elif isinstance(msg, SubscribeQuery):
        _subscribe_query(room, call, msg)
    elif isinstance(msg, UnsubscribeQuery) and not isinstance(msg.queryId, QUERY_ID_TYPES):
        call.error(QUERY_ID_ERROR)
    elif isinstance(msg, UnsubscribeQuery):
        conn.queries.pop(msg.queryId, None)
        call.reply({"type": "query_unsubscribed", "queryId": msg.queryId})
    elif isinstance(msg, Query):
        if msg.sql is not None:
            call.reply(
                {
                    "type": "query_error",
                    "error": "Raw SQL queries are disabled for security. Please use RPC methods.",
                }
            )
    elif isinstance(msg, Mutate):
        call.reply({"error": "Raw mutations are disabled. Use RPC actions."})
    await room.flush(call.outbox)


# A query id keys the socket's query table, so it must be a JSON scalar: a list or an object
# would be unhashable (and the original compares ids by value only for strings and numbers).
QUERY_ID_TYPES = (str, int, float)
QUERY_ID_ERROR = "queryId must be a string or a number"


def _subscribe_query(room: Room, call: Call, msg: SubscribeQuery) -> None:
    tables = msg.tables
    if not msg.queryId or not msg.method or not isinstance(tables, list) or not tables:
        call.error("subscribe_query requires queryId, method, and tables")
        return
    if not isinstance(msg.queryId, QUERY_ID_TYPES):
        call.error(QUERY_ID_ERROR)
        return
    call.conn.queries[msg.queryId] = {
        "method": msg.method,
        "payload": msg.payload,
        "tables": [str(t) for t in tables],
    }
    for table in tables:
        room.subscribe(call.conn, str(table))
    call.reply({"type": "query_subscribed", "queryId": msg.queryId})


async def call_method(
    room: Room, conn: Connection, method: str, payload: Any, request_id: Any, update_id: Any
) -> None:
    call = Call(room, conn, method, payload, request_id, update_id)
    handler = room.methods.get(method)
    if handler is None:
        call.error(f"Unknown RPC method: {method}", "UNKNOWN_METHOD")
    elif payload is not None and not isinstance(payload, dict):
        call.error(f"payload for {method} must be a JSON object", "BAD_PAYLOAD")
    else:
        try:
            result = handler(call)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # a handler bug: report it, keep the socket
            log.exception("rpc %s failed in room %s", method, room.id)
            call.outbox.clear()  # the output gate: nothing from a failed turn leaves
            call.error(f"Internal error in {method}: {exc}", "INTERNAL_ERROR")
    await room.flush(call.outbox)
