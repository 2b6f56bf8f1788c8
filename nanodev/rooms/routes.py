"""The room's own HTTP routes, the Durable Object's `fetch` (reference §3.3).

Reached only after the room-scoped checks (room_id, auth chain, ownership) and run inside the
room's serial turn, like the socket's frames. Differences from the original, on purpose:
`/query` is read-only (§6 #4); backups go to a local directory of `backup-*.json` files under
the state directory, the local stand-in for the R2 bucket; `/restore` validates the key and
answers 501 as the original does.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from nanodev.ids import room_file_name
from nanodev.jsjson import stringify
from nanodev.responses import BadJson, jsonr, read_json_object, text
from nanodev.rooms.methods.memory import debounce_stats
from nanodev.rooms.room import Room
from nanodev.rooms.sqlsafety import quote_ident
from nanodev.rooms.store import QueryTimeout

MSG_READ_ONLY = "Only SELECT and WITH queries allowed in read-only mode"
_BACKUP_KEY = re.compile(r"^backup-[0-9A-Za-z-]+\.json$")

# The DO's ACTIONS object: each method it advertises with the payload fields of §3.7, including
# the six it never implemented (they answer UNKNOWN_METHOD, §3.15).
ACTIONS: dict[str, dict[str, list[str]]] = {
    name: {"params": params}
    for name, params in (
        ("createTask", ["title"]),
        ("completeTask", ["id"]),
        ("deleteTask", ["id"]),
        ("listTasks", ["limit", "offset"]),
        ("executeSQL", ["sql", "readonly"]),
        ("search", ["query"]),
        ("streamIntent", ["text"]),
        ("getUsage", []),
        ("getSchema", []),
        ("getAuditLog", []),
        ("setCursor", ["userId", "position"]),
        ("setPresence", ["userId", "status"]),
        ("getCursors", []),
        ("getPresence", []),
        ("subscribeSemantic", ["topic", "description", "threshold"]),
        ("updateDebounced", ["key", "value"]),
        ("flushDebounced", []),
        ("getSyncStatus", []),
        ("forceSyncAll", []),
        ("createWebhook", ["url", "events", "secret"]),
        ("listWebhooks", []),
        ("updateWebhook", ["id", "url", "events", "active"]),
        ("deleteWebhook", ["id"]),
        ("getUploadUrl", ["filename", "contentType"]),
        ("listFiles", []),
        ("registerWebhook", ["url", "events"]),
        ("scheduleCron", ["name", "schedule", "rpcMethod", "rpcPayload"]),
        ("listCronJobs", []),
        ("exportAuditLog", []),
    )
}


def iso_now() -> str:
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def backup_key(iso: str) -> str:
    """`backup-<ISO with ':' and '.' replaced by '-'>.json`."""
    return "backup-" + iso.replace(":", "-").replace(".", "-") + ".json"


def valid_backup_key(key: Any) -> bool:
    return isinstance(key, str) and bool(_BACKUP_KEY.match(key))


RoomHttpHandler = Callable[[web.Request, Room, str], Awaitable[web.StreamResponse]]


def backup_timestamp(key: str) -> str:
    return key.removeprefix("backup-").removesuffix(".db").removesuffix(".json")


def backups_dir(room: Room) -> Path:
    return room.settings.state_dir / "backups" / room_file_name(room.id).removesuffix(".sqlite")


async def read_only(room: Room, sql: str) -> list[dict[str, Any]] | str:
    """One statement on the room's read-only connection; an error becomes its message."""
    try:
        rows = room.store.read_query(sql)
    except QueryTimeout as exc:
        return str(exc)
    except (sqlite3.Error, sqlite3.Warning) as exc:
        message = str(exc)
        return MSG_READ_ONLY if message == "not authorized" or "readonly" in message else message
    room.store.bump_usage("reads")  # counted once it ran: a refused query changes nothing
    return rows


# -- routes -----------------------------------------------------------------------------------
async def health(request: web.Request, room: Room, user_id: str) -> web.StreamResponse:
    stats = debounce_stats(room)
    tables = [{"table": t, "count": len(s)} for t, s in room.subscribers.items()]
    return jsonr(
        200,
        {
            "status": "healthy",
            "timestamp": iso_now(),
            "doId": room.do_id,
            "syncEngine": {"isHealthy": True, "lastSyncTime": 0, "syncErrors": 0, "totalSyncs": 0},
            "memory": stats,
            "subscribers": {"totalTables": len(tables), "tables": tables},
            "rateLimiters": {"activeKeys": room.rate_limiter.active_keys},
        },
    )


async def query(request: web.Request, room: Room, user_id: str) -> web.StreamResponse:
    sql = request.query.get("sql")
    if not sql:
        return text(400, "Missing sql parameter")
    rows = await read_only(room, sql)
    if isinstance(rows, str):
        return jsonr(400 if rows == MSG_READ_ONLY else 500, {"error": rows})
    return jsonr(200, rows)


async def manifest(request: web.Request, room: Room, user_id: str) -> web.StreamResponse:
    room.store.bump_usage("reads")
    return jsonr(200, {"actions": ACTIONS, "tables": room.store.schema()})


