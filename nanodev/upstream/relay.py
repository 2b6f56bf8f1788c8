"""`nanodev up --upstream URL`: worker-bound traffic goes to a real Worker instead of the emulator.

After the same `/__ws` rewrite, HTTP requests and WebSocket upgrades are relayed to one fixed
origin (`http://127.0.0.1:8787` for `wrangler dev`, or an `https://` deployment, with TLS and
SNI). The target is built from that origin plus the request's path and query only, so `Host`,
an absolute-form request-target or `X-Forwarded-Host` can never point it elsewhere. Everything
is recorded as emulated traffic is: the upstream's status and body, frames both ways, close
codes in both directions. A refused, slow, reset or TLS-broken upstream becomes a 502/504 (or
close 1011 on an open socket) naming the upstream and the failure, and only that request ends.
This module makes the connections and relays HTTP; `upstream_ws` relays an accepted socket.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from nanodev.core import CORE, UPSTREAM
from nanodev.frontend import (
    WS_HANDSHAKE,
    downstream_headers,
    normalize_origin,
    requested_protocols,
    strip_hop_by_hop,
    target_url,
)
from nanodev.gateway import WS_PREFIX
from nanodev.record import (
    FLOW,
    FlowContext,
    Recorder,
    Rewritten,
    UpstreamFailed,
    now,
    redact_query,
    redact_text,
)
from nanodev.upstream.client import HandshakeRefused, client_session
from nanodev.upstream.encoding import decode_body
from nanodev.upstream.sockets import Link, SocketRelay
from nanodev.worker import extract_credentials, raw_param

CHUNK = 64 * 1024
INLINE_BODY = 256 * 1024  # responses up to this size are read whole, so the inspector shows them
FORWARDED = ("Host", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-For", "Forwarded")
FAILURES = (aiohttp.ClientError, TimeoutError, OSError)


# -- pure decisions -------------------------------------------------------------------------
def upstream_path(raw_path: str) -> str:
    """The worker-side raw path, exactly as `rewrite.route` strips it: `/__ws/x` → `/x`."""
    if raw_path == WS_PREFIX:
        return "/"
    if raw_path.startswith(WS_PREFIX + "/"):
        return raw_path[len(WS_PREFIX) :]
    return raw_path


def forward_headers(
    incoming: Mapping[str, str] | CIMultiDict[str],
    *,
    host: str,
    scheme: str,
    remote: str | None,
    websocket: bool,
) -> CIMultiDict[str]:
    """Request headers for the upstream: hop-by-hop gone, the client's forwarding claims
    replaced by what nanodev saw, Host left to the client library (it names the upstream).
    Origin and Cookie pass unchanged: the Worker makes its own decisions on them."""
    out = strip_hop_by_hop(incoming)
    drop = (*FORWARDED, *WS_HANDSHAKE) if websocket else FORWARDED
    for name in drop:
        out.popall(name, None)
    out["X-Forwarded-Host"] = host
    out["X-Forwarded-Proto"] = scheme
    if remote:
        out["X-Forwarded-For"] = remote
    return out


@dataclass(frozen=True, slots=True)
class Failure:
    status: int
    message: str
    fix: str


def describe_failure(origin: str, exc: BaseException, timeout: float) -> Failure:
    """What went wrong talking to the upstream, in words, with the status nanodev answers."""
    start = f"Start the Worker (e.g. wrangler dev) or correct --upstream {origin}"
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return Failure(
            502,
            f"TLS handshake with upstream {origin} failed: {exc}",
            "Check the upstream's certificate and host name (a private CA: point SSL_CERT_FILE "
            "at it before nanodev up)",
        )
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return Failure(504, f"upstream {origin} did not accept a connection in time", start)
    if isinstance(exc, TimeoutError):
        return Failure(
            504,
            f"upstream {origin} did not answer within {timeout:g} s",
            "The Worker is stuck or slow; raise upstream_timeout if it is meant to be slow",
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        why = exc.os_error.strerror or str(exc.os_error) or type(exc.os_error).__name__
        return Failure(502, f"cannot connect to upstream {origin}: {why}", start)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return Failure(502, f"upstream {origin} closed the connection without answering", start)
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return Failure(
            502, f"upstream {origin} sent an invalid WebSocket handshake ({exc.message})", start
        )
    if isinstance(exc, aiohttp.ClientPayloadError):
        return Failure(502, f"upstream {origin} cut the response body off ({exc})", start)
    if isinstance(exc, OSError):
        return Failure(502, f"upstream {origin} reset the connection ({exc})", start)
    return Failure(502, f"upstream {origin} failed: {type(exc).__name__}: {exc}", start)


# -- the relay ----------------------------------------------------------------------------------
class UpstreamRelay:
    """Relays worker-bound requests to one fixed origin over a ClientSession the app owns."""

    def __init__(
        self,
        origin: str,
        session: aiohttp.ClientSession,
        recorder: Recorder,
        *,
        timeout: float,
        max_msg_size: int,
        preview: int = 4096,
    ) -> None:
        self.origin = normalize_origin(origin)
        self.session = session
        self.recorder = recorder
        self.timeout = timeout
        self.max_msg_size = max_msg_size  # aiohttp's limit (see Settings.ws_max_msg_size)
        self.preview = preview
        self.ws = SocketRelay(self.origin, recorder, max_msg_size=max_msg_size)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        flow = request[FLOW]
        path_qs = upstream_path(request.rel_url.raw_path)
        if request.rel_url.raw_query_string:
            path_qs += "?" + request.rel_url.raw_query_string
        target = target_url(self.origin, path_qs)
        flow.secrets = extract_credentials(request.headers, request.query).secrets
        self.recorder.known.add(flow.secrets)
        query = _shown_query(request.rel_url.raw_query_string)
        original = redact_text(upstream_path(request.rel_url.raw_path)) + query
        shown = redact_text(str(target.with_query(None))) + query
        self.recorder.record(
            Rewritten(flow.flow, now(), original, shown, "upstream", "--upstream: the real Worker")
        )
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._relay_ws(request, target, flow)
        return await self._forward_http(request, target, flow)

    def failed(self, flow: FlowContext, exc: BaseException, status: int | None = None) -> Failure:
        failure = describe_failure(self.origin, exc, self.timeout)
        flow.cause, flow.fix = failure.message, failure.fix
        self.recorder.record(UpstreamFailed(flow.flow, now(), self.origin, failure.message, status))
        return failure

    def _answer(self, flow: FlowContext, exc: BaseException) -> web.Response:
        failure = self.failed(flow, exc)
        return web.Response(
            status=failure.status,
            text=f"nanodev: {failure.message}\n{failure.fix}\n",
            headers={"Cache-Control": "no-store"},
        )

    # -- HTTP ---------------------------------------------------------------------------------
    async def _forward_http(
        self, request: web.Request, target: URL, flow: FlowContext
    ) -> web.StreamResponse:
        headers = _request_headers(request, websocket=False)
        body = request.content.iter_chunked(CHUNK) if request.body_exists else None
        try:
            upstream = await self.session.request(
                request.method, target, headers=headers, data=body, allow_redirects=False
            )
        except FAILURES as exc:
            return self._answer(flow, exc)
        async with upstream:
            length = upstream.content_length
            if request.method != "HEAD" and length is not None and length <= INLINE_BODY:
                try:
                    raw = await upstream.read()
                except FAILURES as exc:
                    return self._answer(flow, exc)
                note_body(flow, raw, upstream.headers.get("Content-Encoding"))
                out = downstream_headers(upstream.headers, self.origin)
                out.popall("Content-Length", None)
                return web.Response(
                    status=upstream.status, reason=upstream.reason, body=raw, headers=out
                )
            return await self._stream(request, upstream, flow)

    async def _stream(
        self, request: web.Request, upstream: aiohttp.ClientResponse, flow: FlowContext
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            status=upstream.status,
            reason=upstream.reason,
            headers=downstream_headers(upstream.headers, self.origin),
        )
        await response.prepare(request)
        # A body of unknown length (chunked, as compressing fronts send) is kept for the record
        # while it stays small; a large stream is relayed without a copy.
        head = bytearray()
        try:
            async for chunk in upstream.content.iter_chunked(CHUNK):
                if len(head) <= INLINE_BODY:
                    head += chunk
                await response.write(chunk)
        except FAILURES as exc:
            self.failed(flow, exc, upstream.status)
            return response  # the status line is sent; ending the body is all that is left
        await response.write_eof()
        if len(head) <= INLINE_BODY:
            encoding = upstream.headers.get("Content-Encoding")
            if encoding:
                note_body(flow, bytes(head), encoding)
            else:
                flow.shown_body = bytes(head)
        return response

    # -- WebSocket ----------------------------------------------------------------------------
    async def _relay_ws(
        self, request: web.Request, target: URL, flow: FlowContext
    ) -> web.StreamResponse:
        headers = _request_headers(request, websocket=True)
        try:
            up = await self.session.ws_connect(
                target.with_scheme("wss" if target.scheme == "https" else "ws"),
                headers=headers,
                protocols=requested_protocols(request.headers),
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=2.0),
                max_msg_size=self.max_msg_size,
                compress=0,  # no permessage-deflate on this leg either
            )
        except HandshakeRefused as refused:
            note_body(flow, refused.body, refused.response_headers.get("Content-Encoding"))
            return _refusal(refused, self.origin)
        except FAILURES as exc:
            return self._answer(flow, exc)
        room = raw_param(request.rel_url.raw_query_string, "room_id")[2]
        link = Link(self.recorder, flow.flow, room, flow.secrets, self.preview)
        async with up:
            return await self.ws.accept(request, up, flow, link)

    async def close_all(self) -> None:
        await self.ws.close_all()


def _request_headers(request: web.Request, *, websocket: bool) -> CIMultiDict[str]:
    """The upstream's request headers from what nanodev itself saw of the client."""
    return forward_headers(
        request.headers,
        host=request.host,
        scheme=request.scheme,
        remote=request.remote,
        websocket=websocket,
    )


