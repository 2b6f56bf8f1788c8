"""The source map decoder against maps written by a real bundler's rules (VLQ, relative fields)."""

from __future__ import annotations

import base64
import json

import pytest

from nanodev.frontend.sourcemaps import (
    MapError,
    Original,
    SourceMap,
    decode_vlq,
    inline_map,
    map_reference,
    map_url,
)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("A", [0]),
        ("C", [1]),
        ("D", [-1]),
        ("gB", [16]),
        ("hB", [-16]),
        ("AAAA", [0, 0, 0, 0]),
        ("AACA", [0, 0, 1, 0]),
        ("2HwcK", [123, 456, 5]),
    ],
)
def test_vlq_values(text: str, values: list[int]) -> None:
    assert decode_vlq(text) == values


def test_vlq_rejects_bad_input() -> None:
    with pytest.raises(MapError, match="invalid VLQ character"):
        decode_vlq("A!")
    with pytest.raises(MapError, match="ends in the middle"):
        decode_vlq("g")


# Line 1: col 0 → a.ts 1:0; col 10 → a.ts 3:4 name "connect". Line 3: col 2 → b.ts 10:0.
MAP = {
    "version": 3,
    "sources": ["a.ts", "b.ts"],
    "names": ["connect"],
    "mappings": "AAAA,UAEIA;;ECOJ",
}


def test_lookup_finds_the_segment_at_or_before_the_column() -> None:
    found = SourceMap(MAP)
    assert found.lookup(1, 0) == Original("a.ts", 1, 0, "")
    assert found.lookup(1, 9) == Original("a.ts", 1, 0, "")
    assert found.lookup(1, 10) == Original("a.ts", 3, 4, "connect")
    assert found.lookup(1, 500) == Original("a.ts", 3, 4, "connect")
    assert found.lookup(2, 0) is None  # an empty line maps nothing
    assert found.lookup(3, 1) is None  # before the line's first segment
    assert found.lookup(3, 2) == Original("b.ts", 10, 0, "")
    assert found.lookup(9, 0) is None


def test_source_root_is_joined() -> None:
    found = SourceMap({**MAP, "sourceRoot": "/app/"})
    assert found.sources == ["/app/a.ts", "/app/b.ts"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": 2}, "not a version 3"),
        ([], "not a version 3"),
        ({"version": 3, "sections": []}, "index maps"),
        ({"version": 3, "sources": ["a"], "mappings": "A$"}, "invalid VLQ"),
    ],
)
def test_unreadable_maps_say_why(data: object, message: str) -> None:
    with pytest.raises(MapError, match=message):
        SourceMap(data)


def test_not_json_is_a_map_error() -> None:
    with pytest.raises(MapError, match="not JSON"):
        SourceMap.from_json("{nope")


def test_map_reference_is_the_last_comment() -> None:
    script = 'const s = "//# sourceMappingURL=fake.map";\nrun();\n//# sourceMappingURL=app.js.map\n'
    assert map_reference(script) == "app.js.map"
    assert map_reference("run();") is None


def test_inline_maps_base64_and_percent_encoded() -> None:
    payload = json.dumps(MAP)
    b64 = "data:application/json;base64," + base64.b64encode(payload.encode()).decode()
    assert SourceMap.from_json(inline_map(b64) or b"").sources == ["a.ts", "b.ts"]
    assert inline_map("data:application/json," + "%7B%7D") == b"{}"
    assert inline_map("app.js.map") is None


def test_map_url_is_relative_to_the_script() -> None:
    assert map_url("http://127.0.0.1:3000/assets/app.js?v=1", "app.js.map") == (
        "http://127.0.0.1:3000/assets/app.js.map"
    )
