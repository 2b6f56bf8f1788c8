from __future__ import annotations

from nanodev.inspector.timeline import is_loop, page_session, socket_timeline
from nanodev.record import (
    Broadcast,
    Closed,
    Event,
    Frame,
    Recorder,
    RequestReceived,
    Responded,
    Upgraded,
)


def handshake(flow: int, ts: float, cookie: str = "c=1", path: str = "/__ws/websocket") -> Event:
    headers = {"cookie": cookie, "origin": "http://localhost:3000", "user-agent": "UA"}
    return RequestReceived(flow, ts, "GET", path, "", headers, "127.0.0.1", "page", True)


def test_socket_timeline_puts_every_hop_on_one_axis() -> None:
    rec = Recorder()
    for event in (
        handshake(1, 10.0),
        Upgraded(1, 10.01, "r", "u", "cookie", 1.0),
        Frame(1, 10.5, "in", "text", 5, "hello", False, "r"),
        Broadcast(0, 10.6, "r", "update", "tasks", "added", (1, 2), (), 9, "{}"),
        Broadcast(0, 10.7, "r", "update", "tasks", "added", (2,), (), 9, "{}"),
        Frame(1, 10.8, "out", "text", 5, "world", False, "r"),
        Closed(1, 11.0, 1000, "", "client", "normal"),
    ):
        rec.record(event)
    t = socket_timeline(rec.events, 1)
    kinds = [m["kind"] for m in t["marks"]]
    assert kinds == ["handshake", "accepted", "in", "broadcast", "out", "close"]
    assert t["marks"][0]["t_ms"] == 0 and t["marks"][-1]["t_ms"] == 1000.0
    assert t["total"] == 6


def test_a_room_less_reconnect_loop_is_one_page_session_with_its_backoffs() -> None:
    rec = Recorder()
    for flow, ts in ((1, 0.0), (2, 1.0), (3, 3.0), (4, 7.0)):
        rec.record(handshake(flow, ts))
        rec.record(Responded(flow, ts + 0.01, 400, "text/plain", "", 0, 1.0))
    rec.record(handshake(5, 8.0, cookie="c=other"))  # another page: not in the session
    session = page_session(rec.events, rec.flows, 2)
    assert session is not None
    assert [a["flow"] for a in session["attempts"]] == [1, 2, 3, 4]
    assert [a["backoff_ms"] for a in session["attempts"]] == [None, 1000, 2000, 4000]
    assert [a["status"] for a in session["attempts"]] == [400] * 4
    assert session["loop"] is True
    lone = page_session(rec.events, rec.flows, 5)
    assert lone is not None and lone["loop"] is False and len(lone["attempts"]) == 1
    assert page_session(rec.events, rec.flows, 99) is None


def test_a_loop_needs_three_close_attempts_none_kept_open() -> None:
    closed = [{"open": False}] * 3
    assert is_loop([0, 1, 2], closed)
    assert not is_loop([0, 1], closed[:2])
    assert not is_loop([0, 100, 200], closed)  # visits far apart
    assert not is_loop([0, 1, 2], [*closed[:2], {"open": True}])
