"""nanodev reset / export / import / sql, and up --export-on-exit, on real files and processes."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner

from nanodev.cli import main
from nanodev.errors import UserError
from nanodev.state.files import StateError, reset, reset_targets, room_path, run_sql, sql_target
from nanodev.state.snapshot import SnapshotError, export_state, import_state
from tests.conftest import Nano, Proc, rpc


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nanodev", *args], capture_output=True, text=True, check=False
    )


async def seed_room(nano: Nano, room: str, titles: list[str]) -> None:
    ws = await nano.connect(room)
    frame, _ = await rpc(
        ws, "batchInsert", {"table": "tasks", "rows": [{"title": t} for t in titles]}
    )
    assert frame["type"] == "mutation_success", frame


def titles(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as db, db:
        return [r[0] for r in db.execute("SELECT title FROM tasks ORDER BY id")]


async def test_export_while_running_then_import_restores_everything(
    nano: Nano, tmp_path: Path
) -> None:
    state = nano.core.settings.state_dir
    key = await nano.key("owner@example.com")
    await seed_room(nano, "alpha", ["a1", "a2"])
    await seed_room(nano, "beta", ["b1"])
    snap = export_state(state, tmp_path / "snap.zip")  # the server is running and holds the files
    assert snap.auth and len(snap.rooms) == 2
    assert (tmp_path / "snap.zip").stat().st_mode & 0o777 == 0o600

    fresh = tmp_path / "fresh"
    imported = import_state(fresh, tmp_path / "snap.zip")
    assert sorted(imported.rooms) == sorted(snap.rooms)
    assert titles(room_path(fresh, "alpha")) == ["a1", "a2"]
    assert titles(room_path(fresh, "beta")) == ["b1"]
    rows = run_sql(sql_target(fresh, None, True), "SELECT id FROM api_keys").rows
    assert (key,) in rows
    assert (fresh / "secret").read_text() == (state / "secret").read_text()


def make_state(tmp_path: Path, name: str, title: str) -> Path:
    state = tmp_path / name
    (state / "rooms").mkdir(parents=True)
    (state / "d1").mkdir()
    with closing(sqlite3.connect(room_path(state, "r"))) as db, db:
        db.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT)")
        db.execute("INSERT INTO tasks (title) VALUES (?)", (title,))
    with closing(sqlite3.connect(state / "d1" / "AUTH_DB.sqlite")) as db, db:
        db.execute("CREATE TABLE api_keys (id TEXT)")
    return state


@pytest.mark.parametrize(
    "corrupt",
    ["not a zip", "no manifest", "bad member name", "missing member", "not sqlite", "truncated"],
)
def test_a_bad_snapshot_changes_nothing(tmp_path: Path, corrupt: str) -> None:
    good = make_state(tmp_path, "good", "original")
    other = make_state(tmp_path, "other", "incoming")
    snap = tmp_path / "snap.zip"
    export_state(other, snap)
    bad = tmp_path / "bad.zip"
    if corrupt == "not a zip":
        bad.write_bytes(b"hello")
    elif corrupt == "truncated":
        bad.write_bytes(snap.read_bytes()[: snap.stat().st_size // 2])
    else:
        with zipfile.ZipFile(snap) as src, zipfile.ZipFile(bad, "w") as out:
            manifest = json.loads(src.read("manifest.json"))
            for item in src.namelist():
                data = src.read(item)
                if corrupt == "not sqlite" and item.startswith("rooms/"):
                    data = b"garbage" * 100
                if corrupt == "missing member" and item.startswith("rooms/"):
                    continue
                if item == "manifest.json":
                    if corrupt == "no manifest":
                        continue
                    if corrupt == "bad member name":
                        manifest["rooms"] = ["../../escape.sqlite"]
                    data = json.dumps(manifest).encode()
                out.writestr(item, data)
    before = sorted(p.relative_to(good) for p in good.rglob("*"))
    with pytest.raises(SnapshotError):
        import_state(good, bad)
    assert titles(room_path(good, "r")) == ["original"]
    assert sorted(p.relative_to(good) for p in good.rglob("*")) == before
    assert not (tmp_path / "escape.sqlite").exists()


def test_a_failed_export_keeps_the_previous_snapshot(tmp_path: Path) -> None:
    state = make_state(tmp_path, "s", "v1")
    target = tmp_path / "snap.zip"
    export_state(state, target)
    good = target.read_bytes()
    room_path(state, "r").write_bytes(b"not a database at all" * 10)
    with pytest.raises(UserError, match="cannot be opened: file is not a database") as info:
        export_state(state, target)
    assert "nanodev reset --room r" in info.value.hint
    assert target.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".snap")] == []


def test_reset_targets_and_removal(tmp_path: Path) -> None:
    state = make_state(tmp_path, "s", "x")
    with pytest.raises(StateError):
        reset_targets(state, "r", True, False)
    assert reset_targets(state, "missing", False, False) == []
    removed = reset(state, reset_targets(state, "r", False, False))
    assert room_path(state, "r") in removed and not room_path(state, "r").exists()
    assert (state / "d1" / "AUTH_DB.sqlite").exists()
    reset(state, reset_targets(state, None, False, True))
    assert not (state / "d1" / "AUTH_DB.sqlite").exists()


def test_cli_reset_asks_and_sql_prints_the_file(tmp_path: Path) -> None:
    state = make_state(tmp_path, "s", "hello")
    runner = CliRunner()
    out = runner.invoke(
        main, ["sql", "--room", "r", "SELECT title FROM tasks", "--state-dir", str(state)]
    )
    assert out.exit_code == 0, out.output
    assert str(room_path(state, "r").resolve()) in out.output and "hello" in out.output
    out = runner.invoke(main, ["reset", "--room", "r", "--state-dir", str(state)], input="n\n")
    assert out.exit_code != 0 and room_path(state, "r").exists()
    out = runner.invoke(main, ["reset", "--room", "r", "--yes", "--state-dir", str(state)])
    assert out.exit_code == 0 and not room_path(state, "r").exists()
    out = runner.invoke(main, ["sql", "--room", "r", "SELECT 1", "--state-dir", str(state)])
    assert out.exit_code != 0 and "no file yet" in out.output


async def write_rows(proc: Proc, room: str, rows: list[str]) -> None:
    key = proc.cli("keys", "create", "--user", "e@example.com")["id"]
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(proc.ws_url(room_id=room, key=key))
        await ws.receive_json(timeout=5)
        frame, _ = await rpc(
            ws, "batchInsert", {"table": "tasks", "rows": [{"title": t} for t in rows]}
        )
        assert frame["type"] == "mutation_success"
        await ws.close()


@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    "signals", [[signal.SIGINT], [signal.SIGINT, signal.SIGINT], [signal.SIGTERM]]
)
async def test_export_on_exit_survives_signals(
    nanodev_proc: Callable[..., Proc], tmp_path: Path, signals: list[int]
) -> None:
    target = tmp_path / "exit.zip"
    proc = nanodev_proc("--export-on-exit", str(target))
    await write_rows(proc, "exiting", ["kept"])
    # the running server refuses reset and import, but answers sql
    assert "stop it" in cli("reset", "--all", "--yes", "--state-dir", str(proc.state_dir)).stderr
    out = cli(
        "sql", "--room", "exiting", "SELECT title FROM tasks", "--state-dir", str(proc.state_dir)
    )
    assert "kept" in out.stdout
    assert proc.proc is not None
    for sig in signals:
        proc.proc.send_signal(sig)
        await asyncio.sleep(0.05)
    assert proc.stop(timeout=20) == 0, "".join(proc.output)
    assert "exported auth and 1 room(s)" in "".join(proc.output)
    fresh = tmp_path / "fresh"
    import_state(fresh, target)
    assert titles(room_path(fresh, "exiting")) == ["kept"]


def test_import_refuses_while_a_server_runs(
    nanodev_proc: Callable[..., Proc], tmp_path: Path
) -> None:
    proc = nanodev_proc()
    snap = tmp_path / "s.zip"
    assert cli("export", str(snap), "--state-dir", str(proc.state_dir)).returncode == 0
    out = cli("import", str(snap), "--yes", "--state-dir", str(proc.state_dir))
    assert out.returncode != 0 and "stop it" in out.stderr and "nothing changed" in out.stderr


def test_export_into_a_missing_folder_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "snap.zip"
    result = cli("export", str(target), "--state-dir", str(tmp_path / "state"))
    assert result.returncode == 1 and "does not exist" in result.stderr
    assert not (tmp_path / "no").exists()  # never created


def test_import_under_json_needs_yes(tmp_path: Path) -> None:
    state = make_state(tmp_path, "a", "title")
    snap = tmp_path / "a.zip"
    assert cli("export", str(snap), "--state-dir", str(state)).returncode == 0
    refused = cli("import", str(snap), "--state-dir", str(state), "--json")
    assert refused.returncode == 1 and json.loads(refused.stdout)["code"] == "needs_yes"
    done = cli("import", str(snap), "--state-dir", str(state), "--json", "--yes")
    assert done.returncode == 0
    assert json.loads(done.stdout)["bytes"] == snap.stat().st_size > 0
