"""`nanodev migrations list|apply|mark-applied` on a folder shaped like the app's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from nanodev.cli import main
from tests.authdb.test_schema import APP, FILES


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_list_apply_and_list_again_with_json(tmp_path: Path) -> None:
    folder, state = tmp_path / "migrations", str(tmp_path / "state")
    shutil.copytree(APP, folder)
    common = ("--migrations", str(folder), "--state-dir", state)
    code, out = run("migrations", "list", *common, "--json")
    listed = json.loads(out)
    assert code == 0 and (listed["applied"], listed["pending"]) == (0, 7)
    assert [m["name"] for m in listed["migrations"]] == FILES
    code, out = run("migrations", "apply", *common, "--json")
    applied = json.loads(out)
    assert code == 0 and applied["ok"] and applied["applied"] == FILES
    assert applied["created"] == ["user", "session", "account", "verification"]
    assert "api_keys.expires_at" in applied["added_for_local_use"]
    code, out = run("migrations", "list", *common)
    assert code == 0 and out.strip().endswith(f"7 applied, 0 pending ({folder})")
    assert all(line.lstrip().startswith("applied 20") for line in out.splitlines()[:-1])


def test_apply_on_builtin_state_exits_1_with_the_ways_out(tmp_path: Path) -> None:
    folder, state = tmp_path / "migrations", str(tmp_path / "state")
    shutil.copytree(APP, folder)
    code, _ = run("users", "create", "a@example.com", "--state-dir", state)  # no folder here
    assert code == 0
    code, out = run("migrations", "apply", "--migrations", str(folder), "--state-dir", state)
    assert code == 1
    assert "0002_developer_keys.sql creates table api_keys, which already exists" in out
    assert "nanodev reset --auth" in out and "nanodev migrations mark-applied 0002_" in out
    assert "Traceback" not in out
    code, out = run(
        "migrations", "mark-applied", "0002_developer_keys.sql", "0004_plan_column.sql",
        "0005_table_grants.sql", "--migrations", str(folder), "--state-dir", state, "--json",
    )  # fmt: skip
    assert code == 0 and len(json.loads(out)["marked"]) == 3
    code, out = run("migrations", "apply", "--migrations", str(folder), "--state-dir", state)
    assert code == 0 and out.startswith("7 applied, 0 pending")


def test_a_missing_folder_or_name_is_one_line_and_a_hint(tmp_path: Path) -> None:
    code, out = run("migrations", "list", "--migrations", str(tmp_path / "none"))
    assert code == 1 and "no migrations folder at" in out and "--migrations DIR" in out
    shutil.copytree(APP, tmp_path / "migrations")
    code, out = run(
        "migrations", "mark-applied", "0042_nope.sql", "--migrations", str(tmp_path / "migrations"),
        "--state-dir", str(tmp_path / "state"),
    )  # fmt: skip
    assert code == 1 and "not a pending migration" in out and "0042_nope.sql" in out


def test_a_damaged_auth_database_is_one_line_and_a_hint(tmp_path: Path) -> None:
    shutil.copytree(APP, tmp_path / "migrations")
    (tmp_path / "state" / "d1").mkdir(parents=True)
    (tmp_path / "state" / "d1" / "AUTH_DB.sqlite").write_bytes(b"not a database" * 100)
    for command in ("list", "apply"):
        code, out = run(
            "migrations", command, "--migrations", str(tmp_path / "migrations"),
            "--state-dir", str(tmp_path / "state"),
        )  # fmt: skip
        assert code == 1 and "cannot use the auth database" in out, out
        assert "nanodev reset --auth" in out and "Traceback" not in out
