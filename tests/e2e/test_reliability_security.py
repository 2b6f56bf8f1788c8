"""Figures S3/S9/S10 and the protective limits: credentials re-checked on open sockets (1008),
Origin on cookie upgrades, 1009 and 1013 close codes, the aiohttp floor, loopback by default,
and canary secrets absent from logs."""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Callable

import aiohttp
import psutil
import pytest

from nanodev.authdb.db import now_ms
from nanodev.authdb.rows import KeyRow, SessionRow
from nanodev.preflight import check_aiohttp, judge
from nanodev.record.events import Closed
from nanodev.worker.expiry import key_problem, session_problem
from tests.conftest import Nano, Proc, wait_for
from tests.reliability import close_code, report


# -- expiry (S9) ------------------------------------------------------------------------------
def test_key_and_session_problems() -> None:
    now = now_ms()
    assert key_problem(KeyRow("k", "u", None), now) is None
    assert key_problem(KeyRow("k", "u", now - 1), now) == "API key expired"
    assert key_problem(KeyRow("k", "u", None, now - 1), now) == "API key revoked"
    assert key_problem(None, now) == "API key deleted"
    assert session_problem(SessionRow("t", "u", now // 1000 + 60), now // 1000) is None
    assert session_problem(SessionRow("t", "u", now // 1000 - 1), now // 1000) == "session expired"
    assert session_problem(None, 0) == "session ended (signed out)"


async def closed_with(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5) -> tuple[int, str]:
    msg = await ws.receive(timeout=timeout)
    while msg.type is aiohttp.WSMsgType.TEXT:
        msg = await ws.receive(timeout=timeout)
    assert msg.type is aiohttp.WSMsgType.CLOSE, msg
    return int(msg.data), str(msg.extra)


async def test_expiring_key_closes_its_socket_with_1008_and_is_refused_next(nano: Nano) -> None:
    key = await nano.key(ttl_s=2)
    ws = await nano.connect("exp", key)
    started = time.monotonic()
    code, reason = await closed_with(ws, timeout=6)
    assert (code, reason) == (1008, "API key expired")
    resp = await nano.session.get(
        nano.ws_url(room_id="exp", key=key).replace("ws://", "http://"),
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
        },
    )
    assert resp.status == 401
    await wait_for(
        lambda: any(
            isinstance(e, Closed) and e.reason == "API key expired"
            for _, e in nano.core.recorder.events
        )
    )
    report(
        "S9-expiry", closed_code=code, seconds_after_expiry=round(time.monotonic() - started - 2, 2)
    )


async def test_revoked_key_and_ended_session_close_their_sockets(nano: Nano) -> None:
    key = await nano.key()
    ws = await nano.connect("rev", key)
    cookie = await nano.cookie("sess@example.com", ttl_s=3600)
    session_ws = await nano.session.ws_connect(
        nano.ws_url(room_id="own-room"), headers={"Cookie": cookie}
    )
    assert (await session_ws.receive_json(timeout=5))["type"] == "reset"
    await nano.core.db.revoke_key(key, now_ms())
    await nano.core.db.conn.execute("DELETE FROM session")
    await nano.core.db.conn.commit()
    assert await closed_with(ws) == (1008, "API key revoked")
    assert await closed_with(session_ws) == (1008, "session ended (signed out)")
    report("S9-revoked", closed_code=1008)


# -- Origin on cookie upgrades (S3) ------------------------------------------------------------
@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (None, True),
        ("SAME", True),
        ("http://localhost:5173", True),
        ("http://evil.example", False),
        ("null", False),
        ("http://1.2.3.4", False),
        ("http://127.0.0.2:3000", False),
    ],
)
async def test_cookie_upgrade_origin(nano: Nano, origin: str | None, allowed: bool) -> None:
    cookie = await nano.cookie("o@example.com")
    headers = {"Cookie": cookie}
    if origin is not None:
        headers["Origin"] = nano.base if origin == "SAME" else origin
    url = nano.ws_url(room_id="origin-room")
    if allowed:
        ws = await nano.session.ws_connect(url, headers=headers)
        assert (await ws.receive_json(timeout=5))["type"] == "reset"
        await ws.close()
    else:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await nano.session.ws_connect(url, headers=headers)
        assert info.value.status == 403


async def test_key_upgrade_ignores_origin_checks(nano: Nano) -> None:
    ws = await nano.session.ws_connect(
        nano.ws_url(room_id="key-room", key=await nano.key()),
        headers={"Origin": "http://evil.example"},
    )
    assert (await ws.receive_json(timeout=5))["type"] == "reset"


# -- limits ------------------------------------------------------------------------------------
async def test_message_over_the_limit_closes_1009(nano: Nano) -> None:
    ws = await nano.connect("big")
    await ws.send_str("x" * (nano.core.settings.max_message_bytes + 1))
    code, _ = await closed_with(ws)
    assert code == 1009


async def test_message_of_exactly_the_limit_is_accepted(nano: Nano) -> None:
    ws = await nano.connect("edge")
    await ws.send_str("x" * nano.core.settings.max_message_bytes)  # not JSON: an error reply
    reply = await ws.receive(timeout=5)
    assert reply.type is aiohttp.WSMsgType.TEXT, f"a message at the limit was refused: {reply}"
    assert reply.json()["type"] == "error"
    await ws.send_str('{"action":"ping"}')
    assert (await ws.receive_json(timeout=5))["type"] == "pong"


# -- start-up checks (S10, S4) ------------------------------------------------------------------
def test_aiohttp_floor_and_compiled_parser() -> None:
    assert check_aiohttp().errors == ()
    assert check_aiohttp().warnings == ()
    assert judge("3.14.2", True).errors
    assert judge("3.9.5", True).errors
    assert not judge("3.14.3", True).errors
    assert judge("3.14.5", False).warnings and not judge("3.14.5", False).errors
    assert not judge("4.0.0a1", True).errors


def test_default_bind_is_loopback_only(nanodev_proc: Callable[..., Proc]) -> None:
    proc = nanodev_proc()
    assert proc.proc is not None
    addrs = {
        c.laddr.ip
        for c in psutil.Process(proc.proc.pid).net_connections("inet")
        if c.status == psutil.CONN_LISTEN
    }
    assert addrs and addrs <= {"127.0.0.1", "::1"}, addrs
    report("S4", listening=sorted(addrs))


# -- secrets in logs and snapshots (S5) ---------------------------------------------------------
@pytest.mark.timeout(60)
async def test_canary_secrets_never_reach_the_log(
    nanodev_proc: Callable[..., Proc], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    proc = nanodev_proc()
    canary = "nk_live_CANARYcanary0123456789abcdef"
    proc.cli("keys", "create", "--user", "c@example.com", "--id", canary)
    session = proc.cli("sessions", "create", "--user", "c@example.com")
    token = session["token"]
    async with aiohttp.ClientSession() as client:
        ws = await client.ws_connect(proc.ws_url(room_id="canary-room", key=canary))
        await ws.receive_json(timeout=5)
        await ws.send_json({"action": "rpc", "method": "nope", "payload": {"token": canary}})
        await ws.receive_json(timeout=5)
        await ws.close()
        for url in (
            proc.ws_url(room_id="canary-room", key=canary + "x"),
            proc.ws_url(room_id="canary-room", session_token=token),
        ):
            try:
                w = await client.ws_connect(url)
                await w.close()
            except aiohttp.WSServerHandshakeError:
                pass
        await client.get(
            proc.page_url + f"/api/keys?key={canary}", headers={"Authorization": f"Bearer {canary}"}
        )
    snap = tmp_path / "snap.zip"
    from tests.cli.test_state import cli  # noqa: PLC0415

    assert cli("export", str(snap), "--state-dir", str(proc.state_dir)).returncode == 0
    proc.stop()
    log = "".join(proc.output)
    assert "canary-room" in log  # the log did record the traffic
    assert canary not in log and token not in log
    # The state snapshot must restore keys, so it holds them (mode 0600, documented).
    assert snap.stat().st_mode & 0o777 == 0o600
    report("S5-log", canaries=2, found_in_log=0)


def test_raw_ws_close_code_helper() -> None:
    assert close_code(struct.pack("!H", 1013) + b"x") == 1013
    assert close_code(b"") is None
    asyncio.get_event_loop_policy()
