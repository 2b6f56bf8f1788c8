"""Importing a HAR recorded anywhere: the Chrome-shaped fixture (against a deployed app) as an
imported session in a real server's inspector, secrets fingerprinted on the way in, causes read
back, and malformed files refused with the entry and the field named."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from nanodev.inspector.harimport import HarError, import_har
from nanodev.record.events import Frame, RequestReceived, Responded
from tests.conftest import Nano
from tests.inspector.har.chrome import DEPLOYED, chrome_entry, chrome_har, ws_url

MakeNano = Callable[..., Awaitable[Nano]]
CHROME = Path(__file__).parent / "har" / "chrome-deployed.har"
SESSION_TOKEN = "Qm9ndXNTZXNzaW9uVG9rZW4xMjM0"


async def api(nano: Nano, path: str) -> Any:
    async with nano.session.get(nano.base + "/__nanodev/api/" + path) as resp:
        assert resp.status == 200
        return await resp.json()


async def test_a_chrome_har_becomes_an_imported_session(make_nano: MakeNano) -> None:
    nano = await make_nano()
    async with nano.session.post(
        nano.base + "/__nanodev/api/import",
        data=CHROME.read_bytes(),
        headers={"Content-Type": "application/json", "Origin": nano.base},
    ) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["flows"] == 6
    listed = await api(nano, "flows?source=import")
    assert listed["source"] == "import" and len(listed["flows"]) == 6
    rows = {r["id"]: r for r in listed["flows"]}
    loop = [r for r in rows.values() if r["status"] == 400]
    assert len(loop) == 3 and all(r["upgrade"] for r in loop)
    assert all(r["explanation"]["cause"] == "room_id query parameter is missing" for r in loop)
    assert listed["patterns"] and listed["patterns"][0]["count"] == 3  # the room-less loop
    socket = next(r for r in rows.values() if r["status"] == 101)
    assert socket["room"] == "my-room" and socket["frames_in"] == 2 and socket["frames_out"] == 2
    detail = await api(nano, f"flows/{socket['id']}?source=import")
    assert [f["direction"] for f in detail["frames"]] == ["in", "out", "out", "in"]
    assert detail["frames"][0]["text"] == '{"action":"subscribe","table":"tasks"}'
    assert detail["frames"][2]["opcode"] == "binary"
    assert detail["request"]["headers"]["host"] == DEPLOYED
    live = await api(nano, "flows")
    assert live["source"] == "live" and not any(r["status"] == 101 for r in live["flows"])


def test_secrets_in_a_browser_har_are_fingerprinted_on_import() -> None:
    recorder = import_har(json.loads(CHROME.read_text()), 100)
    stored = json.dumps([event.to_json() for _seq, event in recorder.events])
    assert SESSION_TOKEN not in stored  # cookie header and the sign-in body's token
    requests = [e for _s, e in recorder.events if isinstance(e, RequestReceived)]
    cookies = [r.headers["cookie"] for r in requests if "cookie" in r.headers]
    assert cookies and all("better-auth.session_token=Qm9n…" in c for c in cookies)
    keyed = chrome_har(chrome_entry(ws_url("room_id=abc&key=nk_live_abcdefgh12345678"), 401))
    recorded = import_har(keyed, 100)
    request = next(e for _s, e in recorded.events if isinstance(e, RequestReceived))
    assert "abcdefgh" not in request.query and request.query.endswith("key=nk_live_…5678")


def test_frames_times_and_causes() -> None:
    har = chrome_har(
        chrome_entry(ws_url("room_id=abc"), 401, headers={"Origin": f"https://{DEPLOYED}"}),
        chrome_entry(ws_url("room_id=abc"), 200, body="<!doctype html>", mime="text/html")
        | {"request": chrome_entry(ws_url("room_id=abc", "/__ws/websocket"), 0)["request"]},
    )
    recorder = import_har(har, 100)
    answers = [e for _s, e in recorder.events if isinstance(e, Responded)]
    assert "holds no body" in answers[0].cause
    assert "/__ws" in answers[1].cause
    assert not any(isinstance(e, Frame) for _s, e in recorder.events)


def _with_url(entry: dict[str, Any], url: str) -> dict[str, Any]:
    entry["request"]["url"] = url
    return entry


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"entries": []}, "not a HAR file"),
        ({"log": {"entries": "x"}}, "not a HAR file"),
        ({"log": {"entries": [{"request": {}}]}}, "entry #0"),
        (
            {"log": {"entries": [_with_url(chrome_entry(ws_url("room_id=a"), 400), "/ws")]}},
            "not an absolute URL",
        ),
        (
            chrome_har(chrome_entry(ws_url("room_id=a"), 101) | {"_webSocketMessages": "x"}),
            "_webSocketMessages must be a list",
        ),
        (chrome_har(chrome_entry(ws_url(""), 400) | {"startedDateTime": "soon"}), "entry #0"),
    ],
)
def test_malformed_hars_are_refused_with_the_entry_named(data: Any, message: str) -> None:
    with pytest.raises(HarError, match=message):
        import_har(data, 100)


async def test_the_api_refuses_a_broken_har_with_a_clear_error(make_nano: MakeNano) -> None:
    nano = await make_nano()
    async with nano.session.post(
        nano.base + "/__nanodev/api/import",
        data=json.dumps({"log": {"entries": [{"request": {"url": "x"}}]}}),
        headers={"Content-Type": "application/json", "Origin": nano.base},
    ) as resp:
        assert resp.status == 400
        assert "cannot import: entry #0" in (await resp.json())["error"]
