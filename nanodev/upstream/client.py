"""A WebSocket client session that keeps what a refused handshake said.

aiohttp's `ws_connect` raises `WSServerHandshakeError` on any status but 101 and drops the
response body, yet the body is the only place a Worker says why it refused ("API key
expired"). A client middleware reads that body (bounded) and raises `HandshakeRefused` with it,
so the upstream relay can pass the refusal on unchanged and the doctor can quote it.
"""

from __future__ import annotations

import ssl

import aiohttp
from aiohttp import ClientHandlerType, ClientRequest, ClientResponse
from multidict import CIMultiDictProxy

MAX_REFUSAL_BODY = 64 * 1024
CONNECT_TIMEOUT_S = 5.0


class HandshakeRefused(aiohttp.ClientResponseError):
    """The server answered a WebSocket upgrade with an ordinary HTTP response."""

    def __init__(self, response: ClientResponse, body: bytes) -> None:
        super().__init__(
            response.request_info,
            response.history,
            status=response.status,
            message=response.reason or "",
            headers=response.headers,
        )
        self.body = body
        self.response_headers: CIMultiDictProxy[str] = response.headers

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


async def read_bounded(response: ClientResponse, limit: int) -> bytes:
    """Up to `limit` bytes of the body (a refusal is short; a huge one is cut, not buffered)."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await response.content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


async def keep_refusal_body(request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
    response = await handler(request)
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
    if not upgrade or response.status == 101:
        return response
    try:
        body = await read_bounded(response, MAX_REFUSAL_BODY)
    finally:
        response.close()
    raise HandshakeRefused(response, body)


def client_session(
    *, read_timeout: float, ssl_context: ssl.SSLContext | None = None
) -> aiohttp.ClientSession:
    """No cookie jar (cookies belong to the browser that sent them), no decompression (bodies
    pass through byte for byte), no Accept-Encoding of its own (the client's, or none, is what
    goes upstream: a client that never asked for gzip must not receive it), and the
    refusal-body middleware."""
    connector = aiohttp.TCPConnector(ssl=ssl_context if ssl_context is not None else True)
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        skip_auto_headers=("Accept-Encoding",),
        timeout=aiohttp.ClientTimeout(
            total=None, sock_connect=CONNECT_TIMEOUT_S, sock_read=read_timeout
        ),
        middlewares=(keep_refusal_body,),
    )
