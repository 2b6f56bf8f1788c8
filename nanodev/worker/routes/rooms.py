"""`/api/rooms/list|create|delete` (reference §1.9): the room registry in AUTH_DB.

Errors are plain text because `RoomSelection.tsx` shows the body verbatim. Fixes (§6 #11):
an over-long `roomId` or `name` is a 400 instead of an uncaught 500, and ids use the same
character rule as the socket path, so every room that can be created can also be opened.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from nanodev.authdb import AuthDB
from nanodev.core import Core
from nanodev.jsvalues import TooLong, sanitize_string
from nanodev.responses import jsonr, text
from nanodev.worker.routes.common import Refusals, session_post_json, session_user

MSG_LOGIN = "Unauthorized. Please log in."
_ROOM_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")
_ROOM_COLS = "id, name, created_at, last_accessed_at"


@dataclass(frozen=True, slots=True)
class NewRoom:
    room_id: str
    name: str


def parse_create(body: Mapping[str, Any]) -> NewRoom | str:
    """The create body → the room to insert, or the exact plain-text error."""
    raw_id = body.get("roomId")
    if raw_id is not None and not isinstance(raw_id, str):
        return "Room ID must be a string"
    try:
        room_id = sanitize_string(raw_id or "", 50)
    except TooLong:
        return "Room ID must be at most 50 characters"
    if len(room_id) < 3:
        return "Room ID must be at least 3 characters"
    if not _ROOM_CHARS.match(room_id):
        return "Room ID may contain only letters, digits, '-' and '_'"
    raw_name = body.get("name")
    try:
        name = sanitize_string(raw_name, 100) if raw_name else room_id
    except TooLong:
        return "Room name must be at most 100 characters"
    return NewRoom(room_id, name or room_id)


def room_limit(stored: int | None, default: int) -> int:
    """`plan_limits.max_rooms || default`: a missing row and 0 both mean the default."""
    return stored or default


# -- queries ----------------------------------------------------------------------------------
async def _all(db: AuthDB, sql: str, args: tuple[Any, ...]) -> list[Any]:
    async with db.conn.execute(sql, args) as cur:
        return list(await cur.fetchall())


async def rooms_of(db: AuthDB, user_id: str) -> list[dict[str, Any]]:
    rows = await _all(
        db,
        f"SELECT {_ROOM_COLS} FROM rooms WHERE user_id = ? ORDER BY last_accessed_at DESC",
        (user_id,),
    )
    return [
        dict(zip(("id", "name", "created_at", "last_accessed_at"), r, strict=True)) for r in rows
    ]


async def max_rooms(db: AuthDB, user_id: str) -> int | None:
    rows = await _all(db, "SELECT max_rooms FROM plan_limits WHERE user_id = ?", (user_id,))
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


async def insert_room(db: AuthDB, user_id: str, room: NewRoom, at_ms: int) -> None:
    await db.conn.execute(
        "INSERT INTO rooms (id, user_id, name, created_at, last_accessed_at) VALUES (?,?,?,?,?)",
        (room.room_id, user_id, room.name, at_ms, at_ms),
    )
    await db.conn.commit()


async def delete_room(db: AuthDB, user_id: str, room_id: str) -> None:
    await db.conn.execute("DELETE FROM rooms WHERE id = ? AND user_id = ?", (room_id, user_id))
    await db.conn.commit()


# -- handlers ---------------------------------------------------------------------------------
async def list_rooms(request: web.Request, core: Core) -> web.StreamResponse:
    who = await session_user(request, core)
    if who is None:
        return text(401, MSG_LOGIN, secure=True)
    try:
        rooms = await rooms_of(core.db, who.user_id)
    except sqlite3.Error as exc:
        return jsonr(500, {"error": str(exc)}, secure=True)
    return jsonr(200, rooms, secure=True)


async def create(request: web.Request, core: Core) -> web.StreamResponse:
    got = await session_post_json(request, core, _rooms_refusals())
    if isinstance(got, web.Response):
        return got
    who, body = got
    room = parse_create(body)
    if isinstance(room, str):
        return text(400, room, secure=True)
    try:
        return await _create(core, who.user_id, room)
    except sqlite3.Error as exc:
        return text(500, f"Failed to create room: {exc}", secure=True)


async def _create(core: Core, user_id: str, room: NewRoom) -> web.Response:
    limit = room_limit(await max_rooms(core.db, user_id), core.settings.default_max_rooms)
    if len(await rooms_of(core.db, user_id)) >= limit:
        return text(403, f"Plan limit reached. Maximum {limit} rooms allowed.", secure=True)
    if await core.db.room_owner(room.room_id) is not None:
        return text(409, "Room ID already exists", secure=True)
    now = int(time.time() * 1000)
    await insert_room(core.db, user_id, room, now)
    body = {"id": room.room_id, "name": room.name, "created_at": now, "last_accessed_at": now}
    return jsonr(200, body, secure=True)


async def delete(request: web.Request, core: Core) -> web.StreamResponse:
    """Succeeds even when nothing matched, and keeps the room's data (§6 #14, kept)."""
    got = await session_post_json(request, core, _rooms_refusals())
    if isinstance(got, web.Response):
        return got
    who, body = got
    room_id = body.get("roomId")
    if not room_id or not isinstance(room_id, str):
        return text(400, "Invalid room ID", secure=True)
    try:
        await delete_room(core.db, who.user_id, room_id)
    except sqlite3.Error as exc:
        return text(500, f"Failed to delete room: {exc}", secure=True)
    return jsonr(200, {"success": True}, secure=True)


def register(core: Core) -> None:
    core.worker_routes["/api/rooms/list"] = list_rooms
    core.worker_routes["/api/rooms/create"] = create
    core.worker_routes["/api/rooms/delete"] = delete


def _rooms_refusals() -> Refusals:
    """Room routes answer in plain text: RoomSelection shows `response.text()` verbatim."""
    return Refusals(
        login=text(401, MSG_LOGIN, secure=True),
        method=text(405, "Method not allowed", secure=True),
        bad_json=text(400, "Invalid JSON body", secure=True),
    )
