"""The recorder: bounded store, flow index, `since` cursor, listeners that cannot break it."""

from __future__ import annotations

from nanodev.record.events import (
    AuthDecided,
    Broadcast,
    Closed,
    Event,
    Frame,
    RequestReceived,
    Responded,
    Upgraded,
)
from nanodev.record.recorder import Recorder


def request(flow: int) -> RequestReceived:
    return RequestReceived(flow, 1.0, "GET", "/__ws/websocket", "room_id=", {}, "", "page", True)


def frame(flow: int, direction: str = "in") -> Frame:
    return Frame(flow, 2.0, direction, "text", 17, '{"action":"ping"}', False, "r")  # type: ignore[arg-type]


def test_store_is_bounded_and_counts_what_it_dropped() -> None:
    rec = Recorder(capacity=100)
    rec.record(request(1))
    for _ in range(250):
        rec.record(frame(1))
    assert len(rec.events) == 100
    assert rec.dropped == 151
    assert rec.last_seq == 251
    assert rec.flows[1].frames_in == 250  # the flow row keeps the true count


def test_flow_row_folds_every_hop() -> None:
    rec = Recorder()
    rec.record(request(7))
    rec.record(AuthDecided(7, 1.1, "allowed", "u1", "api_key", "room-1", (), None, "ok", ""))
    rec.record(Upgraded(7, 1.2, "room-1", "u1", "api_key", 0.8))
    rec.record(frame(7, "out"))
    rec.record(frame(7, "in"))
    rec.record(Closed(7, 1.3, 1000, "bye", "client", "normal", "room-1", 1, 1))
    row = rec.flows[7]
    assert (row.websocket, row.status, row.room, row.user_id) == (True, 101, "room-1", "u1")
    assert (row.frames_in, row.frames_out, row.close_code, row.closed_by) == (1, 1, 1000, "client")
    assert row.open is False and row.outcome == "allowed"


def test_refused_response_sets_outcome_and_cause() -> None:
    rec = Recorder()
    rec.record(request(3))
    rec.record(
        Responded(
            3,
            1.5,
            400,
            "application/json",
            "{}",
            2,
            0.4,
            "room_id is present but empty",
            "set room_id",
        )
    )
    row = rec.flows[3]
    assert (row.status, row.outcome, row.cause) == (400, "refused", "room_id is present but empty")


def test_since_cursor_returns_only_newer_events() -> None:
    rec = Recorder()
    for flow in range(1, 6):
        rec.record(request(flow))
    assert [seq for seq, _ in rec.since(3)] == [4, 5]
    assert len(list(rec.since(0))) == 5


def test_flow_index_is_bounded_oldest_first() -> None:
    rec = Recorder(capacity=100)
    for flow in range(1, 151):
        rec.record(request(flow))
    assert len(rec.flows) == 100
    assert min(rec.flows) == 51


def test_a_broken_listener_never_breaks_recording() -> None:
    rec = Recorder()
    seen: list[int] = []

    def broken(seq: int, event: Event) -> None:
        raise RuntimeError("viewer bug")

    rec.listen(broken)
    stop = rec.listen(lambda seq, event: seen.append(seq))
    rec.record(request(1))
    rec.record(frame(1))
    assert seen == [1, 2]
    stop()
    rec.record(frame(1))
    assert seen == [1, 2]


def test_recording_off_keeps_no_frames_but_still_publishes_requests() -> None:
    rec = Recorder(store=False)
    published: list[str] = []
    rec.listen(lambda seq, event: published.append(event.kind))
    assert rec.wants_frames is False
    rec.record(request(1))
    rec.record(frame(1))
    assert len(rec.events) == 0
    assert published == ["request"]


def test_a_broadcast_is_one_record_and_every_recipients_frame_out() -> None:
    rec = Recorder()
    for flow in (1, 2, 3):
        rec.record(request(flow))
    text = '{"event":"update","table":"t","action":"added","row":{"id":1}}'
    rec.record(Broadcast(0, 3.0, "r", "update", "t", "added", (1, 2), (3,), len(text), text))
    assert len(rec.events) == 4
    assert (rec.flows[1].frames_out, rec.flows[2].frames_out, rec.flows[3].frames_out) == (1, 1, 0)
    frames = [e for _, e in rec.flow_events(2) if isinstance(e, Frame)]
    assert [(f.flow, f.direction, f.text) for f in frames] == [(2, "out", text)]
    assert not [e for _, e in rec.flow_events(3) if isinstance(e, Frame)]
