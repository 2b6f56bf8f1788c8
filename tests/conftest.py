"""Shared fixtures: one factory for in-process servers, one for real `nanodev up` processes.

Both listen on ephemeral loopback ports and keep their state in the test's tmp_path.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from nanodev.app import create_app
from nanodev.authdb.seeding import create_key, create_session
from nanodev.core import CORE, Core
from nanodev.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "output"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Nano:
    """A running in-process nanodev and helpers to talk to it."""

    server: TestServer
    app: web.Application
    session: aiohttp.ClientSession
    sockets: list[aiohttp.ClientWebSocketResponse] = field(default_factory=list)

    @property
    def core(self) -> Core:
        return self.app[CORE]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def ws_url(self, path: str = "/__ws/websocket", **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"ws://127.0.0.1:{self.server.port}{path}" + (f"?{query}" if query else "")

    async def key(self, email: str = "dev@example.com", **kw: Any) -> str:
        row = await create_key(self.core.db, self.core.settings.state_dir, email, **kw)
        return str(row["id"])

    async def cookie(self, email: str = "dev@example.com", ttl_s: int = 3600) -> str:
        seed = await create_session(self.core.db, self.core.settings.state_dir, email, ttl_s)
        return seed.cookie

    async def connect(
        self, room: str = "test-room", key: str | None = None, **kw: Any
    ) -> aiohttp.ClientWebSocketResponse:
        key = key or await self.key()
        ws = await self.session.ws_connect(self.ws_url(room_id=room, key=key), **kw)
        self.sockets.append(ws)
        first = await ws.receive_json(timeout=5)
        assert first == {"type": "reset"}
        return ws

    async def get(self, path: str, **kw: Any) -> aiohttp.ClientResponse:
        return await self.session.get(self.base + path, **kw)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "state_dir": tmp_path / "state",
            "port": 0,
            "worker_port": 0,
            "log_requests": False,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
async def make_nano(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[Callable[..., Awaitable[Nano]]]:
    made: list[Nano] = []

    async def make(**overrides: Any) -> Nano:
        app = create_app(make_settings(**overrides))
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        nano = Nano(server, app, aiohttp.ClientSession())
        made.append(nano)
        return nano

    yield make
    for nano in made:
        for ws in nano.sockets:
            await ws.close()
        await nano.session.close()
        await nano.server.close()


@pytest.fixture
async def nano(make_nano: Callable[..., Awaitable[Nano]]) -> Nano:
    return await make_nano()


async def recv_until(
    ws: aiohttp.ClientWebSocketResponse,
    pred: Callable[[dict[str, Any]], bool],
    timeout: float = 5.0,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read frames until one matches; return it and everything read before it."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        frame = await ws.receive_json(timeout=max(deadline - time.monotonic(), 0.01))
        if pred(frame):
            return frame, seen
        seen.append(frame)


async def rpc(
    ws: aiohttp.ClientWebSocketResponse, method: str, payload: Any = None, request_id: str = "r"
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    msg: dict[str, Any] = {"action": "rpc", "method": method, "requestId": request_id}
    if payload is not None:
        msg["payload"] = payload
    await ws.send_json(msg)
    return await recv_until(ws, lambda f: f.get("requestId") == request_id)


# -- real processes -----------------------------------------------------------------------
@dataclass
class Proc:
    """A real `nanodev up` subprocess on ephemeral loopback ports."""

    state_dir: Path
    worker_port: int
    args: list[str]
    port: int = 0
    proc: subprocess.Popen[str] | None = None
    page_url: str = ""
    output: list[str] = field(default_factory=list)
    spawn_to_ready_ms: float = 0.0

    def start(self, timeout: float = 15.0) -> Proc:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        cmd = [
            sys.executable,
            "-m",
            "nanodev",
            "up",
            "--port",
            str(self.port),
            "--worker-port",
            str(self.worker_port),
            "--state-dir",
            str(self.state_dir),
            *self.args,
        ]
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=self.state_dir.parent,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if line.strip().startswith("Page"):
                self.page_url = line.split()[1].rstrip("/")
            if "Ctrl-C to stop" in line:
                self.spawn_to_ready_ms = (time.perf_counter() - started) * 1000
                return self
        self.stop()
        raise RuntimeError("nanodev up did not start:\n" + "".join(self.output))

    @property
    def bound_port(self) -> int:
        return int(self.page_url.rsplit(":", 1)[1])

    def ws_url(self, **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return self.page_url.replace("http://", "ws://") + "/__ws/websocket?" + query

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 5.0) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if self.proc.stdout:
            self.output.append(self.proc.stdout.read())
            self.proc.stdout.close()
        self.proc = None
        return code

    def cli(self, *args: str) -> Any:
        out = subprocess.run(
            [sys.executable, "-m", "nanodev", *args, "--state-dir", str(self.state_dir), "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)


@pytest.fixture
def nanodev_proc(tmp_path: Path) -> Iterator[Callable[..., Proc]]:
    procs: list[Proc] = []

    def make(*args: str) -> Proc:
        proc = Proc(tmp_path / "state", free_port(), list(args))
        procs.append(proc)
        return proc.start()

    yield make
    for proc in procs:
        proc.stop()


def pytest_configure(config: pytest.Config) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)


async def wait_for(pred: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
