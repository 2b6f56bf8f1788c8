"""HAR in the inspector page, in real Chromium: *Export HAR* downloads the flows the filter
shows as valid HAR 1.2 with the page's socket messages, and *Import* takes a Chrome-shaped HAR
and shows its rows with their causes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import chromium, needs_chromium, shots
from tests.conftest import Nano
from tests.inspector.test_har import validate

if TYPE_CHECKING:
    from playwright.async_api import Page

try:
    from playwright.async_api import expect
except ImportError:  # pragma: no cover - the browser tests skip without playwright
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, needs_chromium]
CHROME = Path(__file__).parent.parent / "inspector" / "har" / "chrome-deployed.har"
OPEN_AND_SEND = """async (url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.onmessage = (m) => { if (JSON.parse(m.data).type === 'reset') {
    ws.send(JSON.stringify({action: 'rpc', method: 'getSchema', requestId: 'from-page'}));
    setTimeout(() => { ws.close(1000); resolve('sent'); }, 200); } };
  ws.onclose = (e) => resolve('closed ' + e.code);
})"""


async def download_har(page: Page, folder: Path, name: str) -> dict[str, Any]:
    async with page.expect_download() as info:
        await page.click("#export-har")
    download = await info.value
    target = folder / name
    await download.save_as(target)
    data: dict[str, Any] = json.loads(target.read_text())
    return data


async def test_export_har_follows_the_filter(nano: Nano) -> None:
    key = await nano.key()
    folder = shots("test_export_har_follows_the_filter")
    async with chromium() as browser:
        app_page = await browser.new_page()
        await app_page.goto(f"{nano.base}/")
        opened = await app_page.evaluate(OPEN_AND_SEND, nano.ws_url(room_id="har-page", key=key))
        assert opened == "sent"
        assert await app_page.evaluate(OPEN_AND_SEND, nano.ws_url(room_id="")) == "closed 1006"
        page = await browser.new_page(viewport={"width": 1024, "height": 768})
        await page.goto(f"{nano.base}/__nanodev/")
        await expect(page.locator("#live-status")).to_have_text("live")
        everything = await download_har(page, folder, "all.har")
        validate(everything)
        sockets = [e for e in everything["log"]["entries"] if e.get("_resourceType")]
        good = next(e for e in sockets if "room_id=har-page" in e["request"]["url"])
        sent = [m for m in good["_webSocketMessages"] if m["type"] == "send"]
        assert json.loads(sent[0]["data"])["requestId"] == "from-page"
        assert key not in json.dumps(everything)
        await page.fill("#f-status", "4xx")
        refused = await download_har(page, folder, "refused.har")
        assert {e["response"]["status"] for e in refused["log"]["entries"]} == {400}
        assert len(refused["log"]["entries"]) < len(everything["log"]["entries"])


async def test_import_takes_a_chrome_har(nano: Nano) -> None:
    folder = shots("test_import_takes_a_chrome_har")
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1440, "height": 900})
        await page.goto(f"{nano.base}/__nanodev/")
        await expect(page.locator("#live-status")).to_have_text("live")
        await page.set_input_files("#import", str(CHROME))
        await expect(page.locator("#import-banner")).to_be_visible()
        await expect(page.locator("#import-text")).to_contain_text("6 flows")
        cause = page.get_by_text("room_id query parameter is missing").first
        await expect(cause).to_be_visible(timeout=10_000)
        await page.screenshot(path=str(folder / "imported-chrome-har.png"))
