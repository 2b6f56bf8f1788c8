"""The Worker's smaller routes: `/api/user-tier` (§1.6), the `/api/webhooks/*` stubs (§1.8),
`/global-query` (§1.10) and `/debug-auth` (§1.5).

Fixes: `/global-query` is read-only and answers only for the caller's own rooms (§6 #4);
`/debug-auth` never echoes cookie values (§6 #7), only their names.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Mapping
from functools import partial
from typing import Any

from aiohttp import web

from nanodev.authdb import accounts
from nanodev.core import Core
from nanodev.responses import BadJson, jsonr, read_json, read_json_object, text
from nanodev.rooms import MSG_BAD_PATTERN, read_only, url_problem, valid_event_pattern
from nanodev.worker.routes.common import session_user

MSG_LOGIN = "Unauthorized. Please log in."
NOT_WIRED = "Full integration requires Durable Object setup."


def cookie_names(header: str | None) -> list[str]:
    return [p.split("=", 1)[0].strip() for p in (header or "").split(";") if "=" in p]


# -- /api/user-tier, /debug-auth --------------------------------------------------------------
async def user_tier(request: web.Request, core: Core) -> web.StreamResponse:
    who = await session_user(request, core)
    if who is None:
        return text(401, "Unauthorized", secure=True)
    try:
        tier = await accounts.user_tier(core.db, who.user_id)
    except sqlite3.Error as exc:
        return jsonr(500, {"error": str(exc)}, secure=True)
    return jsonr(200, {"tier": tier or "free"}, secure=True)


async def debug_auth(request: web.Request, core: Core) -> web.StreamResponse:
    who = await session_user(request, core)
    names = cookie_names(request.headers.get("Cookie"))
    return jsonr(
        200,
        {
            "hasSession": who is not None,
            "user": who.user_id if who else None,
            "cookies": f"[redacted: {', '.join(names)}]" if names else None,
        },
    )


# -- /api/webhooks/* stubs --------------------------------------------------------------------
def _hex32() -> str:
    return secrets.token_hex(16)


def _stub_create(body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    problem = url_problem(body.get("url"))
    if problem:
        return 400, {"error": problem}
    events = body.get("events") or "*"
    if not isinstance(events, str) or not valid_event_pattern(events):
        return 400, {"error": MSG_BAD_PATTERN}
    webhook = {
        "id": f"wh_{_hex32()}",
        "url": body["url"],
        "events": events,
        "secret": body.get("secret") or f"whsec_{_hex32()}",
        "active": body.get("active", True),
        "created_at": int(time.time() * 1000),
        "failure_count": 0,
    }
    message = "Webhook configuration prepared. Note: " + NOT_WIRED
    return 200, {"success": True, "webhook": webhook, "message": message}


def _stub_update(body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    if not body.get("id"):
        return 400, {"error": "Webhook ID is required"}
    if "url" in body and (problem := url_problem(body["url"])):
        return 400, {"error": problem}
    events = body.get("events")
    if events is not None and (not isinstance(events, str) or not valid_event_pattern(events)):
        return 400, {"error": MSG_BAD_PATTERN}
    return 200, {"success": True, "message": "Webhook update prepared. " + NOT_WIRED}


def _stub_delete(body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    if not body.get("id"):
        return 400, {"error": "Webhook ID is required"}
    return 200, {"success": True, "message": "Webhook deletion prepared. " + NOT_WIRED}


def _stub_test(body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    if not body.get("id"):
        return 400, {"error": "Webhook ID is required"}
    ms = int(time.time() * 1000)
    data = {"message": "This is a test webhook event", "test": True, "timestamp": ms}
    return 200, {
        "success": True,
        "message": "Test webhook event queued. Check your endpoint for delivery.",
        "payload": {"event": "webhook.test", "data": data, "timestamp": ms},
    }


_STUBS = {
    "create": (("POST",), _stub_create),
    "update": (("POST", "PATCH"), _stub_update),
    "delete": (("POST", "DELETE"), _stub_delete),
    "test": (("POST",), _stub_test),
}


async def webhooks(request: web.Request, core: Core) -> web.StreamResponse:
    """The Worker's webhook stubs: validate, answer, store nothing. The real webhook CRUD is the
    room's RPCs (methods_webhooks.py), which nanodev stores and delivers."""
    who = await session_user(request, core)
    if who is None:
        return jsonr(401, {"error": MSG_LOGIN}, secure=True)
    action = request.path.rsplit("/", 1)[-1]
    if action == "list":
        if not request.query.get("room_id"):
            return jsonr(400, {"error": "room_id parameter is required"}, secure=True)
        message = "Full webhook listing requires Durable Object integration with room context."
        return jsonr(200, {"webhooks": [], "message": message}, secure=True)
    stub = _STUBS.get(action)
    if stub is None:
        return jsonr(404, {"error": f"Unknown webhooks endpoint: {request.path}"}, secure=True)
    methods, answer = stub
    if request.method not in methods:
        return jsonr(405, {"error": "Method not allowed"}, secure=True)
    try:
        body = await read_json_object(request)
    except BadJson:
        return jsonr(400, {"error": "Invalid JSON body"}, secure=True)
    status, out = answer(body)
    return jsonr(status, out, secure=True)


# -- /global-query ----------------------------------------------------------------------------
def parse_global_query(body: Any) -> tuple[str, list[str]] | str:
    if not isinstance(body, dict):
        return 'Body must be a JSON object: {"sql": "SELECT …", "rooms": ["room-id", …]}'
    sql, rooms = body.get("sql"), body.get("rooms")
    if not isinstance(sql, str) or not sql.strip():
        return "sql must be a non-empty string"
    if not isinstance(rooms, list) or not all(isinstance(r, str) for r in rooms):
        return "rooms must be an array of room ids"
    return sql, rooms


async def global_query(request: web.Request, core: Core) -> web.StreamResponse:
    who = await session_user(request, core)
    if who is None:
        return text(401, MSG_LOGIN)
    if request.method != "POST":
        return text(405, "Method not allowed")
    try:
        parsed = parse_global_query(await read_json(request))
    except BadJson:
        return text(400, "Invalid JSON body")
    if isinstance(parsed, str):
        return text(400, parsed)
    sql, room_ids = parsed
    data: list[Any] = []
    errors: list[dict[str, Any]] = []
    for room_id in room_ids:
        if await core.db.room_owner(room_id) != who.user_id:
            error = "Forbidden: not one of your rooms (only rooms you own can be queried)"
            errors.append({"roomId": room_id, "error": error, "success": False})
            continue
        room = core.rooms.get(room_id)
        rows = await room.run(partial(read_only, room, sql))
        if isinstance(rows, str):
            errors.append({"roomId": room_id, "error": rows, "success": False})
        else:
            data.extend(rows)
    return jsonr(200, {"total": len(data), "rooms": room_ids, "data": data, "errors": errors})


def register(core: Core) -> None:
    core.worker_routes["/api/user-tier"] = user_tier
    core.worker_routes["/debug-auth"] = debug_auth
    core.worker_routes["/global-query"] = global_query
    core.worker_prefixes["/api/webhooks/"] = webhooks
