"""The terminal view: what the inspector knows, one line at a time, fed by the recorder like any
viewer. `nanodev up` prints these lines and `nanodev tail` prints the same ones.

12:00:01 GET /__ws/websocket?room_id= 400 room_id is present but empty (?room_id=) 1.1ms
         → Pass a room id: ?room_id=my-room
12:00:09 close /__ws/websocket room=r1 1008 by server (policy violation: …) after 4.2s, 3 in / 5 out

Besides requests and handshakes: socket closes, reloads (migrations, hooks, static), notes
(a setting that needs a restart), rooms hibernated and woken, and the room-less reconnect
pattern, said when first seen and again when its count has doubled.
"""

from __future__ import annotations

import os
import sys
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, TextIO

from nanodev.gateway import has_param
from nanodev.inspector.explain import ROOMLESS_MIN_REPEATS, close_fix, roomless_explanation
from nanodev.inspector.offline import capture_of, diagnose
from nanodev.inspector.pagelines import OpenedBy
from nanodev.inspector.terminal import Level, LogFormat, TermLine, render, status_level, use_colour
from nanodev.record import (
    Closed,
    Event,
    Note,
    PageSocket,
    Reloaded,
    RequestReceived,
    Responded,
    RoomChanged,
    Upgraded,
)

MAX_PENDING = 4096
NORMAL_CLOSES = (1000, 1001, 1012)
ROOM_STATES = ("hibernated", "woken")


