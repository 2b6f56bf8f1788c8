"""The socket relay of `--upstream` (nanodev/upstream/sockets.py): what it records of the Worker's
frames, that neither leg negotiates compression, and that the relay holds no task or socket
once a socket ends."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from nanodev.record.events import Closed, Frame
from nanodev.upstream.relay import RELAY
from tests.conftest import Nano, wait_for
from tests.fake_worker import make_app

MakeNano = Callable[..., Awaitable[Nano]]
HANDSHAKES: web.AppKey[list[dict[str, str]]] = web.AppKey("handshakes", list)


@pytest.fixture
async def worker() -> AsyncIterator[TestServer]:
    server = TestServer(make_app(), host="127.0.0.1", port=0)
    await server.start_server()
    yield server
    await server.close()


async def deflating_echo(request: web.Request) -> web.WebSocketResponse:
    """An echo Worker that would accept permessage-deflate if the relay asked for it."""
    request.app[HANDSHAKES].append(dict(request.headers))
    ws = web.WebSocketResponse(compress=True)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            await ws.send_str(msg.data)
    return ws


@pytest.fixture
async def deflating_worker() -> AsyncIterator[TestServer]:
    app = web.Application()
    app[HANDSHAKES] = []
    app.router.add_get("/{tail:.*}", deflating_echo)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield server
    await server.close()


def frames(nano: Nano) -> list[Frame]:
    return [e for _, e in nano.core.recorder.since(0) if isinstance(e, Frame)]


async def test_worker_frames_are_redacted_without_any_credential(
    make_nano: MakeNano, worker: TestServer
) -> None:
    nano = await make_nano(upstream=f"http://127.0.0.1:{worker.port}")
    secret = '{"session_token":"abcdefgh12345678"}'
    async with nano.session.ws_connect(nano.ws_url(room_id="r")) as ws:
        await ws.send_str(secret)
        assert (await ws.receive(timeout=5)).data == secret  # relayed unchanged
    shown = [(f.direction, f.text) for f in frames(nano)]
    assert [d for d, _ in shown] == ["in", "out"]
    assert all("abcdefgh12345678" not in text and "session_token" in text for _, text in shown)


async def test_no_compression_on_either_leg(
    make_nano: MakeNano, deflating_worker: TestServer
) -> None:
    nano = await make_nano(upstream=f"http://127.0.0.1:{deflating_worker.port}")
    async with nano.session.ws_connect(nano.ws_url(room_id="r"), compress=15) as ws:
        assert ws.compress == 0  # nanodev answered the browser without permessage-deflate
        await ws.send_str("x" * 5000)
        assert (await ws.receive(timeout=5)).data == "x" * 5000
    offered = deflating_worker.app[HANDSHAKES][0]  # type: ignore[index]
    assert "Sec-WebSocket-Extensions" not in offered  # and did not offer it to the Worker


async def test_both_legs_send_without_nagle_delay(make_nano: MakeNano, worker: TestServer) -> None:
    nano = await make_nano(upstream=f"http://127.0.0.1:{worker.port}")
    relay = nano.app[RELAY]
    async with nano.session.ws_connect(nano.ws_url(room_id="r")) as ws:
        await ws.send_str("hello")
        assert (await ws.receive(timeout=5)).data == "hello"
        [(down, up)] = relay.ws.sockets.items()
        assert _nodelay(down) and _nodelay(up)  # a small frame leaves at once, both legs


async def test_an_ended_socket_leaves_no_task_or_socket_behind(
    make_nano: MakeNano, worker: TestServer
) -> None:
    nano = await make_nano(upstream=f"http://127.0.0.1:{worker.port}")
    relay = nano.app[RELAY]
    before = _relay_tasks()
    for code in (4001, 4002, 4003):
        ws = await nano.session.ws_connect(nano.ws_url(room_id="r"))
        await ws.send_str("ping")
        await ws.receive(timeout=5)
        await ws.close(code=code)
    await wait_for(lambda: len(_closed(nano)) == 3)
    await wait_for(lambda: not relay.ws.sockets and _relay_tasks() == before)
    assert [c.code for c in _closed(nano)] == [4001, 4002, 4003]


def _closed(nano: Nano) -> list[Closed]:
    return [e for _, e in nano.core.recorder.since(0) if isinstance(e, Closed)]


def _relay_tasks() -> int:
    return sum(1 for t in asyncio.all_tasks() if t.get_name().startswith("upstream-relay:"))


def _nodelay(ws: web.WebSocketResponse | aiohttp.ClientWebSocketResponse) -> bool:
    sock = ws.get_extra_info("socket")
    assert sock is not None
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
