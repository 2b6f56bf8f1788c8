"""Figure R6-1013: a socket that stops reading is closed with 1013 and does not stall its room.

The slow reader is a raw TCP client with a tiny receive buffer that completes the handshake,
subscribes, then never reads. The kernel first absorbs a few MB (the server's send buffer
grows to `tcp_wmem`'s maximum on loopback), so the room has to broadcast more than that before
any byte waits in nanodev's own buffer; only then do the limits in `Connection.send` apply.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest

from nanodev.record.events import Closed
from nanodev.rooms.connection import Connection
from tests.conftest import Nano, wait_for
from tests.reliability import RawWS, close_code, report, scaled

ROOM = "slow-room"
RCVBUF = 4096
ROW_BYTES = 40 << 10


@dataclass
class Run:
    round_trips_ms: list[float] = field(default_factory=list)
    broadcasts: int = 0


async def slow_reader(nano: Nano, key: str) -> tuple[RawWS, Connection]:
    """A raw client subscribed to `tasks` that will never read again; and its server side."""
    target = f"/__ws/websocket?room_id={ROOM}&key={key}"
    raw = await asyncio.to_thread(RawWS, nano.server.port, target, None, RCVBUF)
    assert raw.status == 101
    assert (await asyncio.to_thread(raw.recv_json)) == {"type": "reset"}
    await asyncio.to_thread(raw.send_text, json.dumps({"action": "subscribe", "table": "tasks"}))
    room = nano.core.rooms.get(ROOM)
    await wait_for(lambda: len(room.subscribers.get("tasks", ())) == 1)
    (conn,) = room.subscribers["tasks"]
    return raw, conn


async def produce(
    ws: aiohttp.ClientWebSocketResponse, slow: Connection, row_bytes: int, limit: int
) -> Run:
    """Large broadcasts until the slow socket is closed (and a few more), timing each reply."""
    run = Run()
    title = "x" * row_bytes
    extra = scaled(20, 500)  # broadcasts after the close: the room carries on
    for i in range(limit):
        started = time.perf_counter()
        rows = [{"title": title, "status": f"s{i}"}]
        payload = {"table": "tasks", "rows": rows}
        await ws.send_json(
            {"action": "rpc", "method": "batchInsert", "requestId": f"r{i}", "payload": payload}
        )
        while True:
            frame = await ws.receive_json(timeout=10)
            if frame.get("requestId") == f"r{i}":
                break
            run.broadcasts += frame.get("event") == "update"
        assert frame["type"] == "mutation_success", frame
        run.round_trips_ms.append((time.perf_counter() - started) * 1000)
        if slow.closed:
            extra -= 1
            if not extra:
                return run
    raise AssertionError(f"the slow socket was not closed after {limit} broadcasts")


def closed_event(nano: Nano, flow: int) -> Closed | None:
    for _, event in nano.core.recorder.events:
        if isinstance(event, Closed) and event.flow == flow:
            return event
    return None


def read_to_close(raw: RawWS) -> int | None:
    """Drain what the server queued; the last frame must be its close frame."""
    while True:
        opcode, data = raw.recv_frame(timeout=5)
        if opcode == 8:
            return close_code(data)


async def setup(
    make_nano: Callable[..., Awaitable[Nano]], buffer_bytes: int
) -> tuple[Nano, RawWS, Connection, aiohttp.ClientWebSocketResponse]:
    nano = await make_nano(max_socket_buffer_bytes=buffer_bytes, frame_preview_bytes=64)
    key = await nano.key()
    raw, slow = await slow_reader(nano, key)
    producer = await nano.connect(ROOM, key)
    return nano, raw, slow, producer


@pytest.mark.timeout(90)
async def test_a_socket_that_stops_reading_is_closed_1013_without_stalling_its_room(
    make_nano: Callable[..., Awaitable[Nano]],
) -> None:
    # The smallest buffer allowed, and frames under it, so the close comes from the buffer
    # check before the transport ever pauses (the 2 s timed-out send is the next test).
    nano, raw, slow, producer = await setup(make_nano, 64 << 10)
    reader = await nano.connect(ROOM)  # a subscriber that keeps reading
    await reader.send_json({"action": "subscribe", "table": "tasks"})
    await wait_for(lambda: len(nano.core.rooms.get(ROOM).subscribers["tasks"]) == 2)
    seen: list[str] = []
    counted = asyncio.create_task(count_updates(reader, seen))
    run = await produce(producer, slow, ROW_BYTES, 2000)
    wire_code = await asyncio.to_thread(read_to_close, raw)
    raw.close()
    await wait_for(lambda: closed_event(nano, slow.flow) is not None, timeout=10)
    event = closed_event(nano, slow.flow)
    assert event is not None and (event.code, event.by) == (1013, "server"), event
    assert event.reason == "client too slow: send buffer full"
    assert wire_code == 1013
    sent = len(run.round_trips_ms)
    await wait_for(lambda: len(seen) >= sent, timeout=10)
    counted.cancel()
    assert seen == [f"s{i}" for i in range(sent)], "the reading subscriber missed broadcasts"
    ordered = sorted(run.round_trips_ms)
    p99, worst = ordered[int(len(ordered) * 0.99) - 1], ordered[-1]
    report(
        "R6-1013",
        broadcasts=sent,
        broadcast_bytes=ROW_BYTES,
        close_code=event.code,
        wire_close_code=wire_code,
        reader_missed=0,
        p99_round_trip_ms=round(p99, 2),
        max_round_trip_ms=round(worst, 2),
    )
    assert worst < 1000, f"a producer round trip took {worst:.0f} ms while the reader lagged"


async def count_updates(ws: aiohttp.ClientWebSocketResponse, seen: list[str]) -> None:
    async for msg in ws:
        if msg.type is aiohttp.WSMsgType.TEXT:
            frame = json.loads(msg.data)
            if frame.get("event") == "update":
                seen.append(frame["row"]["status"])


@pytest.mark.timeout(90)
async def test_a_slow_reader_behind_a_large_buffer_never_stalls_the_sender(
    make_nano: Callable[..., Awaitable[Nano]],
) -> None:
    """Regression: a send that waited on a paused socket stalled its room, and closing the slow
    socket after a timeout cancelled the *sender's* task; the Closed record said 1000. Sends
    never wait now: the slow socket is closed with 1013 once its buffer is full."""
    # Larger than what the kernel absorbs, so nanodev's own buffer is what fills up.
    nano, raw, slow, producer = await setup(make_nano, 8 << 20)
    run = await produce(producer, slow, 128 << 10, 400)
    assert not producer.closed
    raw.close()
    await wait_for(lambda: closed_event(nano, slow.flow) is not None, timeout=10)
    event = closed_event(nano, slow.flow)
    assert event is not None and (event.code, event.by) == (1013, "server"), event
    assert event.reason == "client too slow: send buffer full"
    assert max(run.round_trips_ms) < 1500  # no wait on the slow client at any point
