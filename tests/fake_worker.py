"""A stand-in for a real Worker on a loopback port, with fault modes, for upstream and doctor tests.

WebSocket (`/websocket`, any path with an upgrade): refuses a missing room_id with the
Worker's 400 text, then echoes frames. Text commands drive faults:
`close:<code>:<reason>` closes with that code, `garbage` writes bytes that are no WebSocket
frame, `reset` starts a frame and aborts the connection mid-way, `flood:<n>:<size>` sends n
binary messages of size bytes as fast as the socket takes them. `?delay=S` delays the answer.

HTTP: `/api/echo` answers what it saw (method, path, Host, forwarding headers, body hash),
`/api/big?size=N` streams N bytes, `/api/chunked` answers a chunked 401 (gzipped when
accepted), `/api/reset` aborts without answering, `/api/redirect`
answers 302 to another host.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web


@dataclass
class Seen:
    """What the fake worker observed, for assertions."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    closes: list[tuple[int | None, str]] = field(default_factory=list)
    flood_sent: int = 0


SEEN: web.AppKey[Seen] = web.AppKey("seen", Seen)


async def _delay(request: web.Request) -> None:
    delay = float(request.query.get("delay", "0"))
    if delay:
        await asyncio.sleep(delay)


async def socket(request: web.Request) -> web.StreamResponse:
    seen = request.app[SEEN]
    seen.requests.append(_facts(request, b""))
    await _delay(request)
    if request.headers.get("Upgrade", "").lower() != "websocket":
        return web.Response(status=404, text="Not found")
    if not request.query.get("room_id"):
        return web.Response(status=400, text="Missing room_id query parameter")
    if request.query.get("key") == "nk_refused":
        return web.Response(status=401, text="API key expired")
    ws = web.WebSocketResponse(max_msg_size=4 << 20, compress=False)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is WSMsgType.TEXT and await _command(ws, request, msg.data):
            continue
        if msg.type is WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type is WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    seen.closes.append((ws.close_code, ""))
    return ws


async def _command(ws: web.WebSocketResponse, request: web.Request, text: str) -> bool:
    verb, _, rest = text.partition(":")
    transport = request.transport
    if verb == "close":
        code, _, reason = rest.partition(":")
        await ws.close(code=int(code), message=reason.encode())
    elif verb == "garbage" and transport is not None:
        transport.write(b"\xff\xff\xff\xff not a websocket frame")
    elif verb == "reset" and transport is not None:
        # A binary frame header announcing 1000 bytes, 10 of them, then a dropped connection.
        transport.write(struct.pack("!BBH", 0x82, 126, 1000) + b"0123456789")
        await asyncio.sleep(0.05)
        transport.abort()
    elif verb == "flood":
        count, _, size = rest.partition(":")
        payload = b"x" * int(size)
        for _ in range(int(count)):
            await ws.send_bytes(payload)
            request.app[SEEN].flood_sent += 1
    else:
        return False
    return True


def _facts(request: web.Request, body: bytes) -> dict[str, Any]:
    return {
        "method": request.method,
        "path_qs": request.rel_url.raw_path_qs,
        "host": request.headers.get("Host"),
        "x_forwarded_host": request.headers.get("X-Forwarded-Host"),
        "origin": request.headers.get("Origin"),
        "cookie": request.headers.get("Cookie"),
        "connection": request.headers.get("Connection"),
        "body_sha": hashlib.sha256(body).hexdigest(),
        "body_len": len(body),
    }


async def echo(request: web.Request) -> web.Response:
    await _delay(request)
    facts = _facts(request, await request.read())
    request.app[SEEN].requests.append(facts)
    return web.Response(
        text=json.dumps(facts),
        content_type="application/json",
        headers={"Set-Cookie": "worker=1; Path=/", "X-Worker": "fake"},
    )


async def big(request: web.Request) -> web.StreamResponse:
    size = int(request.query.get("size", "0"))
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    await response.prepare(request)
    block = bytes(range(256)) * 256
    sent = 0
    while sent < size:
        piece = block[: min(len(block), size - sent)]
        await response.write(piece)
        sent += len(piece)
    await response.write_eof()
    return response


async def chunked(request: web.Request) -> web.StreamResponse:
    """A body of unknown length, gzipped when the client accepts gzip (as a CDN sends it)."""
    text = json.dumps({"error": "Unauthorized. Please log in.", "pad": "x" * 3000}).encode()
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    body = gzip.compress(text) if gzipped else text
    headers = {"Content-Type": "application/json"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    response = web.StreamResponse(status=401, headers=headers)
    response.enable_chunked_encoding()
    await response.prepare(request)
    for start in range(0, len(body), 100):
        await response.write(body[start : start + 100])
    await response.write_eof()
    return response


async def reset(request: web.Request) -> web.Response:
    if request.transport is not None:
        request.transport.abort()
    await asyncio.sleep(1)
    return web.Response(text="unreachable")


async def redirect(request: web.Request) -> web.Response:
    return web.Response(status=302, headers={"Location": "http://127.0.0.1:9/elsewhere"})


def make_app() -> web.Application:
    app = web.Application()
    app[SEEN] = Seen()
    app.router.add_route("*", "/api/echo", echo)
    app.router.add_get("/api/big", big)
    app.router.add_get("/api/reset", reset)
    app.router.add_get("/api/chunked", chunked)
    app.router.add_get("/api/redirect", redirect)
    app.router.add_route("*", "/{tail:.*}", socket)
    return app
