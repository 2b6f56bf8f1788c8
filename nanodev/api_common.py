"""What the Worker's own HTTP routes share: response helpers in each family's body format,
the security headers the original adds to some families (§1.2), the JSON body reader and
`session_user`, the Worker's `auth.api.getSession({headers})`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .auth import judge_session
from .cookies import session_cookie_from_header, verify
from .core import Core
from .d1 import now_s

SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-XSS-Protection": "1; mode=block",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=(), microphone=(), camera=()",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' "
        "'unsafe-inline'; img-src 'self' data: https:; font-src 'self'; connect-src 'self' "
        "wss: https:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}


def text(status: int, body: str, *, secure: bool = False) -> web.Response:
    """`new Response("…")`: text/plain;charset=UTF-8."""
    headers = dict(SECURITY_HEADERS) if secure else None
    return web.Response(status=status, text=body, charset="UTF-8", headers=headers)


def jsonr(status: int, body: Any, *, secure: bool = False) -> web.Response:
    """`Response.json(…)`."""
    headers = dict(SECURITY_HEADERS) if secure else None
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/json", headers=headers
    )


class BadJson(Exception):
    """The body is not JSON (what `await request.json()` throws on)."""


async def read_json(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return json.loads(raw)
    except ValueError:
        raise BadJson from None


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """A JSON body whose fields the route reads; a non-object counts as an empty one, as
    property access on a JSON array or number finds nothing in JavaScript."""
    body = await read_json(request)
    return body if isinstance(body, dict) else {}


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
