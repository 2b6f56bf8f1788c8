"""Pure rendering of terminal lines: text with or without colour, or one JSON object per line.

`nanodev up` and `nanodev tail` print the same `TermLine`s; whether they are coloured follows
the usual conventions (https://no-color.org, FORCE_COLOR): colour only on a terminal, never
with NO_COLOR set, always with FORCE_COLOR set (unless it is "0").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Level = Literal["ok", "info", "redirect", "refused", "error", "warning"]
LogFormat = Literal["text", "json"]

RESET = "\x1b[0m"
DIM = "\x1b[2m"
COLOURS: dict[str, str] = {
    "ok": "\x1b[32m",  # green: 1xx/2xx, applied
    "info": "\x1b[36m",  # cyan: lifecycle and notes
    "redirect": "\x1b[33m",  # yellow: 3xx
    "refused": "\x1b[31m",  # red: 4xx, refused handshakes, abnormal closes
    "error": "\x1b[1;31m",  # bold red: 5xx, failed reloads
    "warning": "\x1b[35m",  # magenta: restart needed, patterns
}


@dataclass(frozen=True, slots=True)
class TermLine:
    """One thing worth a line: `text` is what happened, `fix` (may be empty) what to do."""

    ts: float
    kind: str  # request | upgrade | close | reload | note | room | pattern
    level: Level
    text: str
    fix: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        ms = round(self.ts * 1000)
        return {
            "ts": ms,
            "time": iso_ms(ms),
            "kind": self.kind,
            "level": self.level,
            "text": self.text,
            "fix": self.fix,
            **self.fields,
        }


def iso_ms(ms: int) -> str:
    """Milliseconds since the epoch as ISO 8601 UTC with milliseconds: 2026-01-02T03:04:05.678Z."""
    stamp = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def clock(ts: float) -> str:
    """The local wall-clock time a line starts with: HH:MM:SS."""
    return dt.datetime.fromtimestamp(ts).strftime("%H:%M:%S")


def status_level(status: int) -> Level:
    if status >= 500:
        return "error"
    if status >= 400:
        return "refused"
    if status >= 300:
        return "redirect"
    return "ok"


def use_colour(is_tty: bool, env: Mapping[str, str]) -> bool:
    """NO_COLOR (any non-empty value) wins, then FORCE_COLOR, then whether out is a terminal."""
    if env.get("NO_COLOR"):
        return False
    force = env.get("FORCE_COLOR")
    if force is not None and force != "":
        return force != "0"
    return is_tty and env.get("TERM") != "dumb"


def render(line: TermLine, fmt: LogFormat = "text", colour: bool = False) -> str:
    """The line as printed, without its final newline."""
    if fmt == "json":
        return json.dumps(line.to_json(), separators=(",", ":"), default=str)
    stamp = clock(line.ts)
    text = line.text
    fix = f"\n         → {line.fix}" if line.fix else ""
    if not colour:
        return f"{stamp} {text}{fix}"
    tint = COLOURS[line.level]
    fix = f"\n         {DIM}→ {line.fix}{RESET}" if line.fix else ""
    return f"{DIM}{stamp}{RESET} {tint}{text}{RESET}{fix}"
