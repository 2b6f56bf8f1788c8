"""Both sides of a failed socket in real Chromium: the page probe's report of a page built with
the real `partysocket` (tests/node/pageapp, bundled by esbuild with a source map), joined to the
handshake nanodev refused."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import chromium, needs_chromium, shots
from tests.conftest import Nano

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

try:
    from playwright.async_api import expect
except ImportError:  # pragma: no cover - the browser tests skip without playwright
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, needs_chromium]

PAGEAPP = Path(__file__).resolve().parents[1] / "node" / "pageapp"
HOOK_LINE = next(
    n
    for n, line in enumerate((PAGEAPP / "src" / "useStableSocket.js").read_text().splitlines(), 1)
    if "new ReconnectingWebSocket" in line
)


def build_page(out: Path, maps: str) -> Path:
    """The test page bundled into `out` with source maps `linked`, `inline`, `external` (a
    .map beside the bundle, no comment) or `none`."""
    subprocess.run(["node", str(PAGEAPP / "build.mjs"), str(out), maps], check=True, timeout=60)
    return out


async def cookie_page(browser: Browser, nano: Nano) -> Page:
    name, _, value = (await nano.cookie()).split(";", 1)[0].partition("=")
    context = await browser.new_context()
    await context.add_cookies([{"name": name, "value": value, "url": nano.base}])
    return await context.new_page()


async def until(probe: Callable[[], Awaitable[Any]], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = await probe()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def joined_handshakes(nano: Nano, count: int) -> list[dict[str, Any]]:
    """The upgrade flows' details once `count` of them have their page side."""

    async def ready() -> list[dict[str, Any]] | None:
        rows = (await (await nano.get("/__nanodev/api/flows")).json())["flows"]
        details = []
        for row in reversed(rows):
            if row["upgrade"]:
                details.append(await (await nano.get(f"/__nanodev/api/flows/{row['id']}")).json())
        joined = [d for d in details if d["sides"]["page"] and d["sides"]["page"]["seen"]]
        return details if len(joined) >= count else None

    found: list[dict[str, Any]] = await until(ready)
    return found


async def test_partysocket_page_shows_its_line_beside_the_refusal(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    out = shots("test_partysocket_page_shows_its_line_beside_the_refusal")
    nano = await make_nano(static_dir=build_page(tmp_path / "dist", "linked"))
    async with chromium() as browser:
        page = await cookie_page(browser, nano)
        await page.goto(f"{nano.base}/")
        await until(lambda: page.evaluate("window.seen.filter((s) => s === 'close').length >= 3"))
        details = await joined_handshakes(nano, 3)
        for attempt, detail in enumerate(details[:3], 1):
            sides = detail["sides"]
            construct = sides["page"]["construct"]
            assert construct["opened_by"] == f"src/useStableSocket.js:{HOOK_LINE} useStableSocket"
            assert construct["attempt"] == attempt
            assert sides["page"]["close_code"] == 1006
            assert sides["nanodev"].startswith("400 ") and "room_id" in sides["nanodev"]
            assert (
                f"opened by src/useStableSocket.js:{HOOK_LINE} in useStableSocket"
                in (sides["page_sentence"])
            )
        assert details[1]["sides"]["page"]["construct"]["since_previous_ms"] >= 250
        assert (
            f"src/useStableSocket.js:{HOOK_LINE} useStableSocket"
            in details[0]["pattern"]["created_at"]
        )
        inspector = await browser.new_page(viewport={"width": 1500, "height": 1000})
        await inspector.goto(f"{nano.base}/__nanodev/")
        await inspector.locator(f'#rows tr[data-flow="{details[1]["flow"]["id"]}"]').click()
        sides_box = inspector.locator(".sides")
        await expect(sides_box).to_contain_text(f"src/useStableSocket.js:{HOOK_LINE}")
        await expect(sides_box).to_contain_text("reconnect attempt 2")
        await expect(sides_box).to_contain_text("close 1006")
        await expect(sides_box.locator(".nanodev-side")).to_contain_text("room_id")
        await expect(inspector.locator("#detail .pattern")).to_contain_text(
            f"created at src/useStableSocket.js:{HOOK_LINE} in useStableSocket"
        )
        await inspector.screenshot(path=str(out / "both-sides.png"), full_page=True)


DEMO_JS = Path(__file__).resolve().parents[2] / "nanodev" / "frontend" / "demo" / "demo.js"
DEMO_LINE = next(
    n
    for n, line in enumerate(DEMO_JS.read_text().splitlines(), 1)
    if "new WebSocket(url); // the line" in line
)


async def test_demo_reproduces_the_classic_failure_and_explains_it(nano: Nano) -> None:
    out = shots("test_demo_reproduces_the_classic_failure_and_explains_it")
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1200, "height": 1100})
        await page.goto(f"{nano.base}/")
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        await page.locator("#reproduce").click()
        saw = page.locator("#page-saw li")
        await expect(saw).to_have_count(3)
        for item in await saw.all():  # all the page gets: an error and 1006
            await expect(item).to_contain_text("error, close 1006")
        knows = page.locator("#nanodev-knows")
        await expect(knows).to_contain_text("400 room_id query parameter is missing")
        await expect(knows).to_contain_text(f"/__nanodev/demo/demo.js:{DEMO_LINE}")
        await expect(knows).to_contain_text("openClassic")
        await page.screenshot(path=str(out / "demo-classic.png"), full_page=True)
        link = page.locator("#classic-link")
        flow = (await link.get_attribute("href") or "").rsplit("=", 1)[-1]
        await link.click()
        await expect(page.locator("#detail h2")).to_contain_text(f"#{flow} GET /__ws/websocket")
        await expect(page.locator("#detail .sides")).to_contain_text(
            f"opened by /__nanodev/demo/demo.js:{DEMO_LINE}:"
        )
        await expect(page.locator("#detail .sides")).to_contain_text("in openClassic")
