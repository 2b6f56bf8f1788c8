"""`nanodev doctor` end to end: against a real nanodev every check passes and the fixtures are
gone afterwards; against deliberately broken stand-in Workers the matching checks FAIL with
the right causes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from nanodev.authdb.db import open_auth_db
from nanodev.authdb.seeding import SeedError, create_key
from nanodev.doctor.fixtures import DOCTOR_EMAIL, leftovers, seed
from nanodev.doctor.report import Report, Status
from nanodev.doctor.run import (
    DoctorError,
    DoctorOptions,
    cookie_header,
    local_target,
    run_doctor,
    run_local,
)
from tests.conftest import Nano, Proc

MakeNano = Callable[..., Awaitable[Nano]]
EXPECTED = [
    "health",
    "room_id valid",
    "room_id empty",
    "room_id missing",
    "room_id whitespace",
    "key in X-Nano-Key",
    "key in ?key=",
    "key in ?api_key=",
    "expired key",
    "revoked key",
    "unknown key",
    "non-nk_ header hides ?key=",
    "no credentials",
    "session cookie",
    "?session_token=",
    "cross-site Origin",
    "broadcast between two sockets",
    "reconnect after server close",
    "close, reconnect, data intact",
]


def by_name(report: Report) -> dict[str, tuple[Status, str]]:
    return {c.name: (c.status, c.cause) for c in report.checks}


async def test_every_check_passes_against_nanodev_and_fixtures_are_removed(nano: Nano) -> None:
    state = nano.core.settings.state_dir
    report = await run_local(state, DoctorOptions(url=nano.base))
    assert [c.name for c in report.checks] == EXPECTED
    failing = [(c.name, c.status, c.cause, c.observed) for c in report.checks if c.status != "pass"]
    assert failing == []
    assert report.exit_code == 0
    checks = {c.name: c for c in report.checks}
    assert checks["room_id empty"].observed.startswith("400")
    assert checks["expired key"].observed == "401 API key expired"
    assert checks["cross-site Origin"].observed.startswith("403")
    assert all(c.ms >= 0 for c in report.checks)
    async with open_auth_db(state / "d1" / "AUTH_DB.sqlite") as db:
        assert await leftovers(db) == []
        rows = await db.conn.execute_fetchall("SELECT count(*) FROM rooms")
        assert next(iter(rows))[0] == 0  # the doctor user's room registration went with it


async def test_fixtures_are_removed_even_when_the_server_is_gone(nano: Nano) -> None:
    state = nano.core.settings.state_dir
    await nano.server.close()
    report = await run_local(state, DoctorOptions(url=nano.base))
    assert report.exit_code == 1
    assert by_name(report)["health"][0] is Status.FAIL
    async with open_auth_db(state / "d1" / "AUTH_DB.sqlite") as db:
        assert await leftovers(db) == []


async def test_a_fixture_name_owned_by_someone_else_is_never_touched(nano: Nano) -> None:
    state = nano.core.settings.state_dir
    await create_key(nano.core.db, state, "dev@example.com", key_id="nk_test_valid")
    async with open_auth_db(state / "d1" / "AUTH_DB.sqlite") as db:
        with pytest.raises(SeedError, match="belongs to another user"):
            await seed(db, state)
        assert await db.get_key("nk_test_valid") is not None
        assert await db.get_user_by_email(DOCTOR_EMAIL) is None  # nothing was created


async def test_remote_checks_without_their_input_are_skipped(nano: Nano) -> None:
    report = await run_doctor(DoctorOptions(url=nano.base))
    checks = by_name(report)
    assert checks["health"][0] is Status.PASS
    assert checks["room_id missing"][0] is Status.PASS  # needs no credentials
    assert checks["key in ?key="] == (
        Status.SKIP,
        "needs --room (a room the key or cookie may open)",
    )
    report = await run_doctor(DoctorOptions(url=nano.base, room="remote-room"))
    assert by_name(report)["expired key"] == (
        Status.SKIP,
        "needs --expired-key (a key that has expired)",
    )
    assert by_name(report)["no credentials"][0] is Status.PASS
    assert by_name(report)["reconnect after server close"][0] is Status.SKIP


async def test_remote_checks_with_passed_credentials(nano: Nano) -> None:
    key = await nano.key("remote@example.com")
    expired = await nano.key("remote@example.com", expired=True)
    cookie = (await nano.cookie("remote@example.com")).split("=", 1)[1]
    report = await run_doctor(
        DoctorOptions(
            url=nano.base, room="remote-room", key=key, expired_key=expired, cookie=cookie
        )
    )
    checks = by_name(report)
    for name in (
        "room_id valid",
        "key in X-Nano-Key",
        "expired key",
        "session cookie",
        "cross-site Origin",
        "broadcast between two sockets",
        "close, reconnect, data intact",
    ):
        assert checks[name][0] is Status.PASS, (name, checks[name])
    assert checks["revoked key"][0] is Status.SKIP


def test_cookie_header_accepts_a_pair_or_a_bare_value() -> None:
    assert cookie_header("abc.def") == "better-auth.session_token=abc.def"
    assert cookie_header("better-auth.session_token=a.b%3D") == "better-auth.session_token=a.b%3D"
    assert cookie_header("__Secure-better-auth.session_token=x") == (
        "__Secure-better-auth.session_token=x"
    )
    assert cookie_header("a.b=") == "better-auth.session_token=a.b="


def test_local_target_needs_a_running_server(tmp_path: Path) -> None:
    with pytest.raises(DoctorError, match="no nanodev is running"):
        local_target(tmp_path)


# -- deliberately broken stand-in Workers -----------------------------------------------------
VALID, EXPIRED, COOKIE = "nk_fake_valid", "nk_fake_expired", "fakecookie.signature"
FLAWS: web.AppKey[frozenset[str]] = web.AppKey("flaws", frozenset)


def fake_decision(request: web.Request, flaws: frozenset[str]) -> tuple[int, str]:
    """The Worker's handshake order (room_id, key, cookie) with chosen checks left out."""
    q = request.query
    if not q.get("room_id") and "accepts empty room_id" not in flaws:
        return 400, "Missing room_id query parameter"
    candidate = request.headers.get("X-Nano-Key") or q.get("api_key") or q.get("key")
    if candidate and candidate.startswith("nk_"):
        if candidate == EXPIRED and "never expires keys" not in flaws:
            return 401, "API key expired"
        if candidate in (VALID, EXPIRED):
            return 101, ""
        return 401, "Invalid API key"
    if COOKIE in request.headers.get("Cookie", ""):
        origin = request.headers.get("Origin")
        if origin and "127.0.0.1" not in origin and "ignores Origin" not in flaws:
            return 403, "Forbidden: cross-site Origin"
        return 101, ""
    return 401, "Unauthorized: Invalid API Key or Session"


