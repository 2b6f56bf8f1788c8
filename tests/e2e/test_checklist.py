"""The seed report's testing checklist, one named test per line, against a real `nanodev up`
process on ephemeral loopback ports, seeded through the real CLI."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import Proc, free_port

WS_HEADERS = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    proc = Proc(tmp_path_factory.mktemp("checklist") / "state", free_port(), []).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def creds(server: Proc) -> dict[str, str]:
    valid = server.cli("keys", "create", "--user", "check@example.com", "--id", "nk_test_valid")[
        "id"
    ]
    expired = server.cli(
        "keys", "create", "--user", "check@example.com", "--id", "nk_test_expired", "--expired"
    )["id"]
    cookie = server.cli("sessions", "create", "--user", "check@example.com")["cookie"]
    return {"valid": valid, "expired": expired, "cookie": cookie}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def upgrade_status(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    async with http.get(
        url.replace("ws://", "http://"), headers={**WS_HEADERS, **(headers or {})}
    ) as resp:
        return resp.status, "" if resp.status == 101 else await resp.text()


async def open_room(http: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(url)
    assert await ws.receive_json(timeout=5) == {"type": "reset"}
    return ws


async def test_valid_room_id(server: Proc, creds: dict[str, str], http) -> None:  # type: ignore[no-untyped-def]
    ws = await open_room(http, server.ws_url(room_id="test-room-123", key=creds["valid"]))
    await ws.send_json({"action": "ping"})
    assert await ws.receive_json(timeout=5) == {"type": "pong"}
    await ws.close()


async def test_empty_room_id(server: Proc, creds: dict[str, str], http) -> None:  # type: ignore[no-untyped-def]
    status, body = await upgrade_status(http, server.ws_url(room_id="", key=creds["valid"]))
    assert status == 400
    assert json.loads(body)["code"] == "ROOM_ID_EMPTY"
    # …and the seed report's exact URL: the parameter with no value at all.
    base = server.page_url.replace("http://", "ws://")
    status, body = await upgrade_status(http, f"{base}/__ws/websocket?room_id")
    assert status == 400
    assert "present but empty" in json.loads(body)["error"]


async def test_missing_room_id(server: Proc, creds: dict[str, str], http) -> None:  # type: ignore[no-untyped-def]
    base = server.page_url.replace("http://", "ws://")
    status, body = await upgrade_status(http, f"{base}/__ws/websocket?key={creds['valid']}")
    assert status == 400
    assert json.loads(body)["code"] == "ROOM_ID_MISSING"


async def test_valid_key_in_header(server: Proc, creds: dict[str, str], http) -> None:  # type: ignore[no-untyped-def]
    status, _ = await upgrade_status(
        http, server.ws_url(room_id="test-room"), {"X-Nano-Key": creds["valid"]}
    )
    assert status == 101


async def test_valid_key_in_query(server: Proc, creds: dict[str, str], http) -> None:  # type: ignore[no-untyped-def]
    status, _ = await upgrade_status(http, server.ws_url(room_id="test", key=creds["valid"]))
    assert status == 101


async def test_expired_key(server: Proc, creds: dict[str, str], http) -> None:  # type: ignore[no-untyped-def]
    status, body = await upgrade_status(
        http, server.ws_url(room_id="test-room", key=creds["expired"])
    )
    assert (status, body) == (401, "API key expired")


async def test_invalid_key(server: Proc, http) -> None:  # type: ignore[no-untyped-def]
    status, body = await upgrade_status(
        http, server.ws_url(room_id="test-room", key="nk_live_not_a_real_key")
    )
    assert (status, body) == (401, "Invalid API key")


async def test_valid_session_cookie(server: Proc, creds: dict[str, str], http) -> None:  # type: ignore[no-untyped-def]
    status, _ = await upgrade_status(
        http, server.ws_url(room_id="cookie-room"), {"Cookie": creds["cookie"]}
    )
    assert status == 101


async def test_without_authentication(server: Proc, http) -> None:  # type: ignore[no-untyped-def]
    status, body = await upgrade_status(http, server.ws_url(room_id="test-room"))
    assert (status, body) == (401, "Unauthorized: Invalid API Key or Session")


async def test_multiple_tabs_same_room(server: Proc, creds: dict[str, str], http) -> None:  # type: ignore[no-untyped-def]
    url = server.ws_url(room_id="tabs-room", key=creds["valid"])
    tab1, tab2 = await open_room(http, url), await open_room(http, url)
    for ws in (tab1, tab2):
        await ws.send_json({"action": "subscribe", "table": "tasks"})
        await ws.send_json({"action": "ping"})
        assert await ws.receive_json(timeout=5) == {"type": "pong"}
    await tab1.send_json(
        {
            "action": "rpc",
            "method": "batchInsert",
            "requestId": "t1",
            "payload": {"table": "tasks", "rows": [{"title": "from tab 1"}]},
        }
    )
    update = await tab2.receive_json(timeout=5)
    assert update["event"] == "update" and update["row"]["title"] == "from tab 1"
    await tab1.close()
    await tab2.close()


async def test_close_and_reconnect(server: Proc, creds: dict[str, str], http) -> None:  # type: ignore[no-untyped-def]
    url = server.ws_url(room_id="reconnect-room", key=creds["valid"])
    ws = await open_room(http, url)
    await ws.send_json(
        {
            "action": "rpc",
            "method": "batchInsert",
            "requestId": "w",
            "payload": {"table": "tasks", "rows": [{"title": "before close"}]},
        }
    )
    assert (await ws.receive_json(timeout=5))["type"] == "mutation_success"
    await ws.close()
    assert ws.close_code == 1000
    ws = await open_room(http, url)
    await ws.send_json(
        {
            "action": "rpc",
            "method": "executeSQL",
            "requestId": "r",
            "payload": {"sql": "SELECT title FROM tasks"},
        }
    )
    assert (await ws.receive_json(timeout=5))["data"] == [{"title": "before close"}]
    await ws.close()


async def test_reconnect_after_server_restart(tmp_path: Path, http) -> None:  # type: ignore[no-untyped-def]
    proc = Proc(tmp_path / "state", free_port(), []).start()
    try:
        key = proc.cli("keys", "create", "--user", "r@example.com")["id"]
        url = proc.ws_url(room_id="restart-room", key=key)
        ws = await open_room(http, url)
        await ws.send_json(
            {
                "action": "rpc",
                "method": "batchInsert",
                "requestId": "w",
                "payload": {"table": "tasks", "rows": [{"title": "survives"}]},
            }
        )
        assert (await ws.receive_json(timeout=5))["type"] == "mutation_success"
        started = time.monotonic()
        assert proc.stop(signal.SIGINT) == 0
        assert time.monotonic() - started < 2.0
        msg = await ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1001
        proc.start()  # same state directory, new port
        ws = await open_room(http, proc.ws_url(room_id="restart-room", key=key))
        await ws.send_json(
            {
                "action": "rpc",
                "method": "executeSQL",
                "requestId": "r",
                "payload": {"sql": "SELECT title FROM tasks"},
            }
        )
        assert (await ws.receive_json(timeout=5))["data"] == [{"title": "survives"}]
        await ws.close()
    finally:
        proc.stop()
