"""Better Auth's email/password endpoints under `/api/auth` (reference §2.2-2.3, §2.6 [REC]).

sign-up, sign-in, sign-out, get-session (with the one-day `updateAge` extension) and `ok`, with
Better Auth's JSON shapes, status codes and signed cookie. Any same-host `Origin` is trusted
(the page may be on :3000, :5173 or the worker port); a foreign one gets 403 `Invalid origin`.
Decisions (origin, callbackURL, body checks) are pure functions; handlers only do the I/O.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from nanodev.authdb import accounts, now_s
from nanodev.betterauth import (
    COOKIE_NAME,
    MAX_AGE,
    SECURE_COOKIE_NAME,
    hash_password,
    set_cookie_header,
    sign,
    verify,
    verify_password,
)
from nanodev.betterauth import session_cookie_from_header as session_cookie
from nanodev.core import Core
from nanodev.origins import origin_allowed
from nanodev.responses import BadJson, jsonr, read_json

PREFIX = "/api/auth"
DONT_REMEMBER = "better-auth.dont_remember"
_EMAIL_RE = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
MIN_PASSWORD, MAX_PASSWORD = 8, 128


@dataclass(frozen=True, slots=True)
class AuthError(Exception):
    """A Better Auth APIError: status and JSON body (`code` is optional, as in Better Auth)."""

    status: int
    message: str
    code: str | None = None

    def body(self) -> dict[str, str]:
        return (
            {"code": self.code, "message": self.message} if self.code else {"message": self.message}
        )


INVALID_ORIGIN = AuthError(403, "Invalid origin")
INVALID_CALLBACK = AuthError(403, "Invalid callbackURL")
INVALID_EMAIL = AuthError(400, "Invalid email", "INVALID_EMAIL")
TOO_SHORT = AuthError(400, "Password too short", "PASSWORD_TOO_SHORT")
TOO_LONG = AuthError(400, "Password too long", "PASSWORD_TOO_LONG")
USER_EXISTS = AuthError(
    422, "User already exists. Use another email.", "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
)
BAD_CREDENTIALS = AuthError(401, "Invalid email or password", "INVALID_EMAIL_OR_PASSWORD")
NO_SESSION = AuthError(400, "Failed to get session")


# -- pure decisions ---------------------------------------------------------------------------
def callback_allowed(callback: str, request_host: str, extra: tuple[str, ...] = ()) -> bool:
    """A relative path, or an absolute URL on a trusted origin."""
    if callback.startswith("/") and not callback.startswith("//"):
        return True
    return origin_allowed(callback, request_host, extra)


def _js_type(value: Any) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "string"


def check_fields(body: Any, required: tuple[str, ...], optional: dict[str, type]) -> None:
    """The endpoint's body schema; a mismatch is 400 VALIDATION_ERROR naming the field."""
    if not isinstance(body, dict):
        raise AuthError(400, "[body] Invalid input: expected object", "VALIDATION_ERROR")
    wanted = {name: str for name in required} | optional
    for name, kind in wanted.items():
        value = body.get(name)
        if value is None and name not in required:
            continue
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            expected = "boolean" if kind is bool else "string"
            raise AuthError(
                400,
                f"[body.{name}] Invalid input: expected {expected}, received {_js_type(value)}",
                "VALIDATION_ERROR",
            )


def check_email(email: str) -> str:
    if not _EMAIL_RE.match(email):
        raise INVALID_EMAIL
    return email.lower()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise TOO_SHORT
    if len(password) > MAX_PASSWORD:
        raise TOO_LONG


# -- cookies ----------------------------------------------------------------------------------
def _cookie_name(request: web.Request) -> str:
    return SECURE_COOKIE_NAME if request.secure else COOKIE_NAME


def _expire(name: str, secure: bool) -> str:
    return (
        f"{name}=; Max-Age=0; Path=/; HttpOnly"
        + ("; Secure" if secure else "")
        + ("; SameSite=Lax")
    )


def _set_session(
    resp: web.Response, request: web.Request, core: Core, token: str, remember: bool
) -> None:
    value = sign(token, core.secret)
    max_age = MAX_AGE if remember else None
    resp.headers.add("Set-Cookie", set_cookie_header(value, secure=request.secure, max_age=max_age))
    if not remember:
        flag = f"{DONT_REMEMBER}={sign('true', core.secret)}; Path=/; HttpOnly; SameSite=Lax"
        resp.headers.add("Set-Cookie", flag)


def _clear_session(resp: web.Response, request: web.Request) -> None:
    for name in (_cookie_name(request), "better-auth.session_data", DONT_REMEMBER):
        resp.headers.add("Set-Cookie", _expire(name, request.secure))


def _cookie_token(request: web.Request, core: Core) -> str | None:
    found = session_cookie(request.headers.get("Cookie"))
    return verify(found[1], core.secret).token if found else None


def _dont_remember(request: web.Request) -> bool:
    return DONT_REMEMBER + "=" in request.headers.get("Cookie", "")


# -- handlers ---------------------------------------------------------------------------------
async def _new_session(request: web.Request, core: Core, user_id: str) -> accounts.SessionRecord:
    token, _ = await core.db.create_session(
        user_id,
        ttl_s=accounts.SESSION_TTL_S,
        ip=request.remote or None,
        user_agent=request.headers.get("User-Agent"),
    )
    session = await accounts.session_by_token(core.db, token)
    assert session is not None  # just inserted on this connection
    return session


