"""Room hibernation (figure R5): the Room object and its in-memory state go, sockets and their
attachments stay; the next frame constructs a fresh Room and is then delivered."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from nanodev.record.events import RoomChanged
from nanodev.rooms.attachments import AttachmentError, encode_attachment
from tests.conftest import Nano, rpc, wait_for
from tests.reliability import HOOKS, report

ORIGIN_HEADERS = {"Content-Type": "application/json"}


async def hibernate(nano: Nano, room: str) -> dict[str, object]:
    resp = await nano.session.post(
        f"{nano.base}/__nanodev/api/rooms/{room}/hibernate", json={}, headers={"Origin": nano.base}
    )
    body: dict[str, object] = await resp.json()
    assert resp.status == 200, body
    return body


@pytest.fixture
async def hnano(make_nano: Callable[..., Awaitable[Nano]]) -> Nano:
    nano = await make_nano(hooks=HOOKS)
    await wait_for(lambda: nano.core.methods.get("incr") is not None)
    return nano


def test_attachment_limit_is_the_platforms() -> None:
    assert encode_attachment(None) is None
    assert encode_attachment({"a": "x" * 2000}) is not None
    with pytest.raises(AttachmentError, match="2048"):
        encode_attachment("x" * 2047)  # 2,049 bytes with its quotes
    with pytest.raises(AttachmentError, match="JSON"):
        encode_attachment({1, 2})


async def test_hibernate_keeps_sockets_and_attachments_and_resets_memory(hnano: Nano) -> None:
    nano = hnano
    sockets = [await nano.connect("sleepy") for _ in range(3)]
    for i, ws in enumerate(sockets):
        frame, _ = await rpc(ws, "setAttachment", {"value": {"cursor": i, "name": f"s{i}"}})
        assert frame["data"] is True
    await rpc(sockets[0], "remember", {"value": 42})
    await sockets[0].send_json({"action": "subscribe", "table": "tasks"})
    frame, _ = await rpc(sockets[0], "getAttachment")
    assert frame["memory"] == ["remembered"] and frame["subscriptions"] == ["tasks"]
    before = nano.core.rooms.constructed

    body = await hibernate(nano, "sleepy")
    assert body["sockets"] == 3
    assert "sleepy" not in nano.core.rooms.rooms and "sleepy" in nano.core.rooms.sleeping
    assert all(not ws.closed for ws in sockets)

    for i, ws in enumerate(sockets):
        frame, _ = await rpc(ws, "getAttachment", request_id=f"g{i}")
        assert frame["data"] == {"cursor": i, "name": f"s{i}"}
        assert frame["memory"] == []  # in-memory state was dropped
        assert frame["subscriptions"] == []
    assert nano.core.rooms.constructed == before + 1  # one wake, one constructor run
    states = [e.state for _, e in nano.core.recorder.events if isinstance(e, RoomChanged)]
    assert states[-3:] == ["hibernated", "opened", "woken"]
    view = await (await nano.get("/__nanodev/api/rooms")).json()
    room = next(r for r in view["rooms"] if r["id"] == "sleepy")
    assert room["state"] == "awake" and room["woken_at"] >= room["hibernated_at"]
    report("R5", sockets=3, attachments_restored=3, constructed_delta=1)


async def test_attachment_over_2048_bytes_is_refused_with_a_clear_error(hnano: Nano) -> None:
    ws = await hnano.connect("big")
    frame, _ = await rpc(ws, "setAttachment", {"value": "x" * 3000})
    assert frame["code"] == "ATTACHMENT_TOO_LARGE" and "2048" in frame["error"]


async def test_socket_closing_while_asleep_does_not_wake_the_room(hnano: Nano) -> None:
    nano = hnano
    a, b = await nano.connect("nap"), await nano.connect("nap")
    await hibernate(nano, "nap")
    before = nano.core.rooms.constructed
    await a.close()
    await wait_for(lambda: len(nano.core.rooms.sleeping["nap"]) == 1)
    assert nano.core.rooms.constructed == before
    await b.send_json({"action": "ping"})
    assert (await b.receive_json(timeout=5))["type"] == "pong"
    assert nano.core.rooms.constructed == before + 1


async def test_new_socket_wakes_a_hibernated_room_and_joins_the_kept_ones(hnano: Nano) -> None:
    nano = hnano
    old = await nano.connect("shared")
    await hibernate(nano, "shared")
    new = await nano.connect("shared")
    room = nano.core.rooms.rooms["shared"]
    assert len(room.sockets) == 2
    await old.send_json({"action": "subscribe", "table": "counter"})
    await rpc(new, "incr")
    frame = await old.receive_json(timeout=5)
    assert frame["event"] == "update" and frame["row"]["value"] == 1


async def test_idle_room_hibernates_after_the_setting(
    make_nano: Callable[..., Awaitable[Nano]],
) -> None:
    nano = await make_nano(hibernate_after=0.2)
    ws = await nano.connect("idle")
    await wait_for(lambda: "idle" in nano.core.rooms.sleeping, timeout=5)
    await ws.send_json({"action": "ping"})
    assert (await ws.receive_json(timeout=5))["type"] == "pong"
    assert "idle" in nano.core.rooms.rooms or "idle" in nano.core.rooms.sleeping


async def test_inspector_hibernate_is_a_same_origin_post(hnano: Nano) -> None:
    nano = hnano
    await nano.connect("guarded")
    url = f"{nano.base}/__nanodev/api/rooms/guarded/hibernate"
    foreign = await nano.session.post(url, json={}, headers={"Origin": "http://evil.example"})
    assert foreign.status == 403
    assert (await nano.session.get(url)).status in (404, 405)
    assert "guarded" in nano.core.rooms.rooms
    await asyncio.sleep(0)
