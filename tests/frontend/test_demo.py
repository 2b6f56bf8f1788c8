"""The built-in demo: the seed endpoint's guards, its identity, and two real browser tabs."""

from __future__ import annotations

import pytest

from nanodev.frontend.demo import DEMO_EMAIL, DEMO_ROOM, refusal
from tests.browser import chromium, needs_chromium, shots
from tests.conftest import Nano, rpc


@pytest.mark.parametrize(
    ("remote", "host", "origin", "refused"),
    [
        ("127.0.0.1", "127.0.0.1:3000", "http://127.0.0.1:3000", False),
        ("::1", "[::1]:3000", None, False),
        ("127.0.0.1", "localhost:3000", "http://localhost:3000", False),
        ("192.168.1.5", "127.0.0.1:3000", None, True),
        ("127.0.0.1", "evil.example:3000", "http://evil.example:3000", True),
        ("127.0.0.1", "127.0.0.1:3000", "http://evil.example", True),
        (None, "127.0.0.1:3000", None, True),
    ],
)
def test_seed_refusal(remote: str | None, host: str, origin: str | None, refused: bool) -> None:
    assert (refusal(remote, host, origin) is not None) is refused


async def test_demo_page_and_idempotent_seed(nano: Nano) -> None:
    page = await nano.get("/")
    assert page.status == 200 and "nanodev demo" in await page.text()
    assert (
        (await nano.get("/__nanodev/demo/demo.js"))
        .headers["Content-Type"]
        .startswith("text/javascript")
    )
    assert (await nano.get("/__nanodev/demo/index.html")).status == 404  # fixed asset list
    assert (await nano.get("/no/such/page")).status == 404
    first = await (await nano.session.post(nano.base + "/__nanodev/demo/seed")).json()
    second = await (await nano.session.post(nano.base + "/__nanodev/demo/seed")).json()
    assert first == second
    assert first["email"] == DEMO_EMAIL and first["room"] == DEMO_ROOM
    assert first["wsUrl"].endswith(f"/__ws/websocket?room_id={DEMO_ROOM}&key={first['key']}")
    assert await nano.core.db.room_owner(DEMO_ROOM) == first["userId"]
    foreign = await nano.session.post(
        nano.base + "/__nanodev/demo/seed", headers={"Origin": "http://evil.example"}
    )
    assert foreign.status == 403
    assert (await nano.session.get(nano.base + "/__nanodev/demo/seed")).status == 404  # POST only


@pytest.mark.browser
@needs_chromium
async def test_demo_works_end_to_end_in_two_tabs(nano: Nano) -> None:
    out = shots("test_demo_works_end_to_end_in_two_tabs")
    async with chromium() as browser:
        context = await browser.new_context()
        one, two = await context.new_page(), await context.new_page()
        for page in (one, two):
            await page.goto(nano.base + "/")
            await page.wait_for_selector("body[data-ready=true]", timeout=10_000)
            assert await page.text_content("#state") == f"connected to {DEMO_ROOM}"
        assert await one.get_attribute("#inspector", "href") == "/__nanodev/"

        await one.fill("#text", "written in tab one")
        await one.press("#text", "Enter")
        cell = "td.text >> text=written in tab one"
        await two.wait_for_selector(cell, timeout=10_000)
        await one.wait_for_selector(cell, timeout=10_000)
        await two.screenshot(path=str(out / "1-insert-seen-in-tab-two.png"))

        edited = two.locator("td.text").first
        await edited.click()
        await two.keyboard.press("End")
        await two.keyboard.type(" (edited in two)")
        await two.keyboard.press("Enter")
        await one.wait_for_selector("td.text >> text=written in tab one (edited in two)")
        await one.check("td input[type=checkbox]")
        await two.wait_for_function(
            "document.querySelector('td input[type=checkbox]').checked === true"
        )
        await one.screenshot(path=str(out / "2-edit-seen-in-tab-one.png"))

    # What the tabs did is really in the room's store.
    key = (await (await nano.session.post(nano.base + "/__nanodev/demo/seed")).json())["key"]
    ws = await nano.connect(DEMO_ROOM, key)
    result, _ = await rpc(ws, "executeSQL", {"sql": "SELECT text, done FROM notes"})
    assert result["data"] == [{"text": "written in tab one (edited in two)", "done": 1}]
