"""`stringify` against the real `JSON.stringify` (Node): the same bytes for numbers of every
shape, non-ASCII text, lone surrogates, nesting and key order."""

from __future__ import annotations

import json
import math
import random
import shutil
import struct
import subprocess
from typing import Any

import pytest

from nanodev.jsjson import number, stringify

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
]

# JSON.parse of each line, JSON.stringify of the result: one line back per value.
NODE = (
    "const lines = require('fs').readFileSync(0, 'utf8').split('\\n').filter(Boolean);"
    "process.stdout.write(lines.map(l => JSON.stringify(JSON.parse(l))).join('\\n'));"
)


def node_stringify(values: list[Any]) -> list[str]:
    # ensure_ascii: lone surrogates travel as \\ud800 escapes; repr floats parse to the same double.
    text = "\n".join(json.dumps(v, ensure_ascii=True) for v in values) + "\n"
    out = subprocess.run(
        ["node", "-e", NODE], input=text, capture_output=True, text=True, check=True, timeout=30
    )
    return out.stdout.split("\n")


def corpus() -> list[Any]:
    rng = random.Random(13)
    floats = [
        0.0, -0.0, 5.0, -5.0, 1.5, 0.1, 100.25, 1e-7, 1.5e-7, 1e-5, 1e-6, 0.000123, 1e16,
        1e20, 1e21, 1.5e21, 2.0**53, 2.0**53 + 2, 2.0**60, 1.2345678901234568e20,
        1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 123456.789, -2.5e-10,
    ]  # fmt: skip
    floats += [struct.unpack("<d", rng.randbytes(8))[0] for _ in range(300)]
    floats += [rng.uniform(-1e6, 1e6) for _ in range(100)]
    floats = [f for f in floats if math.isfinite(f)]  # JSON cannot carry NaN or Infinity
    values: list[Any] = [[f] for f in floats]
    values += [
        {"type": "error", "code": "UNKNOWN_METHOD", "error": "Unknown RPC method: nope"},
        {"error": "room_id is present but empty", "hint": "naïve — ☃ 日本 🎉", "n": 3},
        {"s": "quote \" backslash \\ tab \t nl \n nul \x00 del \x7f sep \u2028"},
        {"lone": "\ud800x\udfff", "pair": "\U0001f600"},
        {"nested": [1, 2.0, [3.5, {"z": None, "a": True, "m": False}], "1.5", 7e-7]},
        {"date": "2026-12-07T00:29:36.123Z", "count": 2},
        [], {}, "", 0, -1, 9007199254740991,
    ]  # fmt: skip
    return values


def test_stringify_writes_the_bytes_javascript_writes() -> None:
    values = corpus()
    expected = node_stringify(values)
    # What Node parsed from each line is what Python parses from it.
    ours = [stringify(json.loads(json.dumps(v, ensure_ascii=True))) for v in values]
    mismatches = [(o, e) for o, e in zip(ours, expected, strict=True) if o != e]
    assert mismatches == []


def test_non_finite_numbers_are_null_and_integral_floats_have_no_point() -> None:
    assert stringify({"a": float("nan"), "b": float("inf"), "c": 2.0, "d": -0.0}) == (
        '{"a":null,"b":null,"c":2,"d":0}'
    )
    assert number(1e-7) == "1e-7" and number(0.00001) == "0.00001" and number(1e21) == "1e+21"
