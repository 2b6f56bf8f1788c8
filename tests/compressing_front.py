"""A compressing front for upstream tests: an aiohttp reverse proxy on loopback that, like a CDN
in front of a deployed Worker, gzips every answer (refused WebSocket handshakes included) for a
client whose Accept-Encoding allows gzip, and remembers the Accept-Encoding each request carried.

It relays plain HTTP only: an upgrade is forwarded as a request, so a refused handshake comes
back as the Worker wrote it (compressed); an accepted one is out of its scope.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


@dataclass
class Front:
    upstream: str
    accept_encodings: list[str | None] = field(default_factory=list)
    session: aiohttp.ClientSession | None = None


FRONT: web.AppKey[Front] = web.AppKey("front", Front)


def wants_gzip(accept: str | None) -> bool:
    return any(p.split(";")[0].strip() == "gzip" for p in (accept or "").split(","))


async def relay(request: web.Request) -> web.Response:
    front = request.app[FRONT]
    accept = request.headers.get("Accept-Encoding")
    front.accept_encodings.append(accept)
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
    headers.pop("Accept-Encoding", None)
    assert front.session is not None
    async with front.session.request(
        request.method,
        front.upstream + request.rel_url.raw_path_qs,
        headers=headers,
        data=await request.read() if request.body_exists else None,
        allow_redirects=False,
        skip_auto_headers=("Accept-Encoding",),
    ) as answer:
        body = await answer.read()
        out = {k: v for k, v in answer.headers.items() if k.lower() not in HOP}
    if wants_gzip(accept) and body:
        body = gzip.compress(body)
        out["Content-Encoding"] = "gzip"
    return web.Response(status=answer.status, body=body, headers=out)


async def _session(app: web.Application):  # type: ignore[no-untyped-def]
    app[FRONT].session = aiohttp.ClientSession()
    yield
    await app[FRONT].session.close()  # type: ignore[union-attr]


def make_front(upstream: str) -> web.Application:
    app = web.Application()
    app[FRONT] = Front(upstream.rstrip("/"))
    app.cleanup_ctx.append(_session)
    app.router.add_route("*", "/{tail:.*}", relay)
    return app
