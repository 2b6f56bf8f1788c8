"""RPCs that read or change the room's schema: getSchema, createTable, deleteTable (§3.7).

Schema changes are broadcast to every socket in the room, once each, before the caller's
`mutation_success` (reference §3.8 [REC]): the creator's table list is never stale.
"""

from __future__ import annotations

import sqlite3

from nanodev.rooms.rpc import Call, MethodTable
from nanodev.rooms.sqlsafety import (
    MSG_BAD_TABLE,
    MSG_CREATE_ARGS,
    MSG_RESERVED,
    DdlError,
    create_table_sql,
    is_identifier,
    quote_ident,
)


def get_schema(call: Call) -> None:
    call.store.bump_usage("reads")
    schema = call.store.schema()
    call.send({"type": "schema_update", "schema": schema})
    call.reply({"type": "rpc_result", "method": "getSchema", "data": schema})


def create_table(call: Call) -> None:
    name, columns = call.payload.get("tableName"), call.payload.get("columns")
    if not name or not isinstance(columns, list) or not columns:
        return call.mutation_error("createTable", MSG_CREATE_ARGS)
    if not is_identifier(name):
        return call.mutation_error("createTable", MSG_BAD_TABLE)
    if name.startswith("_") or name == "sqlite_sequence":
        return call.mutation_error("createTable", MSG_RESERVED)
    if call.rate_limited(10):
        return call.mutation_error("createTable", "Rate limit exceeded for createTable")
    try:
        sql = create_table_sql(name, columns)
        with call.store.transaction() as db:
            db.execute(sql)
            call.store.bump_usage("writes")
    except DdlError as exc:
        return call.mutation_error("createTable", f"Failed to create table: {exc.message}")
    except sqlite3.Error as exc:
        return call.mutation_error("createTable", f"Failed to create table: {exc}")
    call.store.invalidate_schema()
    call.broadcast_schema()
    call.mutation_success("createTable", {"tableName": name, "sql": sql})


def delete_table(call: Call) -> None:
    name = call.payload.get("tableName")
    if not name:
        return call.error("deleteTable requires tableName parameter")
    if not is_identifier(name):
        return call.error("Invalid table name")
    if name.startswith("_") or name.lower().startswith("sqlite_"):
        return call.error("Cannot delete system tables")
    if call.rate_limited(10):
        return call.mutation_error("deleteTable", "Rate limit exceeded for deleteTable")
    try:
        with call.store.transaction() as db:
            db.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
            call.store.bump_usage("writes")
    except sqlite3.Error as exc:
        return call.mutation_error("deleteTable", f"Failed to delete table: {exc}")
    call.store.invalidate_schema()
    call.room.drop_table_subscribers(name)
    call.broadcast_schema()
    call.mutation_success("deleteTable", {"tableName": name})


def register(methods: MethodTable) -> None:
    methods.register("getSchema", get_schema)
    methods.register("createTable", create_table)
    methods.register("deleteTable", delete_table)
