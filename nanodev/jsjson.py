"""JSON text as JavaScript's `JSON.stringify` writes it: the bytes the real Worker and Durable
Object send, for frames and JSON bodies alike.

No spaces after `,` and `:`, non-ASCII kept as is, lone surrogates escaped (`\\ud800`, as the
well-formed `JSON.stringify` does), keys in insertion order, and numbers as JavaScript prints
them: `5` not `5.0`, `1e-7` not `1e-07`, `0.00001` not `1e-05`, NaN and ±Infinity as `null`.

The C encoder writes everything but floats exactly so; its float text differs only in those
cases. So: encode once in C, and only when the text holds something float-like and the value
really holds a float, encode again with JavaScript's number rule (pure Python, rare).
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

_C_ENCODE = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=True, default=str
).encode
_FLOATISH = re.compile(r"[0-9]\.[0-9]|[0-9]e[-+]|NaN|Infinity")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPE = json.encoder.encode_basestring


def stringify(value: Any) -> str:
    """`JSON.stringify(value)`."""
    text = _C_ENCODE(value)
    if _FLOATISH.search(text) and _has_float(value):
        text = "".join(_parts(value))
    if _SURROGATE.search(text):
        text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def number(x: float) -> str:
    """JavaScript's Number::toString for a double (ECMA-262 §6.1.6.1.20)."""
    if math.isnan(x) or math.isinf(x):
        return "null"  # what JSON.stringify writes for them
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 2**53:  # exact; above it JavaScript pads its digits
        return str(int(x))
    sign = "-" if x < 0 else ""
    # repr is the shortest round-trip digit string, the same digits JavaScript chooses.
    _, digit_tuple, exponent = Decimal(repr(abs(x))).as_tuple()
    assert isinstance(exponent, int)
    significant = "".join(map(str, digit_tuple)).lstrip("0")
    digits = significant.rstrip("0")
    k = len(digits)
    n = k + exponent + (len(significant) - k)  # value = 0.digits * 10**n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_float(v) for v in value)
    return False


def _key(key: Any) -> str:
    """A dict key as the C encoder turns it into a string (frames use strings anyway)."""
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return number(key)
    return _C_ENCODE(key)


def _parts(value: Any) -> Any:
    """The pure-Python encoder for values holding floats; same output as `_C_ENCODE` else."""
    if isinstance(value, float):
        yield number(value)
    elif isinstance(value, dict):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ("," if i else "") + _ESCAPE(_key(key)) + ":"
            yield from _parts(item)
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for i, item in enumerate(value):
            if i:
                yield ","
            yield from _parts(item)
        yield "]"
    else:
        yield _C_ENCODE(value)
