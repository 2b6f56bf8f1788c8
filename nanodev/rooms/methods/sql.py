"""Read RPCs over the room's SQL: executeSQL (read-only at the engine level) and getUsage.

`originalSql` is echoed byte for byte: the client matches results to requests by it.
"""

from __future__ import annotations

import asyncio
import sqlite3

from nanodev.rooms.rpc import Call, MethodTable
from nanodev.rooms.store import QueryTimeout

MSG_READ_ONLY = "Only SELECT and WITH queries allowed in read-only mode"
MAX_SQL = 10_000


async def execute_sql(call: Call) -> None:
    sql = call.payload.get("sql")
    if not isinstance(sql, str) or not sql:
        return call.query_error("executeSQL requires sql parameter")
    if call.rate_limited(50):
        return call.query_error("Rate limit exceeded for executeSQL")
    if len(sql) > MAX_SQL:
        return call.query_error("Query too long: maximum 10,000 characters")
    writable = call.payload.get("readonly") is False and call.room.settings.allow_writable_sql
    call.store.bump_usage("reads", 2)
    try:
        if writable:
            rows = call.store.write_query(sql)
        else:
            # A slow read runs on a worker thread (SQLite releases the GIL) while this room's
            # turn waits for it: the room stays serial, every other room keeps being served.
            rows = await asyncio.to_thread(call.store.read_query, sql)
    except QueryTimeout as exc:
        return call.query_error(str(exc))
    except (sqlite3.Error, sqlite3.Warning) as exc:
        # Python < 3.12 reports "one statement at a time" as sqlite3.Warning.
        message = str(exc)
        if message == "not authorized" or "readonly" in message:
            message = MSG_READ_ONLY
        return call.query_error(message)
    call.query_result(rows, sql)


def get_usage(call: Call) -> None:
    call.store.bump_usage("reads")
    call.query_result(call.store.usage(), "getUsage")


def register(methods: MethodTable) -> None:
    methods.register("executeSQL", execute_sql)
    methods.register("getUsage", get_usage)
