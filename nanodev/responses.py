"""Responses and request bodies as the Worker and its Durable Object write and read them:
`new Response(text)`, `Response.json(value)`, the security headers the original adds to some
families (reference §1.2), and `await request.json()`.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from nanodev.jsjson import stringify

SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-XSS-Protection": "1; mode=block",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=(), microphone=(), camera=()",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' "
        "'unsafe-inline'; img-src 'self' data: https:; font-src 'self'; connect-src 'self' "
        "wss: https:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}


def text(status: int, body: str, *, secure: bool = False) -> web.Response:
    """`new Response("…")`: text/plain;charset=UTF-8."""
    headers = dict(SECURITY_HEADERS) if secure else None
    return web.Response(status=status, text=body, charset="UTF-8", headers=headers)


def jsonr(status: int, body: Any, *, secure: bool = False) -> web.Response:
    """`Response.json(…)`."""
    headers = dict(SECURITY_HEADERS) if secure else None
    return web.Response(
        status=status, text=stringify(body), content_type="application/json", headers=headers
    )


class BadJson(Exception):
    """The body is not JSON (what `await request.json()` throws on)."""


async def read_json(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return json.loads(raw)
    except ValueError:
        raise BadJson from None


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """A JSON body whose fields the route reads; a non-object counts as an empty one, as
    property access on a JSON array or number finds nothing in JavaScript."""
    body = await read_json(request)
    return body if isinstance(body, dict) else {}
