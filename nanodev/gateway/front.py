"""The front door of both listeners: record the request, decide its route with `rewrite.route`,
hand it to the worker or the frontend, record how it ended.

Anything that goes wrong inside a hop becomes a response for that request only (never a dead
server), and the inspector gets the cause in words.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from urllib.parse import unquote

from aiohttp import web

from nanodev.core import CORE, UPSTREAM, Core
from nanodev.errors import UserError, missing_table
from nanodev.gateway.rewrite import Route, route
from nanodev.record import (
    FLOW,
    FlowContext,
    RequestReceived,
    Responded,
    Rewritten,
    now,
    redact_headers,
    redact_query,
    redact_text,
)
from nanodev.worker import pipeline as worker

log = logging.getLogger("nanodev")
LISTENERS: web.AppKey[dict[int, str]] = web.AppKey("nanodev_listeners", dict)
BODY_PREVIEW = 2048


def listener_of(request: web.Request) -> str:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    port = sockname[1] if isinstance(sockname, tuple) and len(sockname) > 1 else None
    return request.app[LISTENERS].get(port, "page") if port is not None else "page"


async def front_door(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    listener = listener_of(request)
    flow = FlowContext(core.recorder.new_flow(), time.perf_counter(), listener)
    request[FLOW] = flow
    raw_path = request.rel_url.raw_path
    upgrade = worker.is_upgrade(request)
    decided = route(
        raw_path,
        request.query_string,
        upgrade=upgrade,
        listener="worker" if listener == "worker" else "page",
    )
    _record_arrival(request, core, flow, decided, upgrade)
    try:
        hop = _dispatch(request, core, decided.destination, unquote(decided.path))
        # For a socket this frame lives as long as the socket: keep only what is used below.
        del decided, listener, upgrade
        response = await hop
    except web.HTTPException as exc:
        _record_response(core, flow, exc)
        raise
    except Exception as exc:
        response = _failed(request, flow, exc)
    if not isinstance(response, web.WebSocketResponse):
        _record_response(core, flow, response)
    return response


def _failed(request: web.Request, flow: FlowContext, exc: Exception) -> web.Response:
    """A hop's failure as this request's answer only (never a dead server): one the user fixes
    (a room file that cannot open, a table a failed migration did not create) is a 503 in words,
    refused before any 101; anything else is nanodev's bug, a 500 with the traceback logged."""
    problem = exc if isinstance(exc, UserError) else missing_table(exc)
    if problem is not None:
        log.error("%s %s: %s (%s)", request.method, request.path, problem.message, problem.hint)
        flow.cause, flow.fix = problem.message, problem.hint[:1].upper() + problem.hint[1:]
        return web.Response(status=503, text=f"{problem.message}\n{flow.fix}\n")
    log.error("request %s %s failed", request.method, request.path, exc_info=exc)
    flow.cause = f"nanodev failed handling this request: {exc!r}"
    flow.fix = "This is a nanodev bug; the inspector and the terminal show the traceback"
    return web.Response(status=500, text=f"nanodev internal error: {exc}")


def _record_arrival(
    request: web.Request,
    core: Core,
    flow: FlowContext,
    decided: Route,
    upgrade: bool,
) -> None:
    """`RequestReceived` and `Rewritten`: what arrived (secrets fingerprinted) and where it goes."""
    # A key can travel as a path segment too (/__ws/websocket/nk_live_…).
    seen: list[str] = []
    raw_path = redact_text(request.rel_url.raw_path)
    shown_query = redact_query(request.query_string, seen)
    core.recorder.known.add(seen)  # a secret seen here is masked in every later record too
    core.recorder.record(
        RequestReceived(
            flow.flow,
            now(),
            request.method,
            raw_path,
            shown_query,
            redact_headers(request.headers),
            request.remote or "",
            flow.listener,
            upgrade,
        )
    )
    core.recorder.record(
        Rewritten(
            flow.flow,
            now(),
            _with_query(raw_path, shown_query),
            _with_query(redact_text(decided.path), shown_query),
            decided.destination,
            decided.reason,
        )
    )


def _with_query(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def _dispatch(
    request: web.Request, core: Core, destination: str, path: str
) -> Awaitable[web.StreamResponse]:
    """Pick the hop and hand back its coroutine. Not itself a coroutine: a socket's handler
    chain stays suspended for the socket's whole life, and every frame in it costs memory."""
    if destination == "worker":
        relay = request.app.get(UPSTREAM)  # --upstream: the real Worker answers instead
        if relay is not None:
            return relay.handle(request)
        return worker.handle(request, core, path)
    if core.frontend is not None:
        return core.frontend(request, core)
    raise web.HTTPNotFound(text="Not found")


def _record_response(core: Core, flow: FlowContext, response: web.StreamResponse) -> None:
    body = ""
    size = 0
    if flow.shown_body is not None:
        size = len(flow.shown_body)
        body = redact_text(flow.shown_body[:BODY_PREVIEW].decode("utf-8", "replace"), flow.secrets)
    elif isinstance(response, web.Response) and response.body is not None:
        raw = response.body if isinstance(response.body, bytes | bytearray) else b""
        size = len(raw)
        body = redact_text(bytes(raw[:BODY_PREVIEW]).decode("utf-8", "replace"), flow.secrets)
    elapsed = (time.perf_counter() - flow.started) * 1000
    core.recorder.record(
        Responded(
            flow.flow,
            now(),
            response.status,
            response.content_type or "",
            body,
            size,
            round(elapsed, 3),
            flow.cause,
            flow.fix,
            flow.encoding,
        )
    )
