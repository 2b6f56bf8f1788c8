"""Figures R1/R7: a soak against a real `nanodev up`.

Sockets spread over 50 rooms hold for a while; every socket pings now and then and subscribes
to `tasks`, and one writer per room inserts a row with a sequence number about once a second
(a real write, then a broadcast). Pass: no socket closed that the test did not close, every
socket saw every sequence number of its room once and in order, the server's RSS stays
bounded (also under a stream of large request bodies), and its open descriptors come back to
the baseline once the clients leave and the idle rooms release their SQLite files.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import pytest

from tests.conftest import Proc
from tests.procwatch import Usage, keep_reading, mib, stop_and_collect
from tests.reliability import report, scaled

ROOMS = 50
WRITE_EVERY_S = 1.0
PING_EVERY_S = 5.0
UPLOAD_BYTES = 256 << 10
MAX_RSS_GROWTH_MIB = 50  # R7's bound, for the load phase and again for the uploads
FD_SLACK = 5


@dataclass
class Client:
    ws: aiohttp.ClientWebSocketResponse
    room: int
    seqs: list[int] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    pings: int = 0
    pongs: int = 0
    leaving: bool = False
    unexpected_close: str = ""


async def listen(client: Client) -> None:
    """The socket's only reader: sequence numbers, fan-out latency, pongs, unexpected ends."""
    async for msg in client.ws:
        if msg.type is not aiohttp.WSMsgType.TEXT:
            break
        frame = json.loads(msg.data)
        if frame.get("event") == "update" and frame.get("table") == "tasks":
            row = frame["row"]
            client.seqs.append(int(row["title"]))
            client.latencies_ms.append((time.time() - float(row["status"])) * 1000)
        elif frame.get("type") == "pong":
            client.pongs += 1
    if not client.leaving:
        client.unexpected_close = f"{client.ws.close_code} {client.ws.exception()!r}"


async def connect(session: aiohttp.ClientSession, url: str, room: int) -> Client:
    ws = await session.ws_connect(url, heartbeat=None)
    assert (await ws.receive_json(timeout=30))["type"] == "reset"
    await ws.send_json({"action": "subscribe", "table": "tasks"})
    await ws.send_json({"action": "ping"})  # frames run in order: the pong means subscribed
    assert (await ws.receive_json(timeout=30))["type"] == "pong"
    return Client(ws, room)


async def pinger(client: Client, until: float, rng: random.Random) -> None:
    await asyncio.sleep(rng.uniform(0, PING_EVERY_S))
    while time.monotonic() < until:
        await client.ws.send_json({"action": "ping"})
        client.pings += 1
        await asyncio.sleep(PING_EVERY_S)


async def writer(client: Client, until: float, rng: random.Random) -> int:
    """Insert rows 1, 2, … about once a second; return the last sequence number sent."""
    await asyncio.sleep(rng.uniform(0, WRITE_EVERY_S))
    seq = 0
    while time.monotonic() < until:
        seq += 1
        row = {"title": str(seq), "status": repr(time.time())}
        await client.ws.send_json(
            {
                "action": "rpc",
                "method": "batchInsert",
                "requestId": f"w{seq}",
                "payload": {"table": "tasks", "rows": [row]},
            }
        )
        await asyncio.sleep(WRITE_EVERY_S)
    return seq


async def all_seen(clients: list[Client], last: dict[int, int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(len(c.seqs) >= last[c.room] or c.unexpected_close for c in clients):
            return
        await asyncio.sleep(0.1)


async def uploads(base: str, count: int) -> int:
    """Large request bodies the server must read in full (sign-in with a body that is not
    JSON); the number answered 400."""
    body = b"x" * UPLOAD_BYTES
    url = base + "/api/auth/sign-in/email"
    answered = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=8)) as session:

        async def one() -> None:
            nonlocal answered
            async with session.post(url, data=body) as resp:
                await resp.read()
                answered += resp.status == 400

        for start in range(0, count, 8):
            await asyncio.gather(*(one() for _ in range(min(8, count - start))))
    return answered


async def fds_back(usage: Usage, baseline: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if usage.fds() <= baseline + FD_SLACK:
            break
        await asyncio.sleep(0.25)
    return usage.fds()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * p), len(ordered) - 1)] if ordered else 0.0


@dataclass
class Load:
    clients: list[Client]
    last: dict[int, int]  # room → last sequence number written
    rss_loaded: int
    fds_loaded: int
    rss_end: int


