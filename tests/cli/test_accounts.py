"""The seeding CLI as a user runs it: real processes, a real state directory, `--json` output."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import aiohttp

from nanodev.betterauth.cookies import verify
from nanodev.betterauth.passwords import verify_password
from nanodev.state.directory import load_secret
from tests.conftest import Proc


def cli(state: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nanodev", *args, "--state-dir", str(state)],
        capture_output=True,
        text=True,
        check=check,
    )


def cli_json(state: Path, *args: str) -> Any:
    return json.loads(cli(state, *args, "--json").stdout)


def test_users_create_is_idempotent_and_lowercases(tmp_path: Path) -> None:
    first = cli_json(
        tmp_path,
        "users",
        "create",
        "Ada@Example.com",
        "--name",
        "Ada",
        "--password",
        "correct horse",
    )
    again = cli_json(tmp_path, "users", "create", "ada@example.com")
    assert first["created"] is True and again["created"] is False
    assert first["id"] == again["id"] and first["email"] == "ada@example.com"
    with closing(sqlite3.connect(tmp_path / "d1" / "AUTH_DB.sqlite")) as db:
        query = "SELECT password FROM account WHERE userId = ?"
        stored = db.execute(query, (first["id"],)).fetchone()
    assert stored is not None and ":" in stored[0] and "correct horse" not in stored[0]


def test_sessions_create_prints_a_cookie_that_verifies(tmp_path: Path) -> None:
    seed = cli_json(tmp_path, "sessions", "create", "--user", "s@example.com", "--expires-in", "2h")
    assert set(seed) >= {"token", "cookie", "expires_at"}
    name, value = seed["cookie"].split("=", 1)
    assert name == "better-auth.session_token"
    assert verify(value, load_secret(tmp_path)).token == seed["token"]
    assert abs(seed["expires_at"] - (time.time() + 7200) * 1000) < 60_000  # milliseconds


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    row = cli_json(
        tmp_path,
        "keys",
        "create",
        "--user",
        "k@example.com",
        "--id",
        "nk_test_valid",
        "--room",
        "demo-room",
    )
    assert {"id", "user_id", "expires_at", "ws_url"} <= set(row)
    assert row["id"] == "nk_test_valid"
    assert row["ws_url"] == (
        "ws://127.0.0.1:3000/__ws/websocket?room_id=demo-room&key=nk_test_valid"
    )
    expired = cli_json(tmp_path, "keys", "create", "--user", "k@example.com", "--expired")
    assert expired["expires_at"] < time.time() * 1000
    listed = {
        k["id"]: k["state"] for k in cli_json(tmp_path, "keys", "list", "--user", "k@example.com")
    }
    assert listed == {"nk_test_valid": "valid", expired["id"]: "expired"}
    revoked = cli_json(tmp_path, "keys", "revoke", "nk_test_valid")
    assert revoked["id"] == "nk_test_valid" and revoked["revoked"] is True
    assert abs(revoked["revoked_at"] - time.time() * 1000) < 60_000
    listed = {k["id"]: k["state"] for k in cli_json(tmp_path, "keys", "list")}
    assert listed["nk_test_valid"] == "revoked"


def test_keys_create_default_is_thirty_days_and_human_output(tmp_path: Path) -> None:
    out = cli(tmp_path, "keys", "create", "--user", "h@example.com").stdout
    assert "key      nk_live_" in out and "connect  ws://127.0.0.1:3000/__ws/websocket" in out
    row = cli_json(tmp_path, "keys", "list")[0]
    assert abs(row["expires_at"] - (time.time() + 30 * 86400) * 1000) < 60_000


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    cases = [
        (("keys", "create", "--user", "x@example.com", "--id", "live_123"), "must start with nk_"),
        (("keys", "create", "--user", "x@example.com", "--expires-in", "soon"), "not a duration"),
        (
            ("keys", "create", "--user", "x@example.com", "--scopes", "read,root"),
            "Invalid scopes: root",
        ),
        (("keys", "create", "--user", "not-an-email"), "is not an email address"),
        (
            ("keys", "create", "--user", "x@example.com", "--expired", "--never-expires"),
            "only one of",
        ),
        (("keys", "revoke", "nk_nope"), "no such key nk_nope"),
        (("users", "create", "p@example.com", "--password", "short"), "8 to 128"),
        (("keys", "list", "--user", "ghost@example.com"), "no user ghost@example.com"),
    ]
    for args, message in cases:
        result = cli(tmp_path, *args, check=False)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_duplicate_key_id_refused(tmp_path: Path) -> None:
    cli(tmp_path, "keys", "create", "--user", "d@example.com", "--id", "nk_test_dup")
    result = cli(
        tmp_path, "keys", "create", "--user", "d@example.com", "--id", "nk_test_dup", check=False
    )
    assert result.returncode == 1 and "already exists" in result.stderr


async def test_seeding_while_the_server_runs_uses_its_url(tmp_path: Path) -> None:
    proc = Proc(tmp_path / "state", 0, []).start()
    try:
        row = proc.cli("keys", "create", "--user", "live@example.com", "--room", "live-room")
        assert row["ws_url"].startswith(proc.page_url.replace("http://", "ws://"))
        async with aiohttp.ClientSession() as http, http.ws_connect(row["ws_url"]) as ws:
            assert await ws.receive_json(timeout=5) == {"type": "reset"}
    finally:
        proc.stop()


def test_users_create_refuses_a_password_for_an_existing_user(tmp_path: Path) -> None:
    cli(tmp_path, "users", "create", "pw@example.com", "--password", "first-pass")
    result = cli(
        tmp_path, "users", "create", "pw@example.com", "--password", "second-pass", check=False
    )
    assert result.returncode == 1 and "--reset-password" in result.stderr
    assert stored_password_is(tmp_path, "first-pass")  # the refused run changed nothing
    reset = cli_json(
        tmp_path,
        "users",
        "create",
        "pw@example.com",
        "--password",
        "second-pass",
        "--reset-password",
    )
    assert reset["created"] is False and reset["password_reset"] is True
    assert stored_password_is(tmp_path, "second-pass")


def stored_password_is(state: Path, password: str) -> bool:
    with closing(sqlite3.connect(state / "d1" / "AUTH_DB.sqlite")) as conn, conn:
        (stored,) = conn.execute("SELECT password FROM account").fetchone()
    return verify_password(stored, password)


def test_sessions_create_says_it_created_the_user(tmp_path: Path) -> None:
    out = cli(tmp_path, "sessions", "create", "--user", "fresh@example.com").stdout
    assert out.startswith("created user fresh@example.com")
    again = cli(tmp_path, "sessions", "create", "--user", "fresh@example.com").stdout
    assert "created user" not in again
    assert (
        cli_json(tmp_path, "sessions", "create", "--user", "fresh@example.com")["user_created"]
        is False
    )


def test_users_and_sessions_list(tmp_path: Path) -> None:
    cli(tmp_path, "users", "create", "l@example.com", "--password", "long-enough")
    cli(tmp_path, "sessions", "create", "--user", "l@example.com")
    cli(tmp_path, "sessions", "create", "--user", "other@example.com")
    users = cli_json(tmp_path, "users", "list")
    assert [(u["email"], u["password"], u["sessions"]) for u in users] == [
        ("l@example.com", True, 1),
        ("other@example.com", False, 1),
    ]
    mine = cli_json(tmp_path, "sessions", "list", "--user", "l@example.com")
    assert len(mine) == 1 and mine[0]["email"] == "l@example.com"
    assert abs(mine[0]["expires_at"] - (time.time() + 7 * 86400) * 1000) < 60_000
    assert mine[0]["expires_at_iso"].endswith("Z")
