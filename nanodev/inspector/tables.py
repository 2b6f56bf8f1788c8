"""The Rooms tab's table browser: one page of a room table's rows (sortable, newest first,
secret-named columns fingerprinted), its schema, and each row's last change linked to the
frame that caused it and the broadcast that carried it.

The page is read as one job of the room's serial actor, like the row counts, so it never sees
another job's transaction half done.
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

from aiohttp import web

from nanodev.core import CORE
from nanodev.record import Broadcast, Frame, Recorder, fingerprint
from nanodev.rooms import Room, quote_ident

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_CELL = 200
SECRET_COLUMN = re.compile(r"key|token|secret|password|passwd|hash|cookie|credential", re.I)


class TableError(ValueError):
    pass


def shown_value(column: str, value: Any) -> Any:
    """A cell as the page may show it: secrets fingerprinted, blobs sized, long text cut."""
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    text = str(value)
    if SECRET_COLUMN.search(column):
        return fingerprint(text)
    return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…"


def table_page(
    room: Room, table: str, page: int, size: int, sort: str, desc: bool
) -> dict[str, Any]:
    """Runs inside the room's job: count, one sorted page, and the schema."""
    schema = room.store.schema()
    if table not in schema:
        raise TableError(f"room {room.id} has no table {table!r}; its tables: {', '.join(schema)}")
    columns = [str(c["name"]) for c in schema[table]]
    if sort and sort not in columns:
        raise TableError(f"cannot sort by {sort!r}: {table} has columns {', '.join(columns)}")
    db, name = room.store.db, quote_ident(table)
    total = int(db.execute(f"SELECT COUNT(*) AS n FROM {name}").fetchone()["n"])
    order = "DESC" if desc else "ASC"
    by = f"{quote_ident(sort)} {order}, " if sort else ""
    try:  # rowid order is insertion order: "newest first" without a timestamp column
        sql = f"SELECT rowid AS __rowid, * FROM {name} ORDER BY {by}rowid {order} LIMIT ? OFFSET ?"
        rows = db.execute(sql, (size, page * size)).fetchall()
    except Exception:
        first = quote_ident(sort or columns[0])
        sql = f"SELECT * FROM {name} ORDER BY {first} {order} LIMIT ? OFFSET ?"
        rows = db.execute(sql, (size, page * size)).fetchall()
    return {
        "room": room.id,
        "table": table,
        "schema": [_column_json(c) for c in schema[table]],
        "columns": columns,
        "rows": [{c: shown_value(c, row.get(c)) for c in columns} for row in rows],
        "total": total,
        "page": page,
        "size": size,
        "pages": max(1, -(-total // size)),
        "sort": sort,
        "desc": desc,
    }


def _column_json(column: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": column["name"],
        "type": column["type"],
        "notnull": bool(column["notnull"]),
        "default": column["dflt_value"],
        "pk": bool(column["pk"]),
        "secret": bool(SECRET_COLUMN.search(str(column["name"]))),
    }


def row_changes(recorder: Recorder, room: str, table: str) -> dict[str, dict[str, Any]]:
    """Row id → its latest change: the broadcast that carried it and the frame before it.

    Rooms run one job at a time, so the inbound frame recorded last in the room before the
    broadcast is the one whose job produced it (a frame that arrives while a job runs is
    recorded first only if the change came from a timer or a webhook, which is rare here)."""
    last_in: dict[str, tuple[int, Frame]] = {}
    changes: dict[str, dict[str, Any]] = {}
    for seq, event in recorder.events:
        if type(event) is Frame and event.direction == "in":
            last_in[event.room] = (seq, event)
        elif type(event) is Broadcast and event.room == room and event.table == table:
            row_id = _row_id(event.text)
            if row_id is not None:
                changes[row_id] = _change_json(seq, event, last_in.get(room))
    return changes


def _row_id(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None  # a truncated preview: the change is listed, not tied to a row
    row = data.get("row") if isinstance(data, dict) else None
    if isinstance(row, dict) and row.get("id") is not None:
        return str(row["id"])
    return None


def _change_json(seq: int, event: Broadcast, cause: tuple[int, Frame] | None) -> dict[str, Any]:
    return {
        "action": event.action,
        "ts": event.ts,
        "broadcast": {"seq": seq, "recipients": list(event.recipients), "size": event.size},
        "cause": None
        if cause is None
        else {"seq": cause[0], "flow": cause[1].flow, "text": cause[1].text[:MAX_CELL]},
    }


async def api_table(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    room_id, table = request.match_info["id"], request.match_info["table"]
    room = core.rooms.rooms.get(room_id)
    if room is None:
        problem = "it is hibernated" if room_id in core.rooms.sleeping else "it is not open"
        return web.json_response(
            {"error": f"cannot browse room {room_id}: {problem}; open a socket to it first"},
            status=404,
        )
    query = request.query
    try:
        page = max(0, int(query.get("page", "0")))
        size = max(1, min(int(query.get("size", str(PAGE_SIZE))), MAX_PAGE_SIZE))
    except ValueError:
        return web.json_response({"error": "page and size are whole numbers"}, status=400)
    job = partial(_page_job, room, table, page, size, query.get("sort", ""), query.get("desc", "1"))
    try:
        data = await room.run(job)
    except TableError as exc:
        return web.json_response({"error": str(exc)}, status=404)
    changes = row_changes(core.recorder, room_id, table)
    for row in data["rows"]:
        row_id = row.get("id")
        row["__change"] = changes.get(str(row_id)) if row_id is not None else None
    data["changes"] = len(changes)
    return web.json_response(data)


async def _page_job(
    room: Room, table: str, page: int, size: int, sort: str, desc: str
) -> dict[str, Any]:
    return table_page(room, table, page, size, sort, desc != "0")
