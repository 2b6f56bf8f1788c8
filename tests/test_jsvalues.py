"""JavaScript coercions the original applies to input."""

from __future__ import annotations

import math
from typing import Any

import pytest

from nanodev.jsvalues import TooLong, js_number, js_string, parse_int, positive_int, sanitize_string


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 0.0), (True, 1.0), ("", 0.0), (" 5 ", 5.0), ("1.5", 1.5), (7, 7.0)],
)
def test_js_number(value: Any, expected: float) -> None:
    assert js_number(value) == expected


@pytest.mark.parametrize("value", ["abc", [1, 2], {"a": 1}])
def test_js_number_nan(value: Any) -> None:
    assert math.isnan(js_number(value))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("50abc", 50), (12.7, 12), ("-3", -3), ("", None), (True, None), (None, None), ("x", None)],
)
def test_parse_int(value: Any, expected: int | None) -> None:
    assert parse_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(1, 1), (2.0, 2), (0, None), (1.5, None), ("1", None), (True, None)]
)
def test_positive_int(value: Any, expected: int | None) -> None:
    assert positive_int(value) == expected


def test_js_string_and_sanitize() -> None:
    assert [js_string(v) for v in (None, True, 2.0, [1, None], {})] == [
        "null",
        "true",
        "2",
        "1,",
        "[object Object]",
    ]
    assert sanitize_string("  a\x00\x1fb\n ", 10) == "ab"
    with pytest.raises(TooLong, match="maximum 3 characters"):
        sanitize_string("abcd", 3)
