"""Canary secrets through every channel (header, query, cookie, first frame) must reach no
inspector sink in full (API, live feed, export, page, terminal), and must be there as
fingerprints (so redaction kept the entry instead of dropping it)."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import nanodev.serve  # noqa: F401 - installs the filter over aiohttp's subprotocol warning
from nanodev.authdb.seeding import create_session
from nanodev.inspector import FlowFilter, follow
from nanodev.record.redaction import fingerprint, redact_text
from tests.browser import chromium, needs_chromium
from tests.conftest import Nano, rpc, wait_for

API = "/__nanodev/api"


def test_json_secret_fields_are_fingerprinted_in_text() -> None:
    text = '{"payload":{"token":"canary-0123456789","Password" : "hunter2hunter2","n":"x"}}'
    shown = redact_text(text)
    assert "canary-0123456789" not in shown and "hunter2hunter2" not in shown
    assert fingerprint("canary-0123456789") in shown and '"n":"x"' in shown
    assert redact_text('{"token":"short"}') == '{"token":"short"}'


async def _collect_live(live: aiohttp.ClientWebSocketResponse, into: list[str]) -> None:
    async for msg in live:
        if msg.type is aiohttp.WSMsgType.TEXT:
            into.append(msg.data)


async def test_canaries_never_reach_a_sink_in_full(
    make_nano: Callable[..., Awaitable[Nano]], capsys: pytest.CaptureFixture[str]
) -> None:
    nano = await make_nano(log_requests=True)
    live = await nano.session.ws_connect(nano.ws_url(f"{API}/live"))
    live_text: list[str] = []
    reader = nano.core.tasks.spawn(_collect_live(live, live_text), "test-live")

    header_key = await nano.key(key_id="nk_test_CanaryHeader0123456789")
    query_key = await nano.key(key_id="nk_test_CanaryQuery0123456789")
    cookie = await nano.cookie()
    cookie_value = cookie.split("=", 1)[1]
    canaries = {
        "header key": header_key,
        "query key": query_key,
        "bearer": "CanaryBearer-0123456789abcdef",
        "session_token query": "CanarySessionTok-0123456789",
        "cookie": cookie_value,
        "bad cookie": "CanaryBadCookie-0123456789abcdef",
        "frame token": "CanaryFrameTok-0123456789",
    }
    ws1 = await nano.session.ws_connect(
        nano.ws_url(room_id="canary-room"),
        headers={"X-Nano-Key": header_key, "Authorization": f"Bearer {canaries['bearer']}"},
    )
    ws2 = await nano.session.ws_connect(
        nano.ws_url(
            room_id="canary-room", key=query_key, session_token=canaries["session_token query"]
        )
    )
    ws3 = await nano.session.ws_connect(
        nano.ws_url(room_id="canary-room"), headers={"Cookie": cookie}
    )
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await nano.session.ws_connect(
            nano.ws_url(room_id="canary-room"),
            headers={"Cookie": f"better-auth.session_token={canaries['bad cookie']}"},
        )
    nano.sockets += [ws1, ws2, ws3, live]
    for ws in (ws1, ws2, ws3):
        assert (await ws.receive_json(timeout=5))["type"] == "reset"
    # The first frame carries credentials in-band: the key itself and a token field.
    await rpc(ws2, "getSchema", {"apiKey": query_key, "token": canaries["frame token"]})
    await rpc(ws1, "getSchema", {"echo": header_key})
    await ws3.close()
    await wait_for(lambda: any('"close"' in t for t in live_text))

    sinks: dict[str, str] = {}
    flows = await (await nano.get(f"{API}/flows")).json()
    sinks["flows"] = json.dumps(flows, ensure_ascii=False)
    details = [await (await nano.get(f"{API}/flows/{f['id']}")).json() for f in flows["flows"]]
    sinks["details"] = json.dumps(details, ensure_ascii=False)
    sinks["events"] = await (await nano.get(f"{API}/events")).text()
    sinks["rooms"] = await (await nano.get(f"{API}/rooms")).text()
    sinks["export"] = await (await nano.get(f"{API}/export")).text()
    sinks["page"] = await (await nano.get("/__nanodev/")).text()
    sinks["live"] = "\n".join(live_text)
    await live.close()
    reader.cancel()
    sinks["terminal"] = capsys.readouterr().out
    assert "canary-room" in sinks["terminal"]

    for name, secret in canaries.items():
        for sink, text in sinks.items():
            assert secret not in text, f"{name} found in full in {sink}"
    everything = "\n".join(
        [sinks["details"], json.dumps(json.loads(sinks["export"]), ensure_ascii=False)]
    )
    for name, secret in canaries.items():
        assert fingerprint(secret) in everything, f"{name}: no fingerprint recorded"
    assert fingerprint(query_key) in sinks["terminal"]


async def test_exported_json_holds_no_raw_secret_bytes(nano: Nano) -> None:
    key = await nano.key(key_id="nk_test_ExportCanary0123456789")
    ws = await nano.connect("export-room", key=key)
    await rpc(ws, "getSchema", {"token": "ExportFrameCanary-0123456789"})
    raw = await (await nano.get(f"{API}/export")).read()
    assert key.encode() not in raw
    assert b"ExportFrameCanary-0123456789" not in raw
    data: dict[str, Any] = json.loads(raw)
    assert any(e["kind"] == "frame" for e in data["events"])


PROBE_PAGE = """<!doctype html><html><head><title>canary</title></head><body><script>
window.open_socket = (url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.onmessage = () => ws.close();
  ws.onclose = (e) => resolve(e.code);
});
</script></body></html>"""


@pytest.mark.browser
@needs_chromium
async def test_canaries_in_page_probe_reports_never_reach_a_sink_in_full(
    make_nano: Callable[..., Awaitable[Nano]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The page probe's reports (socket URL, page URL, stack) carry fingerprints only: the page
    fingerprints before sending, and nanodev again on receipt (checked with a raw report)."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(PROBE_PAGE)
    nano = await make_nano(static_dir=tmp_path / "site", log_requests=True)
    key = await nano.key(key_id="nk_test_CanaryProbeKey0123456789")
    canaries = {
        "socket key": key,
        "socket session_token": "CanaryProbeSession-0123456789",
        "page token": "CanaryProbePageTok-0123456789",
        "raw report key": "nk_test_CanaryRawReport0123456789",
    }
    url = nano.ws_url(
        room_id="canary-room", key=key, session_token=canaries["socket session_token"]
    )
    sent: list[str] = []  # what left the page on the probe's socket, before nanodev saw it

    def on_socket(ws: Any) -> None:
        if "/__nanodev/probe/ws" in ws.url:
            ws.on("framesent", lambda payload: sent.append(str(payload)))

    async with chromium() as browser:
        page = await browser.new_page()
        page.on("websocket", on_socket)
        await page.goto(f"{nano.base}/?token={canaries['page token']}")
        assert await page.evaluate("(u) => open_socket(u)", url) == 1000
        await wait_for(
            lambda: sum(e.kind == "page_socket" for _s, e in nano.core.recorder.events) >= 3
        )
    in_page = "\n".join(sent)
    assert "canary-room" in in_page  # the reports did go out
    for name in ("socket key", "socket session_token", "page token"):
        assert canaries[name] not in in_page, f"{name} left the page in full"
        assert fingerprint(canaries[name]) in in_page, f"{name}: the page's fingerprint differs"
    # A report that skipped the page's fingerprinting still stores none.
    raw_url = f"ws://127.0.0.1/__ws/websocket?room_id=r&key={canaries['raw report key']}"
    raw = {
        "v": 1,
        "session": "raw",
        "sent": 0,
        "reports": [{"socket": 1, "what": "construct", "url": raw_url, "t": 0, "page": raw_url}],
    }
    async with nano.session.ws_connect(
        nano.base + "/__nanodev/probe/ws", headers={"Origin": nano.base}
    ) as channel:
        await channel.send_str(json.dumps(raw))
        await wait_for(
            lambda: any(
                getattr(e, "page_session", "") == "raw" for _s, e in nano.core.recorder.events
            )
        )
    sinks = {
        "flows": await (await nano.get(f"{API}/flows")).text(),
        "events": await (await nano.get(f"{API}/events")).text(),
        "export": await (await nano.get(f"{API}/export")).text(),
        "terminal": capsys.readouterr().out,
    }
    flows = json.loads(sinks["flows"])["flows"]
    details = [await (await nano.get(f"{API}/flows/{f['id']}")).text() for f in flows]
    sinks["details"] = "\n".join(details)
    for name, secret in canaries.items():
        for sink, text in sinks.items():
            at = text.find(secret)
            assert at < 0, f"{name} found in full in {sink}: {text[max(0, at - 300) : at + 40]}"
    reports = [e for e in json.loads(sinks["export"])["events"] if e["kind"] == "page_socket"]
    reported = json.dumps(reports, ensure_ascii=False)
    for name, secret in canaries.items():
        assert fingerprint(secret) in reported, f"{name}: no fingerprint in the page reports"


# -- the side doors: Referer, path segments, unlisted query names, subprotocols, frame text ---
SESSION_TOKEN_RE = r"[A-Za-z0-9]{32}"


async def _sinks(
    nano: Nano, live_text: list[str], tail_out: io.StringIO, terminal: str, log: str
) -> dict[str, str]:
    flows = await (await nano.get(f"{API}/flows")).json()
    details = [await (await nano.get(f"{API}/flows/{f['id']}")).json() for f in flows["flows"]]
    return {
        "terminal": terminal,
        "aiohttp log": log,
        "tail": tail_out.getvalue(),
        "flows": json.dumps(flows, ensure_ascii=False),
        "details": json.dumps(details, ensure_ascii=False),
        "events": await (await nano.get(f"{API}/events")).text(),
        "rooms": await (await nano.get(f"{API}/rooms")).text(),
        "export": json.dumps(await (await nano.get(f"{API}/export")).json(), ensure_ascii=False),
        "page": await (await nano.get("/__nanodev/")).text(),
        "live": "\n".join(live_text),
    }


async def test_side_door_canaries_are_fingerprints_in_every_sink(
    make_nano: Callable[..., Awaitable[Nano]],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    nano = await make_nano(log_requests=True)
    live = await nano.session.ws_connect(nano.ws_url(f"{API}/live"))
    live_text: list[str] = []
    reader = nano.core.tasks.spawn(_collect_live(live, live_text), "test-live")
    tail_out = io.StringIO()
    tail = nano.core.tasks.spawn(follow(nano.base, FlowFilter.parse(""), tail_out), "test-tail")
    await wait_for(lambda: "following" in tail_out.getvalue())

    key = await nano.key(key_id="nk_test_SideDoorKey0123456789")
    other_key = await nano.key("other@example.com", key_id="nk_test_OtherUserKey0123456789")
    cookie = await nano.cookie()
    token = re.search(SESSION_TOKEN_RE, cookie)
    assert token is not None
    session = token.group(0)
    other_session = await create_session(nano.core.db, nano.core.settings.state_dir, "x@y.z", 3600)
    canaries = {
        "Referer session_token": session,
        "path segment key": "nk_test_PathSegmentKey0123456789",
        "sessionToken query": "CanarySessionTokenQuery0123456789",
        "auth query": "CanaryAuthQueryValue0123456789",
        "apikey query": "CanaryApiKeyQuery0123456789",
        "Access_Token query": "CanaryAccessTokenQuery0123456789",
        "key-shaped value": other_key,
        "subprotocol token": "CanarySubprotocolToken0123456789",
        "session typed into SQL": other_session.token,
    }
    referer = f"http://127.0.0.1:{nano.server.port}/app?session_token={session}&page=2"
    ws = await nano.session.ws_connect(
        nano.ws_url(room_id="side-room", key=key), headers={"Referer": referer}
    )
    nano.sockets.append(ws)
    assert (await ws.receive_json(timeout=5))["type"] == "reset"
    await nano.get(f"/__ws/websocket/{canaries['path segment key']}")
    await nano.get(
        "/api/user-tier?sessionToken={}&auth={}&apikey={}&Access_Token={}&note={}".format(
            canaries["sessionToken query"], canaries["auth query"], canaries["apikey query"],
            canaries["Access_Token query"], other_key,
        )
    )  # fmt: skip
    subprotocol = await nano.session.ws_connect(
        nano.ws_url(room_id="side-room", key=key),
        protocols=("chat", canaries["subprotocol token"]),
    )
    nano.sockets.append(subprotocol)
    assert (await subprotocol.receive_json(timeout=5))["type"] == "reset"
    # A session token this flow never carried (it is in the auth database) and one that
    # another flow carried (the query canary) are typed into SQL.
    sql = f"SELECT '{other_session.token}' AS a, '{canaries['sessionToken query']}' AS b"
    reply, _ = await rpc(ws, "executeSQL", {"sql": sql})
    assert reply["data"] == [{"a": other_session.token, "b": canaries["sessionToken query"]}]
    await ws.close()
    await wait_for(lambda: any('"close"' in t for t in live_text))
    await asyncio.sleep(0.3)  # the tail's last lines

    sinks = await _sinks(nano, live_text, tail_out, capsys.readouterr().out, caplog.text)
    await live.close()
    reader.cancel()
    tail.cancel()
    assert "side-room" in sinks["terminal"] and "side-room" in sinks["tail"]
    assert "overlap" in sinks["aiohttp log"]  # aiohttp's own warning line was emitted
    for name, secret in canaries.items():
        for sink, text in sinks.items():
            assert secret not in text, f"{name} found in full in {sink}"
    everything = sinks["details"] + sinks["export"]
    for name, secret in canaries.items():
        assert fingerprint(secret) in everything, f"{name}: no fingerprint recorded"
    assert fingerprint(canaries["subprotocol token"]) in sinks["aiohttp log"]
    assert fingerprint(canaries["path segment key"]) in sinks["terminal"]
