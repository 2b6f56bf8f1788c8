"""The real Workers runtime as the deployed Worker: `nanodev doctor --url` and
`nanodev up --upstream` against workerd running tests/workerd/worker.js (the reference's Worker
and its Room Durable Object, hibernation API and SQLite storage), with no stand-in in between.

workerd comes from `npm ci --prefix tests/workerd` (scripts/test runs it); without it every
test here fails with that command in the message rather than being skipped.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestServer

from nanodev.worker.roomids import RoomIdProblem, check_room_id
from tests.compressing_front import FRONT, make_front
from tests.conftest import Proc
from tests.doctor.test_run import EXPECTED, doctor_cli
from tests.workerd_server import Workerd, WorkerdMissing, start_workerd

MakeProc = Callable[..., Proc]
HANDSHAKE = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}
# What the doctor should report against the Worker as the reference describes it.
FAITHFUL = {name: "pass" for name in EXPECTED} | {
    "?session_token=": "warn",  # production's fallback takes a raw token as a cookie: refused
    "cross-site Origin": "fail",  # the Worker checks no Origin (§1.11 has no such step)
    "reconnect after server close": "skip",  # only nanodev's inspector can close server-side
}


def start_or_fail() -> Workerd:
    try:
        return start_workerd()
    except WorkerdMissing as exc:
        missing = str(exc)  # failed outside the handler, so the message stands alone
    pytest.fail(missing, pytrace=False)


@pytest.fixture(scope="module")
def workerd() -> Iterator[Workerd]:
    worker = start_or_fail()
    yield worker
    worker.stop()


def room() -> str:
    return f"wd-{secrets.token_hex(4)}"


def doctor(cwd: Path, url: str, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    out = doctor_cli(cwd, "--url", url, *args, "--json")
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    return out.returncode, checks


def every_credential(worker: Workerd) -> tuple[str, ...]:
    return (
        "--room", room(),
        "--key", worker.valid_key,
        "--expired-key", worker.expired_key,
        "--revoked-key", worker.revoked_key,
        "--cookie", worker.cookie,
        "--session-token", worker.session_token,
    )  # fmt: skip


def statuses(checks: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {name: checks[name]["status"] for name in EXPECTED}


# -- nanodev doctor --url <workerd> --------------------------------------------------------------
def test_doctor_against_the_real_runtime(workerd: Workerd, tmp_path: Path) -> None:
    code, checks = doctor(tmp_path, workerd.base_url, *every_credential(workerd))
    assert statuses(checks) == FAITHFUL, {n: c["cause"] for n, c in checks.items()}
    assert code == 1  # the cross-site Origin FAIL
    observed = {name: checks[name]["observed"] for name in EXPECTED}
    assert observed["room_id empty"] == "400 Missing room_id query parameter"
    assert observed["room_id whitespace"] == "400 Room ID must be at least 3 characters"
    assert observed["expired key"] == "401 API key expired"
    assert observed["revoked key"] == observed["unknown key"] == "401 Invalid API key"
    assert observed["non-nk_ header hides ?key="] == (
        "401 Unauthorized: Invalid API Key or Session"
    )
    assert observed["broadcast between two sockets"] == "A saw B: yes, B saw A: yes"
    assert observed["close, reconnect, data intact"] == "close 1000, row found"
    assert "cross-site WebSocket hijacking" in checks["cross-site Origin"]["cause"]


def test_doctor_skips_what_it_was_not_given(workerd: Workerd, tmp_path: Path) -> None:
    code, checks = doctor(tmp_path, workerd.base_url)
    assert statuses(checks)["health"] == "pass"
    assert statuses(checks)["room_id missing"] == "pass"  # needs no credentials
    assert checks["key in ?key="]["cause"] == "needs --room (a room the key or cookie may open)"
    code, checks = doctor(tmp_path, workerd.base_url, "--room", room(), "--key", workerd.valid_key)
    assert code == 0  # nothing fails without a cookie to try from another site
    assert checks["expired key"]["cause"] == "needs --expired-key (a key that has expired)"
    assert checks["session cookie"]["cause"] == "needs --cookie (a signed-in session cookie)"
    assert checks["cross-site Origin"]["status"] == "skip"
    assert checks["broadcast between two sockets"]["status"] == "pass"


def test_doctor_finds_the_worker_that_skips_the_room_id_check(
    workerd: Workerd, tmp_path: Path
) -> None:
    code, checks = doctor(tmp_path, workerd.url("no-room-id-check"), *every_credential(workerd))
    expected = FAITHFUL | {"room_id empty": "fail", "room_id missing": "fail"}
    expected["room_id whitespace"] = "warn"
    assert statuses(checks) == expected
    assert code == 1
    for name in ("room_id empty", "room_id missing"):
        assert "shared, nameless room" in checks[name]["cause"]
        assert checks[name]["observed"] == '101, first frame {"type":"reset"}'


# -- nanodev up --upstream <workerd> -------------------------------------------------------------
async def inspector(proc: Proc, path: str, **params: str) -> Any:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{proc.page_url}/__nanodev/api{path}", params=params) as resp,
    ):
        assert resp.status == 200
        return await resp.json()


async def closed_flows(proc: Proc, room_id: str, count: int) -> list[dict[str, Any]]:
    """The room's socket flows, oldest first, once `count` of them are recorded as closed."""
    deadline = time.monotonic() + 5
    while True:
        flows = (await inspector(proc, "/flows", room=room_id, ws="1"))["flows"]
        if len(flows) == count and not any(f["open"] for f in flows):
            return sorted(flows, key=lambda f: int(f["id"]))
        assert time.monotonic() < deadline, flows
        await asyncio.sleep(0.02)


