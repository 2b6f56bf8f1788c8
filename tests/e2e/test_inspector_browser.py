"""The inspector in real Chromium: live rows with causes, the detail, filters, inert rendering
of hostile text, and cross-site pages that must not reach it."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.browser import chromium, needs_chromium, shots
from tests.conftest import Nano, rpc

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

try:
    from playwright.async_api import expect
except ImportError:  # pragma: no cover - the browser tests skip without playwright
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, needs_chromium]


async def open_inspector(browser: Browser, nano: Nano) -> Page:
    page = await browser.new_page(viewport={"width": 1500, "height": 1000})
    await page.goto(f"{nano.base}/__nanodev/")
    await expect(page.locator("#live-status")).to_have_text("live")
    return page


async def at_least(locator: Locator, n: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while await locator.count() < n:
        assert time.monotonic() < deadline, f"fewer than {n} rows"
        await asyncio.sleep(0.1)


OPEN_SOCKET = """async (url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  window.sockets = window.sockets || [];
  window.sockets.push(ws);
  ws.onmessage = (m) => { if (JSON.parse(m.data).type === 'reset') {
    ws.send(JSON.stringify({action: 'rpc', method: 'getSchema', requestId: 'from-page'}));
    resolve('open'); } };
  ws.onclose = (e) => resolve('closed ' + e.code);
})"""


async def test_inspector_shows_failing_handshakes_live(nano: Nano) -> None:
    out = shots("test_inspector_shows_failing_handshakes_live")
    expired = await nano.key(expired=True)
    good = await nano.key(key_id="nk_test_BrowserGood0123456789")
    async with chromium() as browser:
        inspector = await open_inspector(browser, nano)
        app_page = await browser.new_page()
        await app_page.goto(f"{nano.base}/health")
        ws_base = nano.ws_url()
        assert await app_page.evaluate(OPEN_SOCKET, f"{ws_base}?room_id=") == "closed 1006"
        assert (
            await app_page.evaluate(OPEN_SOCKET, f"{ws_base}?room_id=my-room&key={expired}")
            == "closed 1006"
        )
        assert await app_page.evaluate(OPEN_SOCKET, f"{ws_base}?room_id=my-room&key={good}") == (
            "open"
        )
        rows = inspector.locator("#rows .row").filter(has_text="/__ws/websocket")
        await expect(rows.and_(inspector.locator(".row.allowed"))).to_have_count(1)
        await expect(rows.and_(inspector.locator(".row.refused"))).to_have_count(2)
        await inspector.screenshot(path=str(out / "1-live-rows.png"), full_page=True)
        texts = await rows.all_inner_texts()
        assert "room_id is present but empty" in texts[2]
        assert "in the past" in texts[1] and "401" in texts[1]
        assert "101" in texts[0] and "my-room" in texts[0]

        await rows.nth(0).click()
        detail = inspector.locator("#detail")
        await detail.get_by_text("api_keys lookup").wait_for()
        await detail.get_by_text("from-page").first.wait_for()
        text = await detail.inner_text()
        assert "nk_test_…6789" in text
        assert "Auth decision" in text and "Frames" in text
        await inspector.screenshot(path=str(out / "2-detail.png"), full_page=True)
        assert good not in await inspector.content()

        await rows.nth(2).click()
        await detail.get_by_text("room_id is present but empty").first.wait_for()
        await inspector.screenshot(path=str(out / "3-refused-detail.png"), full_page=True)

        await inspector.fill("#f-status", "4xx")
        await expect(inspector.locator("#rows .row.allowed")).to_have_count(0)
        assert await rows.count() == 2
        await inspector.screenshot(path=str(out / "4-filtered.png"), full_page=True)


async def test_inspector_roomless_pattern_and_rooms_tab(nano: Nano) -> None:
    out = shots("test_inspector_roomless_pattern_and_rooms_tab")
    cookie = await nano.cookie()
    for _ in range(3):  # partysocket reconnecting the URL it was built with
        with pytest.raises(Exception, match="400"):
            await nano.session.ws_connect(nano.ws_url(), headers={"Cookie": cookie})
    ws = await nano.connect("pattern-room")
    await ws.send_json({"action": "subscribe", "table": "tasks"})
    await rpc(ws, "createTask", {"title": "hello"}, request_id="t")
    async with chromium() as browser:
        page = await open_inspector(browser, nano)
        banner = page.locator("#patterns .pattern")
        await banner.wait_for()
        text = await banner.inner_text()
        assert "3 cookie-carrying handshakes from dev@example.com's page" in text
        assert "never checked" in text
        assert "before the room was known" in await banner.inner_text()
        await page.screenshot(path=str(out / "1-pattern.png"), full_page=True)
        # The page session of a room-less attempt shows the loop: three attempts, none open.
        await page.locator("#rows .row.refused").first.click()
        loop = page.locator("#detail .pattern.loop")
        await expect(loop).to_contain_text("Reconnect loop: 3 attempts")
        await expect(page.locator("#detail .timeline .mark-refused")).to_have_count(1)
        await page.click("#tab-rooms")
        await page.locator(".room-card").get_by_text("Room pattern-room").wait_for()
        rooms_text = await page.locator("#rooms").inner_text()
        assert "tasks" in rooms_text and "update" in rooms_text
        await page.screenshot(path=str(out / "2-rooms.png"), full_page=True)


XSS = [
    "<script>window.__xss=1;alert(1);document.title='x'</script>",
    '"><img src=x onerror="window.__xss=2;alert(2)">',
    "<svg/onload=window.__xss=3;alert(3)>",
]


async def _raw(port: int, request: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    await reader.read(1000)
    writer.close()


@pytest.mark.parametrize("csp", ["enforced", "bypassed"])
async def test_hostile_text_is_rendered_inertly(nano: Nano, csp: str) -> None:
    """With the CSP bypassed too: rendering through textContent alone must keep text inert."""
    out = shots(f"test_hostile_text_is_rendered_inertly-{csp}")
    port = nano.server.port
    assert port is not None
    for n, payload in enumerate(XSS):
        raw_path = "/" + payload.replace(" ", "%20")
        await _raw(
            port,
            f"GET {raw_path}?room_id={payload.replace(' ', '+')} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nUser-Agent: {payload}\r\nOrigin: {payload}\r\n"
            f"Referer: {payload}\r\nConnection: close\r\n\r\n".encode(),
        )
        ws = await nano.connect(f"xss-room-{n}")
        await ws.send_str(payload)
        await rpc(ws, "getSchema", {"note": payload}, request_id=f"x{n}")
    assert any("<script>" in f.path for f in nano.core.recorder.flows.values())
    async with chromium() as browser:
        context = await browser.new_context(bypass_csp=csp == "bypassed")
        page = await context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        await page.goto(f"{nano.base}/__nanodev/")
        await expect(page.locator("#live-status")).to_have_text("live")
        await at_least(page.locator("#rows .row"), 6)
        for index in range(await page.locator("#rows .row").count()):
            await page.locator("#rows .row").nth(index).click()
            await page.wait_for_timeout(60)
        await page.locator("#detail").get_by_text(XSS[0]).first.wait_for()
        await page.click("#tab-rooms")
        await page.wait_for_timeout(400)
        await page.click("#tab-flows")
        await page.screenshot(path=str(out / "inert.png"), full_page=True)
        if csp == "bypassed":  # page scripts may run: prove none of the payloads did
            assert await page.evaluate("typeof window.__xss") == "undefined"
        assert dialogs == []
        assert await page.title() == "nanodev inspector"
        assert await page.locator("#rows img, #detail img, #rows script, #detail svg").count() == 0
        body = await page.locator("body").inner_text()
        assert XSS[0] in body and "onerror" in body


EVIL_PAGE = """<!doctype html><html><body>
<form id="f" method="post" action="{target}/__nanodev/api/clear" enctype="text/plain">
<input name='{{"a":"' value='"}}'></form><script>
window.results = {{}};
fetch('{target}/__nanodev/api/clear', {{method: 'POST', mode: 'no-cors',
  headers: {{'Content-Type': 'text/plain'}}, body: '{{}}'}}).then(
  () => window.results.fetch = 'sent', (e) => window.results.fetch = 'blocked');
