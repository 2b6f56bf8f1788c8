"""HAR export from a real server: valid HAR 1.2 (schema written from the spec), WebSocket
messages as Chrome DevTools writes them, secrets only as fingerprints, a selection or
everything, and a round trip export → import → export that keeps every request, socket and
frame."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest

from nanodev.inspector.har import export_har
from nanodev.inspector.harimport import import_har
from tests.conftest import Nano, rpc, wait_for

MakeNano = Callable[..., Awaitable[Nano]]
SCHEMA = json.loads((Path(__file__).parent / "har" / "har-1.2.schema.json").read_text())
CHROME = Path(__file__).parent / "har" / "chrome-deployed.har"


def validate(har: Any) -> None:
    jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(har)


def kept(har: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What a round trip must keep of each entry: request, answer, frames and close."""
    return [
        (
            e["request"]["method"],
            e["request"]["url"],
            e["response"]["status"],
            e["response"]["content"].get("text"),
            e.get("_resourceType"),
            tuple((m["type"], m["opcode"], m["data"]) for m in e.get("_webSocketMessages", ())),
            (e.get("_webSocketClose") or {}).get("code"),
            e["_nanodev"]["cause"],
        )
        for e in har["log"]["entries"]
    ]


async def traffic(nano: Nano) -> str:
    """A refused handshake, a socket with frames both ways closed by the client, an HTTP call."""
    key = await nano.key()
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await nano.session.ws_connect(nano.ws_url(room_id="", key=key))
    ws = await nano.connect("har-room", key=key)
    frame, _ = await rpc(ws, "getUsage")
    assert frame["requestId"] == "r"
    await ws.close(code=4001, message=b"done")
    async with nano.session.get(nano.base + "/health") as resp:
        assert resp.status == 200
    await wait_for(lambda: any(f.close_code == 4001 for f in nano.core.recorder.flows.values()))
    return key


async def get_har(nano: Nano, query: str = "") -> dict[str, Any]:
    async with nano.session.get(nano.base + "/__nanodev/api/export.har" + query) as resp:
        assert resp.status == 200
        assert "nanodev.har" in resp.headers["Content-Disposition"]
        text = await resp.text()
    data: dict[str, Any] = json.loads(text)
    data["_text"] = text
    return data


async def test_export_is_valid_har_with_websocket_messages_and_no_secret(
    make_nano: MakeNano,
) -> None:
    nano = await make_nano()
    key = await traffic(nano)
    har = await get_har(nano)
    text = har.pop("_text")
    validate(har)
    assert key not in text and key[-4:] in text  # fingerprinted, still recognisable
    entries = har["log"]["entries"]
    refused, socket = (e for e in entries if e["request"]["url"].startswith("ws://"))
    assert refused["response"]["status"] == 400
    assert "room_id is present but empty" in refused["_nanodev"]["cause"]
    assert socket["_resourceType"] == "websocket" and socket["response"]["status"] == 101
    messages = socket["_webSocketMessages"]
    assert [m["type"] for m in messages[:2]] == ["receive", "send"]  # reset, then our rpc
    assert json.loads(messages[0]["data"]) == {"type": "reset"}
    assert json.loads(messages[1]["data"])["method"] == "getUsage"
    assert all(m["opcode"] == 1 and isinstance(m["time"], float) for m in messages)
    assert socket["_webSocketClose"]["code"] == 4001
    assert socket["_nanodev"]["room"] == "har-room"
    assert any(e["request"]["url"].endswith("/health") for e in entries)


async def test_export_of_a_selection_or_a_filter(make_nano: MakeNano) -> None:
    nano = await make_nano()
    await traffic(nano)
    socket_flow = next(f for f in nano.core.recorder.flows.values() if f.status == 101)
    one = await get_har(nano, f"?flows={socket_flow.id}")
    assert [e["_nanodev"]["flow"] for e in one["log"]["entries"]] == [socket_flow.id]
    refused = await get_har(nano, "?status=4xx")
    assert [e["response"]["status"] for e in refused["log"]["entries"]] == [400]
    async with nano.session.get(nano.base + "/__nanodev/api/export.har?flows=x") as resp:
        assert resp.status == 400 and "not a number" in await resp.text()


async def test_round_trip_export_import_export_keeps_everything(make_nano: MakeNano) -> None:
    nano = await make_nano()
    await traffic(nano)
    first = await get_har(nano)
    first.pop("_text")
    async with nano.session.post(
        nano.base + "/__nanodev/api/import",
        data=json.dumps(first),
        headers={"Content-Type": "application/json", "Origin": nano.base},
    ) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["flows"] == len(first["log"]["entries"])
    second = await get_har(nano, "?source=import")
    second.pop("_text")
    validate(second)
    assert kept(second) == kept(first)
    assert sum(len(e) for e in kept(first)) and any(k[5] for k in kept(first))  # frames exist
    # And once more through the pure functions, without the server.
    third = export_har(import_har(second, 100), "test")
    assert kept(third) == kept(first)


def test_the_schema_refuses_what_har_1_2_does_not_allow() -> None:
    good = export_har(import_har(json.loads(CHROME.read_text()), 100), "test")
    validate(good)
    for breaks in (
        lambda e: e["response"].pop("content"),
        lambda e: e.__setitem__("webSocketMessages", []),  # custom fields start with "_"
        lambda e: e.__setitem__("startedDateTime", "yesterday"),
        lambda e: e.get("_webSocketMessages", [{}])[0].__setitem__("type", "sent"),
    ):
        bad = json.loads(json.dumps(good))
        breaks(bad["log"]["entries"][-1])
        with pytest.raises(jsonschema.ValidationError):
            validate(bad)