def note_body(flow: FlowContext, raw: bytes, content_encoding: str | None) -> None:
    """Record the body decoded (the client still gets the bytes as sent), the coding noted."""
    if not content_encoding:
        return
    decoded = decode_body(raw, content_encoding, INLINE_BODY)
    flow.shown_body = decoded.body
    flow.encoding = decoded.encoding
    if decoded.problem:
        flow.encoding += f" (not decoded: {decoded.problem})"
    elif decoded.cut:
        flow.encoding += f" (decoded body cut at {INLINE_BODY} bytes)"


def _refusal(refused: HandshakeRefused, origin: str) -> web.Response:
    """The upstream's own answer to the upgrade (status, body, headers), passed on unchanged."""
    headers = downstream_headers(refused.response_headers, origin)
    headers.popall("Content-Length", None)
    return web.Response(
        status=refused.status, reason=refused.message or None, body=refused.body, headers=headers
    )


def _shown_query(raw_query: str) -> str:
    return "?" + redact_query(raw_query) if raw_query else ""


# -- lifetime -------------------------------------------------------------------------------------


RELAY: web.AppKey[UpstreamRelay] = web.AppKey("nanodev_relay", UpstreamRelay)


def install(app: web.Application) -> None:
    """Own the relay for the app's lifetime (after the core, which it records through)."""
    app.cleanup_ctx.append(_upstream_ctx)
    app.on_shutdown.append(_close_sockets)


async def _upstream_ctx(app: web.Application) -> AsyncIterator[None]:
    core = app[CORE]
    settings = core.settings
    if not settings.upstream:
        yield
        return
    # Built here, not at import: SSL_CERT_FILE / SSL_CERT_DIR are read now (a private CA).
    session = client_session(
        read_timeout=settings.upstream_timeout, ssl_context=ssl.create_default_context()
    )
    try:
        relay = UpstreamRelay(
            settings.upstream,
            session,
            core.recorder,
            timeout=settings.upstream_timeout,
            max_msg_size=settings.ws_max_msg_size,
            preview=settings.frame_preview_bytes,
        )
        app[RELAY] = relay
        app[UPSTREAM] = relay  # how the gateway finds it (core.WorkerRelay)
        yield
    finally:
        await session.close()


async def _close_sockets(app: web.Application) -> None:
    relay = app.get(RELAY)
    if relay is not None:
        await relay.close_all()
