"""What the Worker's own HTTP routes share beyond responses (`responses.py`): `session_user`,
the Worker's `auth.api.getSession({headers})`, and the refusals of session-posted JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from nanodev.authdb import now_s
from nanodev.betterauth import session_cookie_from_header, verify
from nanodev.core import Core
from nanodev.responses import BadJson, read_json_object
from nanodev.worker.auth import judge_session


@dataclass(frozen=True, slots=True)
class SessionUser:
    user_id: str
    token: str


async def session_user(request: web.Request, core: Core) -> SessionUser | None:
    """The signed Better Auth cookie → a live session, or None (bad signature, unknown or
    expired session all count as no session, as in Better Auth)."""
    found = session_cookie_from_header(request.headers.get("Cookie"))
    if found is None:
        return None
    check = verify(found[1], core.secret)
    if check.token is None:
        return None
    row = await core.db.get_session(check.token)
    if row is None or judge_session(row, now_s()).verdict != "ok":
        return None
    return SessionUser(row.user_id, row.token)


@dataclass(frozen=True, slots=True)
class Refusals:
    """How one route answers the shared preamble's three refusals. The original's routes agree
    on the order (session, then method, then body) but not on the body format, which the UI
    depends on (§1.2), so each route names its own."""

    login: web.Response
    method: web.Response
    bad_json: web.Response


async def session_post_json(
    request: web.Request, core: Core, refusals: Refusals
) -> tuple[SessionUser, dict[str, Any]] | web.Response:
    """Session check, then POST only, then a JSON body: the caller and the body, or the
    route's refusal."""
    who = await session_user(request, core)
    if who is None:
        return refusals.login
    if request.method != "POST":
        return refusals.method
    try:
        body = await read_json_object(request)
    except BadJson:
        return refusals.bad_json
    return who, body
