"""`nanodev tail`: the printer on recorded items, then the command against a real `nanodev up`."""

from __future__ import annotations

import asyncio
import io
import signal
import sys
import time
from collections.abc import Callable

import aiohttp
import pytest

from nanodev.inspector.filters import FlowFilter
from nanodev.inspector.tail import TailPrinter, live_url
from nanodev.record.events import Closed, RequestReceived, Responded, close_meaning
from nanodev.record.redaction import fingerprint
from tests.conftest import Proc


def _items(flow: int, status: int, path: str) -> list[dict[str, object]]:
    row = {"id": flow, "path": path, "status": status, "upgrade": True, "outcome": "refused"}
    request = RequestReceived(flow, 1.0, "GET", path, "room_id=", {}, "127.0.0.1", "page", True)
    response = Responded(flow, 1.1, status, "text/plain", "", 0, 1.25, "room_id is empty")
    return [
        {"seq": 1, "event": request.to_json(), "flow": {**row, "status": None}},
        {"seq": 2, "event": response.to_json(), "flow": row},
    ]


def test_printer_prints_console_lines_through_the_filter() -> None:
    out = io.StringIO()
    printer = TailPrinter(out, FlowFilter.parse("status=4xx"))
    for item in _items(1, 400, "/__ws/websocket") + _items(2, 200, "/health"):
        printer.feed(item)
    assert out.getvalue()[9:] == "GET /__ws/websocket?room_id= 400 room_id is empty 1.2ms\n"
    printer.note_dropped(3)
    assert out.getvalue().endswith("… 3 events dropped (this viewer fell behind)\n")


def test_printer_words_match_the_line_and_closes_are_shown() -> None:
    out = io.StringIO()
    printer = TailPrinter(out, FlowFilter.parse("health"))
    for item in _items(1, 400, "/__ws/websocket") + _items(2, 200, "/health"):
        printer.feed(item)
    assert out.getvalue()[9:].startswith("GET /health?room_id= 200")
    closed = Closed(3, 2.0, 1008, "revoked", "server", close_meaning(1008), "r")
    TailPrinter(out2 := io.StringIO(), FlowFilter()).feed(
        {"seq": 3, "event": closed.to_json(), "flow": {"id": 3, "path": "/__ws/websocket"}}
    )
    assert out2.getvalue()[9:].startswith("close /__ws/websocket room=r 1008 by server (policy")


def test_live_url() -> None:
    assert live_url("http://127.0.0.1:3000/") == "ws://127.0.0.1:3000/__nanodev/api/live"


async def _line_with(stream: asyncio.StreamReader, needle: str, seen: list[str]) -> str:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        raw = await asyncio.wait_for(stream.readline(), deadline - time.monotonic())
        line = raw.decode()
        seen.append(line)
        if needle in line:
            return line
        if not raw:
            break
    raise AssertionError(f"{needle!r} not in tail output: {seen}")


@pytest.mark.slow
async def test_tail_follows_a_running_server(nanodev_proc: Callable[..., Proc]) -> None:
    proc = nanodev_proc()
    key = proc.cli(
        "keys", "create", "--user", "t@example.com", "--id", "nk_test_TailCanary0123456789"
    )["id"]
    tail = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "nanodev",
        "tail",
        "--state-dir",
        str(proc.state_dir),
        "--filter",
        "ws",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert tail.stdout is not None
    seen: list[str] = []
    try:
        await _line_with(tail.stdout, "following", seen)
        async with aiohttp.ClientSession() as session:
            await session.get(proc.page_url + "/health")
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await session.ws_connect(proc.ws_url(room_id=""))
            ws = await session.ws_connect(proc.ws_url(room_id="tail-room", key=key))
            await ws.receive_json(timeout=5)
            await ws.close()
        refused = await _line_with(tail.stdout, " 400 ", seen)
        assert "room_id is present but empty" in refused
        opened = await _line_with(tail.stdout, " 101 ", seen)
        assert "room=tail-room" in opened and fingerprint(key) in opened
        await _line_with(tail.stdout, "close ", seen)
    finally:
        tail.send_signal(signal.SIGINT)
        await asyncio.wait_for(tail.wait(), 10)
    output = "".join(seen)
    assert "/health" not in output  # the ws filter hid plain HTTP
    proc.stop()
    for text in (output, "".join(proc.output)):
        assert key not in text


def test_printer_names_the_line_that_opened_a_socket() -> None:
    from nanodev.record.events import PageSocket, StackFrame  # noqa: PLC0415

    frame = StackFrame("useStableSocket", "http://h/assets/app.js", 3, 9, "src/App.tsx", 118)
    report = PageSocket(
        0,
        1.0,
        "s1",
        1,
        "construct",
        "ws://h/__ws/websocket?room_id=",
        "http://h/",
        "",
        frames=(frame,),
        opened_by="src/App.tsx:118 useStableSocket",
    )
    out = io.StringIO()
    printer = TailPrinter(out, FlowFilter.parse("status=4xx"))
    printer.feed({"seq": 0, "event": report.to_json(), "flow": None})
    for item in _items(1, 400, "/__ws/websocket"):
        printer.feed(item)
    line = out.getvalue()
    assert line[:2].isdigit() and line[8] == " "  # the line's time, then the line
    assert line[9:] == (
        "GET /__ws/websocket?room_id= 400 room_id is empty 1.2ms "
        "opened by src/App.tsx:118 in useStableSocket\n"
    )
