"""The inspector's JSON API, actions and live feed against a real in-process nanodev."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from nanodev.inspector.live import LiveHub, Subscriber
from nanodev.inspector.views import INSPECTOR
from nanodev.record.events import Frame
from nanodev.record.recorder import Recorder
from tests.conftest import Nano, recv_until, rpc, wait_for

API = "/__nanodev/api"


async def flows(nano: Nano, query: str = "") -> dict[str, Any]:
    response = await nano.get(f"{API}/flows{query}")
    assert response.status == 200
    data: dict[str, Any] = await response.json()
    return data


async def detail(nano: Nano, flow_id: int) -> dict[str, Any]:
    response = await nano.get(f"{API}/flows/{flow_id}")
    assert response.status == 200
    data: dict[str, Any] = await response.json()
    return data


async def refused(nano: Nano, url: str, **kw: Any) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await nano.session.ws_connect(url, **kw)
    return info.value.status


async def post(nano: Nano, path: str, body: Any = None, **kw: Any) -> aiohttp.ClientResponse:
    return await nano.session.post(nano.base + API + path, json=body or {}, **kw)


async def test_three_handshakes_listed_newest_first_with_causes(nano: Nano) -> None:
    assert await refused(nano, nano.ws_url(room_id="")) == 400
    expired = await nano.key(expired=True)
    assert await refused(nano, nano.ws_url(room_id="my-room", key=expired)) == 401
    ws = await nano.connect("my-room")
    await rpc(ws, "getSchema")
    rows = (await flows(nano, "?ws=1"))["flows"]
    assert [r["status"] for r in rows] == [101, 401, 400]
    assert [r["outcome"] for r in rows] == ["allowed", "refused", "refused"]
    assert "room_id is present but empty" in rows[2]["explanation"]["cause"]
    assert "before a room was chosen" in rows[2]["explanation"]["fix"]
    assert "in the past" in rows[1]["explanation"]["cause"]
    assert rows[0]["room"] == "my-room" and rows[0]["user_id"]
    assert rows[0]["target"].startswith("/websocket?room_id=my-room")


async def test_detail_shows_params_headers_trace_and_frames(nano: Nano) -> None:
    key = await nano.key()
    assert await refused(nano, nano.ws_url(room_id="")) == 400
    ws = await nano.connect("my-room", key=key)
    await rpc(ws, "getSchema")
    await ws.close()
    rows = (await flows(nano))["flows"]
    await wait_for(lambda: not nano.core.recorder.flows[rows[0]["id"]].open)
    empty = await detail(nano, rows[1]["id"])
    assert empty["query_params"][0] == {
        "name": "room_id",
        "value": "",
        "flag": "room_id is present but empty",
    }
    assert empty["response"]["status"] == 400 and "room_id" in empty["response"]["body"]
    good = await detail(nano, rows[0]["id"])
    assert key not in json.dumps(good)
    assert good["auth"]["outcome"] == "allowed"
    lookup = next(s for s in good["auth"]["trace"] if s["source"] == "api_keys lookup")
    assert lookup["outcome"] == "ok"
    headers = {h["name"]: h for h in good["headers_that_matter"]}
    assert headers["API key"]["note"] == "present via ?key="
    assert headers["Upgrade"]["value"] == "websocket"
    directions = [f["direction"] for f in good["frames"]]
    assert directions[:2] == ["out", "in"]  # reset, then the client's rpc
    rpc_frame = good["frames"][1]
    assert json.loads(rpc_frame["pretty"])["method"] == "getSchema"
    assert "\n  " in rpc_frame["pretty"]
    assert good["close"]["code"] == 1000 and good["close"]["by"] == "client"
    assert good["close"]["meaning"].startswith("normal closure")
    assert "closed by the client with 1000" in good["explanation"]["cause"]
    assert good["commands"]["websocat"].startswith("# values shown")
    assert "nk_" in good["commands"]["curl"] and key not in good["commands"]["curl"]


async def test_since_cursor_and_events_api(nano: Nano) -> None:
    await nano.get("/health")
    first = await flows(nano)
    cursor = first["last_seq"]
    assert (await flows(nano, f"?since={cursor}"))["flows"] == []
    await nano.get("/health?again=1")
    newer = (await flows(nano, f"?since={cursor}"))["flows"]
    assert [r["query"] for r in newer] == ["again=1"]
    events = await (await nano.get(f"{API}/events?since={cursor}&kind=request,response")).json()
    assert [e["kind"] for e in events["events"]] == ["request", "response"]
    assert all(e["seq"] > cursor and e["v"] == 1 for e in events["events"])
    by_flow = await (await nano.get(f"{API}/events?flow={newer[0]['id']}")).json()
    assert {e["flow"] for e in by_flow["events"]} == {newer[0]["id"]}
    limited = await (await nano.get(f"{API}/events?limit=1")).json()
    assert len(limited["events"]) == 1 and limited["next"] == limited["events"][0]["seq"]


async def test_filters_status_path_room_outcome_and_frame_text(nano: Nano) -> None:
    assert await refused(nano, nano.ws_url(room_id="")) == 400
    ws = await nano.connect("room-a")
    await rpc(ws, "getSchema", request_id="needle-42")
    await nano.get("/health")
    assert {r["status"] for r in (await flows(nano, "?status=4xx"))["flows"]} == {400}
    assert {r["room"] for r in (await flows(nano, "?room=room-a"))["flows"]} == {"room-a"}
    assert {r["outcome"] for r in (await flows(nano, "?outcome=refused"))["flows"]} == {"refused"}
    assert [r["path"] for r in (await flows(nano, "?path=/health"))["flows"]] == ["/health"]
    found = (await flows(nano, "?q=NEEDLE-42"))["flows"]
    assert [r["room"] for r in found] == ["room-a"]
    assert (await flows(nano, "?q=no-such-text"))["flows"] == []


async def test_rooms_view_shows_sockets_tables_and_broadcast_recipients(nano: Nano) -> None:
    writer = await nano.connect("room-b")
    reader = await nano.connect("room-b")
    await reader.send_json({"action": "subscribe", "table": "tasks"})
    await rpc(reader, "getSchema")  # the subscribe has been handled once this answers
    await rpc(writer, "createTask", {"title": "t1"}, request_id="w1")
    await recv_until(reader, lambda f: f.get("event") == "update")
    rooms = await (await nano.get(f"{API}/rooms")).json()
    room = next(r for r in rooms["rooms"] if r["id"] == "room-b")
    assert len(room["sockets"]) == 2
    subscribed = [s for s in room["sockets"] if s["subscriptions"] == ["tasks"]]
    assert len(subscribed) == 1
    assert {"name": "tasks", "rows": 1} in room["tables"]
    update = next(b for b in room["broadcasts"] if b["what"] == "update")
    assert [r["flow"] for r in update["recipients"]] == [subscribed[0]["flow"]]
    assert update["recipients"][0]["user_id"] == subscribed[0]["user_id"]


async def test_close_action_closes_the_socket(nano: Nano) -> None:
    ws = await nano.connect("room-c")
    flow_id = (await flows(nano, "?ws=1"))["flows"][0]["id"]
    response = await post(nano, f"/flows/{flow_id}/close")
    assert response.status == 200
    msg = await ws.receive(timeout=5)
    assert msg.type is aiohttp.WSMsgType.CLOSE and ws.close_code == 1000
    await wait_for(lambda: nano.core.recorder.flows[flow_id].close_code == 1000)
    assert nano.core.recorder.flows[flow_id].closed_by == "server"
    assert (await post(nano, f"/flows/{flow_id}/close")).status == 404


async def test_rehandshake_variants_show_the_result_beside_the_original(nano: Nano) -> None:
    cookie = await nano.cookie()
    ws = await nano.connect("room-d", key=None, headers={"Cookie": cookie})
    del ws
    rows = (await flows(nano, "?ws=1"))["flows"]
    original = rows[0]["id"]
    no_cookie = await (
        await post(nano, f"/flows/{original}/rehandshake", {"change": "no_cookie"})
    ).json()
    assert no_cookie["original"]["id"] == original and no_cookie["status"] == 101  # key still there
    other_room = await (
        await post(nano, f"/flows/{original}/rehandshake", {"change": "room", "room": "room-e"})
    ).json()
    assert other_room["status"] == 101 and other_room["replay"]["room"] == "room-e"
    bad_key = await (
        await post(
            nano, f"/flows/{original}/rehandshake", {"change": "key", "key": "nk_live_nope1234"}
        )
    ).json()
    assert bad_key["status"] == 401
    assert bad_key["replay"]["outcome"] == "refused"
    assert "nk_live_nope1234" not in json.dumps(bad_key)


async def test_rehandshake_without_cookie_is_refused_for_a_cookie_only_socket(nano: Nano) -> None:
    cookie = await nano.cookie()
    ws = await nano.session.ws_connect(nano.ws_url(room_id="room-f"), headers={"Cookie": cookie})
    nano.sockets.append(ws)
    flow_id = (await flows(nano, "?ws=1"))["flows"][0]["id"]
    result = await (
        await post(nano, f"/flows/{flow_id}/rehandshake", {"change": "no_cookie"})
    ).json()
    assert result["status"] == 401
    assert "no credentials" in result["replay"]["explanation"]["cause"]
    same = await (await post(nano, f"/flows/{flow_id}/rehandshake", {"change": "same"})).json()
    assert same["status"] == 101
    bad = await post(nano, f"/flows/{flow_id}/rehandshake", {"change": "explode"})
    assert bad.status == 400


async def test_export_import_and_back_to_live(nano: Nano) -> None:
    assert await refused(nano, nano.ws_url(room_id="")) == 400
    exported = await (await nano.get(f"{API}/export")).json()
    assert exported["format"] == "nanodev-session"
    await post(nano, "/clear")
    assert (await flows(nano))["flows"] == []
    result = await nano.session.post(
        nano.base + API + "/import",
        data=json.dumps(exported),
        headers={"Content-Type": "application/json"},
    )
    assert (await result.json())["flows"] == 1
    imported = await flows(nano, "?source=import")
    assert imported["source"] == "import" and imported["flows"][0]["status"] == 400
    flow_id = imported["flows"][0]["id"]
    assert (await (await nano.get(f"{API}/flows/{flow_id}?source=import")).json())["response"]
    await post(nano, "/import/leave")
    assert (await flows(nano, "?source=import"))["source"] == "live"
    broken = await nano.session.post(
        nano.base + API + "/import", data="{}", headers={"Content-Type": "application/json"}
    )
    assert broken.status == 400


async def test_import_reads_a_one_megabyte_export_to_its_end(nano: Nano) -> None:
    for _ in range(3):
        assert await refused(nano, nano.ws_url(room_id="")) == 400
    exported = await (await nano.get(f"{API}/export")).json()
    events = exported["events"]
    while len(json.dumps(exported)) < 1 << 20:  # whole flows, copied, up to 1 MB
        exported["events"] = exported["events"] + events
    body = json.dumps(exported).encode()
    assert len(body) >= 1 << 20
    for _ in range(20):  # arrives in many TCP segments: a partial read fails at random
        result = await nano.session.post(
            nano.base + API + "/import",
            data=io.BytesIO(body),
            headers={"Content-Type": "application/json"},
        )
        assert result.status == 200, await result.text()
        assert (await result.json())["imported"] == len(exported["events"])


async def test_import_past_the_limit_is_413_naming_the_limit(nano: Nano) -> None:
    nano.app[INSPECTOR].import_limit = 1000
    result = await nano.session.post(
        nano.base + API + "/import", data=b"x" * 5000, headers={"Content-Type": "application/json"}
    )
    assert result.status == 413
    assert (await result.json())["error"] == "export larger than the import limit of 1,000 bytes"


async def test_live_feed_pushes_events_with_their_flow_row(nano: Nano) -> None:
    live = await nano.session.ws_connect(nano.ws_url(f"{API}/live"))
    nano.sockets.append(live)
    hello = await live.receive_json(timeout=5)
    assert hello["type"] == "hello"
    await nano.get("/health?live=1")
    seen: list[dict[str, Any]] = []
    while not any(i["event"]["kind"] == "response" for i in seen):
        message = await live.receive_json(timeout=5)
        seen += message["events"]
    response = next(i for i in seen if i["event"]["kind"] == "response")
    assert response["flow"]["query"] == "live=1" and response["flow"]["status"] == 200


async def test_live_subscriber_queue_is_bounded() -> None:
    recorder = Recorder(100)
    hub = LiveHub(recorder, queue_size=5)
    sub = Subscriber(web.WebSocketResponse(), None, 5)
    hub.subscribers.add(sub)
    recorder.listen(hub)
    for n in range(12):
        recorder.record(Frame(1, float(n), "in", "text", 1, "x", False))
    assert sub.queue.qsize() == 5 and sub.dropped == 7


async def test_live_hub_sender_tasks_end_with_the_server(nano: Nano) -> None:
    live = await nano.session.ws_connect(nano.ws_url(f"{API}/live"))
    await live.receive_json(timeout=5)
    hub = nano.app[INSPECTOR].hub
    assert hub is not None and len(hub.tasks) == 1
    await nano.server.close()
    msg = await live.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert len(hub.tasks) == 0 and not hub.subscribers
    await live.close()


# -- cross-site ---------------------------------------------------------------------------------
async def test_foreign_origin_on_the_live_socket_is_refused(nano: Nano) -> None:
    for origin in ("http://evil.example", "null", "http://127.0.0.1:1"):
        status = await refused(nano, nano.ws_url(f"{API}/live"), headers={"Origin": origin})
        assert status == 403
    ok = await nano.session.ws_connect(nano.ws_url(f"{API}/live"), headers={"Origin": nano.base})
    nano.sockets.append(ok)
    assert (await ok.receive_json(timeout=5))["type"] == "hello"


async def test_cross_site_actions_are_refused_without_side_effect(nano: Nano) -> None:
    ws = await nano.connect("room-x")
    before = len(nano.core.recorder.events)
    flow_id = (await flows(nano, "?ws=1"))["flows"][0]["id"]
    evil = {"Origin": "http://evil.example"}
    for path in ("/clear", f"/flows/{flow_id}/close", "/import/leave"):
        response = await post(nano, path, headers=evil)
        assert response.status == 403, path
        assert "not this inspector's origin" in await response.text()
    site = await post(nano, "/clear", headers={"Sec-Fetch-Site": "cross-site"})
    assert site.status == 403
    form = await nano.session.post(
        nano.base + API + "/clear",
        data="x=1",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": nano.base},
    )
    assert form.status == 403
    assert (await nano.session.get(nano.base + API + "/clear")).status == 404
    assert len(nano.core.recorder.events) >= before and not ws.closed
    same = await post(nano, "/clear", headers={"Origin": nano.base})
    assert same.status == 200 and len(nano.core.recorder.events) == 0


async def test_inspector_pages_carry_a_strict_csp(nano: Nano) -> None:
    for path in ("/__nanodev/", f"{API}/flows", "/__nanodev/assets/inspector.js"):
        response = await nano.get(path)
        assert response.status == 200
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    script = await nano.get("/__nanodev/assets/inspector.js")
    assert script.content_type == "application/javascript"
    assert (await nano.get("/__nanodev/assets/..%2fsecret")).status == 404
    redirect = await nano.get("/__nanodev", allow_redirects=False)
    assert redirect.status == 302 and redirect.headers["Location"] == "/__nanodev/"
    await asyncio.sleep(0)


async def test_list_counts_what_a_filter_hides_and_what_stopped_matching(nano: Nano) -> None:
    await nano.get("/health")
    ws = await nano.connect("count-room")
    everything = await flows(nano)
    assert everything["total"] == everything["matched"] == len(everything["flows"]) == 2
    assert everything["oldest"] == min(f["id"] for f in everything["flows"])
    socket_row = next(f for f in everything["flows"] if f["upgrade"])
    assert socket_row["user"] == "dev@example.com"  # by email beside the id
    none = await flows(nano, "?path=/nothing")
    assert none["flows"] == [] and none["matched"] == 0 and none["total"] == 2
    open_only = await flows(nano, "?status=101")
    since = open_only["last_seq"]
    await ws.close()
    await wait_for(lambda: not nano.core.recorder.flows[socket_row["id"]].open)
    changed = await flows(nano, f"?status=4xx&since={since}")
    assert socket_row["id"] in changed["unmatched"]  # the page drops it from its kept rows


async def test_an_expired_keys_fix_names_its_real_owner(nano: Nano) -> None:
    expired = await nano.key("owner@example.com", expired=True)
    assert await refused(nano, nano.ws_url(room_id="owner-room", key=expired)) == 401
    row = next(f for f in (await flows(nano))["flows"] if f["status"] == 401)
    assert "--user owner@example.com --expires-in 30d" in row["explanation"]["fix"]
    assert "you@example.com" not in row["explanation"]["fix"]
