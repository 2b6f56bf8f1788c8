"""The terminal view: one line per request and handshake, fed by the recorder like any viewer.

GET /__ws/websocket?room_id= 400 room_id is present but empty (?room_id=) 1.1ms
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import TextIO

from nanodev.inspector.pagelines import OpenedBy
from nanodev.record import Event, PageSocket, Reloaded, RequestReceived, Responded, Upgraded

MAX_PENDING = 4096


class ConsoleLog:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._pending: OrderedDict[int, str] = OrderedDict()
        self.opened_by = OpenedBy()  # the page probe's "opened by FILE:LINE", where known

    def __call__(self, seq: int, event: Event) -> None:
        if isinstance(event, RequestReceived):
            if event.path.startswith("/__nanodev"):
                return
            query = f"?{event.query}" if event.query else ""
            self._pending[event.flow] = f"{event.method} {event.path}{query}"
            if event.upgrade:
                self.opened_by.handshake(event)
            if len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)
        elif isinstance(event, Responded):
            head = self._pending.pop(event.flow, None)
            if head is not None:
                cause = f" {event.cause}" if event.status >= 400 and event.cause else ""
                line = f"{head} {event.status}{cause} {event.duration_ms:.1f}ms"
                self._write(_with(line, self.opened_by.label(event.flow)))
        elif isinstance(event, Upgraded):
            head = self._pending.pop(event.flow, None)
            if head is not None:
                line = (
                    f"{head} 101 room={event.room} user={event.user_id} "
                    f"via {event.source} {event.duration_ms:.1f}ms"
                )
                self._write(_with(line, self.opened_by.label(event.flow)))
        elif isinstance(event, PageSocket):
            for flow, label in self.opened_by.report(event):
                if flow not in self._pending:  # its line is out: a line of its own
                    self._write(f"  ↳ #{flow} {label}")
        elif isinstance(event, Reloaded):
            state = "ok" if event.ok else f"FAILED: {event.detail}"
            self._write(
                f"reload {event.what} ({', '.join(event.changed)[:80]}) {state} "
                f"{event.duration_ms:.0f}ms"
            )

    def _write(self, line: str) -> None:
        try:
            self.out.write(line + "\n")
            self.out.flush()
        except (OSError, ValueError):
            pass


def _with(line: str, opened_by: str) -> str:
    return f"{line} {opened_by}" if opened_by else line
