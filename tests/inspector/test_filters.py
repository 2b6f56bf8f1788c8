from __future__ import annotations

import re
from typing import Any

import pytest

from nanodev.cli.tail import FILTER_HELP
from nanodev.inspector.filters import FIELDS, FilterError, FlowFilter, status_matches

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


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("stauts=404", "unknown filter field 'stauts'"),
        ("status=abc", "status=abc cannot match"),
        ("status=", "status= needs a value"),
        ("outcome=maybe", "outcome=maybe cannot match"),
    ],
)
def test_parse_refuses_unknown_fields_and_values_that_never_match(
    expression: str, message: str
) -> None:
    with pytest.raises(FilterError, match=re.escape(message)):
        FlowFilter.parse(expression)


def test_parse_keeps_the_room_case_and_lowercases_status() -> None:
    parsed = FlowFilter.parse("room=MyRoom status=4XX outcome=Refused")
    assert (parsed.room, parsed.status, parsed.outcome) == ("MyRoom", "4xx", "refused")


def test_tail_help_lists_every_filter_field() -> None:
    for name in FIELDS:
        assert f"{name}=" in FILTER_HELP
