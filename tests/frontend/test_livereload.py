"""The live-reload channel: snippet injection, the Origin check, and edits reaching a page."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from nanodev.frontend.chooser import FRONTEND
from nanodev.frontend.livereload import SNIPPET, inject_snippet, origin_allowed, reload_message
from nanodev.record.events import Reloaded
from tests.browser import chromium, needs_chromium, shots
from tests.conftest import Nano, wait_for


def test_inject_before_last_body_close() -> None:
    html = b"<html><body><pre></body></pre></BODY ></html>"
    out = inject_snippet(html)
    assert out == b"<html><body><pre></body></pre>" + SNIPPET + b"</BODY ></html>"
    assert inject_snippet(out) == out  # never twice


def test_inject_without_body_or_html() -> None:
    assert inject_snippet(b"<p>x</p></html>") == b"<p>x</p>" + SNIPPET + b"</html>"
    assert inject_snippet(b"<p>x</p>") == b"<p>x</p>" + SNIPPET


@pytest.mark.parametrize(
    ("origin", "host", "allowed", "ok"),
    [
        ("http://127.0.0.1:3000", "127.0.0.1:3000", (), True),
        ("http://LOCALHOST:3000", "localhost:3000", (), True),
        ("http://127.0.0.1:5173", "127.0.0.1:3000", (), False),
        ("http://127.0.0.1:5173", "127.0.0.1:3000", ("http://127.0.0.1:5173/",), True),
        ("https://evil.example", "127.0.0.1:3000", (), False),
        ("null", "127.0.0.1:3000", (), False),
        (None, "127.0.0.1:3000", (), False),
        ("file://127.0.0.1:3000", "127.0.0.1:3000", (), False),
    ],
)
def test_origin_allowed(origin: str | None, host: str, allowed: tuple[str, ...], ok: bool) -> None:
    assert origin_allowed(origin, host, allowed) is ok


def test_reload_message() -> None:
    assert json.loads(reload_message(["/b.css", "/a.css"], True)) == {
        "type": "css",
        "paths": ["/a.css", "/b.css"],
    }
    assert json.loads(reload_message(["/index.html"], False))["type"] == "reload"


async def test_reload_socket_refuses_foreign_or_missing_origin(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    nano = await make_nano(static_dir=tmp_path)
    url = nano.base.replace("http", "ws") + "/__nanodev/reload/ws"
    for headers in ({"Origin": "http://evil.example"}, {}):
        with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
            await nano.session.ws_connect(url, headers=headers)
        assert exc.value.status == 403


async def test_edits_reach_an_open_page(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html><body>v1</body></html>")
    (dist / "assets" / "app.css").write_text("body{}")
    nano = await make_nano(static_dir=dist)
    ws = await nano.session.ws_connect(
        nano.base.replace("http", "ws") + "/__nanodev/reload/ws", headers={"Origin": nano.base}
    )
    nano.sockets.append(ws)
    hub = nano.app[FRONTEND].hub
    await wait_for(lambda: len(hub.sockets) == 1)
    (dist / "assets" / "app.css").write_text("body{color:red}")
    assert await ws.receive_json(timeout=5) == {"type": "css", "paths": ["/assets/app.css"]}
    (dist / "index.html").write_text("<html><body>v2</body></html>")
    assert await ws.receive_json(timeout=5) == {"type": "reload", "paths": ["/index.html"]}
    events = [e for _, e in nano.core.recorder.since(0) if isinstance(e, Reloaded)]
    assert [e.what for e in events] == ["static", "static"]
    assert "stylesheets swapped on 1 open page" in events[0].detail
    assert all(e.ok and e.duration_ms >= 0 for e in events)


@pytest.mark.browser
@needs_chromium
async def test_browser_reloads_on_edit_and_swaps_css_in_place(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    out = shots("test_browser_reloads_on_edit_and_swaps_css_in_place")
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "style.css").write_text("h1 { color: rgb(255, 0, 0); }")
    (dist / "index.html").write_text(
        '<html><head><link rel="stylesheet" href="/style.css"></head>'
        "<body><h1>version one</h1></body></html>"
    )
    nano = await make_nano(static_dir=dist)
    hub = nano.app[FRONTEND].hub
    async with chromium() as browser:
        page = await browser.new_page()
        navigations: list[str] = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        await page.goto(nano.base + "/")
        await wait_for(lambda: len(hub.sockets) == 1)
        await page.evaluate("window.__marker = 'same document'")
        color = "getComputedStyle(document.querySelector('h1')).color"
        assert await page.evaluate(color) == "rgb(255, 0, 0)"
        await page.screenshot(path=str(out / "1-loaded.png"))

        (dist / "style.css").write_text("h1 { color: rgb(0, 128, 0); }")
        await page.wait_for_function(f"{color} === 'rgb(0, 128, 0)'", timeout=10_000)
        assert await page.evaluate("window.__marker") == "same document"  # no navigation
        assert len(navigations) == 1
        await page.screenshot(path=str(out / "2-css-swapped.png"))

        await wait_for(lambda: len(hub.sockets) == 1)
        (dist / "index.html").write_text(
            '<html><head><link rel="stylesheet" href="/style.css"></head>'
            "<body><h1>version two</h1></body></html>"
        )
        await page.wait_for_function(
            "document.querySelector('h1').textContent === 'version two'", timeout=10_000
        )
        assert await page.evaluate("window.__marker") is None  # a real reload happened
        await page.screenshot(path=str(out / "3-reloaded.png"))
