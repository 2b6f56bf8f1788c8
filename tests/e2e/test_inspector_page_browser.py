"""The inspector page as a network panel, in real Chromium at 1024x768 and 1440x900: one line
per row with the query visible, statuses coloured by class, an empty filter that says what it
hides, the replay editor, a socket's timeline and page session, and the Rooms tab's table
browser. The screenshots of docs/inspector.md are taken here."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser import chromium, for_docs, needs_chromium, shots
from tests.conftest import Nano, rpc

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

try:
    from playwright.async_api import expect
except ImportError:  # pragma: no cover - the browser tests skip without playwright
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, needs_chromium]

WIDTHS = [(1024, 768), (1440, 900)]
LONG_QUERY = "room_id=board-with-a-long-name&debug=1&cursor=abcdefghijklmnopqrstuvwxyz0123456789"


async def open_inspector(browser: Browser, nano: Nano, width: int, height: int) -> Page:
    page = await browser.new_page(viewport={"width": width, "height": height})
    await page.goto(f"{nano.base}/__nanodev/")
    await expect(page.locator("#live-status")).to_have_text("live")
    return page


@pytest.mark.parametrize(("width", "height"), WIDTHS)
async def test_every_row_is_one_line_with_its_query(nano: Nano, width: int, height: int) -> None:
    out = shots(f"test_every_row_is_one_line_with_its_query-{width}")
    key = await nano.key()
    ws = await nano.connect("board-with-a-long-name", key=key)
    await rpc(ws, "getSchema", None, "s")
    with pytest.raises(Exception, match="400"):
        await nano.session.ws_connect(nano.ws_url() + "?room_id=&debug=1")
    await nano.get("/no-such-page")
    await nano.get(f"/__ws/websocket?{LONG_QUERY}&key={key}")
    async with chromium() as browser:
        page = await open_inspector(browser, nano, width, height)
        rows = page.locator("#rows .row")
        await expect(rows).to_have_count(4)
        for index in range(4):
            box = await rows.nth(index).bounding_box()
            assert box is not None and box["height"] <= 23, f"row {index} is {box} (not one line)"
            assert box["width"] <= width, "a row wider than the window"
        long_row = rows.filter(has_text="cursor=")
        path_cell = long_row.locator(".path")
        assert LONG_QUERY in (await path_cell.get_attribute("title") or "")
        assert "?room_id=board-with" in await path_cell.inner_text()  # the query is on screen
        title = await path_cell.get_attribute("title") or ""
        assert key not in title and f"key={key[:8]}…{key[-4:]}" in title  # a fingerprint
        cell_box = await path_cell.bounding_box()
        assert cell_box is not None and cell_box["width"] >= 150
        user = (
            await rows.filter(has_text="board-with-a-long-name").first.locator(".user").inner_text()
        )
        assert user == "dev@example.com"  # users by email, not by id
        not_found = rows.filter(has_text="/no-such-page").locator(".status")
        assert await not_found.inner_text() == "404"
        colour = await not_found.evaluate("(e) => getComputedStyle(e).color")
        assert colour != "rgb(26, 127, 55)", "a 404 painted green"
        await page.screenshot(path=str(out / "list.png"))
        if width == 1024:
            for_docs(out / "list.png", "inspector-list-1024.png")
        await page.fill("#f-path", "/nothing-like-this")
        empty = page.locator("#empty")
        await expect(empty).to_contain_text("No requests match path=/nothing-like-this; 4 hidden")
        await rows.first.wait_for(state="detached")


async def test_editor_replay_changes_the_origin_and_shows_the_403_beside_the_101(
    nano: Nano,
) -> None:
    out = shots("test_editor_replay_changes_the_origin")
    cookie = await nano.cookie()
    ws = await nano.session.ws_connect(
        nano.ws_url(room_id="edit-room"), headers={"Cookie": cookie, "Origin": nano.base}
    )
    await ws.receive_json(timeout=5)
    await rpc(ws, "getSchema", None, "first-frame")
    async with chromium() as browser:
        page = await open_inspector(browser, nano, 1440, 900)
        await page.locator("#rows .row.allowed").first.click()
        await page.get_by_role("button", name="Edit and re-run").click()
        editor = page.locator("#detail-editor")
        await editor.locator("#edit-run").wait_for()
        text = await editor.evaluate(
            "(e) => [...e.querySelectorAll('input, textarea')].map((i) => i.value).join(' ')"
        )
        assert cookie.split("=", 1)[1] not in text  # the session stays a fingerprint
        assert "first-frame" in text  # the first frames after the upgrade, ready to resend
        origin = editor.locator(".pair").filter(has=page.locator("input[value='Origin']"))
        await origin.locator(".pair-value").fill("https://evil.example")
        await editor.locator("#edit-run").click()
        result = page.locator("#edit-result .side")
        await result.wait_for()
        cards = result.locator(".outcome-card")
        await expect(cards.nth(0)).to_contain_text("status 101")
        await expect(cards.nth(1)).to_contain_text("status 403")
        assert await result.is_visible()
        assert cookie.split("=", 1)[1] not in await page.content()
        await page.screenshot(path=str(out / "editor.png"))
        for_docs(out / "editor.png", "inspector-editor.png")
    await ws.close()


async def test_rooms_tab_pages_through_500_rows(nano: Nano) -> None:
    out = shots("test_rooms_tab_pages_through_500_rows")
    ws = await nano.connect("big-room")
    table = {"tableName": "orders", "columns": [{"name": "item", "type": "TEXT"}]}
    await rpc(ws, "createTable", table, "c")
    rows = [{"item": f"item-{n:03d}"} for n in range(500)]
    await rpc(ws, "batchInsert", {"table": "orders", "rows": rows}, "b")
    async with chromium() as browser:
        page = await open_inspector(browser, nano, 1024, 768)
        await page.click("#tab-rooms")
        card = page.locator(".room-card").filter(has_text="Room big-room")
        orders = card.get_by_role("row", name="orders 500 Browse")
        await expect(orders).to_contain_text("500")
        await orders.get_by_role("button", name="Browse").click()
        browser_box = page.locator("#table-browser")
        await expect(browser_box.locator(".page-of")).to_contain_text("page 1 of 10 · 500 rows")
        first = browser_box.locator("tbody").last.locator("tr").first
        await expect(first).to_contain_text("item-499")  # newest first
        await expect(first).to_contain_text("added")  # its change, linked to a frame
        assert await first.locator("a.flow-link").count() == 1
        await page.screenshot(path=str(out / "rooms-1.png"))
        for_docs(out / "rooms-1.png", "inspector-rooms.png")
        for page_no in range(2, 11):
            await browser_box.get_by_role("button", name="Older ▶").click()
            await expect(browser_box.locator(".page-of")).to_contain_text(f"page {page_no} of 10")
        await expect(first).to_contain_text("item-049")
        assert await browser_box.get_by_role("button", name="Older ▶").is_disabled()
        await browser_box.locator("th.sortable").filter(has_text="item").click()
        await expect(browser_box.locator(".page-of")).to_contain_text("by item")
        await expect(first).to_contain_text("item-499")
        await browser_box.locator("th.sortable").filter(has_text="item").click()
        await expect(first).to_contain_text("item-000")
        await first.locator("a.flow-link").click()
        await expect(page.locator("#view-flows")).to_be_visible()
        await expect(page.locator("#detail-main h2")).to_contain_text("big-room")
