"""Where the auth schema comes from: the app's migrations on a fresh file, an existing file made
by the built-in schema, a failing file in the middle, and the built-in schema without a folder."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from nanodev.authdb.migrations import mark_applied
from nanodev.authdb.outcome import explain, summary
from nanodev.authdb.schema import prepare

APP = Path(__file__).parent.parent / "fixtures" / "app_migrations"
FILES = sorted(p.name for p in APP.glob("*.sql"))


@pytest.fixture
def app(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    shutil.copytree(APP, folder)
    return folder


def columns(db: Path, table: str) -> list[str]:
    with closing(sqlite3.connect(db)) as conn, conn:
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


def after_sqls(db: Path, *names: str) -> list[str]:
    with closing(sqlite3.connect(db)) as conn, conn:
        marks = ",".join("?" * len(names))
        rows = conn.execute(f"SELECT sql FROM sqlite_master WHERE name IN ({marks})", names)
        return [r[0] for r in rows]


def recorded(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn, conn:
        return [r[0] for r in conn.execute("SELECT name FROM d1_migrations ORDER BY id")]


def test_fresh_state_applies_every_app_file_after_better_auths_tables(
    tmp_path: Path, app: Path
) -> None:
    db = tmp_path / "AUTH_DB.sqlite"
    prepared = prepare(db, app)
    assert prepared.run.ok, prepared.run.problems
    assert prepared.fresh and prepared.created == ["user", "session", "account", "verification"]
    # wrangler's order: file names, the two 0004 files both applied, plan before room.
    assert prepared.run.applied == FILES == recorded(db)
    assert FILES.index("0004_plan_column.sql") < FILES.index("0004_room_registry.sql")
    assert (prepared.applied_total, prepared.pending_total) == (7, 0)
    # The app's columns come from its migrations; only what nanodev needs besides is added.
    assert columns(db, "user")[-1] == "tier"
    assert columns(db, "api_keys") == [
        "id", "user_id", "name", "created_at", "last_used_at", "scopes",
        "expires_at", "revoked_at",
    ]  # fmt: skip
    assert prepared.added == ["api_keys.expires_at", "api_keys.revoked_at",
                              "index idx_api_keys_expires", "index idx_rooms_last_accessed",
                              "index idx_permissions_room_table"]  # fmt: skip
    assert any(line.startswith("added for local use: api_keys.expires_at") for line in
               summary(prepared))  # fmt: skip
    again = prepare(db, app)  # the next start: nothing pending, nothing added
    assert again.run.applied == [] and again.added == [] and not again.fresh


def test_without_a_folder_the_builtin_schema_stays(tmp_path: Path) -> None:
    db = tmp_path / "AUTH_DB.sqlite"
    prepared = prepare(db, None)
    assert not prepared.uses_migrations
    assert "tier" in columns(db, "user") and "revoked_at" in columns(db, "api_keys")
    with closing(sqlite3.connect(db)) as conn, conn:
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name='d1_migrations'").fetchone()


def test_builtin_state_names_each_conflict_and_the_two_ways_out(tmp_path: Path, app: Path) -> None:
    db = tmp_path / "AUTH_DB.sqlite"
    prepare(db, None)  # made earlier by the built-in schema
    with closing(sqlite3.connect(db)) as conn, conn:
        before = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    prepared = prepare(db, app)
    run = prepared.run
    assert prepared.from_builtin and not run.ok
    assert run.applied == ["0001_replica_placeholder.sql"]  # the files before it, as wrangler
    assert run.failed == "0002_developer_keys.sql"
    lines = explain(run, from_builtin=True)
    assert "0002_developer_keys.sql creates table api_keys, which already exists" in lines
    assert "0004_plan_column.sql adds column user.tier, which already exists" in lines
    assert "0005_table_grants.sql creates table permissions, which already exists" in lines
    assert any("built-in schema" in line for line in lines)
    assert "`nanodev reset --auth`" in lines[-1]
    assert (
        "`nanodev migrations mark-applied 0002_developer_keys.sql 0004_plan_column.sql "
        "0005_table_grants.sql`" in lines[-1]
    )
    with (
        closing(sqlite3.connect(db)) as conn,
        conn,
    ):  # nothing of the failing file or the later ones applied
        after = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    # Only wrangler's bookkeeping table is new: no api_keys/permissions of the app's files.
    assert set(after) - set(before) == {
        (r,) for r in after_sqls(db, "d1_migrations", "sqlite_sequence")
    }
    assert recorded(db) == ["0001_replica_placeholder.sql"]
    # The second way out: the user checked the tables and marks the colliding files.
    conflicting = ["0002_developer_keys.sql", "0004_plan_column.sql", "0005_table_grants.sql"]
    assert mark_applied(db, app, conflicting) == conflicting
    after = prepare(db, app)
    assert after.run.ok and (after.applied_total, after.pending_total) == (7, 0)
    assert after.run.applied == [
        "0003_task_placeholder.sql", "0004_room_registry.sql", "0006_owner_placeholder.sql",
    ]  # fmt: skip


def test_a_failing_file_in_the_middle_rolls_back_whole(tmp_path: Path, app: Path) -> None:
    (app / "0003_task_placeholder.sql").write_text(
        "CREATE TABLE half_made (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n"
    )
    db = tmp_path / "AUTH_DB.sqlite"
    prepared = prepare(db, app)
    assert prepared.run.applied == ["0001_replica_placeholder.sql", "0002_developer_keys.sql"]
    assert prepared.run.failed == "0003_task_placeholder.sql"
    assert "no such table: no_such_table" in prepared.run.error
    assert (prepared.applied_total, prepared.pending_total) == (2, 5)
    assert recorded(db) == ["0001_replica_placeholder.sql", "0002_developer_keys.sql"]
    assert columns(db, "half_made") == []  # nothing of the failing file
    lines = summary(prepared)
    assert lines[0].endswith(": FAILED")
    assert lines[-1] == "fix 0003_task_placeholder.sql; nanodev applies it when the file is saved"
    # Fixed, the rest applies on the next run.
    (app / "0003_task_placeholder.sql").write_text("SELECT 1;")
    fixed = prepare(db, app)
    assert fixed.run.applied[0] == "0003_task_placeholder.sql"
    assert fixed.run.ok and (fixed.applied_total, fixed.pending_total) == (7, 0)
    # user.tier was left to 0004_plan_column.sql while it was pending, so it applied cleanly.
    assert fixed.run.applied == [
        "0003_task_placeholder.sql", "0004_plan_column.sql", "0004_room_registry.sql",
        "0005_table_grants.sql", "0006_owner_placeholder.sql",
    ]  # fmt: skip
    assert "user.tier" not in prepared.added and "table permissions" not in prepared.added


def test_names_compare_as_sqlite_compares_them(tmp_path: Path) -> None:
    """An app that spells a table or column in another case has it already: nothing is added
    twice (SQLite would refuse a duplicate column and stop the start)."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_keys.sql").write_text(
        "CREATE TABLE API_KEYS (ID TEXT PRIMARY KEY, USER_ID TEXT NOT NULL, NAME TEXT, "
        "CREATED_AT INTEGER NOT NULL, LAST_USED_AT INTEGER, EXPIRES_AT INTEGER, SCOPES TEXT);\n"
        "CREATE INDEX IDX_API_KEYS_USER ON API_KEYS(USER_ID);"
    )
    db = tmp_path / "AUTH_DB.sqlite"
    prepared = prepare(db, folder)
    assert prepared.run.ok
    assert "api_keys.revoked_at" in prepared.added and "api_keys.expires_at" not in prepared.added
    assert "index idx_api_keys_user" not in prepared.added
    assert prepare(db, folder).added == []