async def schema(request: web.Request, room: Room, user_id: str) -> web.StreamResponse:
    room.store.bump_usage("reads")
    return jsonr(200, room.store.schema())


async def download_client(request: web.Request, room: Room, user_id: str) -> web.StreamResponse:
    room.store.bump_usage("reads")
    return web.Response(
        body=client_source(room.store.schema()).encode(),
        headers={
            "Content-Type": "application/typescript",
            "Content-Disposition": 'attachment; filename="nanotype-client.ts"',
        },
    )


_TS_TYPES = {"INTEGER": "number", "REAL": "number", "NUMERIC": "number", "BOOLEAN": "boolean"}


def client_source(tables: dict[str, list[dict[str, Any]]]) -> str:
    """A typed TypeScript client for this room: one interface per table, one method per action."""
    lines = ["// Generated by nanodev for this room.", ""]
    for table, columns in tables.items():
        lines.append(f"export interface {_ts_name(table)} {{")
        for col in columns:
            ts_type = _TS_TYPES.get(str(col["type"]).upper(), "string")
            lines.append(f"  {col['name']}: {ts_type} | null;")
        lines += ["}", ""]
    lines += [
        "export class NanoTypeClient {",
        "  private ws: WebSocket;",
        "  private pending = new Map<string, (value: unknown) => void>();",
        "  constructor(url: string, token: string) {",
        '    this.ws = new WebSocket(url + "&token=" + token);',
        "    this.ws.onmessage = (event) => {",
        "      const data = JSON.parse(event.data);",
        "      const id = data.requestId ?? data.id;",
        "      const resolve = this.pending.get(id);",
        "      if (resolve) { this.pending.delete(id); resolve(data); }",
        "    };",
        "  }",
        "  call(method: string, payload: unknown = {}): Promise<unknown> {",
        "    const id = crypto.randomUUID();",
        "    return new Promise((resolve) => {",
        "      this.pending.set(id, resolve);",
        '      const frame = { action: "rpc", method, payload, id, requestId: id };',
        "      this.ws.send(JSON.stringify(frame));",
        "    });",
        "  }",
    ]
    for name, spec in ACTIONS.items():
        args = ", ".join(spec["params"])
        lines.append(f"  {name}(payload: {{ {args} }} | Record<string, never> = {{}}) {{")
        lines.append(f'    return this.call("{name}", payload);')
        lines.append("  }")
    lines += ["}", ""]
    return "\n".join(lines)


def _ts_name(table: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in table.split("_") if part) or "Row"


async def analytics(request: web.Request, room: Room, user_id: str) -> web.StreamResponse:
    daily = list(reversed(room.store.usage(30)))
    totals = {k: sum(int(d[k]) for d in daily) for k in ("reads", "writes", "ai_ops")}
    return jsonr(200, {"daily": daily, "totals": totals})


async def backup(request: web.Request, room: Room, user_id: str) -> web.StreamResponse:
    stamp = iso_now()
    tables = room.store.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY rowid"
    ).fetchall()
    export: dict[str, Any] = {"timestamp": stamp, "doId": room.do_id, "schema": {}, "data": {}}
    for row in tables:
        name = quote_ident(row["name"])
        export["schema"][row["name"]] = room.store.db.execute(
            f"PRAGMA table_info({name})"
        ).fetchall()
        export["data"][row["name"]] = room.store.db.execute(f"SELECT * FROM {name}").fetchall()
    folder = backups_dir(room)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / backup_key(stamp)).write_text(stringify(export), encoding="utf-8")
    return text(200, "Backup completed")


async def backups(request: web.Request, room: Room, user_id: str) -> web.StreamResponse:
    folder = backups_dir(room)
    found = sorted(folder.glob("backup-*.json"), reverse=True) if folder.is_dir() else []
    listed = [
        {
            "key": path.name,
            "size": path.stat().st_size,
            "uploaded": dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            .isoformat()
            .replace("+00:00", "Z"),
            "timestamp": backup_timestamp(path.name),
        }
        for path in found
    ]
    return jsonr(200, {"backups": listed})


async def restore(request: web.Request, room: Room, user_id: str) -> web.StreamResponse:
    if request.method != "POST":
        return text(405, "Method not allowed")
    try:
        body = await read_json_object(request)
    except BadJson:
        return jsonr(400, {"error": "Invalid JSON body"})
    key = body.get("backupKey")
    if not valid_backup_key(key):
        return jsonr(400, {"error": "Invalid backup key"})
    if not (backups_dir(room) / str(key)).is_file():
        return jsonr(404, {"error": "Backup not found"})
    return jsonr(
        501,
        {
            "message": "Restore is not implemented: the backup is a JSON export "
            "(schema and rows per table), kept for inspection.",
            "suggestion": "Recreate the tables from the backup's schema and insert its data",
        },
    )


def routes() -> dict[str, RoomHttpHandler]:
    """The room's HTTP routes by path (after the /__ws rewrite)."""
    return {
        "/health": health,
        "/query": query,
        "/manifest": manifest,
        "/schema": schema,
        "/api/schema": schema,
        "/download-client": download_client,
        "/analytics": analytics,
        "/backup": backup,
        "/backups": backups,
        "/restore": restore,
    }
