"""`/api/keys/generate|list|delete` (reference §1.7): the UI's API-key page.

Bodies stay in the original's mixed formats (a few plain-text 401/405s, JSON otherwise)
because `ApiKeys.tsx` parses `.error`; every response carries the security headers.
Input rules are pure (`parse_generate`, `parse_list_query`), tested without a server.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from nanodev.core import Core
from nanodev.jsvalues import TooLong, js_number, sanitize_string
from nanodev.responses import jsonr, text
from nanodev.worker.routes.common import Refusals, session_post_json, session_user

VALID_SCOPES = ("read", "write", "admin")
DEFAULT_SCOPES = ("read", "write")
DAY_MS = 86_400_000
MSG_LOGIN = "Unauthorized. Please log in."


@dataclass(frozen=True, slots=True)
class KeySpec:
    name: str
    expires_in_days: float
    scopes: tuple[str, ...]


def parse_generate(body: Mapping[str, Any]) -> KeySpec | str:
    """The generate body → what to create, or the exact error message."""
    raw_name = body.get("name")
    try:
        name = "" if raw_name is None else sanitize_string(raw_name, 100)
    except TooLong as exc:
        return f"Invalid key name: {exc}"
    days: float = 90.0
    if "expiresInDays" in body:
        days = js_number(body["expiresInDays"])
        if math.isnan(days) or days <= 0:
            return "expiresInDays must be a positive number"
        if days > 365:
            return "expiresInDays cannot exceed 365 days"
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    raw_scopes = body.get("scopes")
    if isinstance(raw_scopes, list):
        bad = [str(s) for s in raw_scopes if s not in VALID_SCOPES]
        if bad:
            return f"Invalid scopes: {', '.join(bad)}. Valid scopes are: {', '.join(VALID_SCOPES)}"
        scopes = tuple(raw_scopes)
    return KeySpec(name or "Unnamed Key", int(days) if days.is_integer() else days, scopes)


@dataclass(frozen=True, slots=True)
class ListQuery:
    include_expired: bool
    limit: int
    offset: int


def parse_list_query(query: Mapping[str, str]) -> ListQuery | str:
    """`includeExpired`, `limit` (≤ 100) and `offset`. A non-numeric limit was a NaN and a 500
    in the original; here it is a 400 that says which parameter is wrong."""
    values = []
    for name, default in (("limit", 100), ("offset", 0)):
        raw = query.get(name)
        try:
            values.append(default if raw is None or raw == "" else int(raw))
        except ValueError:
            return f"{name} must be a whole number, got {raw!r}"
    limit, offset = min(max(values[0], 1), 100), max(values[1], 0)
    return ListQuery(query.get("includeExpired") == "true", limit, offset)


def key_json(row: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
    scopes = _scopes(row["scopes"])
    expires = row["expires_at"]
    return {
        "id": row["id"],
        "name": row["name"],
        "created_at": row["created_at"],
        "last_used_at": row["last_used_at"],
        "expires_at": expires,
        "scopes": scopes,
        "is_expired": None if expires is None else now_ms > expires,
    }


def _scopes(raw: Any) -> Any:
    if raw is None:
        return list(DEFAULT_SCOPES)
    try:
        return json.loads(raw)
    except ValueError:
        return [s for s in str(raw).split(",") if s]  # migration 0002's `read,write`


def _now_ms() -> int:
    return int(time.time() * 1000)


# -- handlers ---------------------------------------------------------------------------------
async def generate(request: web.Request, core: Core) -> web.StreamResponse:
    # The original's mix, kept because ApiKeys.tsx parses whatever is JSON: plain-text 401
    # and 405 here, JSON for the body error.
    refusals = Refusals(
        login=text(401, MSG_LOGIN, secure=True),
        method=text(405, "Method not allowed", secure=True),
        bad_json=jsonr(400, {"error": "Invalid JSON body"}, secure=True),
    )
    got = await session_post_json(request, core, refusals)
    if isinstance(got, web.Response):
        return got
    who, body = got
    spec = parse_generate(body)
    if isinstance(spec, str):
        return jsonr(400, {"error": spec}, secure=True)
    created = _now_ms()
    expires = created + int(spec.expires_in_days * DAY_MS)
    try:
        row = await core.db.create_key(
            who.user_id, name=spec.name, expires_at=expires, scopes=spec.scopes, created_at=created
        )
    except sqlite3.IntegrityError:
        return jsonr(409, {"error": "API key already exists. Please try again."}, secure=True)
    except sqlite3.Error as exc:
        return jsonr(500, {"error": f"Failed to create API key: {exc}"}, secure=True)
    body_out = {
        "id": row["id"],
        "name": spec.name,
        "created_at": _now_ms(),
        "expires_at": expires,
        "expires_in_days": spec.expires_in_days,
        "scopes": list(spec.scopes),
    }
    return jsonr(200, body_out, secure=True)


async def list_keys(request: web.Request, core: Core) -> web.StreamResponse:
    who = await session_user(request, core)
    if who is None:
        return jsonr(401, {"error": MSG_LOGIN}, secure=True)
    query = parse_list_query(request.query)
    if isinstance(query, str):
        return jsonr(400, {"error": query}, secure=True)
    now = _now_ms()
    rows = [r for r in await core.db.list_keys(who.user_id) if r["revoked_at"] is None]
    if not query.include_expired:
        rows = [r for r in rows if r["expires_at"] is None or r["expires_at"] > now]
    page = rows[query.offset : query.offset + query.limit]
    keys = [key_json(r, now) for r in page]
    pagination = {"limit": query.limit, "offset": query.offset, "total": len(keys)}
    return jsonr(200, {"keys": keys, "pagination": pagination}, secure=True)


async def delete(request: web.Request, core: Core) -> web.StreamResponse:
    refusals = Refusals(
        login=jsonr(401, {"error": MSG_LOGIN}, secure=True),
        method=jsonr(405, {"error": "Method not allowed"}, secure=True),
        bad_json=jsonr(400, {"error": "Invalid JSON body"}, secure=True),
    )
    got = await session_post_json(request, core, refusals)
    if isinstance(got, web.Response):
        return got
    who, body = got
    key_id = body.get("id")
    if not isinstance(key_id, str) or not key_id.strip():
        return jsonr(400, {"error": "API key ID is required"}, secure=True)
    if not key_id.startswith("nk_"):
        return jsonr(400, {"error": "Invalid API key ID format"}, secure=True)
    try:
        deleted = await core.db.delete_key(key_id, who.user_id)
    except sqlite3.Error as exc:
        return jsonr(500, {"error": f"Failed to delete API key: {exc}"}, secure=True)
    if not deleted:
        error = "API key not found or does not belong to you"
        return jsonr(404, {"error": error}, secure=True)
    return jsonr(200, {"success": True, "message": "API key deleted successfully"}, secure=True)


def register(core: Core) -> None:
    core.worker_routes["/api/keys/generate"] = generate
    core.worker_routes["/api/keys/list"] = list_keys
    core.worker_routes["/api/keys/delete"] = delete