async def closes_seen_by_the_worker(ws: aiohttp.ClientWebSocketResponse) -> list[Any]:
    """Ask the room (test hooks) for the client closes it was told of, until there is one."""
    deadline = time.monotonic() + 5
    while True:
        await ws.send_str('{"action":"__closes"}')
        closes: list[Any] = json.loads(await ws.receive_str(timeout=5))["closes"]
        if closes or time.monotonic() > deadline:
            return closes
        await asyncio.sleep(0.02)


def socket_url(proc: Proc, room_id: str, key: str) -> str:
    return proc.ws_url(room_id=room_id, key=key)


def test_the_doctor_through_the_relay_sees_what_it_sees_directly(
    workerd: Workerd, nanodev_proc: MakeProc, tmp_path: Path
) -> None:
    proc = nanodev_proc("--upstream", workerd.base_url)
    credentials = every_credential(workerd)
    _, direct = doctor(tmp_path, workerd.base_url, *credentials)
    code, relayed = doctor(tmp_path, proc.page_url, *credentials)
    assert statuses(relayed) == FAITHFUL, {n: c["cause"] for n, c in relayed.items()}
    assert code == 1
    for name in EXPECTED[1:]:  # health's observed body carries the time
        assert relayed[name]["observed"] == direct[name]["observed"], name


async def test_relayed_socket_frames_arrive_byte_identical(
    workerd: Workerd, nanodev_proc: MakeProc, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NANODEV_MAX_MESSAGE_BYTES", str(2 << 20))  # above the largest frame
    proc = nanodev_proc("--upstream", workerd.url("test-hooks"))
    room_id = room()
    sizes = [0, 1, 125, 126, 65535, 65536, (1 << 20) - 1, 1 << 20]
    sent: list[str | bytes] = []
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(socket_url(proc, room_id, workerd.valid_key), max_msg_size=4 << 20) as ws,
    ):
        assert await ws.receive_str(timeout=5) == '{"type":"reset"}'
        await ws.send_str('{"action":"ping"}')
        assert await ws.receive_str(timeout=5) == '{"type":"pong"}'
        for size in sizes:
            for payload in (os.urandom(size // 2 + 1).hex()[:size], os.urandom(size)):
                if isinstance(payload, str):
                    await ws.send_str(payload)
                else:
                    await ws.send_bytes(payload)
                msg = await ws.receive(timeout=10)
                assert msg.data == payload, f"{type(payload).__name__} of {size} B changed"
                sent.append(payload)
    (flow,) = await closed_flows(proc, room_id, 1)
    detail = await inspector(proc, f"/flows/{flow['id']}")
    assert detail["flow"]["status"] == 101 and detail["flow"]["destination"] == "upstream"
    target = f"{workerd.url('test-hooks')}/websocket?room_id={room_id}&key=nk_workerd_"
    assert detail["flow"]["target"].startswith(target)
    assert workerd.valid_key not in json.dumps(detail)  # recorded as a fingerprint only
    frames = [(f["direction"], f["opcode"], f["size"]) for f in detail["frames"]]
    expected = [("out", "text", 16), ("in", "text", 17), ("out", "text", 15)]
    for payload in sent:
        opcode = "text" if isinstance(payload, str) else "binary"
        expected += [("in", opcode, len(payload)), ("out", opcode, len(payload))]
    assert frames == expected
    assert (detail["flow"]["closed_by"], detail["flow"]["close_code"]) == ("client", 1000)


async def test_relayed_close_codes_both_ways(workerd: Workerd, nanodev_proc: MakeProc) -> None:
    proc = nanodev_proc("--upstream", workerd.url("test-hooks"))
    by_worker, by_client = room(), room()
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(socket_url(proc, by_worker, workerd.valid_key))
        await ws.receive_str(timeout=5)
        await ws.send_str('{"action":"__close","code":4001,"reason":"bye from the worker"}')
        msg = await ws.receive(timeout=5)
        assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 4001, "bye from the worker")
        await ws.close()

        ws = await http.ws_connect(socket_url(proc, by_client, workerd.valid_key))
        await ws.receive_str(timeout=5)
        await ws.close(code=4002, message=b"bye from the client")
        async with http.ws_connect(socket_url(proc, by_client, workerd.valid_key)) as probe:
            await probe.receive_str(timeout=5)
            closes = await closes_seen_by_the_worker(probe)
    assert closes == [{"code": 4002, "reason": "bye from the client", "clean": 1}]

    (flow,) = await closed_flows(proc, by_worker, 1)
    assert (flow["close_code"], flow["closed_by"]) == (4001, "upstream")
    detail = await inspector(proc, f"/flows/{flow['id']}")
    assert detail["close"]["reason"] == "bye from the worker"
    closed, _probe = await closed_flows(proc, by_client, 2)
    assert (closed["close_code"], closed["closed_by"]) == (4002, "client")


REFUSALS = [
    ("room_id=", 400, "Missing room_id query parameter"),
    ("room_id=%20%20&key={valid}", 400, "Room ID must be at least 3 characters"),
    ("room_id={room}&key=nk_unknown", 401, "Invalid API key"),
    ("room_id={room}&key={expired}", 401, "API key expired"),
    ("room_id={room}", 401, "Unauthorized: Invalid API Key or Session"),
]


async def test_relayed_refusals_keep_the_workers_status_and_body(
    workerd: Workerd, nanodev_proc: MakeProc
) -> None:
    proc = nanodev_proc("--upstream", workerd.base_url)
    async with aiohttp.ClientSession() as http:
        for query, status, body in REFUSALS:
            filled = query.format(room=room(), valid=workerd.valid_key, expired=workerd.expired_key)
            url = f"{proc.page_url}/__ws/websocket?{filled}"
            async with http.get(url, headers=HANDSHAKE) as resp:
                assert (resp.status, await resp.text()) == (status, body)
                assert resp.headers["Content-Type"].startswith("text/plain")
            newest = (await inspector(proc, "/flows"))["flows"][0]
            assert (newest["status"], newest["destination"]) == (status, "upstream")
            assert newest["outcome"] == "refused" and not newest["websocket"]
            detail = await inspector(proc, f"/flows/{newest['id']}")
            assert detail["response"]["body"] == body


async def test_the_worker_http_routes_through_the_relay(
    workerd: Workerd, nanodev_proc: MakeProc
) -> None:
    proc = nanodev_proc("--upstream", workerd.base_url)
    query = f"room_id={room()}&key={workerd.valid_key}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{proc.page_url}/health") as resp:
            assert resp.status == 200 and (await resp.json())["status"] == "healthy"
        async with http.get(f"{proc.page_url}/__ws/connect?{query}") as resp:
            assert (resp.status, await resp.text()) == (426, "Expected Upgrade: websocket")


