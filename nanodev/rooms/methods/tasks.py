"""The `tasks` table's RPCs (reference §3.7): createTask, completeTask, deleteTask, listTasks.

The intended behaviour of the original (§6 #1: its createTask could not run as written), plus
the `requestId` echo of §3.9. listTasks keeps the row-level filter of §3.10: the caller's own
rows (`user_id`), of which only those with no `owner_id` or the caller's are shown. Bad input
is refused before anything is written, usage counters included.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from nanodev.jsvalues import TooLong, parse_int, positive_int, sanitize_string
from nanodev.rooms.rpc import Call, MethodTable

MAX_TITLE = 500
MSG_BAD_ID = "Invalid id: must be a positive integer"


def visible(row: dict[str, Any], user_id: str) -> bool:
    """The tasks policy: a row is visible if it has no owner or the caller owns it."""
    return row.get("owner_id") is None or row.get("owner_id") == user_id


def page_args(payload: dict[str, Any]) -> tuple[int, int]:
    """`parseInt(limit) || 100` clamped to 1..1000, `offset` ≥ 0 (and within what SQLite can
    bind); NaN falls back (§3.7 [REC])."""
    limit = parse_int(payload.get("limit")) or 100
    offset = parse_int(payload.get("offset")) or 0
    return min(max(limit, 1), 1000), min(max(offset, 0), (1 << 63) - 1)


def title_of(payload: dict[str, Any]) -> str:
    """The sanitised title; raises ValueError with the original's message."""
    raw = payload.get("title")
    if raw is None or raw == "":
        raise ValueError("Required field is missing")
    title = sanitize_string(raw, MAX_TITLE)
    if not title:
        raise ValueError("Required field is missing")
    return title


def create_task(call: Call) -> None:
    if call.rate_limited(100):
        return call.mutation_error("createTask", "Rate limit exceeded. Please slow down.")
    try:
        title = title_of(call.payload)
    except (TooLong, ValueError) as exc:
        return call.mutation_error("createTask", str(exc))
    try:
        with call.store.transaction() as db:
            call.store.bump_usage("writes")
            row = db.execute(
                "INSERT INTO tasks (title, status, vector_status, owner_id, user_id) "
                "VALUES (?, 'pending', 'pending', ?, ?) RETURNING *",
                (title, call.user_id, call.user_id),
            ).fetchone()
    except sqlite3.Error as exc:
        return call.mutation_error("createTask", str(exc))
    call.mutation_success("createTask")
    call.broadcast_update("tasks", "added", row)


def complete_task(call: Call) -> None:
    task_id = positive_int(call.payload.get("id"))
    if task_id is None:
        return call.mutation_error("completeTask", MSG_BAD_ID)
    try:
        with call.store.transaction() as db:
            call.store.bump_usage("writes")
            row = db.execute(
                "UPDATE tasks SET status = 'completed' WHERE id = ? RETURNING *", (task_id,)
            ).fetchone()
    except sqlite3.Error as exc:
        return call.mutation_error("completeTask", str(exc))
    call.mutation_success("completeTask")
    if row is not None:
        call.broadcast_update("tasks", "modified", row)


def delete_task(call: Call) -> None:
    task_id = positive_int(call.payload.get("id"))
    if task_id is None:
        return call.mutation_error("deleteTask", MSG_BAD_ID)
    try:
        with call.store.transaction() as db:
            call.store.bump_usage("writes")
            row = db.execute("DELETE FROM tasks WHERE id = ? RETURNING *", (task_id,)).fetchone()
    except sqlite3.Error as exc:
        return call.mutation_error("deleteTask", str(exc))
    call.mutation_success("deleteTask")
    if row is not None:
        call.broadcast_update("tasks", "deleted", row)


def list_tasks(call: Call) -> None:
    limit, offset = page_args(call.payload)
    db = call.store.db
    rows = db.execute(
        "SELECT * FROM tasks WHERE user_id = ? ORDER BY id LIMIT ? OFFSET ?",
        (call.user_id, limit, offset),
    ).fetchall()
    total = db.execute(
        "SELECT COUNT(*) AS n FROM tasks WHERE user_id = ?", (call.user_id,)
    ).fetchone()["n"]
    call.store.bump_usage("reads")
    data = [row for row in rows if visible(row, call.user_id)]
    pagination = {"limit": limit, "offset": offset, "total": total}
    call.query_result(data, "listTasks", total=total, pagination=pagination)


def register(methods: MethodTable) -> None:
    methods.register("createTask", create_task)
    methods.register("completeTask", complete_task)
    methods.register("deleteTask", delete_task)
    methods.register("listTasks", list_tasks)
