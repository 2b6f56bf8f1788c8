"""The inspector at `/__nanodev/`: the page, its script, the JSON API and the live feed.

The page is a shell; its script renders everything from the same JSON the API serves to
scripts. Every answer carries a strict CSP and no-sniff; every state-changing action is a POST
that must come from the inspector's own origin (see `guard`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import WSCloseCode, web

from nanodev.core import CORE
from nanodev.gateway import cross_site_refusal, refuse
from nanodev.inspector.context import INSPECTOR, Inspector, port_of
from nanodev.inspector.live import LiveHub
from nanodev.inspector.replay import CHANGES, Variant, apply_variant, rehandshake
from nanodev.record import Recorder
from nanodev.templating import render, templates_dir

# The views below (flowdetail with its explanations, roomview, session_io) are imported by the
# handlers that use them, on the first inspector request: they cost a fifth of nanodev's start-up
# and nothing on the socket path needs them.

PREFIX = "/__nanodev"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
ASSETS = {
    "inspector.js": "application/javascript",
    "inspector-detail.js": "application/javascript",
    "inspector-editor.js": "application/javascript",
    "inspector-rooms.js": "application/javascript",
    "inspector.css": "text/css",
    "favicon.svg": "image/svg+xml",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_routes(app: web.Application) -> None:
    inspector = Inspector()
    app[INSPECTOR] = inspector
    app.on_response_prepare.append(inspector.vault.capture)
    app.cleanup_ctx.append(_live_ctx)
    app.on_shutdown.append(_close_live)
    router = app.router
    router.add_get(PREFIX, _to_page)
    router.add_get(f"{PREFIX}/", _secured(page))
    router.add_get(PREFIX + "/assets/{name}", _secured(asset))
    router.add_get(f"{PREFIX}/api/flows", _secured(api_flows))
    router.add_get(PREFIX + "/api/flows/{id}", _secured(api_flow))
    router.add_get(f"{PREFIX}/api/events", _secured(api_events))
    router.add_get(f"{PREFIX}/api/rooms", _secured(api_rooms))
    router.add_get(f"{PREFIX}/api/export", _secured(api_export))
    router.add_get(f"{PREFIX}/api/export.har", _secured(api_export_har))
    router.add_get(f"{PREFIX}/api/live", api_live)
    router.add_post(f"{PREFIX}/api/import", _action(api_import))
    router.add_post(f"{PREFIX}/api/import/leave", _action(api_leave_import))
    router.add_post(f"{PREFIX}/api/clear", _action(api_clear))
    router.add_post(PREFIX + "/api/flows/{id}/close", _action(api_close))
    router.add_post(PREFIX + "/api/flows/{id}/rehandshake", _action(api_rehandshake))
    router.add_post(PREFIX + "/api/rooms/{id}/hibernate", _action(api_hibernate))
    router.add_get(PREFIX + "/api/flows/{id}/form", _secured(api_form))
    router.add_post(PREFIX + "/api/flows/{id}/replay", _action(api_edit_replay))
    router.add_get(PREFIX + "/api/rooms/{id}/tables/{table}", _secured(api_table))


async def _live_ctx(app: web.Application) -> AsyncIterator[None]:
    core = app[CORE]
    hub = LiveHub(core.recorder)
    app[INSPECTOR].hub = hub
    stop = core.recorder.listen(hub)
    try:
        yield
    finally:
        stop()
        await hub.close_all()


async def _close_live(app: web.Application) -> None:
    hub = app[INSPECTOR].hub
    if hub is not None:
        await hub.close_all()


# -- wrappers -----------------------------------------------------------------------------------
def secure(response: web.StreamResponse) -> web.StreamResponse:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


def _secured(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        return secure(await handler(request))

    return wrapped


def _action(handler: Handler) -> Handler:
    """POST only, same origin only, JSON only: a cross-site form or fetch cannot trigger it."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        problem = cross_site_refusal(request)
        if problem is None and request.content_type != "application/json":
            problem = "inspector actions take Content-Type: application/json"
        if problem is not None:
            return secure(refuse(f"nanodev refused this inspector action: {problem}"))
        return secure(await handler(request))

    return wrapped


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


def _viewed(request: web.Request) -> Recorder:
    """The imported session when the viewer asked for it, else live traffic."""
    imported = request.app[INSPECTOR].imported
    if request.query.get("source") == "import" and imported is not None:
        return imported
    return request.app[CORE].recorder


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        raise web.HTTPBadRequest(text=f"not a number: {value!r}") from None


