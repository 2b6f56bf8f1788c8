"""`--frontend URL` against a real stand-in dev server (an aiohttp app with its own WebSocket)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from nanodev.frontend.chooser import FRONTEND
from nanodev.frontend.pageprobe import SNIPPET
from nanodev.frontend.proxy import (
    downstream_headers,
    normalize_origin,
    requested_protocols,
    strip_hop_by_hop,
    target_url,
    upstream_headers,
)
from nanodev.record.events import UpstreamFailed
from tests.conftest import Nano

# -- pure ------------------------------------------------------------------------------------


def test_normalize_origin() -> None:
    assert normalize_origin("http://127.0.0.1:5173/") == "http://127.0.0.1:5173"
    assert normalize_origin("HTTP://LocalHost:5173") == "http://localhost:5173"
    for bad in ("127.0.0.1:5173", "ftp://x", "http://x/app", "http://u@x:1", "http://x?q"):
        with pytest.raises(ValueError):
            normalize_origin(bad)


def test_target_is_always_the_configured_origin() -> None:
    origin = "http://127.0.0.1:5173"
    assert str(target_url(origin, "/a%20b?x=1")) == "http://127.0.0.1:5173/a%20b?x=1"
    assert target_url(origin, "//evil.example/x").host == "127.0.0.1"
    assert target_url(origin, "/@evil.example/x").host == "127.0.0.1"
    with pytest.raises(ValueError):
        target_url(origin, "http://evil.example/x")


def test_hop_by_hop_and_connection_named_headers_are_dropped() -> None:
    headers = CIMultiDict(
        [
            ("Connection", "keep-alive, X-Secret-Hop"),
            ("Keep-Alive", "timeout=5"),
            ("Transfer-Encoding", "chunked"),
            ("Proxy-Authorization", "Basic x"),
            ("X-Secret-Hop", "1"),
            ("Upgrade", "websocket"),
            ("TE", "trailers"),
            ("Accept", "text/html"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ]
    )
    out = strip_hop_by_hop(headers)
    assert sorted(out.items()) == [
        ("Accept", "text/html"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]


def test_upstream_headers_rewrite_host_and_own_origin_only() -> None:
    own = upstream_headers(
        {"Host": "127.0.0.1:3000", "Origin": "http://127.0.0.1:3000", "Sec-WebSocket-Key": "k"},
        "http://127.0.0.1:5173",
        page_host="127.0.0.1:3000",
        websocket=True,
    )
    assert own["Host"] == "127.0.0.1:5173"
    assert own["Origin"] == "http://127.0.0.1:5173"
    assert own["X-Forwarded-Host"] == "127.0.0.1:3000"
    assert "Sec-WebSocket-Key" not in own
    foreign = upstream_headers(
        {"Origin": "http://evil.example"}, "http://127.0.0.1:5173", page_host="127.0.0.1:3000"
    )
    assert foreign["Origin"] == "http://evil.example"  # never rewritten silently


def test_redirects_to_the_dev_server_stay_on_nanodev() -> None:
    origin = "http://127.0.0.1:5173"
    assert downstream_headers({"Location": f"{origin}/login"}, origin)["Location"] == "/login"
    assert downstream_headers({"Location": "https://x.example/"}, origin)["Location"] == (
        "https://x.example/"
    )
    assert requested_protocols({"Sec-WebSocket-Protocol": "vite-hmr, other"}) == (
        "vite-hmr",
        "other",
    )


# -- a stand-in dev server ---------------------------------------------------------------------
@dataclass
class DevServer:
    server: TestServer
    seen: list[dict[str, object]] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


def dev_app(seen: list[dict[str, object]]) -> web.Application:
    async def page(request: web.Request) -> web.StreamResponse:
        seen.append({"path": request.rel_url.raw_path_qs, "headers": dict(request.headers)})
        return web.Response(text="<html><body>DEV-SERVER</body></html>", content_type="text/html")

    async def body(request: web.Request) -> web.StreamResponse:
        data = await request.read()
        return web.json_response({"sha": hashlib.sha256(data).hexdigest(), "len": len(data)})

    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"http://127.0.0.1:{request.url.port}/landed")

    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(3)
        return web.Response(text="late")

    async def hmr(request: web.Request) -> web.StreamResponse:
        seen.append({"path": "/hmr", "headers": dict(request.headers)})
        ws = web.WebSocketResponse(protocols=("vite-hmr",))
        await ws.prepare(request)
        await ws.send_str(json.dumps({"type": "connected"}))
        async for msg in ws:
            if msg.type is WSMsgType.TEXT and msg.data == "bye":
                await ws.close(code=4000, message=b"dev server says bye")
            elif msg.type is WSMsgType.TEXT:
                await ws.send_str("echo:" + msg.data)
            elif msg.type is WSMsgType.BINARY:
                await ws.send_bytes(msg.data[::-1])
        return ws

    app = web.Application()
    app.router.add_get("/hmr", hmr)
    app.router.add_post("/body", body)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/slow", slow)
    app.router.add_get("/{tail:.*}", page)
    return app


@pytest.fixture
async def dev() -> AsyncIterator[DevServer]:
    seen: list[dict[str, object]] = []
    server = TestServer(dev_app(seen), host="127.0.0.1", port=0)
    await server.start_server()
    yield DevServer(server, seen)
    await server.close()


async def test_pages_bodies_and_redirects_pass_through(
    make_nano: Callable[..., Awaitable[Nano]], dev: DevServer
) -> None:
    nano = await make_nano(frontend_url=dev.origin)
    res = await nano.get("/some/page?x=1")
    assert res.status == 200 and "DEV-SERVER" in await res.text()
    assert dev.seen[-1]["path"] == "/some/page?x=1"
    headers = dev.seen[-1]["headers"]
    assert isinstance(headers, dict)
    assert headers["Host"] == f"127.0.0.1:{dev.server.port}"
    payload = bytes(range(256)) * 1000
    echoed = await (await nano.session.post(nano.base + "/body", data=payload)).json()
    assert echoed == {"sha": hashlib.sha256(payload).hexdigest(), "len": len(payload)}
    moved = await nano.get("/redirect", allow_redirects=False)
    assert moved.status == 302 and moved.headers["Location"] == "/landed"
    # The worker's own paths never reach the dev server.
    assert (await nano.get("/health")).status == 200
    assert all(seen["path"] != "/health" for seen in dev.seen)


async def test_absolute_form_and_host_cannot_change_the_target(
    make_nano: Callable[..., Awaitable[Nano]], dev: DevServer
) -> None:
    victim_hits: list[str] = []

    async def victim_handler(request: web.Request) -> web.StreamResponse:
        victim_hits.append(request.path)
        return web.Response(text="VICTIM")

    victim_app = web.Application()
    victim_app.router.add_get("/{tail:.*}", victim_handler)
    victim = TestServer(victim_app, host="127.0.0.1", port=0)
    await victim.start_server()
    try:
        nano = await make_nano(frontend_url=dev.origin)
        reader, writer = await asyncio.open_connection("127.0.0.1", nano.server.port)
        writer.write(
            f"GET http://127.0.0.1:{victim.port}/steal HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{nano.server.port}\r\nConnection: close\r\n\r\n".encode()
        )
        data = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        await writer.wait_closed()
    finally:
        await victim.close()
    assert victim_hits == []
    assert b"VICTIM" not in data
    assert dev.seen and dev.seen[-1]["path"] == "/steal"


async def test_websocket_upgrade_is_relayed_both_ways(
    make_nano: Callable[..., Awaitable[Nano]], dev: DevServer
) -> None:
    nano = await make_nano(frontend_url=dev.origin)
    ws = await nano.session.ws_connect(
        nano.base.replace("http", "ws") + "/hmr",
        protocols=("vite-hmr",),
        headers={"Origin": nano.base},
    )
    assert ws.protocol == "vite-hmr"
    assert await ws.receive_json(timeout=5) == {"type": "connected"}
    await ws.send_str("hello")
    assert (await ws.receive(timeout=5)).data == "echo:hello"
    await ws.send_bytes(b"\x01\x02\x03")
    assert (await ws.receive(timeout=5)).data == b"\x03\x02\x01"
    handshake = dev.seen[-1]["headers"]
    assert isinstance(handshake, dict)
    assert handshake["Origin"] == dev.origin  # our own page origin, presented as the dev server's
    await ws.send_str("bye")
    closing = await ws.receive(timeout=5)
    assert closing.type is WSMsgType.CLOSE and ws.close_code == 4000
    await ws.close()


async def test_foreign_origin_upgrade_is_refused(
    make_nano: Callable[..., Awaitable[Nano]], dev: DevServer
) -> None:
    nano = await make_nano(frontend_url=dev.origin)
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await nano.session.ws_connect(
            nano.base.replace("http", "ws") + "/hmr", headers={"Origin": "http://evil.example"}
        )
    assert exc.value.status == 403
    assert all(seen["path"] != "/hmr" for seen in dev.seen)


async def test_dev_server_down_gives_an_error_page_and_nanodev_keeps_serving(
    make_nano: Callable[..., Awaitable[Nano]], dev: DevServer
) -> None:
    nano = await make_nano(frontend_url=dev.origin)
    assert (await nano.get("/")).status == 200
    origin = dev.origin
    await dev.server.close()
    res = await nano.get("/")
    html = await res.text()
    assert res.status == 502
    assert res.headers["Content-Type"].startswith("text/html")
    assert origin in html and "npm run dev" in html
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await nano.session.ws_connect(
            nano.base.replace("http", "ws") + "/hmr", headers={"Origin": nano.base}
        )
    assert exc.value.status == 502
    assert (await nano.get("/health")).status == 200
    failures = [e for _, e in nano.core.recorder.since(0) if isinstance(e, UpstreamFailed)]
    assert failures and failures[0].upstream == origin


async def test_slow_dev_server_times_out_to_an_error_page(
    make_nano: Callable[..., Awaitable[Nano]], dev: DevServer
) -> None:
    nano = await make_nano(frontend_url=dev.origin)
    proxy = nano.app[FRONTEND].proxy
    assert proxy is not None
    proxy.timeout = aiohttp.ClientTimeout(total=None, connect=1, sock_read=0.3)
    res = await nano.get("/slow")
    assert res.status == 504
    assert "did not answer in time" in await res.text()


async def test_pages_from_the_dev_server_get_the_page_probe(
    make_nano: Callable[..., Awaitable[Nano]], dev: DevServer
) -> None:
    nano = await make_nano(frontend_url=dev.origin)
    page = await nano.get("/", headers={"Accept": "text/html", "Accept-Encoding": "gzip"})
    text = await page.text()
    assert text == f"<html>{SNIPPET.decode()}<body>DEV-SERVER</body></html>"
    assert int(page.headers["Content-Length"]) == len(text.encode())
    headers = dev.seen[-1]["headers"]
    assert isinstance(headers, dict) and headers["Accept-Encoding"] == "identity"
    # Not a page navigation (a fetch of the same HTML): streamed untouched.
    plain = await nano.get("/", headers={"Accept": "*/*"})
    assert await plain.text() == "<html><body>DEV-SERVER</body></html>"
    off = await make_nano(frontend_url=dev.origin, page_probe=False)
    page = await off.get("/", headers={"Accept": "text/html"})
    assert await page.text() == "<html><body>DEV-SERVER</body></html>"
