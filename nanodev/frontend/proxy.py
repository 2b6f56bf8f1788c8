"""`--frontend URL`: everything nanodev does not own goes to the user's dev server (Vite, …).

Only ever the configured origin: the target is built from that origin plus the request's
path and query, so neither `Host` nor an absolute-form request-target can change where a
request goes. Hop-by-hop headers are stripped both ways, redirects are passed back rather than
followed, bodies are streamed untouched (no decompression), and the dev server's HMR WebSocket
is relayed frame by frame with back-pressure. A dev server that is down or slow produces an
HTML page saying which URL failed and what to run; nanodev itself keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlsplit

import aiohttp
from aiohttp import WSCloseCode, WSMsgType, web
from multidict import CIMultiDict
from yarl import URL

from nanodev.frontend.livereload import origin_allowed
from nanodev.origins import http_origin
from nanodev.record import Recorder, UpstreamFailed, now
from nanodev.tasks import TaskSet
from nanodev.templating import render

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Set by the WebSocket handshake itself on each leg; copying them would corrupt it.
WS_HANDSHAKE = frozenset(
    {
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-accept",
        "sec-websocket-protocol",
    }
)
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 30.0
CHUNK = 64 * 1024
MAX_INJECTED = 8 * 1024 * 1024  # larger HTML is streamed without the page probe


def normalize_origin(url: str) -> str:
    """`http://127.0.0.1:5173/` → `http://127.0.0.1:5173`; ValueError when not an origin."""
    return http_origin(url)


def target_url(origin: str, raw_path_qs: str) -> URL:
    """The upstream URL: always `origin`, whatever the request said about hosts."""
    if not raw_path_qs.startswith("/"):
        raise ValueError("request-target must be a path")
    return URL(origin + raw_path_qs, encoded=True)


def strip_hop_by_hop(headers: Mapping[str, str] | CIMultiDict[str]) -> CIMultiDict[str]:
    """Drop the RFC 9110 hop-by-hop headers and every header the Connection header names."""
    named = {
        token.strip().lower()
        for value in _all(headers, "Connection")
        for token in value.split(",")
        if token.strip()
    }
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        lower = name.lower()
        if lower not in HOP_BY_HOP and lower not in named:
            out.add(name, value)
    return out


def _all(headers: Mapping[str, str] | CIMultiDict[str], name: str) -> list[str]:
    if isinstance(headers, CIMultiDict):
        return headers.getall(name, [])
    return [v for k, v in headers.items() if k.lower() == name.lower()]


def upstream_headers(
    incoming: Mapping[str, str] | CIMultiDict[str],
    origin: str,
    *,
    page_host: str,
    websocket: bool = False,
) -> CIMultiDict[str]:
    """Request headers for the dev server: its own Host, and our page's Origin as its own.

    Only an Origin that is this server's page origin is rewritten (the caller checked it); the
    original host is kept in X-Forwarded-Host for dev servers that care.
    """
    out = strip_hop_by_hop(incoming)
    if websocket:
        for name in WS_HANDSHAKE:
            out.popall(name, None)
    out.popall("Host", None)
    out["Host"] = urlsplit(origin).netloc
    page_origin = out.get("Origin")
    if page_origin and urlsplit(page_origin).netloc.lower() == page_host.lower():
        out["Origin"] = origin
    out["X-Forwarded-Host"] = page_host
    out["X-Forwarded-Proto"] = "http"
    return out


def downstream_headers(
    incoming: Mapping[str, str] | CIMultiDict[str], origin: str
) -> CIMultiDict[str]:
    """Response headers for the browser: hop-by-hop gone, redirects to the dev server made
    relative so the browser stays on nanodev's origin."""
    out = strip_hop_by_hop(incoming)
    location = out.get("Location")
    if location and location.startswith(origin):
        rest = location[len(origin) :]
        out["Location"] = rest if rest.startswith("/") else "/" + rest
    return out


def wants_probe(request: web.Request, enabled: bool) -> bool:
    """A page navigation, when the probe is on: its HTML gets the probe script."""
    return (
        enabled
        and request.method == "GET"
        and "text/html" in request.headers.get("Accept", "")
        and request.headers.get("Upgrade", "").lower() != "websocket"
    )


def injectable(upstream: aiohttp.ClientResponse) -> bool:
    """Plain (uncompressed) HTML of a bounded size: anything else streams through untouched."""
    return (
        upstream.content_type == "text/html"
        and upstream.headers.get("Content-Encoding", "identity") == "identity"
        and (upstream.content_length or 0) <= MAX_INJECTED
    )


def requested_protocols(headers: Mapping[str, str]) -> tuple[str, ...]:
    raw = headers.get("Sec-WebSocket-Protocol", "")
    return tuple(p.strip() for p in raw.split(",") if p.strip())


def error_page(origin: str, path: str, problem: str, status: int) -> web.Response:
    html = render("frontend_error.html", origin=origin, path=path, problem=problem, status=status)
    return web.Response(
        status=status,
        text=html,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Retry-After": "1"},
    )


