"""Benchmark harness: start servers as real processes on loopback, drive them with an aiohttp
load client, measure latency, throughput, fan-out, memory and descriptors.

Every loop is bounded in count and in time, and every target is 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(round(q / 100 * (len(ordered) - 1)), len(ordered) - 1)
    return ordered[index]


@dataclass
class Server:
    """A server process under test and the URL a client connects to."""

    name: str
    proc: subprocess.Popen[bytes]
    ws_url: str
    spawned_at: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ps(self) -> psutil.Process:
        return psutil.Process(self.proc.pid)

    def rss(self) -> int:
        return int(self.ps.memory_info().rss)

    def fds(self) -> int:
        return int(self.ps.num_fds())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def seed_key(state_dir: Path, key: str = "nk_bench_key") -> str:
    """Create the benchmark key directly in the state directory (no server needed)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nanodev",
            "keys",
            "create",
            "--user",
            "bench@example.com",
            "--id",
            key,
            "--never-expires",
            "--state-dir",
            str(state_dir),
            "--json",
        ],
        check=True,
        capture_output=True,
    )
    return key


def compile_bytecode() -> None:
    """Write nanodev's bytecode as `pip install` does for a wheel, so start-up is measured as
    users run it: an editable checkout under `PYTHONDONTWRITEBYTECODE=1` would otherwise
    compile every module from source at each spawn (the libraries' bytecode is installed)."""
    import compileall  # noqa: PLC0415 - only the benchmarks that spawn nanodev need it

    compileall.compile_dir(ROOT / "nanodev", quiet=1)


def start_nanodev(
    extra_args: tuple[str, ...] = (),
    state_dir: Path | None = None,
    pythonpath: Path | None = None,
) -> Server:
    """`python -m nanodev up` on a free port; with `pythonpath`, another tree's nanodev."""
    state = state_dir or Path(tempfile.mkdtemp(prefix="nanodev-bench-"))
    key = seed_key(state)
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "nanodev",
        "up",
        "--port",
        str(port),
        "--worker-port",
        "0",
        "--state-dir",
        str(state),
        "--quiet",
        *extra_args,
    ]
    spawned = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(pythonpath)} if pythonpath else None
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=state, env=env
    )
    url = f"ws://{HOST}:{port}/__ws/websocket?key={key}&room_id="
    return Server("nanodev", proc, url, spawned, {"state": state, "port": port})


def start_bare() -> Server:
    port = free_port()
    spawned = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "bare_server.py"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return Server(
        "bare aiohttp", proc, f"ws://{HOST}:{port}/websocket?room_id=", spawned, {"port": port}
    )


async def first_handshake_ms(server: Server, timeout: float = 20.0) -> float:
    """Spawn → first accepted handshake (the `reset` frame received)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.ws_connect(server.ws_url + "warm-room") as ws:
                    await ws.receive(timeout=5)
                    return (time.perf_counter() - server.spawned_at) * 1000
            except (aiohttp.ClientError, OSError):
                await asyncio.sleep(0.005)
    raise TimeoutError(f"{server.name} never accepted a handshake")


async def handshake_latency(server: Server, n: int = 300) -> list[float]:
    """Sequential handshakes, each timed from connect to the first frame."""
    out: list[float] = []
    async with aiohttp.ClientSession() as http:
        for i in range(n):
            start = time.perf_counter()
            async with http.ws_connect(server.ws_url + f"hs-room-{i % 10}") as ws:
                await ws.receive(timeout=5)
                out.append((time.perf_counter() - start) * 1000)
    return out


async def ping_rtt(server: Server, n: int = 2000) -> list[float]:
    """One ping at a time: the round trip of a single message."""
    out: list[float] = []
    async with aiohttp.ClientSession() as http, http.ws_connect(server.ws_url + "rtt-room") as ws:
        await ws.receive(timeout=5)
        for _ in range(n):
            start = time.perf_counter()
            await ws.send_str('{"action":"ping"}')
            await ws.receive(timeout=5)
            out.append((time.perf_counter() - start) * 1000)
    return out


async def pipelined(server: Server, total: int = 40_000, window: int = 64) -> float:
    """Messages per second with `window` pings in flight on one socket."""
    async with aiohttp.ClientSession() as http, http.ws_connect(server.ws_url + "pipe-room") as ws:
        await ws.receive(timeout=5)
        sent = received = 0
        start = time.perf_counter()
        while sent < min(window, total):
            await ws.send_str('{"action":"ping"}')
            sent += 1
        while received < total:
            await ws.receive(timeout=10)
            received += 1
            if sent < total:
                await ws.send_str('{"action":"ping"}')
                sent += 1
        return total / (time.perf_counter() - start)


async def fanout(server: Server, subscribers: int, rounds: int = 30) -> list[float]:
    """Time from one writer's insert until every subscriber has the update."""
    room = f"fan-{subscribers}"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        subs = await _open_many(http, server.ws_url + room, subscribers)
        for ws in subs:
            await ws.send_str('{"action":"subscribe","table":"tasks"}')
        writer = await http.ws_connect(server.ws_url + room)
        await writer.receive(timeout=5)
        await _sync(writer)
        for ws in subs:
            await _sync(ws)
        out: list[float] = []
        for i in range(rounds):
            msg = json.dumps(
                {
                    "action": "rpc",
                    "method": "batchInsert",
                    "requestId": f"f{i}",
                    "payload": {"table": "tasks", "rows": [{"title": f"t{i}"}]},
                }
            )
            start = time.perf_counter()
            await writer.send_str(msg)
            await asyncio.gather(*(_until_update(ws) for ws in subs))
            out.append((time.perf_counter() - start) * 1000)
            await _drain_until(writer, f"f{i}")
        await writer.close()
        await asyncio.gather(*(ws.close() for ws in subs))
        return out


