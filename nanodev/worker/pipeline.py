"""The emulated Worker (`src/index.ts`): its request pipeline and the room-scoped path.

Order (reference §1.1): `/health`, the worker's own routes (`/api/auth/*`, keys, rooms, …), then
for every other backend path: room_id validation → auth chain → room ownership → the room
(a WebSocket upgrade becomes a socket in the room; plain HTTP goes to the room's routes).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable

from aiohttp import web

from nanodev.authdb import now_ms
from nanodev.core import Core
from nanodev.jsjson import stringify
from nanodev.origins import trusted_origin
from nanodev.record import FLOW, AuthDecided, AuthStep, FlowContext, Note, now
from nanodev.rooms import serve_socket
from nanodev.worker.auth import AuthResult, extract_credentials
from nanodev.worker.chain import authenticate
from nanodev.worker.paths import is_backend_path, may_be_own_route
from nanodev.worker.roomids import RoomIdOk, check_room_id


def load_routes(core: Core) -> None:
    """Register the Worker's own routes and the room's HTTP routes, once per app."""
    if core.routes_loaded:
        return
    from nanodev.rooms import routes as room_routes  # noqa: PLC0415
    from nanodev.worker.routes import auth, keys, misc, rooms  # noqa: PLC0415

    for module in (auth, keys, rooms, misc):
        module.register(core)
    core.room_routes.update(room_routes.routes())
    core.routes_loaded = True


def text_response(status: int, body: str, *, fix: str = "") -> web.Response:
    headers = {"X-Nanodev-Hint": fix} if fix and fix.isascii() else None
    return web.Response(status=status, text=body, headers=headers)


def json_response(status: int, body: object) -> web.Response:
    return web.Response(status=status, text=stringify(body), content_type="application/json")


def health_body(core: Core) -> dict[str, object]:
    return {
        "status": "healthy",
        "timestamp": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
        "version": core.version,
        "server": "nanodev",
    }


def is_upgrade(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def handle(request: web.Request, core: Core, path: str) -> Awaitable[web.StreamResponse]:
    """Pick the Worker's answer for one request; `path` is the worker-side path after any
    rewrite. Returns the hop's coroutine rather than awaiting it, so no frame of this
    dispatcher stays alive for the lifetime of a socket."""
    # `/health?room_id=…` is the room's own health route (reference §3.3), reached with auth.
    if path == "/health" and request.method in ("GET", "HEAD") and "room_id" not in request.query:
        return _answer(json_response(200, health_body(core)))
    if not core.routes_loaded and may_be_own_route(path):
        load_routes(core)
    route = core.worker_routes.get(path)
    if route is None:
        route = next((h for p, h in core.worker_prefixes.items() if path.startswith(p)), None)
    if route is not None:
        refused = cross_site_write(request, core, path)
        return _answer(refused) if refused is not None else route(request, core)
    upgrade = is_upgrade(request)
    if not is_backend_path(path, upgrade) or (path == "/" and not upgrade):
        if core.frontend is not None:
            return core.frontend(request, core)
        return _answer(text_response(404, "Not found"))
    return room_scoped(request, core, path, upgrade)


async def identify(request: web.Request, core: Core, flow_id: int) -> None:
    """For the inspector only: whose credentials a request refused for its room_id carried.
    The Worker never looks at them (room_id comes first); the inspector groups a page's
    retries by session and names its user. The lookups have no side effect."""
    creds = extract_credentials(request.headers, request.query)
    if not creds.secrets:
        return
    result = await authenticate(core.db, creds, core.secret)
    if not result.allowed or result.user_id is None:
        return
    user = await core.db.get_user(result.user_id)
    email = user.email if user else result.user_id
    note = (
        f"these credentials belong to {email} (via {result.source}); the Worker never checked "
        "them: it refuses a bad room_id first"
    )
    extra = {"identified": True, "user_id": result.user_id, "email": email}
    core.recorder.record(Note(flow_id, now(), "info", note, extra | {"source": result.source}))


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cross_site_write(request: web.Request, core: Core, path: str) -> web.Response | None:
    """A state-changing request to one of the Worker's own routes from another site's page is
    refused, as Better Auth refuses it on /api/auth/* (which keeps its own check): the browser
    attaches the session cookie to a cross-site `text/plain` POST without any preflight. No
    Origin at all is a script, not a browser, and goes through."""
    origin = request.headers.get("Origin")
    if request.method in SAFE_METHODS or origin is None or path.startswith("/api/auth"):
        return None
    if trusted_origin(origin, request.host, request.scheme, core.settings.allowed_origins):
        return None
    flow = request[FLOW]
    flow.cause = (
        f"a cross-site {request.method} {path}: Origin {origin!r} is not this host, and "
        "the browser would have sent the session cookie with it"
    )
    flow.fix = (
        "Call the API from a page served by this host (any port), or add the page's origin to "
        "allowed_origins (NANODEV_ALLOWED_ORIGINS)"
    )
    return json_response(403, {"message": "Invalid origin"})


async def _answer(response: web.StreamResponse) -> web.StreamResponse:
    return response


async def room_scoped(
    request: web.Request, core: Core, path: str, upgrade: bool
) -> web.StreamResponse:
    flow = request[FLOW]
    checked = await _room_id(request, core, upgrade)
    if not isinstance(checked, RoomIdOk):
        return checked
    room_id = checked.room_id
    creds = extract_credentials(request.headers, request.query)
    flow.secrets = creds.secrets
    # Both lookups go to the auth DB's one thread back to back instead of one after the other.
    result, owner = await asyncio.gather(
        authenticate(core.db, creds, core.secret), core.db.room_owner(room_id)
    )
    if result.allowed and upgrade and result.session_token is not None:
        result = _check_upgrade_origin(request, core, result)
    if result.allowed:
        result = await _check_room_owner(core, room_id, owner, result)
    _record_auth(core, flow, room_id, result)
    if not result.allowed:
        flow.cause, flow.fix = result.cause, result.fix
        return text_response(result.status, result.body, fix=result.fix)
    user_id = result.user_id or "anonymous"
    if upgrade:
        source, credential = result.source or "", _credential(result)
        # This frame stays suspended for the socket's whole life: drop what it no longer needs.
        del checked, creds, result, owner
        return await serve_socket(request, core.rooms, room_id, user_id, source, credential)
    if path == "/connect":
        flow.cause = "/connect needs a WebSocket upgrade"
        flow.fix = "Open it with new WebSocket(...), or send Upgrade: websocket"
        return text_response(426, "Expected Upgrade: websocket", fix=flow.fix)
    load_routes(core)
    room_route = core.room_routes.get(path)
    if room_route is None:
        flow.cause = f"the room has no HTTP route {path}"
        return text_response(404, "Not found")
    room = core.rooms.get(room_id)
    return await room.run(lambda: room_route(request, room, user_id))


async def _room_id(request: web.Request, core: Core, upgrade: bool) -> RoomIdOk | web.Response:
    """The room_id, or its 400. The fix names the path the client used; on the worker port
    that client is usually Vite's proxy, which stripped the page's /__ws prefix."""
    flow = request[FLOW]
    used = request.rel_url.path
    if flow.listener == "worker" and upgrade and not used.startswith("/__ws/"):
        used = "/__ws" + used
    checked = check_room_id(request.query_string, used, upgrade=upgrade)
    if isinstance(checked, RoomIdOk):
        return checked
    flow.cause, flow.fix = checked.error, checked.hint
    if core.settings.record:
        await identify(request, core, flow.flow)
    return json_response(400, checked.body())


def _check_upgrade_origin(request: web.Request, core: Core, result: AuthResult) -> AuthResult:
    """A browser attaches cookies to cross-site WebSocket handshakes and WebSockets have no
    CORS, so a session-authenticated upgrade must come from a page on this host (any port, as
    the auth endpoints accept) or a configured origin. No Origin at all means no browser."""
    origin = request.headers.get("Origin")
    allowed = core.settings.allowed_origins
    if origin is None or trusted_origin(origin, request.host, request.scheme, allowed):
        detail = "no Origin (not a browser)" if origin is None else f"Origin {origin} is this host"
        result.steps.append(AuthStep("upgrade origin", origin is not None, "ok", detail))
        return result
    result.steps.append(
        AuthStep("upgrade origin", True, "rejected", f"Origin {origin!r} is another site")
    )
    result.outcome, result.status = "refused", 403
    result.body = f"Forbidden: cross-site WebSocket upgrade with a session (Origin {origin})"
    result.cause = f"a session-authenticated upgrade came from Origin {origin!r}, not this host"
    result.fix = "Open the page from this server's host, or add it to allowed_origins"
    return result


def _credential(result: AuthResult) -> tuple[str, str] | None:
    """What the expiry watcher re-checks while the socket is open."""
    if result.key_id is not None:
        return ("key", result.key_id)
    if result.session_token is not None:
        return ("session", result.session_token)
    return None


async def _check_room_owner(
    core: Core, room_id: str, owner: str | None, result: AuthResult
) -> AuthResult:
    """The ownership check the original lacked (§6 #2): another user's room is refused.
    Session callers auto-register a room nobody owns, as production does; key callers don't."""
    user_id = result.user_id or ""
    if owner is not None and owner != user_id:
        result.steps.append(
            AuthStep(
                "room ownership", True, "rejected", f"room {room_id!r} belongs to another user"
            )
        )
        result.outcome, result.status = "refused", 403
        result.body = f"Forbidden: room '{room_id}' belongs to another user"
        result.cause = f"room {room_id!r} is registered to another user"
        result.fix = "Use a room you own, or a key of the room's owner (nanodev keys list)"
        return result
    ts = now_ms()
    if owner is None and result.key_id is None:
        await core.db.register_room(room_id, user_id, ts)
        detail = "room was unregistered: registered to this user"
    elif owner is None:
        detail = "room is unregistered; key callers do not register rooms (as production)"
    else:
        if core.touches is not None:
            core.touches.room_accessed(room_id, user_id, ts)
        detail = "room belongs to this user"
    result.steps.append(AuthStep("room ownership", True, "ok", detail))
    if result.key_id and core.touches is not None:
        core.touches.key_used(result.key_id, ts)
    return result


def _record_auth(core: Core, flow: FlowContext, room_id: str, result: AuthResult) -> None:
    core.recorder.known.add(flow.secrets)  # the flow's credentials: masked in every record
    core.recorder.record(
        AuthDecided(
            flow.flow,
            now(),
            result.outcome,
            result.user_id,
            result.source,
            room_id,
            tuple(result.steps),
            result.status if not result.allowed else None,
            result.cause,
            result.fix,
        )
    )
