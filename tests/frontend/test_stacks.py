"""Stacks from Chromium and Firefox, resolved, and the first frame in the app's own code."""

from __future__ import annotations

from nanodev.frontend.sourcemaps import Original
from nanodev.frontend.stacks import (
    NO_MAP_HINT,
    frame_label,
    is_own,
    opened_by,
    parse_stack,
    resolve,
    short_source,
)
from nanodev.record import StackFrame

V8 = """Error
    at Object.construct (http://127.0.0.1:3000/__nanodev/probe.js:120:20)
    at ReconnectingWebSocket._connect (http://127.0.0.1:3000/assets/app.js:300:18)
    at new ReconnectingWebSocket (http://127.0.0.1:3000/assets/app.js:90:10)
    at useStableSocket (http://127.0.0.1:3000/assets/app.js:437:22)
    at http://127.0.0.1:3000/assets/app.js:450:3
    at async load (http://127.0.0.1:3000/assets/app.js:460:5)"""

GECKO = """construct@http://127.0.0.1:3000/__nanodev/probe.js:120:20
useStableSocket@http://127.0.0.1:3000/assets/app.js:437:22
@http://127.0.0.1:3000/assets/app.js:450:3"""


def test_parse_v8() -> None:
    frames = parse_stack(V8)
    assert [f.function for f in frames] == [
        "Object.construct",
        "ReconnectingWebSocket._connect",
        "new ReconnectingWebSocket",
        "useStableSocket",
        "",
        "load",
    ]
    assert (frames[3].url, frames[3].line, frames[3].column) == (
        "http://127.0.0.1:3000/assets/app.js",
        437,
        21,
    )


def test_parse_gecko_and_garbage() -> None:
    frames = parse_stack(GECKO + "\nnot a frame\n")
    assert [(f.function, f.line) for f in frames] == [
        ("construct", 120),
        ("useStableSocket", 437),
        ("", 450),
    ]
    assert parse_stack("") == []


def test_parse_caps_the_frame_count() -> None:
    text = "\n".join(f"    at f{i} (http://h/a.js:{i + 1}:1)" for i in range(500))
    assert len(parse_stack(text)) == 40


def lookup(url: str, line: int, column: int) -> Original | None:
    table = {
        300: Original("../node_modules/partysocket/src/ws.ts", 564, 4, ""),
        90: Original("../node_modules/partysocket/src/ws.ts", 120, 2, ""),
        437: Original("/home/dev/app/src/hooks/useRoomSocket.ts", 42, 20, "ReconnectingWebSocket"),
    }
    return table.get(line) if url.endswith("/assets/app.js") else None


def test_first_own_frame_with_maps() -> None:
    frames = resolve(parse_stack(V8), lookup)
    assert frames[3].source == "src/hooks/useRoomSocket.ts"
    assert frames[1].source == "node_modules/partysocket/src/ws.ts"
    assert opened_by(frames) == ("src/hooks/useRoomSocket.ts:42 useStableSocket", 2, "")


def test_without_maps_the_bundle_position_and_how_to_get_lines() -> None:
    frames = resolve(parse_stack(V8), lambda url, line, column: None)
    label, collapsed, hint = opened_by(frames)
    assert label == "/assets/app.js:300:18 ReconnectingWebSocket._connect"
    assert collapsed == 0
    assert hint == NO_MAP_HINT and "sourcemap: true" in hint


def test_only_library_frames_name_nothing() -> None:
    frames = [StackFrame("f", "http://h/node_modules/.vite/deps/partysocket.js", 1, 0)]
    assert opened_by(frames) == ("", 0, "")


def test_own_and_short_sources() -> None:
    assert not is_own(StackFrame("", "http://h/__nanodev/probe.js", 1, 0))
    assert not is_own(StackFrame("", "http://h/@vite/client", 1, 0))
    assert is_own(StackFrame("", "http://h/src/App.tsx", 1, 0))
    assert short_source("webpack://app/./src/App.tsx") == "src/App.tsx"
    assert short_source("../../src/App.tsx") == "src/App.tsx"
    assert short_source("/home/u/app/node_modules/x/src/y.ts") == "node_modules/x/src/y.ts"
    assert frame_label(StackFrame("new PartySocket", "http://h/a.js", 3, 4)) == (
        "/a.js:3:5 PartySocket"
    )
