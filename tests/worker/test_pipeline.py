"""The emulated Worker's room path over real HTTP/WebSocket: room_id, the auth chain, ownership."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import unquote

import aiohttp
import pytest

from nanodev.record.events import AuthDecided
from nanodev.worker.paths import may_be_own_route
from nanodev.worker.pipeline import load_routes
from tests.conftest import Nano

UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}  # fmt: skip


async def handshake(
    nano: Nano, query: str, headers: dict[str, str] | None = None, path: str = "/__ws/websocket"
) -> aiohttp.ClientResponse:
    """Send a raw upgrade request and return the HTTP answer (101 or the refusal)."""
    ws_headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    ws_headers.update(headers or {})
    url = f"{nano.base}{path}" + (f"?{query}" if query else "")
    return await nano.session.get(url, headers=ws_headers)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "ROOM_ID_MISSING"),
        ("room_id", "ROOM_ID_NO_VALUE"),
        ("room_id=", "ROOM_ID_EMPTY"),
        ("room_id=%20", "ROOM_ID_BLANK"),
        ("room_id=" + "x" * 51, "ROOM_ID_TOO_LONG"),
        ("room_id=a%3Bb%3Bc", "ROOM_ID_BAD_CHARACTERS"),
    ],
)
async def test_bad_room_id_is_400_json(nano: Nano, query: str, code: str) -> None:
    resp = await handshake(nano, query)
    assert resp.status == 400
    body = await resp.json()
    assert body["code"] == code and body["error"] and body["hint"]


async def test_room_id_checked_before_auth(nano: Nano) -> None:
    resp = await handshake(nano, "room_id=&key=nk_live_unknown")
    assert resp.status == 400


@pytest.mark.parametrize("where", ["header", "api_key", "key"])
async def test_valid_key_every_source(nano: Nano, where: str) -> None:
    key = await nano.key()
    query, headers = "room_id=room-1", {}
    if where == "header":
        headers["X-Nano-Key"] = key
    else:
        query += f"&{where}={key}"
    resp = await handshake(nano, query, headers)
    assert resp.status == 101


async def test_unknown_and_expired_keys(nano: Nano) -> None:
    resp = await handshake(nano, "room_id=room-1&key=nk_live_doesnotexist")
    assert (resp.status, await resp.text()) == (401, "Invalid API key")
    expired = await nano.key(expired=True)
    resp = await handshake(nano, f"room_id=room-1&key={expired}")
    assert (resp.status, await resp.text()) == (401, "API key expired")
    assert "nanodev keys create" in resp.headers["X-Nanodev-Hint"]


async def test_revoked_key_is_unknown(nano: Nano) -> None:
    key = await nano.key()
    assert await nano.core.db.revoke_key(key, int(time.time() * 1000))
    resp = await handshake(nano, f"room_id=room-1&key={key}")
    assert (resp.status, await resp.text()) == (401, "Invalid API key")
    decision = [e for _, e in nano.core.recorder.events if isinstance(e, AuthDecided)][-1]
    assert any("revoked" in step.detail for step in decision.trace)


async def test_non_nk_header_hides_valid_query_key(nano: Nano) -> None:
    key = await nano.key()
    resp = await handshake(nano, f"room_id=room-1&key={key}", {"X-Nano-Key": "not-a-key"})
    assert (resp.status, await resp.text()) == (401, "Unauthorized: Invalid API Key or Session")
    decision = [e for _, e in nano.core.recorder.events if isinstance(e, AuthDecided)][-1]
    assert "hid key query" in decision.trace[0].detail


async def test_no_credentials(nano: Nano) -> None:
    resp = await handshake(nano, "room_id=room-1")
    assert (resp.status, await resp.text()) == (401, "Unauthorized: Invalid API Key or Session")


async def test_session_cookie_and_registration(nano: Nano) -> None:
    cookie = await nano.cookie("owner@example.com")
    resp = await handshake(nano, "room_id=owned-room", {"Cookie": cookie})
    assert resp.status == 101
    user = await nano.core.db.get_user_by_email("owner@example.com")
    assert user is not None
    assert await nano.core.db.room_owner("owned-room") == user.id


async def test_tampered_or_expired_cookie_refused(nano: Nano) -> None:
    cookie = await nano.cookie()
    resp = await handshake(nano, "room_id=room-1", {"Cookie": cookie[:-6] + "AAAA%3D"})
    assert resp.status == 401
    expired = await nano.cookie("late@example.com", ttl_s=-10)
    resp = await handshake(nano, "room_id=room-1", {"Cookie": expired})
    assert resp.status == 401


async def test_session_token_query_is_dev_convenience(nano: Nano) -> None:
    cookie = await nano.cookie()
    value = cookie.split("=", 1)[1]
    token = unquote(value).rsplit(".", 1)[0]
    resp = await handshake(nano, f"room_id=room-1&session_token={token}")
    assert resp.status == 101


async def test_room_of_another_user_is_403_for_cookie_and_key(nano: Nano) -> None:
    owner_cookie = await nano.cookie("owner@example.com")
    assert (await handshake(nano, "room_id=private-room", {"Cookie": owner_cookie})).status == 101
    intruder_cookie = await nano.cookie("intruder@example.com")
    resp = await handshake(nano, "room_id=private-room", {"Cookie": intruder_cookie})
    assert resp.status == 403
    intruder_key = await nano.key("intruder@example.com")
    resp = await handshake(nano, f"room_id=private-room&key={intruder_key}")
    assert resp.status == 403
    owner_key = await nano.key("owner@example.com")
    assert (await handshake(nano, f"room_id=private-room&key={owner_key}")).status == 101


async def test_client_cannot_spoof_user_id(nano: Nano) -> None:
    key = await nano.key("real@example.com")
    ws = await nano.session.ws_connect(
        nano.ws_url(room_id="spoof-room", key=key), headers={"X-User-ID": "someone-else"}
    )
    assert (await ws.receive_json())["type"] == "reset"
    room = nano.core.rooms.rooms["spoof-room"]
    user = await nano.core.db.get_user_by_email("real@example.com")
    assert user is not None
    assert [c.user_id for c in room.sockets] == [user.id]
    await ws.close()


async def test_connect_without_upgrade_is_426(nano: Nano) -> None:
    key = await nano.key()
    resp = await nano.get(f"/__ws/connect?room_id=room-1&key={key}")
    assert (resp.status, await resp.text()) == (426, "Expected Upgrade: websocket")


async def test_health_needs_no_auth(nano: Nano) -> None:
    resp = await nano.get("/health")
    body = await resp.json()
    assert resp.status == 200 and body["status"] == "healthy"
    assert set(body) >= {"status", "timestamp", "version"}


async def test_key_last_used_is_updated(nano: Nano) -> None:
    key = await nano.key()
    assert (await handshake(nano, f"room_id=room-1&key={key}")).status == 101
    for _ in range(300):  # written in a batch at most a second later
        rows = await nano.core.db.list_keys()
        if rows[0]["last_used_at"]:
            break
        await asyncio.sleep(0.01)
    assert rows[0]["last_used_at"] is not None


async def test_upgrade_on_bare_worker_paths(nano: Nano) -> None:
    key = await nano.key()
    for path in ("/websocket", "/__ws/websocket", "/connect", "/"):
        resp = await handshake(nano, f"room_id=room-1&key={key}", path=path)
        assert resp.status == 101, path


async def test_every_worker_route_is_reached_by_its_lazy_load(nano: Nano) -> None:
    """The route modules load on the first request that may need them: every route they
    register must sit where `may_be_own_route` looks, or it would never be found."""
    core = nano.core
    assert not core.routes_loaded and not core.worker_routes  # nothing loaded at start
    load_routes(core)
    assert core.worker_routes and core.worker_prefixes and core.room_routes
    assert all(may_be_own_route(path) for path in core.worker_routes)
    assert all(prefix.startswith("/api/") for prefix in core.worker_prefixes)


async def test_first_worker_route_request_loads_the_routes(nano: Nano) -> None:
    resp = await nano.get("/__ws/api/user-tier")
    assert resp.status == 401 and nano.core.routes_loaded


async def test_room_id_fixes_name_the_path_the_client_used(nano: Nano) -> None:
    for path, told in (("/websocket", "/websocket?room_id="), ("/__ws/websocket", "/__ws/")):
        async with nano.session.get(nano.base + path + "?room_id", headers=UPGRADE) as resp:
            body = await resp.json()
        assert resp.status == 400 and told in body["hint"], (path, body)
        if path == "/websocket":
            assert "/__ws/" not in body["hint"]


async def test_api_schema_without_room_id_gets_an_http_hint(nano: Nano) -> None:
    cookie = await nano.cookie()
    async with nano.session.get(nano.base + "/api/schema", headers={"Cookie": cookie}) as resp:
        body = await resp.json()
    assert resp.status == 400 and body["code"] == "ROOM_ID_MISSING"
    assert "plain HTTP request" in body["hint"] and "refreshSchema()" in body["hint"]
    assert "partysocket" not in body["hint"]


async def test_roomless_retries_are_grouped_per_page_session_with_the_user(nano: Nano) -> None:
    ada, bob = await nano.cookie("ada@example.com"), await nano.cookie("bob@example.com")
    for cookie in (ada, bob, ada, bob, ada):  # two pages, each retrying its room-less URL
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await nano.session.ws_connect(nano.ws_url("/websocket"), headers={"Cookie": cookie})
    async with nano.session.get(nano.base + "/__nanodev/api/flows") as resp:
        patterns = (await resp.json())["patterns"]
    assert sorted((p["user"], p["count"]) for p in patterns) == [
        ("ada@example.com", 3),
        ("bob@example.com", 2),
    ]
    ada_pattern = next(p for p in patterns if p["user"] == "ada@example.com")
    assert ada_pattern["cause"].startswith("3 cookie-carrying handshakes from ada@example.com's")
    assert "never checked" in ada_pattern["cause"] and ada_pattern["url"] == "/websocket"


# -- cross-site requests with a session cookie ------------------------------------------------
WRITES = [
    ("/api/rooms/create", '{"roomId": "evil-room"}'),
    ("/api/rooms/delete", '{"roomId": "my-app"}'),
    ("/api/keys/generate", '{"name": "evil"}'),
    ("/api/keys/delete", '{"keyId": "nk_live_x"}'),
    ("/api/webhooks/create", '{"url": "http://127.0.0.1:9/h", "events": ["insert"]}'),
    ("/api/webhooks/update", '{"id": "w", "url": "http://127.0.0.1:9/h"}'),
    ("/api/webhooks/delete", '{"id": "w"}'),
    ("/api/webhooks/test", '{"id": "w"}'),
    ("/global-query", '{"sql": "SELECT 1", "rooms": ["my-app"]}'),
    ("/api/user-tier", "{}"),
    ("/api/auth/sign-out", "{}"),
]
FOREIGN = ["http://evil.example", "null", "https://127.0.0.1", "http://127.0.0.1:99999", "::"]


async def _signed_up(nano: Nano) -> aiohttp.ClientSession:
    page = aiohttp.ClientSession(base_url=nano.base, cookie_jar=aiohttp.CookieJar(unsafe=True))
    body = {"email": "ada@example.com", "password": "password123", "name": "Ada"}
    assert (await page.post("/api/auth/sign-up/email", json=body)).status == 200
    assert (await page.post("/api/rooms/create", json={"roomId": "my-app"})).status == 200
    return page


@pytest.mark.parametrize("origin", FOREIGN)
@pytest.mark.parametrize(("path", "body"), WRITES, ids=[w[0] for w in WRITES])
async def test_cross_site_writes_with_a_cookie_are_refused(
    nano: Nano, path: str, body: str, origin: str
) -> None:
    page = await _signed_up(nano)
    try:
        headers = {"Origin": origin, "Content-Type": "text/plain"}
        answer = await page.post(path, data=body, headers=headers)
        assert answer.status == 403, await answer.text()
        assert (await answer.json())["message"] == "Invalid origin"
        rooms = await (await page.get("/api/rooms/list")).json()
        assert [r["id"] for r in rooms] == ["my-app"]  # nothing created or deleted
        assert (await (await page.get("/api/keys/list")).json())["keys"] == []
    finally:
        await page.close()
    flows = (await (await nano.get("/__nanodev/api/flows")).json())["flows"]
    refused = next(f for f in flows if f["status"] == 403)
    if not path.startswith("/api/auth"):  # Better Auth's own refusal is recorded as its 403
        explanation = refused["explanation"]
        assert "cross-site" in explanation["cause"] and repr(origin) in explanation["cause"]
        assert "allowed_origins" in explanation["fix"]


@pytest.mark.parametrize("origin", [None, "http://localhost:5173", "http://127.0.0.1:3000"])
async def test_same_host_and_originless_writes_go_through(nano: Nano, origin: str | None) -> None:
    page = await _signed_up(nano)
    try:
        headers = {"Origin": origin} if origin else {}
        answer = await page.post("/api/rooms/create", json={"roomId": "second"}, headers=headers)
        assert answer.status == 200, await answer.text()
    finally:
        await page.close()


@pytest.mark.parametrize(
    "origin",
    ["https://localhost:{port}", "http://127.0.0.1:99999", "http://[::1", "http://", "x", "null",
     "http://localhost:{port}/path", "http://user@localhost:{port}"],
)  # fmt: skip
async def test_cookie_upgrades_from_untrusted_origins_are_refused(nano: Nano, origin: str) -> None:
    cookie = await nano.cookie()
    value = origin.format(port=nano.server.port)
    answer = await handshake(nano, "room_id=my-room", {"Cookie": cookie, "Origin": value})
    assert answer.status == 403
    assert "cross-site WebSocket upgrade" in await answer.text()
    same = await handshake(
        nano,
        "room_id=my-room",
        {"Cookie": cookie, "Origin": f"http://localhost:{nano.server.port}"},
    )
    assert same.status == 101
    same.close()
