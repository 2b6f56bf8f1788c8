"""Identifiers and durations: Better Auth's 32-character ids, room file names, `7d`-style TTLs."""

from __future__ import annotations

import hashlib
import re
import secrets
import string

ALNUM = string.ascii_letters + string.digits
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SAFE_CHARS = re.compile(r"[^A-Za-z0-9_-]")


def random_id(length: int = 32, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def parse_duration(text: str) -> int:
    """'7d' → 604800 seconds. Raises ValueError with the accepted forms."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration; use e.g. 90s, 15m, 12h, 7d or 2w")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def do_id(room_id: str) -> str:
    """A stable opaque 64-hex id per room, like `idFromName(room_id).toString()`."""
    return hashlib.sha256(room_id.encode()).hexdigest()


def room_file_name(room_id: str) -> str:
    """A readable, safe and unique file name for any room id: `<cleaned>-<hash8>.sqlite`."""
    cleaned = _SAFE_CHARS.sub("_", room_id)[:40] or "room"
    return f"{cleaned}-{do_id(room_id)[:8]}.sqlite"
