"""The replay editor's API against a real nanodev: the form hides secrets, the edited re-run
is a real loopback handshake whose result comes back beside the original."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.conftest import Nano, rpc

API = "/__nanodev/api"


async def post(nano: Nano, path: str, body: Any) -> aiohttp.ClientResponse:
    return await nano.session.post(nano.base + API + path, json=body)


async def cookie_socket(nano: Nano) -> tuple[aiohttp.ClientWebSocketResponse, str, int]:
    cookie = await nano.cookie()
    ws = await nano.session.ws_connect(
        nano.ws_url(room_id="ed-room"), headers={"Cookie": cookie, "Origin": nano.base}
    )
    await ws.receive_json(timeout=5)
    await rpc(ws, "getSchema", None, "first")
    flow = max(f.id for f in nano.core.recorder.flows.values() if f.status == 101)
    return ws, cookie, flow


async def form_of(nano: Nano, flow: int) -> dict[str, Any]:
    response = await nano.get(f"{API}/flows/{flow}/form")
    assert response.status == 200
    data: dict[str, Any] = await response.json()
    return data


async def test_form_shows_fingerprints_names_and_first_frames(nano: Nano) -> None:
    key = await nano.key("owner@example.com", name="ci key")
    ws, cookie, flow = await cookie_socket(nano)
    form = await form_of(nano, flow)
    raw = str(form)
    assert cookie.split("=", 1)[1] not in raw and key not in raw
    assert any("first" in f for f in form["frames"])
    labels = [k["label"] for k in form["credentials"]["keys"]]
    assert "ci key · owner@example.com" in labels
    assert any("dev@example.com" in s["label"] for s in form["credentials"]["sessions"])
    await ws.close()


async def test_edited_origin_is_refused_beside_the_accepted_original(nano: Nano) -> None:
    ws, _cookie, flow = await cookie_socket(nano)
    form = await form_of(nano, flow)
    headers = [
        {
            "name": h["name"],
            "value": "https://evil.example" if h["name"] == "Origin" else h["value"],
        }
        for h in form["headers"]
        if h["value"]
    ]
    response = await post(nano, f"/flows/{flow}/replay", {**form, "headers": headers})
    result = await response.json()
    assert result["status"] == 403
    assert result["original"]["flow"]["status"] == 101
    assert result["replay"]["flow"]["status"] == 403
    assert "evil.example" in result["replay"]["explanation"]["cause"]
    await ws.close()


async def test_a_key_picked_by_name_and_frames_are_sent(nano: Nano) -> None:
    ws, _cookie, flow = await cookie_socket(nano)
    await nano.key(name="picked")  # the room owner's second key
    form = await form_of(nano, flow)
    ref = next(k["ref"] for k in form["credentials"]["keys"] if k["label"].startswith("picked"))
    body = {
        **form,
        "headers": [],
        "key_ref": ref,
        "frames": ['{"action":"rpc","method":"getSchema","requestId":"from-editor"}'],
    }
    result = await (await post(nano, f"/flows/{flow}/replay", body)).json()
    assert result["status"] == 101, result
    replay = result["replay"]
    assert replay["flow"]["user"] == "dev@example.com"
    assert replay["auth"]["source"].startswith("api_key")  # the picked key, not the cookie
    texts = [f["text"] for f in replay["frames"]]
    assert any("from-editor" in t for t in texts)  # sent, and the room's answer recorded
    assert sum("from-editor" in t for t in texts) == 2
    assert result["close_code"] == 1000
    await ws.close()


async def test_a_pasted_key_is_used_once_and_kept_nowhere(nano: Nano) -> None:
    ws, _cookie, flow = await cookie_socket(nano)
    pasted = await nano.key()
    form = await form_of(nano, flow)
    body = {**form, "headers": [], "pasted_key": pasted}
    result = await (await post(nano, f"/flows/{flow}/replay", body)).json()
    assert result["status"] == 101
    assert pasted not in str(result)
    assert all(pasted not in str(e.to_json()) for _s, e in nano.core.recorder.events)
    await ws.close()


async def test_bad_edits_get_a_clear_400_and_unknown_flows_a_404(nano: Nano) -> None:
    ws, _cookie, flow = await cookie_socket(nano)
    bad = await post(nano, f"/flows/{flow}/replay", {"path": "no-slash"})
    assert bad.status == 400 and "must start with /" in (await bad.json())["error"]
    gone = await post(nano, f"/flows/{flow}/replay", {"key_ref": "0" * 16})
    assert gone.status == 400 and "no longer in the auth database" in (await gone.json())["error"]
    missing = await nano.get(f"{API}/flows/9999/form")
    assert (
        missing.status == 404 and "recent WebSocket handshakes" in (await missing.json())["error"]
    )
    await ws.close()
