"""Re-handshake a recorded WebSocket request with one change (another key, another room, no
cookie) against nanodev's own listener, and report the new flow beside the original.

The recorded request is redacted, so it cannot be replayed as is. `ReplayVault` keeps the raw
credential headers and query of the last few handshakes in memory only: it is never
serialised, never served and never exported; it exists so the server can dial itself.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import aiohttp
from aiohttp import web

from nanodev.gateway import has_param
from nanodev.record import FLOW

Change = Literal["same", "key", "room", "no_cookie"]
CHANGES: tuple[Change, ...] = ("same", "key", "room", "no_cookie")
KEPT_HEADERS = ("Cookie", "X-Nano-Key", "Origin", "Authorization", "Sec-WebSocket-Protocol")
REPLAY_HEADER = "X-Nanodev-Replay"
VAULT_SIZE = 256
TIMEOUT_S = 5.0
# How long a replayed socket with frames to send waits for the room's answers before closing.
ANSWER_S = 0.3


@dataclass(frozen=True, slots=True)
class Replayable:
    listener: str
    path: str  # raw path as received (before the /__ws rewrite)
    query: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Variant:
    change: Change = "same"
    key: str = ""
    room: str = ""


def apply_variant(original: Replayable, variant: Variant) -> Replayable:
    """The same handshake with one change; pure, so each variant is unit-tested."""
    headers = dict(original.headers)
    query = original.query
    if variant.change == "key":
        headers.pop("X-Nano-Key", None)
        query = set_param(drop_params(query, ("key", "api_key")), "key", variant.key)
    elif variant.change == "room":
        query = set_param(query, "room_id", variant.room)
    elif variant.change == "no_cookie":
        headers.pop("Cookie", None)
    return replace(original, headers=headers, query=query)


def drop_params(query: str, names: tuple[str, ...]) -> str:
    parts = [p for p in query.split("&") if p and p.partition("=")[0] not in names]
    return "&".join(parts)


def set_param(query: str, name: str, value: str) -> str:
    encoded = f"{name}={quote(value, safe='')}"
    if not has_param(query, name):
        return f"{query}&{encoded}" if query else encoded
    parts = [encoded if p.partition("=")[0] == name else p for p in query.split("&")]
    return "&".join(parts)


class ReplayVault:
    """Raw handshakes of recent flows (memory only, bounded) and replay token → new flow."""

    def __init__(self, size: int = VAULT_SIZE) -> None:
        self.size = size
        self.handshakes: OrderedDict[int, Replayable] = OrderedDict()
        self.replays: OrderedDict[str, int] = OrderedDict()

    def get(self, flow_id: int) -> Replayable | None:
        return self.handshakes.get(flow_id)

    def clear(self) -> None:
        self.handshakes.clear()
        self.replays.clear()

    async def capture(self, request: web.Request, response: web.StreamResponse) -> None:
        """on_response_prepare: by now the gateway has given the request its flow id."""
        flow = request.get(FLOW)
        if flow is None or request.headers.get("Upgrade", "").lower() != "websocket":
            return
        headers = {h: request.headers[h] for h in KEPT_HEADERS if h in request.headers}
        self.handshakes[flow.flow] = Replayable(
            flow.listener, request.rel_url.raw_path, request.query_string, headers
        )
        _trim(self.handshakes, self.size)
        token = request.headers.get(REPLAY_HEADER)
        if token:
            self.replays[token] = flow.flow
            _trim(self.replays, self.size)


K = TypeVar("K")
V = TypeVar("V")


def _trim(table: OrderedDict[K, V], size: int) -> None:
    while len(table) > size:
        table.popitem(last=False)


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    status: int | None
    flow: int | None
    error: str = ""
    close_code: int | None = None


async def rehandshake(
    vault: ReplayVault,
    port: int,
    request: Replayable,
    frames: tuple[str, ...] = (),
    method: str = "GET",
) -> ReplayOutcome:
    """Perform the handshake for real over loopback. When it is accepted, send `frames`, give
    the room a moment to answer (the answers are recorded on the new flow), then close."""
    token = secrets.token_hex(8)
    url = f"http://127.0.0.1:{port}{request.path}" + (f"?{request.query}" if request.query else "")
    headers = {**request.headers, REPLAY_HEADER: token}
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    status: int | None = None
    close_code: int | None = None
    error = ""
    async with aiohttp.ClientSession(timeout=timeout) as session:
        try:
            if method != "GET":  # not a handshake any client would send: ask it as plain HTTP
                status = await _plain(session, method, url, headers)
            else:
                ws = await session.ws_connect(url, headers=headers, autoping=False)
                status = 101
                close_code = await _converse(ws, frames)
        except aiohttp.WSServerHandshakeError as exc:
            status = exc.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"
    return ReplayOutcome(status, vault.replays.get(token), error, close_code)


async def _plain(session: aiohttp.ClientSession, method: str, url: str, headers: Any) -> int:
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13"}
    upgrade["Sec-WebSocket-Key"] = "dGhlIHNhbXBsZSBub25jZQ=="
    async with session.request(method, url, headers={**headers, **upgrade}) as response:
        await response.read()
        return response.status


async def _converse(ws: aiohttp.ClientWebSocketResponse, frames: tuple[str, ...]) -> int | None:
    """Send the frames, give the room time to answer (the server records its answers), close.

    A timed-out receive would mark the socket abnormally closed, so this waits instead."""
    for text in frames:
        await ws.send_str(text)
    if frames:
        await asyncio.sleep(ANSWER_S)
    await ws.close()
    return ws.close_code