async def hold(proc: Proc, usage: Usage, key: str, sockets: int, seconds: int) -> Load:
    """Open the sockets, ping and write for `seconds`, wait for the last broadcasts, leave."""
    rng = random.Random(7)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        clients = await connect_all(session, proc, key, sockets)
        listeners = [asyncio.create_task(listen(c)) for c in clients]
        stop_sampling = asyncio.Event()
        sampler = asyncio.create_task(usage.sample_until(stop_sampling))
        rss_loaded, fds_loaded = usage.rss(), usage.fds()
        until = time.monotonic() + seconds
        writers = {c.room: c for c in clients}  # the last socket of each room writes
        pingers = [asyncio.create_task(pinger(c, until, rng)) for c in clients]
        sent = await asyncio.gather(*(writer(c, until, rng) for c in writers.values()))
        last = dict(zip(writers, sent, strict=True))
        await asyncio.gather(*pingers)
        await all_seen(clients, last, timeout=30)
        rss_end = usage.rss()
        for c in clients:
            c.leaving = True
        await asyncio.gather(*(c.ws.close() for c in clients))
        await asyncio.gather(*listeners)
        stop_sampling.set()
        await sampler
    return Load(clients, last, rss_loaded, fds_loaded, rss_end)


@pytest.mark.timeout(scaled(150, 600))
async def test_soak_sockets_over_50_rooms(
    nanodev_proc: Callable[..., Proc], monkeypatch: pytest.MonkeyPatch
) -> None:
    sockets, seconds = scaled(300, 1000), scaled(20, 120)
    upload_count = scaled(400, 4000)
    monkeypatch.setenv("NANODEV_ROOM_IDLE_SECONDS", "1")  # rooms let go of their files soon
    proc = nanodev_proc("--quiet")
    reader = keep_reading(proc)
    assert proc.proc is not None
    usage = Usage(proc.proc.pid)
    key = proc.cli("keys", "create", "--user", "soak@example.com")["id"]
    fds_baseline, rss_baseline = usage.fds(), usage.rss()
    load = await hold(proc, usage, key, sockets, seconds)
    fds_after = await fds_back(usage, fds_baseline, timeout=15)
    rss_before_uploads = usage.rss()
    answered = await uploads(proc.page_url, upload_count)
    rss_after_uploads = usage.rss()
    clients, last = load.clients, load.last
    unexpected = [c.unexpected_close for c in clients if c.unexpected_close]
    wrong = [c for c in clients if c.seqs != list(range(1, last[c.room] + 1))]
    latencies = [ms for c in clients for ms in c.latencies_ms]
    exit_code = stop_and_collect(proc, reader)
    result = report(
        "R1-R7-soak",
        sockets=sockets,
        rooms=ROOMS,
        seconds=seconds,
        broadcasts_sent=sum(last.values()),
        broadcasts_received=len(latencies),
        pings=sum(c.pings for c in clients),
        pongs=sum(c.pongs for c in clients),
        unexpected_closes=len(unexpected),
        sequence_errors=len(wrong),
        fanout_p50_ms=round(percentile(latencies, 0.5), 2),
        fanout_p99_ms=round(percentile(latencies, 0.99), 2),
        rss_baseline_mib=mib(rss_baseline),
        rss_loaded_mib=mib(load.rss_loaded),
        rss_end_mib=mib(load.rss_end),
        rss_peak_mib=mib(max(usage.samples)),
        fds_baseline=fds_baseline,
        fds_with_clients=load.fds_loaded,
        fds_after_leave=fds_after,
        uploads=upload_count,
        upload_bytes=UPLOAD_BYTES,
        uploads_answered_400=answered,
        rss_before_uploads_mib=mib(rss_before_uploads),
        rss_after_uploads_mib=mib(rss_after_uploads),
    )
    assert exit_code == 0, "".join(proc.output)[-4000:]
    assert not unexpected, unexpected[:5]
    assert not wrong, [(c.room, c.seqs[:10], last[c.room]) for c in wrong[:3]]
    assert result["pongs"] == result["pings"]
    assert load.rss_end - load.rss_loaded < MAX_RSS_GROWTH_MIB << 20, result
    assert fds_after <= fds_baseline + FD_SLACK, result
    assert answered == upload_count
    assert rss_after_uploads - rss_before_uploads < MAX_RSS_GROWTH_MIB << 20, result
    assert "Traceback" not in "".join(proc.output)


async def connect_all(
    session: aiohttp.ClientSession, proc: Proc, key: str, sockets: int
) -> list[Client]:
    """Open the sockets a few at a time, room i % 50 for socket i."""
    gate = asyncio.Semaphore(16)

    async def one(i: int) -> Client:
        async with gate:
            room = i % ROOMS
            return await connect(session, proc.ws_url(room_id=f"soak-{room}", key=key), room)

    return list(await asyncio.gather(*(one(i) for i in range(sockets))))
