"""The page's JavaScript stack at a socket's construction, pure: parsed (Chromium/V8 and
Firefox/WebKit formats), resolved through source maps a caller supplies, and summed up as the
first frame in the app's own code with the library frames above it collapsed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from nanodev.frontend.sourcemaps import Original
from nanodev.record import StackFrame

MAX_FRAMES = 40
PROBE_SCRIPT = "/__nanodev/probe.js"
# Library and framework code: never "the line that opened it".
NOT_OWN = ("node_modules", "/@vite/", "/@react-refresh", "/@id/", PROBE_SCRIPT, "webpack/runtime")
NO_MAP_HINT = (
    "no source map found for this bundle: build with source maps (`build: { sourcemap: true }` "
    "in vite.config) and keep the .map files beside the bundle to see file:line"
)
_V8 = re.compile(r"^\s*at (?:(?P<fn>.+?) \()?(?P<loc>\S+?):(?P<line>\d+):(?P<col>\d+)\)?\s*$")
_GECKO = re.compile(r"^(?P<fn>[^@]*)@(?P<loc>.+?):(?P<line>\d+):(?P<col>\d+)\s*$")

Resolver = Callable[[str, int, int], Original | None]


def parse_stack(stack: str) -> list[StackFrame]:
    """The frames of an `Error().stack` text, outermost last; unparseable lines are skipped."""
    frames: list[StackFrame] = []
    for line in stack.splitlines():
        match = _V8.match(line) or _GECKO.match(line)
        if match is None:
            continue
        function = (match.group("fn") or "").removeprefix("async ")  # "new X" kept: constructors
        frames.append(
            StackFrame(
                function.strip()[:200],
                match.group("loc")[:2000],
                int(match.group("line")),
                int(match.group("col")) - 1,  # stacks count columns from 1, maps from 0
            )
        )
        if len(frames) >= MAX_FRAMES:
            break
    return frames


def resolve(frames: Sequence[StackFrame], lookup: Resolver) -> list[StackFrame]:
    """Each frame with its original file, line and name when `lookup` knows them."""
    out = []
    for frame in frames:
        found = lookup(frame.url, frame.line, frame.column)
        if found is None:
            out.append(frame)
        else:
            out.append(
                replace(
                    frame,
                    source=short_source(found.source),
                    source_line=found.line,
                    source_column=found.column,
                    name=found.name,
                )
            )
    return out


def is_own(frame: StackFrame) -> bool:
    """Code of the app itself, not a library, the bundler's runtime or the probe."""
    where = frame.source or frame.url
    return bool(where) and not any(marker in where for marker in NOT_OWN)


def short_source(source: str) -> str:
    """`src/App.tsx` from `webpack://app/./src/App.tsx`, `../../src/App.tsx`, `/src/App.tsx`."""
    text = re.sub(r"^[a-z-]+://[^/]*/", "", source)
    parts = [p for p in text.split("/") if p not in ("", ".", "..")]
    if "node_modules" in parts:  # a library stays marked as one
        parts = parts[len(parts) - 1 - parts[::-1].index("node_modules") :]
    elif "src" in parts[:-1]:  # an absolute path on the developer's disk: from the app's src/
        parts = parts[parts.index("src") :]
    return "/".join(parts)


def frame_label(frame: StackFrame) -> str:
    """`src/App.tsx:118 useStableSocket`, or the bundle position when there is no map."""
    function = (frame.function or frame.name).removeprefix("new ")
    if frame.source:
        where = f"{short_source(frame.source)}:{frame.source_line}"
    else:
        where = f"{urlsplit(frame.url).path or frame.url}:{frame.line}:{frame.column + 1}"
    return f"{where} {function}".strip()


def opened_by(frames: Sequence[StackFrame]) -> tuple[str, int, str]:
    """The label of the first own frame, how many frames above it were collapsed, and the hint
    to show when that frame had no source map ("" when it had one)."""
    for index, frame in enumerate(frames):
        if is_own(frame):
            collapsed = sum(1 for f in frames[:index] if PROBE_SCRIPT not in f.url)
            mapped = frame.source or "/__nanodev/" in frame.url  # nanodev's own scripts are plain
            return frame_label(frame), collapsed, "" if mapped else NO_MAP_HINT
    return "", 0, ""
