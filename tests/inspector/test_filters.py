from __future__ import annotations

from typing import Any

from nanodev.inspector.filters import FlowFilter, status_matches

ROW: dict[str, Any] = {
    "path": "/__ws/websocket",
    "target": "/websocket",
    "status": 401,
    "room": "my-room",
    "outcome": "refused",
    "upgrade": True,
}


def test_empty_filter_matches_everything() -> None:
    assert FlowFilter().empty
    assert FlowFilter().matches(ROW)


def test_each_field() -> None:
    assert FlowFilter(status="4xx").matches(ROW)
    assert not FlowFilter(status="2xx").matches(ROW)
    assert FlowFilter(status="error").matches(ROW)
    assert FlowFilter(path="/websocket").matches(ROW)
    assert not FlowFilter(path="/api").matches(ROW)
    assert FlowFilter(room="my-room").matches(ROW)
    assert not FlowFilter(room="other").matches(ROW)
    assert FlowFilter(outcome="refused").matches(ROW)
    assert not FlowFilter(outcome="allowed").matches(ROW)
    assert FlowFilter(websocket=True).matches(ROW)
    assert not FlowFilter(websocket=True).matches({**ROW, "upgrade": False})


def test_text_searches_frames_case_insensitively() -> None:
    assert FlowFilter(text="HELLO").matches(ROW, ['{"say":"hello"}'])
    assert not FlowFilter(text="hello").matches(ROW, ['{"say":"bye"}'])
    assert not FlowFilter(text="hello").matches(ROW)


def test_parse_terminal_expression_and_query_round_trip() -> None:
    filt = FlowFilter.parse("status=4xx ws room=r1 outcome=refused some words")
    assert filt == FlowFilter("4xx", "", "r1", "refused", True, "some words")
    assert FlowFilter.from_query(filt.to_query()) == filt


def test_status_matches() -> None:
    assert status_matches("101", 101)
    assert status_matches("1xx", 101)
    assert not status_matches("101", 400)
    assert status_matches("pending", None)
    assert not status_matches("4xx", None)
