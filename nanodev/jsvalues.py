"""JavaScript's value coercions, as the original Worker and Durable Object apply them to input.

The reference's error cases are defined in terms of `Number(x)`, `parseInt(x)`, `String(x)` and
the app's `sanitizeString`; these pure functions reproduce exactly those rules.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LEADING_INT = re.compile(r"^\s*([+-]?\d+)")


def js_string(value: Any) -> str:
    """`String(value)` for JSON values."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join("" if v is None else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def js_number(value: Any) -> float:
    """`Number(value)` for JSON values; NaN where JavaScript gives NaN."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(text)
        except ValueError:
            return math.nan
    return math.nan


def parse_int(value: Any) -> int | None:
    """`parseInt(value)`; None where JavaScript gives NaN."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if not math.isfinite(value) else int(value)
    match = _LEADING_INT.match(value) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


def positive_int(value: Any) -> int | None:
    """A JSON number that is an integer ≥ 1 (`Number.isInteger(x) && x >= 1`), else None.
    Also None beyond SQLite's 64-bit integers: no row has such an id, and it cannot be bound."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not float(value).is_integer() or not 1 <= value < 1 << 63:
        return None
    return int(value)


class TooLong(ValueError):
    """`sanitizeString` refused an input over its maximum length."""

    def __init__(self, maximum: int) -> None:
        super().__init__(f"Input too long: maximum {maximum} characters")
        self.maximum = maximum


def sanitize_string(value: Any, maximum: int) -> str:
    """The app's `sanitizeString`: coerce, strip control characters, trim, cap the length."""
    text = _CONTROL.sub("", value if isinstance(value, str) else js_string(value)).strip()
    if len(text) > maximum:
        raise TooLong(maximum)
    return text


def json_size(value: Any) -> int:
    """Characters of `JSON.stringify(value)`."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
