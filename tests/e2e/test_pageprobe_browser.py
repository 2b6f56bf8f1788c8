"""Both sides of a failed socket in real Chromium: the page probe's report of a page built with
the real `partysocket` (tests/node/pageapp, bundled by esbuild with a source map), joined to the
handshake nanodev refused."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.browser import chromium, for_docs, needs_chromium, shots
from tests.conftest import Nano
from tests.fake_worker import make_app as make_worker

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

try:
    from playwright.async_api import expect
except ImportError:  # pragma: no cover - the browser tests skip without playwright
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, needs_chromium]

PAGEAPP = Path(__file__).resolve().parents[1] / "node" / "pageapp"
# The line docs/frontend.md tells a set-up with its own page server to add (first in <head>).
DOCUMENTED_LINE = '<script src="/__nanodev/probe.js"></script>'
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
        await inspector.locator(f'#rows .row[data-flow="{details[1]["flow"]["id"]}"]').click()
        sides_box = inspector.locator(".sides")
        await expect(sides_box).to_contain_text(f"src/useStableSocket.js:{HOOK_LINE}")
        await expect(sides_box).to_contain_text("reconnect attempt 2")
        await expect(sides_box).to_contain_text("close 1006")
        await expect(sides_box.locator(".nanodev-side")).to_contain_text("room_id")
        await expect(inspector.locator("#detail .pattern").first).to_contain_text(
            f"created at src/useStableSocket.js:{HOOK_LINE} in useStableSocket"
        )
        await inspector.screenshot(path=str(out / "both-sides.png"), full_page=True)
        for_docs(out / "both-sides.png", "inspector-both-sides.png")


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
        for_docs(out / "demo-classic.png", "demo-classic-failure.png")
        link = page.locator("#classic-link")
        flow = (await link.get_attribute("href") or "").rsplit("=", 1)[-1]
        await link.click()
        await expect(page.locator("#detail h2")).to_contain_text(f"#{flow} GET /__ws/websocket")
        await expect(page.locator("#detail .sides")).to_contain_text(
            f"opened by /__nanodev/demo/demo.js:{DEMO_LINE}:"
        )
        await expect(page.locator("#detail .sides")).to_contain_text("in openClassic")


async def first_joined(nano: Nano, page_url: str, browser: Browser) -> dict[str, Any]:
    """Load `page_url` (the pageapp) and return the first handshake's detail, page side joined."""
    page = await cookie_page(browser, nano)
    await page.goto(page_url)
    await until(lambda: page.evaluate("window.seen.includes('close')"))
    details = await joined_handshakes(nano, 1)
    joined = [d for d in details if d["sides"]["page"]]
    return joined[0]


@pytest.mark.parametrize("maps", ["linked", "inline", "external", "none"])
async def test_static_build_with_and_without_maps(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path, maps: str
) -> None:
    nano = await make_nano(static_dir=build_page(tmp_path / "dist", maps))
    async with chromium() as browser:
        detail = await first_joined(nano, f"{nano.base}/", browser)
    construct = detail["sides"]["page"]["construct"]
    if maps == "none":  # the bundle position and function, and how to get file:line
        assert re.fullmatch(r"/assets/app\.js:\d+:\d+ useStableSocket", construct["opened_by"])
        assert "sourcemap: true" in construct["hint"]
    else:  # a linked .map, an inline data: URL, or a .map beside the bundle with no comment
        assert construct["opened_by"] == f"src/useStableSocket.js:{HOOK_LINE} useStableSocket"
        assert construct["hint"] == ""
        assert construct["collapsed"] >= 1  # partysocket's own frames, folded away


async def relay_to(nano: Nano, dist: Path) -> TestServer:
    """Another server (Vite's place): it serves the page and proxies `/__nanodev` and `/__ws`
    to nanodev, HTTP and WebSocket, keeping Host and Origin (Vite's default)."""
    session = aiohttp.ClientSession()

    async def proxied(request: web.Request) -> web.StreamResponse:
        target = f"127.0.0.1:{nano.server.port}{request.path_qs}"
        keep = ("origin", "cookie", "accept", "user-agent")
        headers = {k: v for k, v in request.headers.items() if k.lower() in keep}
        headers["Host"] = request.host
        if request.headers.get("Upgrade", "").lower() != "websocket":
            async with session.get(f"http://{target}", headers=headers) as upstream:
                return web.Response(status=upstream.status, body=await upstream.read())
        try:
            theirs = await session.ws_connect(f"ws://{target}", headers=headers)
        except aiohttp.WSServerHandshakeError as exc:
            return web.Response(status=exc.status, text="refused upstream")
        ours = web.WebSocketResponse()
        await ours.prepare(request)
        await asyncio.gather(pump(ours, theirs), pump(theirs, ours))
        return ours

    async def static(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"] or "index.html"
        return web.FileResponse(dist / name)

    app = web.Application()
    app.router.add_route("*", "/__nanodev/{rest:.*}", proxied)
    app.router.add_route("*", "/__ws/{rest:.*}", proxied)
    app.router.add_get("/{name:.*}", static)
    app.on_cleanup.append(lambda _app: session.close())
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    return server


async def pump(src: Any, dst: Any) -> None:
    async for msg in src:
        if msg.type is aiohttp.WSMsgType.TEXT:
            await dst.send_str(msg.data)
    await dst.close()


async def test_documented_script_line_on_a_page_served_by_another_server(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    dist = build_page(tmp_path / "dist", "linked")
    html = (dist / "index.html").read_text()
    (dist / "index.html").write_text(html.replace("<head>", f"<head>{DOCUMENTED_LINE}", 1))
    nano = await make_nano()
    other = await relay_to(nano, dist)
    port = other.port
    try:
        async with chromium() as browser:
            detail = await first_joined(nano, f"http://127.0.0.1:{other.port}/", browser)
    finally:
        await other.close()
    sides = detail["sides"]
    assert sides["page"]["construct"]["opened_by"] == (
        f"src/useStableSocket.js:{HOOK_LINE} useStableSocket"
    )
    assert sides["page"]["construct"]["origin"] == f"http://127.0.0.1:{port}"
    assert sides["page"]["close_code"] == 1006
    assert sides["nanodev"].startswith("400 ")


async def test_the_join_works_when_nanodev_relays_to_a_real_worker(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    worker = TestServer(make_worker(), host="127.0.0.1", port=0)
    await worker.start_server()
    try:
        nano = await make_nano(
            static_dir=build_page(tmp_path / "dist", "linked"),
            upstream=f"http://127.0.0.1:{worker.port}",
        )
        async with chromium() as browser:
            detail = await first_joined(nano, f"{nano.base}/", browser)
    finally:
        await worker.close()
    sides = detail["sides"]
    assert detail["flow"]["destination"] == "upstream"
    assert sides["page"]["construct"]["opened_by"] == (
        f"src/useStableSocket.js:{HOOK_LINE} useStableSocket"
    )
    assert sides["page"]["close_code"] == 1006
    assert sides["nanodev"].startswith("400 ") and "room_id" in sides["nanodev"]