# -- behind a compressing front ------------------------------------------------------------------
async def test_relay_behind_a_gzip_front_decodes_and_explains(
    workerd: Workerd, nanodev_proc: MakeProc
) -> None:
    """workerd behind a front that gzips for clients that accept it, as Cloudflare does: the
    relay forwards only the client's own Accept-Encoding, stores the body decoded, and explains
    the refusal as the emulated Worker would."""
    front = TestServer(make_front(workerd.base_url), host="127.0.0.1", port=0)
    await front.start_server()
    try:
        proc = nanodev_proc("--upstream", f"http://127.0.0.1:{front.port}")
        async with aiohttp.ClientSession(auto_decompress=False) as http:
            url = f"{proc.page_url}/__ws/websocket?room_id="
            async with http.get(
                url, headers={**HANDSHAKE, "Accept-Encoding": "gzip, deflate, br"}
            ) as resp:
                assert resp.status == 400 and resp.headers["Content-Encoding"] == "gzip"
                assert gzip.decompress(await resp.read()) == b"Missing room_id query parameter"
            async with http.get(
                url, headers=HANDSHAKE, skip_auto_headers=("Accept-Encoding",)
            ) as resp:
                assert "Content-Encoding" not in resp.headers
                assert await resp.text() == "Missing room_id query parameter"
            expired = f"{proc.page_url}/__ws/websocket?room_id={room()}&key={workerd.expired_key}"
            async with http.get(expired, headers={**HANDSHAKE, "Accept-Encoding": "gzip"}) as resp:
                assert resp.status == 401
        assert front.app[FRONT].accept_encodings == ["gzip, deflate, br", None, "gzip"]
        flows = sorted((await inspector(proc, "/flows"))["flows"], key=lambda f: int(f["id"]))
        empty = check_room_id("room_id=")
        assert isinstance(empty, RoomIdProblem)
        for flow, encoding in zip(flows[:2], ("gzip", ""), strict=True):
            detail = await inspector(proc, f"/flows/{flow['id']}")
            assert detail["response"]["body"] == "Missing room_id query parameter"
            assert detail["response"]["encoding"] == encoding
            assert detail["explanation"] == {"cause": empty.error, "fix": empty.hint}
            assert flow["explanation"] == detail["explanation"]
        refused = await inspector(proc, f"/flows/{flows[2]['id']}")
        assert refused["response"]["body"] == "API key expired"
        assert "the API key has expired" in refused["explanation"]["cause"]
    finally:
        await front.close()
