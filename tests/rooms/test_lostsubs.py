"""Hibernation drops table subscriptions, as on the platform; the inspector says so when the
room hibernates and on the first update each socket then misses."""

from __future__ import annotations

from nanodev.record import Note
from nanodev.record.events import RoomChanged
from nanodev.rooms.lostsubs import hibernated_detail, missed_update
from tests.conftest import Nano, rpc


def test_sentences_name_the_tables_and_what_to_send() -> None:
    assert hibernated_detail("idle", 2, {}) == "idle; 2 socket(s)"
    text = missed_update("notes", "tasks", "added")
    assert "did not get the update to tasks (added)" in text and "room notes hibernated" in text
    assert '{"action":"subscribe","table":"tasks"}' in text and "as on the platform" in text


async def test_a_hibernated_rooms_sockets_miss_updates_until_they_subscribe_again(
    nano: Nano,
) -> None:
    watcher, writer = await nano.connect("nap-room"), await nano.connect("nap-room")
    await watcher.send_json({"action": "subscribe", "table": "tasks"})
    await rpc(watcher, "getSchema", request_id="s")  # the subscribe was handled before this
    watcher_flow = next(c.flow for c in nano.core.rooms.get("nap-room").sockets if c.subscriptions)
    assert nano.core.rooms.hibernate("nap-room", "test")
    changed = [e for _, e in nano.core.recorder.since(0) if isinstance(e, RoomChanged)]
    detail = changed[-1].detail
    assert f"flow #{watcher_flow}: tasks" in detail and "subscriptions were dropped" in detail

    for n in range(2):  # the writer's inserts wake the room; the watcher gets neither update
        frame, _ = await rpc(writer, "batchInsert", {"table": "tasks", "rows": [{"title": n}]})
        assert frame["type"] == "mutation_success"
    try:
        extra = await watcher.receive_json(timeout=0.3)
    except TimeoutError:
        extra = None
    assert extra is None
    notes = [
        e for _, e in nano.core.recorder.since(0) if isinstance(e, Note) and e.flow == watcher_flow
    ]
    assert len(notes) == 1  # told once, on the first update it missed
    assert notes[0].level == "warning" and "did not get the update to tasks (added)" in (
        notes[0].message
    )
    # Subscribed again, it gets the next update.
    await watcher.send_json({"action": "subscribe", "table": "tasks"})
    await rpc(watcher, "getSchema", request_id="s2")
    await rpc(writer, "batchInsert", {"table": "tasks", "rows": [{"title": "again"}]})
    update = await watcher.receive_json(timeout=5)
    assert update["event"] == "update" and update["row"]["title"] == "again"