class ConsoleLog:
    """A recorder listener that turns events into `TermLine`s and writes them to `out`."""

    def __init__(
        self,
        out: TextIO | None = None,
        fmt: LogFormat = "text",
        colour: bool | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.out = out or sys.stdout
        self.fmt: LogFormat = fmt
        if colour is None:
            colour = use_colour(_isatty(self.out), os.environ if env is None else env)
        self.colour = colour
        self._pending: OrderedDict[int, tuple[str, RequestReceived]] = OrderedDict()
        self._open: OrderedDict[int, tuple[float, str]] = OrderedDict()
        self._roomless: dict[str, int] = {}
        self._said: dict[str, int] = {}
        self.opened_by = OpenedBy()  # the page probe's "opened by FILE:LINE", where known

    def __call__(self, seq: int, event: Event) -> None:
        for line in self.lines(event):
            self.write(line)

    def lines(self, event: Event, path: str = "") -> list[TermLine]:
        """The lines an event deserves: most none, answers one, a repeating pattern one more.
        `path` names a closing socket's path when its handshake was not seen (`tail`)."""
        if isinstance(event, PageSocket):
            return self._page_lines(event)
        line = self.line_for(event, path)
        out = [] if line is None else [line]
        if isinstance(event, RequestReceived):
            pattern = self._pattern(event)
            if pattern is not None:
                out.append(pattern)
        return out

    def line_for(self, event: Event, path: str = "") -> TermLine | None:
        """The line an event deserves, if any (requests wait for their answer)."""
        if isinstance(event, RequestReceived):
            self._remember(event)
            return None
        if isinstance(event, Responded):
            return self._responded(event)
        if isinstance(event, Upgraded):
            return self._upgraded(event)
        if isinstance(event, Closed):
            return self._closed(event, path)
        return _lifecycle(event)

    def _remember(self, event: RequestReceived) -> None:
        if event.path.startswith("/__nanodev"):
            return
        query = f"?{event.query}" if event.query else ""
        self._pending[event.flow] = (f"{event.method} {event.path}{query}", event)
        _bound(self._pending)
        if event.upgrade:
            self.opened_by.handshake(event)

    def _responded(self, event: Responded) -> TermLine | None:
        head = self._pending.pop(event.flow, None)
        if head is None:
            return None
        said, fix = _cause_and_fix(head[1], event) if event.status >= 400 else ("", "")
        cause = f" {said}" if said else ""
        text = f"{head[0]} {event.status}{cause} {event.duration_ms:.1f}ms"
        text, opened = self._opened(text, event.flow)
        fields: dict[str, object] = {
            "flow": event.flow,
            "status": event.status,
            "duration_ms": event.duration_ms,
            **opened,
        }
        return TermLine(event.ts, "request", status_level(event.status), text, fix, fields)

    def _upgraded(self, event: Upgraded) -> TermLine | None:
        head = self._pending.pop(event.flow, None)
        if head is None:
            return None
        self._open[event.flow] = (event.ts, head[1].path)
        _bound(self._open)
        text = (
            f"{head[0]} 101 room={event.room} user={event.user_id} "
            f"via {event.source} {event.duration_ms:.1f}ms"
        )
        text, opened = self._opened(text, event.flow)
        fields = {"flow": event.flow, "status": 101, "room": event.room, "user": event.user_id}
        return TermLine(event.ts, "upgrade", "ok", text, "", fields | opened)

    def _opened(self, text: str, flow: int) -> tuple[str, dict[str, str]]:
        """A handshake's line with the page line that opened it, when the page said so."""
        said = self.opened_by.label(flow)
        return (f"{text} {said}", {"opened_by": said}) if said else (text, {})

    def _page_lines(self, event: PageSocket) -> list[TermLine]:
        """A page report that explains handshakes whose line is already out: a line each."""
        return [
            TermLine(event.ts, "opened_by", "info", f"  ↳ #{flow} {said}", "", {"flow": flow})
            for flow, said in self.opened_by.report(event)
            if flow not in self._pending
        ]

    def _closed(self, event: Closed, seen_path: str) -> TermLine:
        opened, path = self._open.pop(event.flow, (None, seen_path))
        return close_line(event, path, None if opened is None else event.ts - opened)

    def _pattern(self, event: RequestReceived) -> TermLine | None:
        """Cookie handshakes with no room_id at all, repeating on one URL (explain.py)."""
        if not event.upgrade or "cookie" not in event.headers or has_param(event.query, "room_id"):
            return None
        url = f"{event.path}?{event.query}" if event.query else event.path
        count = self._roomless[url] = self._roomless.get(url, 0) + 1
        said = self._said.get(url, 0)
        if count < ROOMLESS_MIN_REPEATS or (said and count < 2 * said):
            return None
        self._said[url] = count
        why = roomless_explanation(url, count)
        fields = {"pattern": "roomless", "url": url, "count": count}
        return TermLine(event.ts, "pattern", "warning", f"pattern: {why.cause}", why.fix, fields)

    def write(self, line: TermLine) -> None:
        try:
            self.out.write(render(line, self.fmt, self.colour) + "\n")
            self.out.flush()
        except (OSError, ValueError):
            pass


def close_line(event: Closed, path: str, lived_s: float | None) -> TermLine:
    """`close PATH room=R CODE by WHO (meaning) after 4.2s, 3 in / 5 out`, with its fix."""
    code = "-" if event.code is None else str(event.code)
    lived = "" if lived_s is None else f" after {lived_s:.1f}s"
    reason = f" reason: {event.reason};" if event.reason else ""
    text = (
        f"close {path or '-'} room={event.room or '-'} {code} by {event.by} "
        f"({event.meaning}){lived},{reason} {event.frames_in} in / {event.frames_out} out"
    )
    normal = event.code in NORMAL_CLOSES or (event.code is None and event.by == "client")
    fields = {
        "flow": event.flow,
        "code": event.code,
        "by": event.by,
        "room": event.room,
        "lived_ms": None if lived_s is None else round(lived_s * 1000),
        "frames_in": event.frames_in,
        "frames_out": event.frames_out,
    }
    fix = "" if normal else close_fix(event.code)
    return TermLine(event.ts, "close", "info" if normal else "refused", text, fix, fields)


def _lifecycle(event: Event) -> TermLine | None:
    """Reloads, notes and room hibernation: events with no request of their own."""
    if isinstance(event, Reloaded):
        state = "ok" if event.ok else "FAILED"
        detail = f": {event.detail}" if event.detail else ""
        text = (
            f"reload {event.what} ({', '.join(event.changed)[:80]}) {state} "
            f"{event.duration_ms:.0f}ms{detail}"
        )
        level: Level = "ok" if event.ok else "error"
        if event.ok and "not used" in event.detail:  # a hook refused: it shadows a built-in
            level = "warning"
        return TermLine(event.ts, "reload", level, text, "", {"what": event.what, "ok": event.ok})
    if isinstance(event, Note) and event.level in ("warning", "error"):  # info stays inspector-only
        note: Level = "warning" if event.level in ("warning", "error") else "info"
        return TermLine(event.ts, "note", note, event.message, "", {"note": event.level})
    if isinstance(event, RoomChanged) and event.state in ROOM_STATES:
        text = f"room {event.room} {event.state} ({event.detail})"
        return TermLine(event.ts, "room", "info", text, "", {"room": event.room})
    return None


def _cause_and_fix(request: RequestReceived, answer: Responded) -> tuple[str, str]:
    """The recorded cause and fix; for a refusal no hop judged (the real Worker's, through the
    relay) the ones read back from its status and body, as the inspector shows them."""
    if answer.cause:
        return answer.cause, answer.fix
    found = diagnose(capture_of(request, answer))
    return (found.cause, found.fix) if found is not None else ("", "")


def _bound(table: OrderedDict[int, Any]) -> None:
    if len(table) > MAX_PENDING:
        table.popitem(last=False)


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