fetch('{target}/__nanodev/api/flows').then(r => r.text()).then(
  (t) => window.results.read = t, () => window.results.read = 'blocked');
const ws = new WebSocket('{ws}/__nanodev/api/live');
ws.onopen = () => window.results.live = 'open';
ws.onclose = (e) => window.results.live = 'closed ' + e.code;
</script></body></html>"""


async def test_cross_site_page_cannot_use_the_inspector(nano: Nano) -> None:
    out = shots("test_cross_site_page_cannot_use_the_inspector")
    await nano.get("/health")
    events_before = len(nano.core.recorder.events)

    async def evil(request: web.Request) -> web.Response:
        html = EVIL_PAGE.format(target=nano.base, ws=nano.base.replace("http", "ws"))
        return web.Response(text=html, content_type="text/html")

    evil_app = web.Application()
    evil_app.router.add_get("/", evil)
    evil_server = TestServer(evil_app, host="127.0.0.1", port=0)
    await evil_server.start_server()
    try:
        async with chromium() as browser:
            page = await browser.new_page()
            await page.goto(f"http://127.0.0.1:{evil_server.port}/")
            await page.wait_for_function(
                "window.results.live && window.results.fetch && window.results.read"
            )
            results = await page.evaluate("window.results")
            async with page.expect_navigation():  # wait for the 403 page itself, not the old one
                await page.evaluate("document.getElementById('f').submit()")
            await page.screenshot(path=str(out / "evil.png"))
            body = await page.content()
        assert "refused" in body  # the form post landed on the 403 page
    finally:
        await evil_server.close()
    assert results["live"] == "closed 1006"  # the live socket was refused before 101
    assert results["read"] == "blocked"  # no CORS: the evil page cannot read the API
    assert events_before > 0
    assert len(nano.core.recorder.events) >= events_before, "a cross-site request cleared it"