async def sign_up(request: web.Request, core: Core, body: dict[str, Any]) -> web.Response:
    check_fields(
        body,
        ("email", "password", "name"),
        {"image": str, "callbackURL": str, "rememberMe": bool},
    )
    email = check_email(body["email"])
    check_password(body["password"])
    if await accounts.user_by_email(core.db, email) is not None:
        raise USER_EXISTS
    hashed = await asyncio.to_thread(hash_password, body["password"])
    created = await core.db.create_user(email, body["name"], password_hash=hashed)
    user = await accounts.user_by_id(core.db, created.id)
    assert user is not None
    session = await _new_session(request, core, user.id)
    resp = jsonr(200, {"token": session.token, "user": user.to_json()})
    _set_session(resp, request, core, session.token, body.get("rememberMe") is not False)
    return resp


async def sign_in(request: web.Request, core: Core, body: dict[str, Any]) -> web.Response:
    check_fields(body, ("email", "password"), {"callbackURL": str, "rememberMe": bool})
    email = check_email(body["email"])
    user = await accounts.user_by_email(core.db, email)
    stored = await accounts.credential_hash(core.db, user.id) if user else None
    if user is None or stored is None:
        raise BAD_CREDENTIALS
    if not await asyncio.to_thread(verify_password, stored, body["password"]):
        raise BAD_CREDENTIALS
    session = await _new_session(request, core, user.id)
    callback = body.get("callbackURL")
    reply: dict[str, Any] = {"redirect": bool(callback), "token": session.token}
    if callback:
        reply["url"] = callback
    reply["user"] = user.to_json()
    resp = jsonr(200, reply)
    _set_session(resp, request, core, session.token, body.get("rememberMe") is not False)
    return resp


async def sign_out(request: web.Request, core: Core, body: dict[str, Any]) -> web.Response:
    token = _cookie_token(request, core)
    if token is None:
        resp = jsonr(NO_SESSION.status, NO_SESSION.body())
    else:
        await accounts.delete_session(core.db, token)
        resp = jsonr(200, {"success": True})
    _clear_session(resp, request)
    return resp


async def get_session(request: web.Request, core: Core) -> web.Response:
    token = _cookie_token(request, core)
    if token is None:
        return jsonr(200, None)
    session = await accounts.session_by_token(core.db, token)
    now = now_s()
    if session is None or session.expires_s < now:
        if session is not None:
            await accounts.delete_session(core.db, token)
        resp = jsonr(200, None)
        _clear_session(resp, request)
        return resp
    user = await accounts.user_by_id(core.db, session.user_id)
    if user is None:
        return jsonr(200, None)
    extend = accounts.needs_extension(session, now) and not _dont_remember(request)
    if extend:
        await accounts.extend_session(core.db, token, now)
        session = await accounts.session_by_token(core.db, token) or session
    resp = jsonr(200, {"session": session.to_json(), "user": user.to_json()})
    if extend:
        _set_session(resp, request, core, token, True)
    return resp


PostHandler = Callable[[web.Request, Core, dict[str, Any]], Awaitable[web.Response]]
POST_ROUTES: dict[str, PostHandler] = {
    "/api/auth/sign-up/email": sign_up,
    "/api/auth/sign-in/email": sign_in,
    "/api/auth/sign-out": sign_out,
}


async def handle(request: web.Request, core: Core) -> web.StreamResponse:
    """Every `/api/auth*` request (the original's prefix test matches `/api/authfoo` too)."""
    path = request.path.removeprefix("/__ws")
    try:
        return await _route(request, core, path)
    except AuthError as err:
        return jsonr(err.status, err.body())


async def _route(request: web.Request, core: Core, path: str) -> web.Response:
    if path == "/api/auth/ok":
        return jsonr(200, {"ok": True})
    if path == "/api/auth/get-session":
        if request.method in ("GET", "HEAD"):
            return await get_session(request, core)
        return jsonr(405, {"message": f"Method not allowed: use GET {path}"})
    handler = POST_ROUTES.get(path)
    if handler is None:
        return jsonr(404, {"message": f"Not found: {path} is not a Better Auth endpoint"})
    if request.method != "POST":
        return jsonr(405, {"message": f"Method not allowed: use POST {path}"})
    _check_origin(request, core)
    body = await _body(request)
    callback = body.get("callbackURL")
    trusted = core.settings.allowed_origins
    if (
        isinstance(callback, str)
        and callback
        and not callback_allowed(callback, request.host, trusted)
    ):
        raise INVALID_CALLBACK
    return await handler(request, core, body)


def _check_origin(request: web.Request, core: Core) -> None:
    """Browsers send Origin on every POST; a request without one (curl, scripts) is let
    through, which is more lenient than Better Auth with a cookie present."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    allowed = core.settings.allowed_origins
    if origin and not origin_allowed(origin, request.host, allowed, request.scheme):
        raise INVALID_ORIGIN


async def _body(request: web.Request) -> dict[str, Any]:
    if not (await request.read()).strip():
        return {}
    try:
        body = await read_json(request)
    except BadJson:
        raise AuthError(400, "Body is not valid JSON", "VALIDATION_ERROR") from None
    if not isinstance(body, dict):
        raise AuthError(400, "[body] Invalid input: expected object", "VALIDATION_ERROR")
    return body


def register(core: Core) -> None:
    core.worker_prefixes[PREFIX] = handle
