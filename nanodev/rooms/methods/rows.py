"""Row writes: batchInsert and updateRow (§3.7), with the fixes of §6 #23.

batchInsert commits every good row in one transaction, skips only the bad ones, and broadcasts
each row as stored (read back with RETURNING *, so defaults and ids are real).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

from nanodev.rooms.rpc import Call, MethodTable
from nanodev.rooms.sqlsafety import IDENT_RE, quote_ident, sanitize_identifier
from nanodev.rooms.store import json_value

MAX_REPORTED_ERRORS = 5


def batch_insert(call: Call) -> None:
    table, rows = call.payload.get("table"), call.payload.get("rows")
    fail = _failer(call, "batchInsert")
    if not isinstance(table, str) or not table:
        return fail("Invalid table name")
    if not isinstance(rows, list) or not rows:
        return fail("Rows must be a non-empty array")
    if not call.store.is_user_table(table):
        return fail(f"Table '{table}' does not exist or is not accessible")
    columns = call.store.columns(table)
    first = rows[0] if isinstance(rows[0], dict) else {}
    keys = [sanitize_identifier(k) for k in first]
    if not any(k in columns for k in keys):
        return fail(
            f"Column mismatch. CSV columns ({', '.join(keys)}) do not match Table columns "
            f"({', '.join(columns)})"
        )
    inserted, errors = _insert_rows(call, table, columns, rows)
    data = {"inserted": len(inserted), "total": len(rows), "errors": errors[:MAX_REPORTED_ERRORS]}
    if not inserted:
        first_error = f" First error: {errors[0]}" if errors else ""
        return fail(f"No rows were inserted.{first_error}", data=data)
    for row in inserted:
        call.broadcast_update(table, "added", row)
    call.mutation_success("batchInsert", data)


def _insert_rows(
    call: Call, table: str, columns: list[str], rows: list[Any]
) -> tuple[list[dict[str, Any]], list[str]]:
    inserted: list[dict[str, Any]] = []
    errors: list[str] = []
    now_ms = int(time.time() * 1000)
    with call.store.transaction() as db:
        call.store.bump_usage("writes")
        for index, raw in enumerate(rows):
            clean = _clean_row(raw, columns, call.user_id, now_ms)
            if not clean:
                errors.append(f"Row {index + 1}: no values for known columns")
                continue
            cols = ", ".join(quote_ident(c) for c in clean)
            marks = ", ".join("?" for _ in clean)
            try:
                stored = db.execute(
                    f"INSERT INTO {quote_ident(table)} ({cols}) VALUES ({marks}) RETURNING *",
                    [json_value(v) for v in clean.values()],
                ).fetchone()
            except sqlite3.Error as exc:
                errors.append(f"Row {index + 1}: {exc}")
                continue
            inserted.append(stored)
    return inserted, errors


def _clean_row(raw: Any, columns: list[str], user_id: str, now_ms: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return {}
    clean = {}
    for key, value in raw.items():
        name = sanitize_identifier(key)
        if name in columns:
            clean[name] = value
    if not clean:
        return clean
    for column, filler in (("user_id", user_id), ("owner_id", user_id), ("created_at", now_ms)):
        if column in columns and not clean.get(column):
            clean[column] = filler
    return clean


def update_row(call: Call) -> None:
    p = call.payload
    table, row_id, field, value = p.get("table"), p.get("id"), p.get("field"), p.get("value")
    fail = _failer(call, "updateRow")
    if not isinstance(table, str) or not table:
        return fail("Invalid table name")
    if not row_id or isinstance(row_id, bool) or not isinstance(row_id, int | float | str):
        return fail("Invalid row id")
    if not isinstance(field, str) or not field:
        return fail("Invalid field name")
    if not call.store.is_user_table(table):
        return fail(f"Table '{table}' does not exist or is not accessible")
    if not IDENT_RE.match(field):
        return fail("Invalid field name format")
    if call.rate_limited(100):
        return fail("Rate limit exceeded. Please slow down.")
    try:
        with call.store.transaction() as db:
            call.store.bump_usage("writes")
            row = db.execute(
                f"UPDATE {quote_ident(table)} SET {quote_ident(field)} = ? "
                "WHERE id = ? RETURNING *",
                (json_value(value), json_value(row_id)),
            ).fetchone()
    except sqlite3.Error as exc:
        return fail(str(exc))
    if row is None:
        return fail(f"No row found with id {row_id}")
    call.mutation_success("updateRow", row)
    call.broadcast_update(table, "modified", row)


def _failer(call: Call, action: str) -> Callable[..., None]:
    def fail(error: str, **extra: Any) -> None:
        call.mutation_error(action, error, **extra)

    return fail


def register(methods: MethodTable) -> None:
    methods.register("batchInsert", batch_insert)
    methods.register("updateRow", update_row)
