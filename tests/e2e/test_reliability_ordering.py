"""Figures R3 and R4: inside a room one frame at a time (no lost updates, one order for every
subscriber); between rooms no waiting (a slow query in one room barely touches another)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from tests.conftest import Nano, wait_for
from tests.reliability import HOOKS, report, scaled

SLOW_SQL = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500000) "
    "SELECT count(*) AS n FROM c"
)


async def increments(ws: aiohttp.ClientWebSocketResponse, n: int, tag: str) -> list[int]:
    for i in range(n):
        await ws.send_json({"action": "rpc", "method": "incr", "requestId": f"{tag}-{i}"})
    values = []
    while len(values) < n:
        frame = await ws.receive_json(timeout=30)
        if frame.get("type") == "mutation_success":
            values.append(frame["data"]["value"])
    return values


async def updates(ws: aiohttp.ClientWebSocketResponse, n: int) -> list[int]:
    seen = []
    while len(seen) < n:
        frame = await ws.receive_json(timeout=30)
        if frame.get("event") == "update":
            seen.append(frame["row"]["value"])
    return seen


@pytest.mark.timeout(300)
async def test_concurrent_increments_are_serial_and_seen_in_one_order(
    make_nano: Callable[..., Awaitable[Nano]],
) -> None:
    clients, total = scaled(8, 32), 10_000
    nano = await make_nano(hooks=HOOKS, record=False)
    await wait_for(lambda: nano.core.methods.get("incr") is not None)
    subs = [await nano.connect("counter-room") for _ in range(3)]
    for ws in subs:
        await ws.send_json({"action": "subscribe", "table": "counter"})
    await asyncio.sleep(0.1)
    writers = [await nano.connect("counter-room") for _ in range(clients)]
    started = time.perf_counter()
    results = await asyncio.gather(
        *(increments(ws, total // clients, f"c{i}") for i, ws in enumerate(writers)),
        *(updates(ws, total) for ws in subs),
    )
    elapsed = time.perf_counter() - started
    acked = sorted(v for r in results[:clients] for v in r)
    assert acked == list(range(1, total + 1)), "lost or duplicated increments"
    seen = results[clients:]
    for sequence in seen:
        assert sequence == list(range(1, total + 1)), "a subscriber saw a gap or a reordering"
    final = (
        nano.core.rooms.rooms["counter-room"]
        .store.db.execute("SELECT value FROM counter WHERE id = 1")
        .fetchone()
    )
    assert final["value"] == total
    report(
        "R3",
        clients=clients,
        increments=total,
        final=total,
        lost=0,
        subscribers=len(subs),
        identical_sequences=True,
        seconds=round(elapsed, 2),
    )


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * 0.99), len(ordered) - 1)]


async def round_trips(ws: aiohttp.ClientWebSocketResponse, n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        await ws.send_json({"action": "ping"})
        frame = await ws.receive_json(timeout=10)
        assert frame["type"] == "pong"
        times.append((time.perf_counter() - start) * 1000)
        await asyncio.sleep(0.002)
    return times


async def keep_busy(ws: aiohttp.ClientWebSocketResponse, stop: asyncio.Event) -> int:
    done = 0
    while not stop.is_set():
        await ws.send_json(
            {
                "action": "rpc",
                "method": "executeSQL",
                "requestId": f"s{done}",
                "payload": {"sql": SLOW_SQL},
            }
        )
        frame = await ws.receive_json(timeout=30)
        assert frame.get("type") == "query_result", frame
        done += 1
    return done


@pytest.mark.timeout(300)
async def test_a_slow_room_adds_under_5ms_p99_to_another(
    make_nano: Callable[..., Awaitable[Nano]],
) -> None:
    samples = scaled(400, 4000)
    nano = await make_nano(record=False)
    busy, other = await nano.connect("busy-room"), await nano.connect("other-room")
    await round_trips(other, 50)  # warm up
    baseline = await round_trips(other, samples)
    stop = asyncio.Event()
    worker = asyncio.create_task(keep_busy(busy, stop))
    await asyncio.sleep(0.2)
    loaded = await round_trips(other, samples)
    stop.set()
    slow_queries = await worker
    added = p99(loaded) - p99(baseline)
    report(
        "R4",
        samples=samples,
        baseline_p99_ms=round(p99(baseline), 3),
        busy_p99_ms=round(p99(loaded), 3),
        added_p99_ms=round(added, 3),
        slow_queries=slow_queries,
    )
    assert slow_queries >= 1
    assert added < 5.0, f"another room's p99 grew by {added:.2f} ms"
