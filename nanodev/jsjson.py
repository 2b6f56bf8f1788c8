"""JSON text as JavaScript's `JSON.stringify` writes it: the bytes the real Worker and Durable
Object send, for frames and JSON bodies alike.

No spaces after `,` and `:`, non-ASCII kept as is, lone surrogates escaped (`\\ud800`, as the
well-formed `JSON.stringify` does), keys in insertion order, and numbers as JavaScript prints
them: `5` not `5.0`, `1e-7` not `1e-07`, `0.00001` not `1e-05`, NaN and ±Infinity as `null`.

The C encoder writes everything but floats exactly so. So: encode once in C, and only when
the text holds something float-like and the value really holds a float, fix the floats and
encode again (`_floats_fixed`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_C_ENCODE = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str
).encode
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPE = json.encoder.encode_basestring
_EXACT = 2.0**53  # below it an integral double is printed as its integer by both languages


class _Hard(Exception):
    """A float whose JavaScript text Python's repr does not give (exponent forms)."""


def stringify(value: Any) -> str:
    """`JSON.stringify(value)`."""
    try:
        text = _C_ENCODE(value)
    except ValueError:  # NaN or Infinity somewhere: JavaScript writes null
        text = _floats_fixed(value)
    else:
        if _float_text(text) and _has_float(value):
            text = _floats_fixed(value)
    # isascii() is a flag lookup: most frames never pay for the search.
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def _float_text(text: str) -> bool:
    """Whether the C encoder may have written a float: its float text always holds `.`, `e-`
    or `e+` (substring tests in C, much cheaper than a regex over the frame)."""
    return "." in text or "e-" in text or "e+" in text


def _floats_fixed(value: Any) -> str:
    """Floats as JavaScript writes them. Python's repr already matches JavaScript for finite
    non-integral values from 1e-4 up to 2**53 (fixed notation, the same shortest digits), so
    those stay for the C encoder; integral ones become ints, NaN and ±Infinity null. Only a
    value holding an exponent-form float takes the pure-Python encoder."""
    try:
        return _C_ENCODE(_jsified(value))
    except _Hard:
        return "".join(_parts(value))


def _jsified(value: Any) -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if abs(value) >= _EXACT or (value != 0 and abs(value) < 1e-4):
            raise _Hard
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {k: _jsified(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsified(v) for v in value]
    return value


def number(x: float) -> str:
    """JavaScript's Number::toString for a double (ECMA-262 §6.1.6.1.20)."""
    if math.isnan(x) or math.isinf(x):
        return "null"  # what JSON.stringify writes for them
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < _EXACT:  # above it JavaScript pads its shortest digits
        return str(int(x))
    from decimal import Decimal  # noqa: PLC0415 - rare (exponent forms); keeps start-up lean

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
