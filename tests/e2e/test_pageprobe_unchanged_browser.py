"""The page probe changes nothing a page can observe: the same events, codes, reasons, URLs,
constructors and console, with and without it, for a socket that opens, one that is refused,
one the server closes and one that asks for a protocol; a page with no sockets sends nothing;
and a page whose nanodev went away raises nothing."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser import chromium, needs_chromium
from tests.conftest import Nano

pytestmark = [pytest.mark.browser, needs_chromium]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>plain</title></head><body>
<script>
window.trace = (url, protocols, send) => new Promise((resolve) => {
  const log = [];
  let ws;
  try { ws = protocols ? new WebSocket(url, protocols) : new WebSocket(url); }
  catch (e) { resolve([`throw ${e.name}`]); return; }
  log.push(`url ${ws.url}`, `state ${ws.readyState}`, `binaryType ${ws.binaryType}`,
    `instanceof ${ws instanceof WebSocket}`, `constructor ${ws.constructor === WebSocket}`,
    `proto ${Object.getPrototypeOf(ws) === WebSocket.prototype}`,
    `statics ${WebSocket.name} ${WebSocket.length} ${WebSocket.OPEN} ${WebSocket.CLOSED}`);
  ws.onopen = () => log.push(`open ${ws.readyState} ${ws.protocol} ${ws.extensions}`);
  ws.addEventListener("error", (e) => log.push(`error ${e.type} ${e.isTrusted} ${ws.readyState}`));
  ws.onmessage = (m) => { log.push(`message ${m.data}`); if (!send) ws.close(4000, "page done"); };
  // send === "wait": the server closes it (the test asks nanodev to).
  ws.onclose = (e) => { log.push(`close ${e.code} ${e.reason} ${e.wasClean} ${ws.readyState}`);
    resolve(log); };
});
</script></body></html>"""


def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir(exist_ok=True)
    (root / "index.html").write_text(PAGE)
    return root


async def run_scenarios(nano: Nano) -> tuple[list[list[str]], list[str], list[str]]:
    key = await nano.key()
    base = f"ws://127.0.0.1:{nano.server.port}/__ws/websocket"
    cases: list[tuple[str, Any, Any]] = [
        (f"{base}?room_id=test-room&key={key}", None, None),  # opens, reset frame, page closes
        (f"{base}?room_id", None, None),  # refused: 1006 is all the page gets
        (f"{base}?room_id=test-room&key={key}", None, "wait"),  # the server closes it
        (f"{base}?room_id=test-room&key={key}", ["nano.v1"], None),  # a protocol nobody chose
        ("ftp://127.0.0.1/not-a-socket", None, None),  # the browser throws
    ]
    console: list[str] = []
    errors: list[str] = []
    async with chromium() as browser:
        page = await browser.new_page()
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{nano.base}/")
        logs = []
        for case in cases:
            running = asyncio.create_task(page.evaluate("(a) => trace(...a)", list(case)))
            if case[2] == "wait":
                await close_from_server(nano)
            log = await running
            if case[2] == "wait":
                # Whether the browser calls a server-initiated close clean depends on which of
                # the TCP close and the echoed close frame it sees first: it varies from run to
                # run with or without the probe, so it is left out of the comparison.
                log[-1] = re.sub(r" (true|false) 3$", " ? 3", log[-1])
            logs.append(log)
    port = str(nano.server.port)
    same = [[line.replace(port, "PORT").replace(key, "KEY") for line in log] for log in logs]
    console = [re.sub(r"\d{4,5}", "PORT", line.replace(key, "KEY")) for line in console]
    return same, console, errors


async def close_from_server(nano: Nano) -> None:
    """nanodev closes the one open socket (the inspector's close action)."""
    deadline = time.monotonic() + 10
    while not (flows := [f for f in nano.core.recorder.flows.values() if f.open]):
        assert time.monotonic() < deadline, "the socket never opened"
        await asyncio.sleep(0.05)
    url = f"{nano.base}/__nanodev/api/flows/{flows[0].id}/close"
    async with nano.session.post(url, json={}) as r:
        assert r.status == 200


async def test_a_page_sees_the_same_with_and_without_the_probe(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    with_probe = await make_nano(static_dir=site(tmp_path))
    without = await make_nano(static_dir=site(tmp_path), page_probe=False)
    seen_with = await run_scenarios(with_probe)
    seen_without = await run_scenarios(without)
    for case, (log_with, log_without) in enumerate(zip(seen_with[0], seen_without[0], strict=True)):
        assert log_with == log_without, f"case {case}"
    assert seen_with[1:] == seen_without[1:]
    logs, _console, errors = seen_with
    assert errors == []
    assert logs[0][-3:-1] == ["open 1  ", 'message {"type":"reset"}']
    assert logs[0][-1].endswith(" true 3")  # a clean close, whatever code the server echoed
    assert logs[1][-2:] == ["error error true 3", "close 1006  false 3"]
    assert logs[2][-1] == "close 1000 closed from the nanodev inspector ? 3"
    assert logs[4] == ["throw SyntaxError"]
    assert "constructor true" in logs[0] and "instanceof true" in logs[0]
    # The probe did report, while the page saw nothing of it.
    assert any(e.kind == "page_socket" for _s, e in with_probe.core.recorder.events)


async def test_a_page_without_sockets_sends_nothing(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    nano = await make_nano(static_dir=site(tmp_path))
    requests: list[str] = []
    console: list[str] = []
    async with chromium() as browser:
        page = await browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: console.append(m.text))
        await page.goto(f"{nano.base}/")
        assert await page.evaluate("typeof window.__nanodevProbe") == "object"
        await page.wait_for_timeout(300)
    assert not [u for u in requests if "/probe/report" in u]
    assert console == []


async def test_no_exception_and_no_output_when_nanodev_is_gone(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    nano = await make_nano(static_dir=site(tmp_path))
    errors: list[str] = []
    console: list[str] = []
    async with chromium() as browser:
        page = await browser.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: console.append(m.text))
        await page.goto(f"{nano.base}/")
        # nanodev goes away once the page is up (its report socket open, as after any load).
        await page.wait_for_function("__nanodevProbe.channel?.readyState === 1")
        port = nano.server.port
        await nano.server.close()
        log = await page.evaluate("(u) => trace(u)", f"ws://127.0.0.1:{port}/x")
        await page.wait_for_timeout(500)  # the report's attempt has failed by now
        state = await page.evaluate("({off: __nanodevProbe.off, sent: __nanodevProbe.reports})")
    assert log[-1].startswith("close 1006")
    assert errors == []
    # Live reload and the page's own socket log their failures; nothing of the probe's does.
    assert [line for line in console if "probe" in line or "Failed to load" in line] == []
    assert state == {"off": True, "sent": 0}  # it stopped for good
