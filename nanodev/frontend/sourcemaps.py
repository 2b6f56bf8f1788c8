"""Source maps (version 3), pure: decode the VLQ `mappings`, look a bundle position up, and find
the map a script names (an inline `data:` URL, as Vite's dev server serves, or a `.map` file
beside a built bundle).

No maintained Python library decodes source maps today (the PyPI packages are unmaintained or
write-only), so this is the small decoder the format needs: base64 VLQ, five fields per
segment, every field relative to the previous segment.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
import string
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes, urljoin

_B64 = {c: i for i, c in enumerate(string.ascii_letters.swapcase() + string.digits + "+/")}
# The last sourceMappingURL comment wins (a bundle may contain others inside string literals).
_MAP_URL = re.compile(r"[#@]\s*sourceMappingURL=([^\s'\"*]+)")


class MapError(ValueError):
    """The map is not a version 3 source map this decoder can read."""


@dataclass(frozen=True, slots=True)
class Original:
    """Where a bundle position came from: file, 1-based line, 0-based column, original name."""

    source: str
    line: int
    column: int
    name: str


def decode_vlq(segment: str) -> list[int]:
    """One segment's fields: base64 digits, 5 value bits each, continuation bit 32, sign bit 1."""
    values: list[int] = []
    value = shift = 0
    for char in segment:
        digit = _B64.get(char)
        if digit is None:
            raise MapError(f"invalid VLQ character {char!r}")
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        value = shift = 0
    if shift:
        raise MapError("a VLQ value ends in the middle")
    return values


Segment = tuple[int, int, int, int, int]  # column, source, line, column, name (-1 = none)


class SourceMap:
    """A decoded map: per generated line, segments sorted by generated column."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict) or data.get("version") != 3:
            raise MapError("not a version 3 source map")
        if "sections" in data:
            raise MapError("index maps (sections) are not supported")
        root = str(data.get("sourceRoot") or "")
        self.sources = [_join(root, str(s)) for s in data.get("sources") or ()]
        self.names = [str(n) for n in data.get("names") or ()]
        self.lines = _decode_mappings(str(data.get("mappings") or ""))
        self._columns = [[seg[0] for seg in line] for line in self.lines]

    @classmethod
    def from_json(cls, text: str | bytes) -> SourceMap:
        try:
            return cls(json.loads(text))
        except ValueError as exc:
            raise MapError(f"the map is not JSON: {exc}") from None

    def lookup(self, line: int, column: int) -> Original | None:
        """The original of a 1-based line and 0-based column, or None when unmapped."""
        if not 1 <= line <= len(self.lines):
            return None
        at = bisect.bisect_right(self._columns[line - 1], column) - 1
        if at < 0:
            return None
        _col, src, src_line, src_col, name = self.lines[line - 1][at]
        if src < 0 or src >= len(self.sources):
            return None
        shown = self.names[name] if 0 <= name < len(self.names) else ""
        return Original(self.sources[src], src_line + 1, src_col, shown)


def _join(root: str, source: str) -> str:
    if root and not source.startswith(("/", "webpack:", "http:", "https:")):
        return root.rstrip("/") + "/" + source
    return source


def _decode_mappings(mappings: str) -> list[list[Segment]]:
    lines: list[list[Segment]] = []
    src = src_line = src_col = name = 0
    for line_text in mappings.split(";"):
        column = 0
        segments: list[Segment] = []
        for text in line_text.split(","):
            if not text:
                continue
            fields = decode_vlq(text)
            column += fields[0]
            if len(fields) >= 4:
                src, src_line, src_col = src + fields[1], src_line + fields[2], src_col + fields[3]
                if len(fields) >= 5:
                    name += fields[4]
                segments.append((column, src, src_line, src_col, name if len(fields) >= 5 else -1))
            else:
                segments.append((column, -1, 0, 0, -1))
        segments.sort(key=lambda seg: seg[0])
        lines.append(segments)
    return lines


def map_reference(script: str) -> str | None:
    """The script's last `sourceMappingURL`, as written (a data: URL or a relative path)."""
    at = script.rfind("sourceMappingURL=")
    if at < 0:
        return None
    match = _MAP_URL.search(script, max(0, at - 4))
    return match.group(1) if match else None


def inline_map(reference: str) -> bytes | None:
    """The JSON bytes of a `data:` map URL (base64 or percent-encoded), or None otherwise."""
    if not reference.startswith("data:"):
        return None
    meta, _, payload = reference[5:].partition(",")
    try:
        if meta.endswith(";base64"):
            return base64.b64decode(payload, validate=False)
        return unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise MapError("the inline map is not valid base64") from None


def map_url(script_url: str, reference: str) -> str:
    """The absolute URL of a map file named relative to its script."""
    return urljoin(script_url, reference)
