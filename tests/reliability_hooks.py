"""Hooks the reliability tests load with `--hooks`: a counter incremented inside the room's
serial turn, and the per-socket attachment API."""

from __future__ import annotations

from nanodev.frontend.hooks import rpc
from nanodev.rooms.attachments import AttachmentError, deserialize_attachment, serialize_attachment
from nanodev.rooms.rpc import Call

COUNTER_DDL = "CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"


@rpc("incr")
def incr(call: Call) -> None:
    """Read-modify-write in one transaction: atomic because the room runs one frame at a time."""
    if not call.store.table_exists("counter"):
        with call.store.transaction() as db:
            db.execute(COUNTER_DDL)
        call.store.invalidate_schema()
    with call.store.transaction() as db:
        row = db.execute("SELECT value FROM counter WHERE id = 1").fetchone()
        value = (row["value"] if row else 0) + 1
        db.execute("INSERT OR REPLACE INTO counter (id, value) VALUES (1, ?)", (value,))
    call.broadcast_update("counter", "modified", {"id": 1, "value": value})
    call.mutation_success("incr", {"value": value})


@rpc("setAttachment")
def set_attachment(call: Call) -> None:
    try:
        serialize_attachment(call.conn, call.payload.get("value"))
    except AttachmentError as exc:
        call.error(str(exc), "ATTACHMENT_TOO_LARGE")
        return
    call.reply({"type": "rpc_result", "method": "setAttachment", "data": True})


@rpc("getAttachment")
def get_attachment(call: Call) -> None:
    call.reply(
        {
            "type": "rpc_result",
            "method": "getAttachment",
            "data": deserialize_attachment(call.conn),
            "memory": sorted(call.room.state),
            "subscriptions": sorted(call.conn.subscriptions),
        }
    )


@rpc("remember")
def remember(call: Call) -> None:
    """Put something in the room's in-memory state (dropped by hibernation)."""
    call.room.state["remembered"] = call.payload.get("value")
    call.reply({"type": "rpc_result", "method": "remember", "data": True})
