"""The page probe: where it goes in the HTML, and its report endpoint against a real server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from nanodev.frontend.mapcache import fetchable
from nanodev.frontend.pageprobe import (
    MAX_BODY,
    MAX_POSTS_PER_S,
    SNIPPET,
    VERSION,
    RateCap,
    inject_probe,
    redact_url,
)
from nanodev.record import PageSocket
from tests.conftest import Nano


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (b"<!doctype html><html><head><title>x</title></head>", b"<head>" + SNIPPET + b"<title>"),
        (b'<HTML lang="en"><HEAD class="a">x', b'<HEAD class="a">' + SNIPPET + b"x"),
        (b"<html><body>x", b"<html>" + SNIPPET + b"<body>"),
        (b"<!DOCTYPE html><p>bare", b"<!DOCTYPE html>" + SNIPPET + b"<p>"),
        (b"just text", SNIPPET + b"just text"),
    ],
)
def test_probe_goes_first(html: bytes, expected: bytes) -> None:
    out = inject_probe(html)
    assert expected in out
    assert inject_probe(out) == out  # once only
    assert b"<header>" not in inject_probe(b"<header>") or SNIPPET in inject_probe(b"<header>")


def test_head_is_not_header() -> None:
    assert inject_probe(b"<html><header>h</header>").startswith(b"<html>" + SNIPPET)


def test_redact_url_is_idempotent_on_fingerprints() -> None:
    raw = "ws://h/__ws/websocket?room_id=r&key=nk_live_abcdefghijklmnop&token=secretsecret123"
    once = redact_url(raw)
    assert "abcdefghijklmnop" not in once and "secretsecret123" not in once
    assert redact_url(once) == once
    assert redact_url("ws://h/x/nk_live_abcdefghijklmnop") == "ws://h/x/nk_live_…mnop"


def test_rate_cap_is_a_sliding_second() -> None:
    cap = RateCap(2)
    assert cap.allow(0.0) and cap.allow(0.1)
    assert not cap.allow(0.5)
    assert cap.allow(1.2)


def test_only_loopback_scripts_are_fetched() -> None:
    assert fetchable("http://127.0.0.1:3000/assets/app.js")
    assert fetchable("http://localhost:5173/src/App.tsx?t=1")
    assert fetchable("http://[::1]:3000/a.js")
    assert not fetchable("https://cdn.example.com/app.js")
    assert not fetchable("http://10.0.0.1/app.js")
    assert not fetchable("file:///etc/passwd")
    assert not fetchable("chrome-extension://abc/x.js")


def batch(**report: Any) -> dict[str, Any]:
    base = {"socket": 1, "what": "construct", "url": "ws://h/__ws/websocket", "t": 1000.0}
    return {"v": 1, "session": "abc123", "sent": time.time() * 1000, "reports": [base | report]}


async def send(nano: Nano, *frames: Any, origin: str | None = "same") -> tuple[int, str]:
    """Open the report channel and send `frames`: (close code, reason), or (HTTP status, body)
    when the upgrade was refused; (0, "") when the channel is still open after them."""
    headers = {}
    if origin is not None:
        headers["Origin"] = nano.base if origin == "same" else origin
    try:
        ws = await nano.session.ws_connect(nano.base + "/__nanodev/probe/ws", headers=headers)
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status, exc.message
    async with ws:
        for frame in frames:
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            else:
                await ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))
        try:
            msg = await ws.receive(timeout=0.5)
        except TimeoutError:  # still open: every frame was taken
            return 0, ""
        if msg.type is aiohttp.WSMsgType.CLOSE:
            return int(msg.data), str(msg.extra or "")
    return 0, ""


async def until_recorded(nano: Nano, count: int) -> list[PageSocket]:
    deadline = time.monotonic() + 5
    while len(found := page_reports(nano)) < count:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    return found


def page_reports(nano: Nano) -> list[PageSocket]:
    return [e for _s, e in nano.core.recorder.events if isinstance(e, PageSocket)]


async def test_a_same_origin_report_is_recorded_redacted(nano: Nano) -> None:
    url = "ws://127.0.0.1/__ws/websocket?room_id=r&key=nk_live_abcdefghijklmnop"
    assert await send(nano, batch(url=url, page="http://127.0.0.1/?token=abcdefgh12345")) == (
        0,
        "",
    )
    [report] = await until_recorded(nano, 1)
    assert report.url == "ws://127.0.0.1/__ws/websocket?room_id=r&key=nk_live_…mnop"
    assert "abcdefgh12345" not in report.page_url
    assert report.origin == nano.base and report.page_session == "abc123"


@pytest.mark.parametrize("origin", ["http://evil.example", "null", None, "http://127.0.0.1:1"])
async def test_cross_origin_and_originless_pages_are_refused(
    nano: Nano, origin: str | None
) -> None:
    async with nano.session.get(
        nano.base + "/__nanodev/probe/ws",
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            **({"Origin": origin} if origin else {}),
        },
    ) as response:
        assert response.status == 403
        assert "this server's own pages only" in await response.text()
    assert page_reports(nano) == []


async def test_size_and_shape_are_capped(nano: Nano) -> None:
    assert (await send(nano, "x" * (MAX_BODY + 1)))[0] == 1009
    code, reason = await send(nano, "{not json")
    assert code == 1007 and reason.startswith("bad probe report")
    code, reason = await send(nano, batch(what="explode"))
    assert code == 1007 and "reports.0.what" in reason
    code, reason = await send(nano, {**batch(), "reports": [batch()["reports"][0]] * 51})
    assert code == 1007 and "reports" in reason
    assert (await send(nano, b"\x00binary"))[0] == 1003
    assert page_reports(nano) == []


async def test_rate_is_capped(nano: Nano) -> None:
    code, reason = await send(nano, *[batch()] * (MAX_POSTS_PER_S + 5))
    assert code == 1008 and f"over {MAX_POSTS_PER_S} report frames a second" in reason
    assert len(await until_recorded(nano, MAX_POSTS_PER_S)) == MAX_POSTS_PER_S


async def test_off_means_no_script_and_no_reports(
    make_nano: Callable[..., Awaitable[Nano]],
) -> None:
    nano = await make_nano(page_probe=False)
    assert (await nano.get("/__nanodev/probe.js")).status == 404
    assert (await send(nano, batch()))[0] == 404
    html = await (await nano.get("/")).text()
    assert "probe.js" not in html
    on = await make_nano()
    plain = await on.get("/__nanodev/probe.js")
    assert plain.status == 200 and plain.headers["Cache-Control"] == "no-cache"
    versioned = await on.get(f"/__nanodev/probe.js?v={VERSION}")
    assert "immutable" in versioned.headers["Cache-Control"]  # page loads take it from cache
    assert SNIPPET.decode() in await (await on.get("/")).text()
