"""`nanodev tail`: follow a running nanodev's live feed in a terminal, one line per request and
handshake (the same lines `nanodev up` prints), plus socket closes, with an optional filter.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from typing import Any, TextIO

import aiohttp

from nanodev.inspector.console import ConsoleLog
from nanodev.inspector.filters import FlowFilter
from nanodev.inspector.sessions import event_from_json
from nanodev.record import Closed, Event, PageSocket, RequestReceived

LIVE_PATH = "/__nanodev/api/live"


def live_url(page_url: str) -> str:
    base = page_url.rstrip("/")
    return base.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + LIVE_PATH


class TailPrinter:
    """Feeds live-feed items to a `ConsoleLog` and keeps the lines the filter accepts."""

    def __init__(self, out: TextIO, filt: FlowFilter) -> None:
        self.out = out
        self.words = filt.text.lower()
        self.filt = replace(filt, text="")  # frame text is not in a line: match words instead
        self.buffer = io.StringIO()
        self.console = ConsoleLog(self.buffer)
        self.dropped = 0

    def feed(self, item: dict[str, Any]) -> None:
        event = event_from_json(item["event"])
        flow = item.get("flow")
        # Requests and page reports always reach the console: it needs them to write (or
        # complete) a later line, which the filter then judges.
        if not isinstance(event, RequestReceived | PageSocket) and not self._wanted(flow):
            return
        self.console(int(item.get("seq", 0)), event)
        if isinstance(event, Closed) and flow is not None:
            self.buffer.write(close_line(event, flow) + "\n")
        self._flush()

    def _wanted(self, flow: dict[str, Any] | None) -> bool:
        if flow is None:
            return self.filt.empty
        return self.filt.empty or self.filt.matches(flow)

    def _flush(self) -> None:
        text = self.buffer.getvalue()
        if not text:
            return
        self.buffer.seek(0)
        self.buffer.truncate()
        for line in text.splitlines():
            if not self.words or self.words in line.lower():
                self.out.write(line + "\n")
        self.out.flush()

    def note_dropped(self, dropped: int) -> None:
        if dropped > self.dropped:
            self.out.write(f"… {dropped - self.dropped} events dropped (this viewer fell behind)\n")
            self.dropped = dropped


def close_line(event: Event, flow: dict[str, Any]) -> str:
    assert isinstance(event, Closed)
    return (
        f"close {flow.get('path', '')} room={event.room or flow.get('room')} "
        f"{event.code if event.code is not None else '-'} by {event.by} ({event.meaning})"
    )


async def follow(page_url: str, filt: FlowFilter, out: TextIO) -> int:
    """Print lines until the server goes away; 0 when it stopped, 1 when it was unreachable."""
    printer = TailPrinter(out, filt)
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(live_url(page_url), heartbeat=30) as ws,
        ):
            out.write(f"following {page_url} (Ctrl-C to stop)\n")
            out.flush()
            async for msg in ws:
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    break
                data = json.loads(msg.data)
                for item in data.get("events", ()):
                    printer.feed(item)
                printer.note_dropped(int(data.get("dropped", 0)))
    except (aiohttp.ClientError, OSError) as exc:
        out.write(f"nanodev tail: cannot reach {page_url}: {exc}\n")
        return 1
    out.write("nanodev stopped\n")
    return 0