async def fake_worker(request: web.Request) -> web.StreamResponse:
    if request.path == "/health":
        return web.json_response({"status": "healthy"})
    status, body = fake_decision(request, request.app[FLAWS])
    if status != 101:
        return web.Response(status=status, text=body)
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str('{"type":"reset"}')
    async for msg in ws:
        if msg.type is not WSMsgType.TEXT:
            continue
        frame = json.loads(msg.data)
        if frame.get("action") == "ping":
            await ws.send_str('{"type":"pong"}')
        elif frame.get("action") == "rpc":  # no room storage in this stand-in
            reply = {"type": "error", "error": "UNKNOWN_METHOD", "requestId": frame["requestId"]}
            await ws.send_str(json.dumps(reply))
    return ws


@pytest.fixture
async def broken() -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    servers: list[TestServer] = []

    async def start(flaw: str) -> str:
        app = web.Application()
        app[FLAWS] = frozenset({flaw})
        app.router.add_route("*", "/{tail:.*}", fake_worker)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server in servers:
        await server.close()


@pytest.mark.parametrize(
    ("flaw", "failing", "cause"),
    [
        ("accepts empty room_id", {"room_id empty", "room_id missing"}, "shared, nameless room"),
        ("never expires keys", {"expired key"}, "expires_at is not checked"),
        ("ignores Origin", {"cross-site Origin"}, "cross-site WebSocket hijacking"),
    ],
)
async def test_broken_workers_get_the_matching_fails(
    broken: Callable[[str], Awaitable[str]], flaw: str, failing: set[str], cause: str
) -> None:
    url = await broken(flaw)
    options = DoctorOptions(
        url=url, room="fake-room", key=VALID, expired_key=EXPIRED, cookie=COOKIE
    )
    report = await run_doctor(options)
    checks = by_name(report)
    handshake_checks = {
        "room_id valid",
        "room_id empty",
        "room_id missing",
        "expired key",
        "unknown key",
        "no credentials",
        "session cookie",
        "cross-site Origin",
    }
    for name in handshake_checks:
        expected = Status.FAIL if name in failing else Status.PASS
        assert checks[name][0] is expected, (flaw, name, checks[name])
    for name in failing:
        assert cause in checks[name][1]
    assert report.exit_code == 1


