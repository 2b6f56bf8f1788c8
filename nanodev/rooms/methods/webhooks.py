"""Webhook CRUD over the socket (reference §3.7), stored in the room's `_webhooks` table.

Writes go to the room's own SQLite only (the fix of §6 #24); delivery is `webhooks.py`.
Beyond the original: URLs must be http(s), event patterns are checked, and updating or
deleting an id that does not exist is an error instead of a silent success. There is no D1
replica, so `getWebhooklogs` answers `CONFIG_ERROR` as the original does without one; the
delivery attempts are in the inspector.
"""

from __future__ import annotations

import secrets
import sqlite3
import string
import time
from typing import Any

from nanodev.rooms.rpc import Call, MethodTable
from nanodev.rooms.webhooks import MSG_BAD_PATTERN, url_problem, valid_event_pattern

_BASE36 = string.digits + string.ascii_lowercase
_PUBLIC_COLS = "id, url, events, active, created_at, last_triggered_at, failure_count"


def new_id(now_ms: int) -> str:
    """`wh_<ms>_<7 random base36>`."""
    return f"wh_{now_ms}_{''.join(secrets.choice(_BASE36) for _ in range(7))}"


def changes(payload: dict[str, Any]) -> dict[str, Any] | str:
    """updateWebhook's payload → the columns to set, or the error message."""
    out: dict[str, Any] = {}
    if payload.get("url") is not None:
        problem = url_problem(payload["url"])
        if problem:
            return "Invalid webhook URL format" if problem.endswith("required") else problem
        out["url"] = str(payload["url"])
    if payload.get("events") is not None:
        events = payload["events"]
        if not isinstance(events, str) or not valid_event_pattern(events):
            return MSG_BAD_PATTERN
        out["events"] = events
    if payload.get("active") is not None:
        out["active"] = 1 if payload["active"] else 0
    return out or "No fields to update"


def create_webhook(call: Call) -> None:
    p = call.payload
    url, events, secret = p.get("url"), p.get("events"), p.get("secret")
    if not url:
        return call.mutation_error("createWebhook", "createWebhook requires url parameter")
    if not events:
        return call.mutation_error(
            "createWebhook", "createWebhook requires events parameter (comma-separated list)"
        )
    problem = url_problem(url)
    if problem:
        return call.mutation_error("createWebhook", problem)
    if not isinstance(events, str) or not valid_event_pattern(events):
        return call.mutation_error("createWebhook", MSG_BAD_PATTERN)
    if secret is not None and not isinstance(secret, str):
        return call.mutation_error("createWebhook", "secret must be a string")
    created = int(time.time() * 1000)
    row = {"id": new_id(created), "url": str(url), "events": events, "active": 1}
    try:
        with call.store.transaction() as db:
            call.store.bump_usage("writes")
            db.execute(
                "INSERT INTO _webhooks (id, url, events, secret, active, created_at, "
                "failure_count) VALUES (?, ?, ?, ?, 1, ?, 0)",
                (row["id"], row["url"], events, secret or None, created),
            )
    except sqlite3.Error as exc:
        return call.mutation_error("createWebhook", f"Failed to create webhook: {exc}")
    call.mutation_success("createWebhook", {**row, "created_at": created}, ids_last=True)


def list_webhooks(call: Call) -> None:
    call.store.bump_usage("reads")
    rows = call.store.db.execute(
        f"SELECT {_PUBLIC_COLS} FROM _webhooks ORDER BY created_at"
    ).fetchall()
    call.query_result(rows)


def get_webhook_logs(call: Call) -> None:
    call.error("D1 READ_REPLICA not available", "CONFIG_ERROR")


def update_webhook(call: Call) -> None:
    hook_id = call.payload.get("id")
    if not hook_id:
        return call.mutation_error("updateWebhook", "updateWebhook requires id parameter")
    fields = changes(call.payload)
    if isinstance(fields, str):
        return call.mutation_error("updateWebhook", fields)
    sets = ", ".join(f"{name} = ?" for name in fields)
    try:
        with call.store.transaction() as db:
            cur = db.execute(
                f"UPDATE _webhooks SET {sets} WHERE id = ?", (*fields.values(), str(hook_id))
            )
            if cur.rowcount == 0:
                raise LookupError(hook_id)
            call.store.bump_usage("writes")
    except LookupError:
        return call.mutation_error("updateWebhook", f"Webhook not found: {hook_id}")
    except sqlite3.Error as exc:
        return call.mutation_error("updateWebhook", f"Failed to update webhook: {exc}")
    call.mutation_success("updateWebhook")


def delete_webhook(call: Call) -> None:
    hook_id = call.payload.get("id")
    if not hook_id:
        return call.mutation_error("deleteWebhook", "deleteWebhook requires id parameter")
    try:
        with call.store.transaction() as db:
            cur = db.execute("DELETE FROM _webhooks WHERE id = ?", (str(hook_id),))
            if cur.rowcount == 0:
                raise LookupError(hook_id)
            call.store.bump_usage("writes")
    except LookupError:
        return call.mutation_error("deleteWebhook", f"Webhook not found: {hook_id}")
    except sqlite3.Error as exc:
        return call.mutation_error("deleteWebhook", f"Failed to delete webhook: {exc}")
    call.mutation_success("deleteWebhook")


def register(methods: MethodTable) -> None:
    methods.register("createWebhook", create_webhook)
    methods.register("listWebhooks", list_webhooks)
    methods.register("getWebhooklogs", get_webhook_logs)
    methods.register("updateWebhook", update_webhook)
    methods.register("deleteWebhook", delete_webhook)
