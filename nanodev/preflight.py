"""Start-up checks on the HTTP stack nanodev trusts with every byte a browser sends.

aiohttp below 3.14.3 has published request-smuggling and memory-exhaustion advisories, and
several smuggling bugs hit only its pure-Python parser (used when the compiled llhttp parser is
missing or `AIOHTTP_NO_EXTENSIONS` is set). An old aiohttp stops the start; a missing compiled
parser is a loud warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AIOHTTP_FLOOR = (3, 14, 3)


@dataclass(frozen=True, slots=True)
class Preflight:
    errors: tuple[str, ...]
    warnings: tuple[str, ...]


def parse_version(text: str) -> tuple[int, ...]:
    """`3.14.5` → (3, 14, 5); pre-release suffixes (`3.15.0a1`) count as their release."""
    parts = []
    for piece in text.split(".")[:3]:
        match = re.match(r"\d+", piece)
        parts.append(int(match.group()) if match else 0)
    return tuple(parts)


def judge(version: str, compiled_parser: bool) -> Preflight:
    """Pure decision over the installed aiohttp's version and parser."""
    errors: list[str] = []
    warnings: list[str] = []
    floor = ".".join(map(str, AIOHTTP_FLOOR))
    if parse_version(version) < AIOHTTP_FLOOR:
        errors.append(
            f"aiohttp {version} is older than {floor}, which fixes published request-smuggling "
            f"and memory-exhaustion advisories: pip install 'aiohttp>={floor},<3.15'"
        )
    if not compiled_parser:
        warnings.append(
            "aiohttp is using its pure-Python HTTP parser (AIOHTTP_NO_EXTENSIONS set, or no "
            "compiled wheel for this platform); several smuggling advisories affected only that "
            "parser: unset AIOHTTP_NO_EXTENSIONS or reinstall aiohttp from a wheel"
        )
    return Preflight(tuple(errors), tuple(warnings))


def check_aiohttp() -> Preflight:
    import aiohttp  # noqa: PLC0415
    from aiohttp import http_parser  # noqa: PLC0415

    compiled = getattr(http_parser, "HttpRequestParserC", None)
    return judge(
        aiohttp.__version__, compiled is not None and http_parser.HttpRequestParser is compiled
    )