async def _sync(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_str('{"action":"ping"}')
    while True:
        msg = await ws.receive(timeout=10)
        if msg.data == '{"type":"pong"}':
            return


async def _until_update(ws: aiohttp.ClientWebSocketResponse) -> None:
    while True:
        msg = await ws.receive(timeout=10)
        if isinstance(msg.data, str) and '"event"' in msg.data:
            return


async def _drain_until(ws: aiohttp.ClientWebSocketResponse, request_id: str) -> None:
    while True:
        msg = await ws.receive(timeout=10)
        if isinstance(msg.data, str) and request_id in msg.data:
            return


async def _open_many(
    http: aiohttp.ClientSession, url: str, n: int, concurrency: int = 50
) -> list[aiohttp.ClientWebSocketResponse]:
    gate = asyncio.Semaphore(concurrency)

    async def one() -> aiohttp.ClientWebSocketResponse:
        async with gate:
            ws = await http.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=5))
            await ws.receive(timeout=10)
            return ws

    return list(await asyncio.gather(*(one() for _ in range(n))))


async def idle_sockets(
    server: Server, n: int, hold_s: float = 10.0, rooms: int = 100
) -> dict[str, Any]:
    """Hold n idle sockets (spread over rooms) for hold_s; count drops, RSS and descriptors."""
    rss0, fds0 = server.rss(), server.fds()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        gate = asyncio.Semaphore(64)

        async def one(i: int) -> aiohttp.ClientWebSocketResponse:
            async with gate:
                ws = await http.ws_connect(server.ws_url + f"idle-{i % rooms}", autoping=True)
                await ws.receive(timeout=30)
                return ws

        start = time.perf_counter()
        sockets = list(await asyncio.gather(*(one(i) for i in range(n))))
        open_s = time.perf_counter() - start
        await asyncio.sleep(hold_s)
        rss1, fds1 = server.rss(), server.fds()
        dropped = sum(1 for ws in sockets if ws.closed)
        await asyncio.gather(*(ws.close() for ws in sockets))
    await asyncio.sleep(1.0)
    return {
        "sockets": n,
        "dropped": dropped,
        "open_s": round(open_s, 2),
        "rss_mb": round(rss1 / 2**20, 1),
        "rss_per_socket_kb": round((rss1 - rss0) / n / 1024, 2),
        "fds_per_socket": round((fds1 - fds0) / n, 3),
        "fds_after_close": server.fds() - fds0,
    }


def run(coro: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(coro())  # type: ignore[arg-type]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(pct(values, 50), 3),
        "p95": round(pct(values, 95), 3),
        "mean": round(statistics.fmean(values), 3) if values else float("nan"),
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def environment() -> dict[str, Any]:
    import aiohttp as _aiohttp  # noqa: PLC0415 - version only

    return {
        "python": sys.version.split()[0],
        "aiohttp": _aiohttp.__version__,
        "cpus": os.cpu_count(),
        "machine": os.uname().machine,
    }


NODE_DIR = ROOT / "benchmarks" / "node"


def node_client_ready() -> bool:
    """The Node load client (npm `ws`), installed on first use; False where Node is missing."""
    if not (NODE_DIR / "node_modules" / "ws").exists():
        try:
            subprocess.run(
                ["npm", "ci", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund", "--silent"],
                check=True,
                capture_output=True,
                timeout=300,
            )
        except (OSError, subprocess.SubprocessError):
            return False
    return True


async def node_scenario(server: Server, scenario: str, count: int, extra: int = 0) -> Any:
    """Run one scenario of benchmarks/node/loadclient.mjs against `server` (bounded: 10 min)."""
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(NODE_DIR / "loadclient.mjs"),
        scenario,
        server.ws_url,
        str(count),
        str(extra),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"load client failed: {err.decode()[-2000:]}")
    return json.loads(out.decode().strip().splitlines()[-1])
