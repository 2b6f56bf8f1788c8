"""`nanodev up` as a process: startup card, port in use, --ephemeral, clean exit, state layout."""

from __future__ import annotations

import gc
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nanodev.cli import main
from nanodev.ids import room_file_name
from nanodev.serve import SHUTDOWN_TIMEOUT_S, resume_collection, start
from nanodev.settings import Settings

from .conftest import Proc, free_port


def test_startup_card_names_urls_state_and_a_key_recipe(tmp_path: Path) -> None:
    worker_port = free_port()
    seeded = subprocess.run(
        [
            sys.executable,
            "-m",
            "nanodev",
            "keys",
            "create",
            "--user",
            "card@example.com",
            "--id",
            "nk_test_card",
            "--state-dir",
            str(tmp_path / "state"),
        ],
        capture_output=True,
        check=True,
    )
    assert seeded.returncode == 0
    proc = Proc(tmp_path / "state", worker_port, []).start()
    try:
        card = "".join(proc.output)
        assert "Keys       nk_test_card (card@example.com)" in card
        assert "Config     none (no ./nanodev.toml)" in card
        assert f"Worker     http://127.0.0.1:{worker_port}/" in card
        assert f"Inspector  {proc.page_url}/__nanodev/" in card
        assert str((tmp_path / "state").resolve()) in card
        assert "nanodev keys create --user you@example.com" in card
        assert "/__ws/websocket?room_id=my-room&key=" in card
    finally:
        assert proc.stop(signal.SIGTERM) == 0


@pytest.mark.parametrize("flag", ["--port", "--worker-port"])
def test_port_in_use_is_one_line_naming_port_and_flag(tmp_path: Path, flag: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        ports = {"--port": "0", "--worker-port": "0", flag: str(port)}
        args = [arg for pair in ports.items() for arg in pair]
        result = subprocess.run(
            [sys.executable, "-m", "nanodev", "up", *args, "--state-dir", str(tmp_path / "s")],
            capture_output=True,
            check=False,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {port}" in lines[0] and flag in lines[0]
    assert "Traceback" not in result.stderr


def test_ephemeral_state_is_removed_on_exit(tmp_path: Path) -> None:
    proc = Proc(tmp_path / "unused", 0, ["--ephemeral"]).start()
    state_line = next(line for line in proc.output if line.strip().startswith("State"))
    state = Path(state_line.split()[1])
    assert state.is_dir() and (state / "d1" / "AUTH_DB.sqlite").exists()
    assert proc.stop(signal.SIGINT) == 0
    assert not state.exists()


def test_auth_db_is_plain_sqlite_with_the_union_schema(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    proc = Proc(tmp_path / "state", 0, []).start()
    proc.stop()
    db = sqlite3.connect(tmp_path / "state" / "d1" / "AUTH_DB.sqlite")
    request.addfinalizer(db.close)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables >= {
        "user",
        "session",
        "account",
        "verification",
        "api_keys",
        "rooms",
        "plan_limits",
        "permissions",
    }
    key_cols = [row[1] for row in db.execute("PRAGMA table_info(api_keys)")]
    assert key_cols[:7] == [
        "id",
        "user_id",
        "name",
        "created_at",
        "last_used_at",
        "expires_at",
        "scopes",
    ]
    assert not (tmp_path / "state" / "server.json").exists()  # removed on a clean exit


def test_room_file_names_are_safe_readable_and_unique() -> None:
    names = {room_file_name(r) for r in ("my-room", "My-Room", "a/../b", "x" * 200, "日本")}
    assert len(names) == 5
    for name in names:
        assert "/" not in name and not name.startswith(".") and name.endswith(".sqlite")
        assert len(name) < 80
    assert room_file_name("my-room").startswith("my-room-")


def test_sigterm_exits_zero_within_two_seconds(tmp_path: Path) -> None:
    proc = Proc(tmp_path / "state", 0, []).start()
    assert proc.proc is not None
    pid = proc.proc.pid
    assert proc.stop(signal.SIGTERM, timeout=2.0) == 0
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive


# -- the collector pause while nanodev loads (cli.up, serve.resume_collection) -----------------
def test_resume_collection_turns_the_collector_back_on_and_freezes_what_start_up_built() -> None:
    gc.disable()
    try:
        before = gc.get_freeze_count()
        resume_collection()
        assert gc.isenabled()
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
        gc.enable()


def test_resume_collection_leaves_a_running_collector_alone() -> None:
    assert gc.isenabled()
    before = gc.get_freeze_count()
    resume_collection()
    assert gc.isenabled() and gc.get_freeze_count() == before


def test_up_that_stops_on_a_bad_flag_leaves_the_collector_on(tmp_path: Path) -> None:
    # The flag is refused by the settings, inside `up`, after the collector was paused.
    result = CliRunner().invoke(main, ["up", "--worker-port", "-5", "--state-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert gc.isenabled(), result.output


async def test_start_and_stop_in_process_warn_nothing(tmp_path: Path) -> None:
    # Under filterwarnings=error a DeprecationWarning (shutdown_timeout on a site instead of
    # the runner) fails this test.
    settings = Settings(state_dir=tmp_path / "state", port=0, worker_port=0, log_requests=False)
    runner, bound = await start(settings)
    try:
        assert bound.page_url.startswith("http://127.0.0.1:")
        assert runner._shutdown_timeout == SHUTDOWN_TIMEOUT_S
    finally:
        await runner.cleanup()
