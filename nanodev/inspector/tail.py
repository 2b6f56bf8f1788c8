"""`nanodev tail`: follow a running nanodev's live feed in a terminal, one line per request and
handshake (the same lines `nanodev up` prints), plus socket closes, with an optional filter.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any, TextIO

import aiohttp

from nanodev.inspector.console import ConsoleLog
from nanodev.inspector.filters import FlowFilter
from nanodev.inspector.sessions import event_from_json
from nanodev.inspector.terminal import LogFormat, TermLine
from nanodev.record import PageSocket, RequestReceived

LIVE_PATH = "/__nanodev/api/live"


def live_url(page_url: str) -> str:
    base = page_url.rstrip("/")
    return base.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + LIVE_PATH


class TailPrinter:
    """Feeds live-feed items to a `ConsoleLog` and prints the lines the filter accepts."""

    def __init__(
        self, out: TextIO, filt: FlowFilter, fmt: LogFormat = "text", colour: bool | None = None
    ) -> None:
        self.out = out
        self.words = filt.text.lower()
        self.filt = replace(filt, text="")  # frame text is not in a line: match words instead
        self.console = ConsoleLog(out, fmt, colour)
        self.dropped = 0

    def feed(self, item: dict[str, Any]) -> None:
        event = event_from_json(item["event"])
        flow = item.get("flow")
        # Requests and page reports always reach the console: it needs them to write (or
        # complete) a later line, which the filter then judges.
        if not isinstance(event, RequestReceived | PageSocket) and not self._wanted(flow):
            return
        path = str((flow or {}).get("path") or "")
        for line in self.console.lines(event, path):
            if not self.words or self.words in line.text.lower():
                self.console.write(line)

    def _wanted(self, flow: dict[str, Any] | None) -> bool:
        if flow is None:
            return self.filt.empty
        return self.filt.empty or self.filt.matches(flow)

    def note_dropped(self, dropped: int) -> None:
        if dropped > self.dropped:
            self.console.write(
                TermLine(
                    time.time(),
                    "note",
                    "warning",
                    f"… {dropped - self.dropped} events dropped (this viewer fell behind)",
                )
            )
            self.dropped = dropped


async def follow(page_url: str, filt: FlowFilter, out: TextIO, fmt: LogFormat = "text") -> int:
    """Print lines until the server goes away; 0 when it stopped, 1 when it was unreachable."""
    printer = TailPrinter(out, filt, fmt)
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(live_url(page_url), heartbeat=30) as ws,
        ):
            if fmt == "text":
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
        error = f"cannot reach {page_url}: {exc}"
        hint = "is nanodev up still running? start it again, or pass --state-dir"
        if fmt == "json":
            out.write(json.dumps({"error": error, "hint": hint, "code": "unreachable"}) + "\n")
        else:
            out.write(f"nanodev tail: {error}\n  {hint}\n")
        out.flush()
        return 1
    if fmt == "text":
        out.write("nanodev stopped\n")
    return 0
