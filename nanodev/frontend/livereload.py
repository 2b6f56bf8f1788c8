"""The live-reload channel: pages served by nanodev hold a WebSocket at `/__nanodev/reload/ws`.

It lives under nanodev's own prefix, so it can never collide with `/__ws/*` or the app's
sockets (the Vite HMR collision of peer-tools §2 item 4). The upgrade is Origin-checked: only a
page of this server (or an allowed origin) may listen. Messages are `{"type":"reload"}` or
`{"type":"css","paths":[...]}`; the client script swaps stylesheets for the latter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, web

PREFIX = "/__nanodev/reload"
WS_PATH = f"{PREFIX}/ws"
CLIENT_PATH = f"{PREFIX}/client.js"
SNIPPET = f'<script src="{CLIENT_PATH}" data-nanodev-reload></script>'.encode()
CLIENT_JS = Path(__file__).parent / "reload_client.js"
SEND_TIMEOUT_S = 1.0
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
_HTML_END = re.compile(rb"</html\s*>", re.IGNORECASE)


def inject_snippet(html: bytes) -> bytes:
    """The reload script before the last `</body>` (or `</html>`, or at the end)."""
    if SNIPPET in html:
        return html
    for pattern in (_BODY_END, _HTML_END):
        matches = list(pattern.finditer(html))
        if matches:
            at = matches[-1].start()
            return html[:at] + SNIPPET + html[at:]
    return html + SNIPPET


def origin_allowed(origin: str | None, host: str, allowed: Iterable[str]) -> bool:
    """A page of this server (same host:port as the request) or an explicitly allowed origin.

    A missing Origin is refused: browsers always send one, and nothing else needs this socket.
    """
    if not origin or origin == "null":
        return False
    if origin.rstrip("/") in {a.rstrip("/") for a in allowed}:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def reload_message(paths: Iterable[str], css_only: bool) -> str:
    if css_only:
        return json.dumps({"type": "css", "paths": sorted(paths)})
    return json.dumps({"type": "reload", "paths": sorted(paths)})


class ReloadHub:
    """The open pages' sockets; one message reaches all of them."""

    def __init__(self, allowed_origins: Callable[[], Iterable[str]] = tuple) -> None:
        self.sockets: set[web.WebSocketResponse] = set()
        self.allowed_origins = allowed_origins  # read per upgrade: nanodev.toml may change it

    async def handle_ws(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if not origin_allowed(origin, request.host, self.allowed_origins()):
            return web.Response(
                status=403,
                text=f"Forbidden: origin {origin or '(none)'} may not open the reload channel\n",
            )
        ws = web.WebSocketResponse(heartbeat=20.0)
        await ws.prepare(request)
        self.sockets.add(ws)
        try:
            async for _msg in ws:  # the page never talks; reading notices its close
                pass
        finally:
            self.sockets.discard(ws)
        return ws

    async def client_js(self, request: web.Request) -> web.StreamResponse:
        return web.Response(
            text=CLIENT_JS.read_text(),
            content_type="text/javascript",
            headers={"Cache-Control": "no-cache"},
        )

    async def broadcast(self, text: str) -> int:
        """Send to every page; a page that cannot take it in time is dropped. Returns count."""
        sockets = [ws for ws in self.sockets if not ws.closed]
        results = await asyncio.gather(*(self._send(ws, text) for ws in sockets))
        return sum(results)

    async def _send(self, ws: web.WebSocketResponse, text: str) -> bool:
        try:
            async with asyncio.timeout(SEND_TIMEOUT_S):
                await ws.send_str(text)
        except (TimeoutError, ConnectionError, RuntimeError):
            self.sockets.discard(ws)
            return False
        return True

    async def close_all(self) -> None:
        for ws in list(self.sockets):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")
        self.sockets.clear()
