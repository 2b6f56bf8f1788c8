"""Chrome-shaped HAR entries, written from Chrome DevTools' documented HAR output: HAR 1.2 plus
its underscore fields (`_initiator`, `_priority`, `_resourceType`, `_transferSize`, `_error`,
`_blocked_queueing`) and, for a WebSocket, `_webSocketMessages` of `{type: "send"|"receive",
time: <seconds since the epoch>, opcode: 1 (text) | 2 (binary, data base64), data}`. A saved
Chrome HAR keeps no body for a WebSocket handshake, and a "sanitized" one no cookies.

Hosts are names only (`*.example.workers.dev`): nothing here is ever connected to.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

DEPLOYED = "nano-app.example.workers.dev"
START = dt.datetime(2026, 11, 3, 9, 14, 2, 125000, tzinfo=dt.UTC)
CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def at(seconds: float) -> str:
    return (
        (START + dt.timedelta(seconds=seconds))
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def chrome_entry(
    url: str,
    status: int,
    *,
    method: str = "GET",
    after: float = 0.0,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    mime: str = "x-unknown",
    messages: list[dict[str, Any]] | None = None,
    websocket: bool | None = None,
) -> dict[str, Any]:
    """One entry as Chrome writes it; a wss:// URL is a WebSocket handshake."""
    is_ws = url.startswith(("ws://", "wss://")) if websocket is None else websocket
    host = url.split("/")[2]
    sent = {"Host": host, "User-Agent": CHROME_UA, **(headers or {})}
    if is_ws:
        sent |= {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
        }
    query = url.partition("?")[2]
    content: dict[str, Any] = {"size": len(body or ""), "mimeType": mime}
    if body is not None:
        content["text"] = body
    entry: dict[str, Any] = {
        "_initiator": {"type": "script"},
        "_priority": "High" if not is_ws else None,
        "_resourceType": "websocket" if is_ws else ("document" if mime == "text/html" else "fetch"),
        "cache": {},
        "connection": "443",
        "request": {
            "method": method,
            "url": url,
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": k, "value": v} for k, v in sent.items()],
            "queryString": [
                {"name": p.partition("=")[0], "value": p.partition("=")[2]}
                for p in query.split("&")
                if query
            ],
            "cookies": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": status,
            "statusText": {
                101: "Switching Protocols",
                200: "OK",
                400: "Bad Request",
                401: "Unauthorized",
                403: "Forbidden",
            }.get(status, ""),
            "httpVersion": "HTTP/1.1",
            "headers": [],
            "cookies": [],
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_transferSize": 0,
            "_error": None if status else "net::ERR_CONNECTION_RESET",
        },
        "serverIPAddress": "",
        "startedDateTime": at(after),
        "time": 41.3,
        "timings": {
            "blocked": 1.2,
            "dns": -1,
            "ssl": -1,
            "connect": -1,
            "send": 0.1,
            "wait": 39.8,
            "receive": 0.2,
            "_blocked_queueing": 0.9,
        },
    }
    if is_ws:
        entry["_webSocketMessages"] = messages or []
    return entry


def chrome_har(*entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [
                {
                    "startedDateTime": at(0),
                    "id": "page_1",
                    "title": f"https://{DEPLOYED}/",
                    "pageTimings": {"onContentLoad": 312.4, "onLoad": 498.1},
                }
            ],
            "entries": list(entries),
        }
    }


def ws_url(query: str, path: str = "/websocket") -> str:
    return f"wss://{DEPLOYED}{path}" + (f"?{query}" if query else "")