# -- the command ------------------------------------------------------------------------------
GOOD_VITE = """
export default defineConfig({
  server: {
    port: 3000,
    proxy: {
      '/api': { target: 'http://127.0.0.1:%d', changeOrigin: true },
      '/__ws': {
        target: 'ws://127.0.0.1:%d',
        ws: true,
        rewrite: (path) => path.replace(/^\\/__ws/, ''),
      },
    },
  },
})
"""


def doctor_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nanodev", "doctor", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=120,
    )


def test_cli_against_a_running_nanodev_up(
    nanodev_proc: Callable[..., Proc], tmp_path: Path
) -> None:
    proc = nanodev_proc()
    work = tmp_path / "app"
    work.mkdir()
    (work / "vite.config.ts").write_text(GOOD_VITE % (proc.worker_port, proc.worker_port))
    out = doctor_cli(work, "--state-dir", str(proc.state_dir), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"checks", "summary"}
    assert all(
        set(c) == {"name", "status", "cause", "fix", "observed", "ms"} for c in data["checks"]
    )
    statuses = {c["name"]: c["status"] for c in data["checks"]}
    assert [n for n in EXPECTED if statuses[n] != "pass"] == []
    assert statuses["vite proxy /__ws"] == "pass" and statuses[".dev.vars"] == "skip"
    assert data["summary"]["fail"] == 0 and data["summary"]["ok"] is True
    keys = proc.cli("keys", "list")
    assert [k["id"] for k in keys if k["id"].startswith("nk_test_")] == []

    text = doctor_cli(work, "--state-dir", str(proc.state_dir))
    assert text.returncode == 0
    assert "PASS  room_id empty" in text.stdout


async def test_cli_fails_with_exit_code_against_a_broken_worker(
    broken: Callable[[str], Awaitable[str]], tmp_path: Path
) -> None:
    url = await broken("ignores Origin")
    args = ("--url", url, "--room", "r", "--key", VALID, "--cookie", COOKIE)
    out = await asyncio.to_thread(doctor_cli, tmp_path, *args)
    assert out.returncode == 1
    assert "FAIL  cross-site Origin" in out.stdout
    assert "cross-site WebSocket hijacking" in out.stdout


def test_cli_without_a_running_server_says_what_to_run(tmp_path: Path) -> None:
    out = doctor_cli(tmp_path, "--state-dir", str(tmp_path / "none"))
    assert out.returncode == 1
    assert "no nanodev is running" in out.stderr and "nanodev up" in out.stderr
