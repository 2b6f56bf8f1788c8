"""The terminal view: one line per request and handshake, fed by the recorder like any viewer.

GET /__ws/websocket?room_id= 400 room_id is present but empty (?room_id=) 1.1ms
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import TextIO

from nanodev.inspector.offline import capture_of, diagnose
from nanodev.record import Event, Reloaded, RequestReceived, Responded, Upgraded

MAX_PENDING = 4096


class ConsoleLog:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._pending: OrderedDict[int, RequestReceived] = OrderedDict()

    def __call__(self, seq: int, event: Event) -> None:
        if isinstance(event, RequestReceived):
            if event.path.startswith("/__nanodev"):
                return
            self._pending[event.flow] = event
            if len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)
        elif isinstance(event, Responded):
            request = self._pending.pop(event.flow, None)
            if request is not None:
                said = _cause(request, event) if event.status >= 400 else ""
                cause = f" {said}" if said else ""
                self._write(f"{_head(request)} {event.status}{cause} {event.duration_ms:.1f}ms")
        elif isinstance(event, Upgraded):
            request = self._pending.pop(event.flow, None)
            if request is not None:
                self._write(
                    f"{_head(request)} 101 room={event.room} user={event.user_id} "
                    f"via {event.source} {event.duration_ms:.1f}ms"
                )
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


def _head(request: RequestReceived) -> str:
    query = f"?{request.query}" if request.query else ""
    return f"{request.method} {request.path}{query}"


def _cause(request: RequestReceived, answer: Responded) -> str:
    """The recorded cause; for a refusal no hop judged (the real Worker's, through the relay)
    the one read back from its status and body, as the inspector shows it."""
    if answer.cause:
        return answer.cause
    found = diagnose(capture_of(request, answer))
    return found.cause if found is not None else ""
