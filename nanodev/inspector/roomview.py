"""The inspector's per-room view: live sockets with their users and subscriptions, the room's
tables with row counts, and recent broadcasts with who received each.

Row counts are read as one job of the room's serial actor, so the view never reads a store in
the middle of another job's transaction.
"""

from __future__ import annotations

from collections import deque
from functools import partial
from typing import Any

from nanodev.record import Broadcast, Recorder
from nanodev.rooms import Room, RoomRegistry, attachment_size, quote_ident

RECENT_BROADCASTS = 20


async def rooms_view(registry: RoomRegistry, recorder: Recorder) -> dict[str, Any]:
    broadcasts = recent_broadcasts(recorder)
    rooms = []
    for room in sorted(registry.rooms.values(), key=lambda r: r.id):
        rooms.append(
            {
                "id": room.id,
                "do_id": room.do_id,
                "sockets": [socket_json(conn) for conn in sorted(room.sockets, key=_by_flow)],
                "tables": await room.run(partial(_tables, room)),
                "broadcasts": broadcasts.get(room.id, []),
                "jobs": room.jobs,
                "busy": room.busy,
                "state": "awake",
                **registry.naps.get(room.id, {}),
            }
        )
    for room_id, conns in sorted(registry.sleeping.items()):
        rooms.append(
            {
                "id": room_id,
                "sockets": [socket_json(conn) for conn in sorted(conns, key=_by_flow)],
                "tables": [],
                "broadcasts": broadcasts.get(room_id, []),
                "state": "hibernated",
                **registry.naps.get(room_id, {}),
            }
        )
    return {"rooms": rooms, "last_seq": recorder.last_seq, "constructed": registry.constructed}


def _by_flow(conn: Any) -> int:
    return int(conn.flow)


def socket_json(conn: Any) -> dict[str, Any]:
    return {
        "flow": conn.flow,
        "user_id": conn.user_id,
        "source": conn.source,
        "subscriptions": sorted(conn.subscriptions),
        "queries": len(conn.queries),
        "frames_in": conn.frames_in,
        "frames_out": conn.frames_out,
        "attachment_bytes": attachment_size(conn),
        "state": "closing" if conn.closed or conn.ws.closed else "open",
    }


async def _tables(room: Room) -> list[dict[str, Any]]:
    tables = []
    for name in room.store.schema():
        row = room.store.db.execute(f"SELECT COUNT(*) AS n FROM {quote_ident(name)}").fetchone()
        tables.append({"name": name, "rows": int(row["n"]) if row else 0})
    return tables


def recent_broadcasts(
    recorder: Recorder, per_room: int = RECENT_BROADCASTS
) -> dict[str, list[Any]]:
    """Newest first, each recipient named by flow and user id."""
    found: dict[str, deque[tuple[int, Broadcast]]] = {}
    for seq, event in recorder.events:
        if isinstance(event, Broadcast):
            found.setdefault(event.room, deque(maxlen=per_room)).append((seq, event))
    return {
        room: [_broadcast_json(recorder, seq, b) for seq, b in reversed(items)]
        for room, items in found.items()
    }


def _broadcast_json(recorder: Recorder, seq: int, event: Broadcast) -> dict[str, Any]:
    def who(flow: int) -> dict[str, Any]:
        row = recorder.flows.get(flow)
        return {"flow": flow, "user_id": row.user_id if row else None}

    return {
        "seq": seq,
        "ts": event.ts,
        "what": event.what,
        "table": event.table,
        "action": event.action,
        "size": event.size,
        "recipients": [who(f) for f in event.recipients],
        "failed": [who(f) for f in event.failed],
    }