class DevProxy:
    """Forwards to one dev-server origin over a ClientSession the app owns."""

    def __init__(
        self,
        origin: str,
        session: aiohttp.ClientSession,
        recorder: Recorder,
        *,
        allowed_origins: Callable[[], Iterable[str]] = tuple,
        read_timeout: float = READ_TIMEOUT_S,
        page_probe: Callable[[], bool] = lambda: False,
    ) -> None:
        self.origin = normalize_origin(origin)
        self.session = session
        self.recorder = recorder
        self.allowed_origins = allowed_origins
        self.timeout = aiohttp.ClientTimeout(
            total=None, connect=CONNECT_TIMEOUT_S, sock_read=read_timeout
        )
        self.relays: set[web.WebSocketResponse] = set()
        self.page_probe = page_probe

    async def handle(self, request: web.Request, flow: int = 0) -> web.StreamResponse:
        try:
            target = target_url(self.origin, request.rel_url.raw_path_qs)
        except ValueError:
            return web.Response(status=400, text="Bad request-target\n")
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._relay_ws(request, target, flow)
        return await self._forward_http(request, target, flow)

    # -- HTTP -------------------------------------------------------------------------------
    async def _forward_http(
        self, request: web.Request, target: URL, flow: int
    ) -> web.StreamResponse:
        headers = upstream_headers(request.headers, self.origin, page_host=request.host)
        probe = wants_probe(request, self.page_probe())
        if probe:  # an uncompressed page, so the probe can go in
            headers["Accept-Encoding"] = "identity"
        body = request.content.iter_chunked(CHUNK) if request.body_exists else None
        try:
            upstream = await self.session.request(
                request.method,
                target,
                headers=headers,
                data=body,
                allow_redirects=False,
                timeout=self.timeout,
                auto_decompress=False,
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return self._failed(request, flow, exc)
        async with upstream:
            if probe and injectable(upstream):
                return await self._with_probe(upstream)
            response = web.StreamResponse(
                status=upstream.status,
                reason=upstream.reason,
                headers=downstream_headers(upstream.headers, self.origin),
            )
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_chunked(CHUNK):
                    await response.write(chunk)
            except (aiohttp.ClientError, TimeoutError) as exc:
                self._record(flow, f"response body cut off: {exc!r}", upstream.status)
                return response  # headers are gone already; ending the body is all we can do
            await response.write_eof()
        return response

    async def _with_probe(self, upstream: aiohttp.ClientResponse) -> web.StreamResponse:
        from nanodev.frontend.pageprobe import inject_probe  # noqa: PLC0415

        headers = downstream_headers(upstream.headers, self.origin)
        headers.popall("Content-Length", None)
        body = inject_probe(await upstream.read())
        return web.Response(status=upstream.status, body=body, headers=headers)

    def _failed(self, request: web.Request, flow: int, exc: BaseException) -> web.Response:
        slow = isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError)
        problem = (
            f"{self.origin} did not answer in time ({type(exc).__name__})"
            if slow
            else f"cannot reach {self.origin}: {exc or type(exc).__name__}"
        )
        self._record(flow, problem, None)
        return error_page(self.origin, request.rel_url.path, problem, 504 if slow else 502)

    def _record(self, flow: int, error: str, status: int | None) -> None:
        self.recorder.record(UpstreamFailed(flow, now(), self.origin, error, status))

    # -- WebSocket --------------------------------------------------------------------------
    async def _relay_ws(self, request: web.Request, target: URL, flow: int) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and not origin_allowed(origin, request.host, self.allowed_origins()):
            return web.Response(status=403, text=f"Forbidden: origin {origin} is not allowed\n")
        headers = upstream_headers(
            request.headers, self.origin, page_host=request.host, websocket=True
        )
        try:
            upstream = await self.session.ws_connect(
                target.with_scheme("wss" if target.scheme == "https" else "ws"),
                headers=headers,
                protocols=requested_protocols(request.headers),
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=2.0),
                autoping=True,
                max_msg_size=0,
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return self._failed(request, flow, exc)
        async with upstream:
            down = web.WebSocketResponse(
                protocols=(upstream.protocol,) if upstream.protocol else (), max_msg_size=0
            )
            await down.prepare(request)
            self.relays.add(down)
            try:
                await self._pump_both(down, upstream)
            finally:
                self.relays.discard(down)
        return down

    async def _pump_both(
        self, down: web.WebSocketResponse, up: aiohttp.ClientWebSocketResponse
    ) -> None:
        tasks = TaskSet("ws-relay")
        legs = [tasks.spawn(_pump(down, up), "to-upstream"), tasks.spawn(_pump(up, down), "down")]
        try:
            await asyncio.wait(legs, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await tasks.cancel_all()
            code = up.close_code if up.closed else down.close_code
            await _close(down, code)
            await _close(up, code)

    async def close_all(self) -> None:
        for ws in list(self.relays):
            await _close(ws, WSCloseCode.GOING_AWAY)


WsEnd = web.WebSocketResponse | aiohttp.ClientWebSocketResponse


async def _pump(src: WsEnd, dst: WsEnd) -> None:
    """Copy frames until `src` closes. `send_*` waits for the socket to drain, so a slow
    reader slows the sender's reads instead of growing a buffer."""
    async for msg in src:
        if msg.type is WSMsgType.TEXT:
            await dst.send_str(msg.data)
        elif msg.type is WSMsgType.BINARY:
            await dst.send_bytes(msg.data)
        elif msg.type is WSMsgType.ERROR:
            return


async def _close(ws: WsEnd, code: int | None) -> None:
    # 1005/1006 describe a missing close frame; they may not be sent in one.
    if code is None or code in (1005, 1006, 1015) or code < 1000:
        code = WSCloseCode.OK
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.close(code=code)
