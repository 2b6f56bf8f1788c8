"""Rendering terminal lines: the time, the fix line, the colour rules and JSON lines."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from nanodev.inspector.terminal import (
    DIM,
    RESET,
    TermLine,
    iso_ms,
    render,
    status_level,
    use_colour,
)

TS = dt.datetime(2026, 1, 2, 3, 4, 5, 678000).timestamp()  # local time


@pytest.mark.parametrize(
    ("tty", "env", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),  # NO_COLOR wins
        (False, {"FORCE_COLOR": "1"}, True),
        (True, {"FORCE_COLOR": "0"}, False),
        (True, {"NO_COLOR": ""}, True),  # empty means unset (no-color.org)
        (True, {"TERM": "dumb"}, False),
    ],
)
def test_colour_rules(tty: bool, env: dict[str, str], expected: bool) -> None:
    assert use_colour(tty, env) is expected


def test_text_line_starts_with_the_time_and_carries_the_fix_below() -> None:
    line = TermLine(TS, "request", "refused", "GET /x 400 bad", "do this")
    assert render(line) == "03:04:05 GET /x 400 bad\n         → do this"
    assert render(TermLine(TS, "request", "ok", "GET / 200")) == "03:04:05 GET / 200"


def test_colour_tints_the_text_by_level_and_dims_the_fix() -> None:
    out = render(TermLine(TS, "request", "refused", "GET /x 400", "fix it"), colour=True)
    assert out == f"{DIM}03:04:05{RESET} \x1b[31mGET /x 400{RESET}\n         {DIM}→ fix it{RESET}"
    assert "\x1b[32m" in render(TermLine(TS, "request", "ok", "GET / 200"), colour=True)


def test_json_line_has_ms_and_iso_and_the_extra_fields() -> None:
    line = TermLine(TS, "request", "refused", "GET /x 400", "fix", {"status": 400})
    data = json.loads(render(line, "json"))
    assert data["ts"] == round(TS * 1000) and data["time"].endswith(":04:05.678Z")
    assert data | {"time": ""} == {
        "ts": round(TS * 1000),
        "time": "",
        "kind": "request",
        "level": "refused",
        "text": "GET /x 400",
        "fix": "fix",
        "status": 400,
    }
    assert "\n" not in render(line, "json")


def test_iso_and_status_levels() -> None:
    assert iso_ms(1_767_323_045_007) == "2026-01-02T03:04:05.007Z"
    assert [status_level(s) for s in (101, 204, 302, 404, 503)] == [
        "ok",
        "ok",
        "redirect",
        "refused",
        "error",
    ]