# -- pages --------------------------------------------------------------------------------------
async def _to_page(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(f"{PREFIX}/")


async def page(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    html = render("inspector.html", version=core.version, prefix=PREFIX)
    return web.Response(text=html, content_type="text/html")


async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound(text="no such inspector asset")
    body = (templates_dir() / name).read_bytes()
    return web.Response(body=body, content_type=ASSETS[name], charset="utf-8")


# -- JSON API -----------------------------------------------------------------------------------
async def api_flows(request: web.Request) -> web.StreamResponse:
    from nanodev.inspector.filters import FlowFilter  # noqa: PLC0415
    from nanodev.inspector.flows import list_flows  # noqa: PLC0415 - see the note at the imports

    recorder, inspector = _viewed(request), request.app[INSPECTOR]
    live = recorder is request.app[CORE].recorder
    filt = FlowFilter.from_query(request.query)
    since = _int(request.query.get("since"))
    data = list_flows(recorder, filt, since, cache=inspector.rows if live else None)
    data["source"] = "live" if live else "import"
    data["imported"] = inspector.imported is not None
    await _name_people(request, data["flows"])
    return _json(data)


async def api_flow(request: web.Request) -> web.StreamResponse:
    from nanodev.inspector.flows import flow_detail  # noqa: PLC0415

    detail = flow_detail(_viewed(request), _int(request.match_info["id"]))
    if detail is None:
        return _json({"error": "no such flow (cleared, or dropped from the bounded store)"}, 404)
    await _name_people(request, [detail["flow"]], detail)
    return _json(detail)


async def _name_people(
    request: web.Request, rows: list[dict[str, Any]], detail: dict[str, Any] | None = None
) -> None:
    from nanodev.inspector.people import name_people  # noqa: PLC0415

    await name_people(request.app[CORE].db, request.app[INSPECTOR].emails, rows, detail)


async def api_events(request: web.Request) -> web.StreamResponse:
    from nanodev.inspector.filters import FlowFilter  # noqa: PLC0415
    from nanodev.inspector.flows import list_events  # noqa: PLC0415

    query = request.query
    kinds = [k for k in query.get("kind", "").split(",") if k]
    flow = _int(query.get("flow")) or None
    data = list_events(
        _viewed(request),
        FlowFilter.from_query(query),
        _int(query.get("since")),
        flow,
        kinds,
        max(1, min(_int(query.get("limit"), 1000), 10_000)),
    )
    return _json(data)


async def api_rooms(request: web.Request) -> web.StreamResponse:
    from nanodev.inspector.people import emails_of, name_users  # noqa: PLC0415
    from nanodev.inspector.roomview import rooms_view  # noqa: PLC0415

    core = request.app[CORE]
    data = await rooms_view(core.rooms, core.recorder)
    people = [s for r in data["rooms"] for s in r["sockets"]]
    people += [p for r in data["rooms"] for b in r["broadcasts"] for p in b["recipients"]]
    name_users(
        people,
        await emails_of(core.db, (p["user_id"] for p in people), request.app[INSPECTOR].emails),
    )
    return _json(data)


async def api_form(request: web.Request) -> web.StreamResponse:
    from nanodev.inspector import editroutes  # noqa: PLC0415

    return await editroutes.api_form(request)


async def api_edit_replay(request: web.Request) -> web.StreamResponse:
    from nanodev.inspector import editroutes  # noqa: PLC0415

    return await editroutes.api_edit_replay(request)


async def api_table(request: web.Request) -> web.StreamResponse:
    from nanodev.inspector import tables  # noqa: PLC0415

    return await tables.api_table(request)


async def api_export(request: web.Request) -> web.StreamResponse:
    from nanodev.inspector.sessions import export_session  # noqa: PLC0415

    core = request.app[CORE]
    data = export_session(_viewed(request), core.version)
    response = web.Response(text=json.dumps(data), content_type="application/json", charset="utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="nanodev-session.json"'
    return response


async def api_export_har(request: web.Request) -> web.StreamResponse:
    """HAR 1.2 of `?flows=1,2,3`, else of the flows the list's filter shows (all by default)."""
    from nanodev.inspector.filters import FlowFilter  # noqa: PLC0415
    from nanodev.inspector.flows import matching_flows  # noqa: PLC0415
    from nanodev.inspector.har import export_har  # noqa: PLC0415

    recorder = _viewed(request)
    chosen = request.query.get("flows")
    if chosen:
        ids: list[int] = [_int(part) for part in chosen.split(",") if part.strip()]
    else:
        ids = [f.id for f in matching_flows(recorder, FlowFilter.from_query(request.query))]
    data = export_har(recorder, request.app[CORE].version, ids)
    response = web.Response(text=json.dumps(data), content_type="application/json", charset="utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="nanodev.har"'
    return response


async def api_live(request: web.Request) -> web.StreamResponse:
    problem = cross_site_refusal(request)
    if problem is not None:
        return secure(refuse(f"nanodev refused the live feed: {problem}"))
    hub = request.app[INSPECTOR].hub
    if hub is None:
        return web.Response(status=503, text="the inspector is starting")
    return await hub.serve(request, _int(request.query.get("flow")) or None)


# -- actions ------------------------------------------------------------------------------------
async def api_import(request: web.Request) -> web.StreamResponse:
    from nanodev.inspector.harimport import import_har, is_har  # noqa: PLC0415
    from nanodev.inspector.sessions import ImportError_, import_session  # noqa: PLC0415

    limit = request.app[INSPECTOR].import_limit
    raw = await _read_upload(request, limit)
    if raw is None:
        return _json({"error": f"export larger than the import limit of {limit:,} bytes"}, 413)
    capacity = request.app[CORE].settings.inspector_capacity
    try:
        data = json.loads(raw)
        # A HAR (from any browser, or nanodev's own) or nanodev's session export.
        recorder = import_har(data, capacity) if is_har(data) else import_session(data, capacity)
    except (ValueError, ImportError_) as exc:
        return _json({"error": f"cannot import: {exc}"}, 400)
    request.app[INSPECTOR].imported = recorder
    return _json({"imported": len(recorder.events), "flows": len(recorder.flows)})


async def _read_upload(request: web.Request, limit: int) -> bytes | None:
    """The whole body up to `limit` bytes, or None past it. `content.read(n)` returns what has
    arrived so far, not n bytes, so a large upload is read chunk by chunk to its end."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(1 << 16):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def api_leave_import(request: web.Request) -> web.StreamResponse:
    request.app[INSPECTOR].imported = None
    return _json({"source": "live"})


async def api_clear(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    core.recorder.clear()
    request.app[INSPECTOR].vault.clear()
    request.app[INSPECTOR].rows.clear()
    return _json({"cleared": True, "last_seq": core.recorder.last_seq})


async def api_close(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    flow_id = _int(request.match_info["id"])
    for room in list(core.rooms.rooms.values()):
        for conn in list(room.sockets):
            if conn.flow == flow_id:
                await conn.close(WSCloseCode.OK, "closed from the nanodev inspector")
                return _json({"closed": flow_id, "room": room.id})
    return _json({"error": "no open socket for this flow"}, 404)


async def api_hibernate(request: web.Request) -> web.StreamResponse:
    rooms = request.app[CORE].rooms
    room_id = request.match_info["id"]
    if rooms.hibernate(room_id, "from the inspector"):
        return _json({"hibernated": room_id, "sockets": len(rooms.sleeping[room_id])})
    if room_id in rooms.sleeping:
        return _json({"error": "the room is already hibernated"}, 409)
    if room_id not in rooms.rooms:
        return _json({"error": "no such open room"}, 404)
    return _json({"error": "the room is busy, has a timer pending, or has no socket"}, 409)


async def api_rehandshake(request: web.Request) -> web.StreamResponse:
    from nanodev.inspector.flows import row_json  # noqa: PLC0415

    core = request.app[CORE]
    flow_id = _int(request.match_info["id"])
    variant = await _variant(request)
    original = request.app[INSPECTOR].vault.get(flow_id)
    if original is None or flow_id not in core.recorder.flows:
        return _json({"error": "only recent WebSocket handshakes can be re-handshaken"}, 404)
    changed = apply_variant(original, variant)
    outcome = await rehandshake(
        request.app[INSPECTOR].vault, port_of(request, original.listener), changed
    )
    replay_row = core.recorder.flows.get(outcome.flow) if outcome.flow else None
    return _json(
        {
            "change": variant.change,
            "original": row_json(core.recorder.flows[flow_id]),
            "replay": row_json(replay_row) if replay_row is not None else None,
            "status": outcome.status,
            "error": outcome.error,
        }
    )


async def _variant(request: web.Request) -> Variant:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="expected a JSON body") from None
    change = body.get("change", "same") if isinstance(body, dict) else None
    if change not in CHANGES:
        raise web.HTTPBadRequest(text=f"change must be one of {', '.join(CHANGES)}")
    key, room = str(body.get("key", "")), str(body.get("room", ""))
    if change == "key" and not key:
        raise web.HTTPBadRequest(text="change=key needs a key")
    if change == "room" and not room:
        raise web.HTTPBadRequest(text="change=room needs a room")
    return Variant(change, key, room)
