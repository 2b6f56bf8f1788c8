"""Auth-DB migrations: order, statements, bookkeeping like wrangler's, rollback, marking as
applied, and live application."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path

import pytest

from nanodev.authdb.migrations import (
    UnknownMigration,
    apply_pending,
    mark_applied,
    ordered,
    pending,
    statements,
    status,
)
from nanodev.record import Note
from tests.conftest import Nano
from tests.frontend.test_hooks import wait_reloads


def test_order_is_numeric_then_name() -> None:
    names = ["0010_ten.sql", "0002_two.sql", "notes.txt", "setup.sql", "0002_a.sql", "1_one.sql"]
    files, ignored = ordered(names)
    assert files == ["1_one.sql", "0002_a.sql", "0002_two.sql", "0010_ten.sql"]
    assert ignored == ["setup.sql"]
    assert pending(names, {"0002_a.sql", "1_one.sql"}) == ["0002_two.sql", "0010_ten.sql"]


def test_statements_split_where_sqlite_ends_one() -> None:
    sql = (
        "-- a comment; with a semicolon\nSELECT 1;\n"
        "INSERT INTO t VALUES ('a;b');  /* block; comment */\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM u; END;\n"
        "--> statement-breakpoint\nSELECT 2"
    )
    parts = [" ".join(p.split()) for p in statements(sql)]
    assert len(parts) == 4
    assert parts[1] == "INSERT INTO t VALUES ('a;b');"
    assert parts[2].startswith("/* block; comment */ CREATE TRIGGER") and parts[2].endswith("END;")
    assert parts[3].endswith("SELECT 2;")
    assert statements("-- nothing here;\n\n") == []


def test_apply_records_like_wrangler_and_rolls_back_a_failure(tmp_path: Path) -> None:
    db, migrations = tmp_path / "auth.sqlite", tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_notes.sql").write_text("CREATE TABLE notes (id INTEGER PRIMARY KEY);")
    (migrations / "0002_bad.sql").write_text(
        "CREATE TABLE half (id INTEGER);\nINSERT INTO missing VALUES (1);"
    )
    (migrations / "0003_later.sql").write_text("CREATE TABLE later (id INTEGER);")
    run = apply_pending(db, migrations)
    assert run.applied == ["0001_notes.sql"]
    assert run.failed == "0002_bad.sql" and "no such table: missing" in run.error
    with closing(sqlite3.connect(db)) as conn, conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        rows = conn.execute("SELECT id, name, applied_at FROM d1_migrations").fetchall()
    assert "notes" in tables and "half" not in tables and "later" not in tables
    assert [(r[0], r[1]) for r in rows] == [(1, "0001_notes.sql")] and rows[0][2]
    (migrations / "0002_bad.sql").write_text("CREATE TABLE half (id INTEGER);")
    again = apply_pending(db, migrations)
    assert again.ok and again.applied == ["0002_bad.sql", "0003_later.sql"]
    assert apply_pending(db, migrations).applied == []  # each file runs once
    assert [(s.name, bool(s.applied_at)) for s in status(db, migrations)] == [
        ("0001_notes.sql", True), ("0002_bad.sql", True), ("0003_later.sql", True),
    ]  # fmt: skip


def test_mark_applied_is_all_or_nothing(tmp_path: Path) -> None:
    db, migrations = tmp_path / "auth.sqlite", tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_a.sql").write_text("CREATE TABLE a (id INTEGER);")
    (migrations / "0002_b.sql").write_text("CREATE TABLE b (id INTEGER);")
    assert status(db, migrations)[0].applied_at is None and not db.exists()  # list reads only
    with pytest.raises(UnknownMigration, match=r"0009_nope\.sql"):
        mark_applied(db, migrations, ["0002_b.sql", "0009_nope.sql"])
    assert [s.applied_at for s in status(db, migrations)] == [None, None]
    assert mark_applied(db, migrations, ["0002_b.sql"]) == ["0002_b.sql"]
    run = apply_pending(db, migrations)
    assert run.applied == ["0001_a.sql"]  # 0002_b.sql was marked, so it never ran
    with closing(sqlite3.connect(db)) as conn, conn:
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'b'").fetchone()


async def test_migrations_apply_at_start_and_when_a_file_appears(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_flags.sql").write_text("CREATE TABLE feature_flags (name TEXT);")
    nano = await make_nano(migrations_dir=migrations)
    # Applied as the auth database opened, before the first request could use it.
    assert nano.core.db.prepared.run.applied == ["0001_flags.sql"]
    notes = [e.message for _, e in nano.core.recorder.since(0) if isinstance(e, Note)]
    assert any(n.startswith("migrations: 1 applied, 0 pending") for n in notes), notes
    (migrations / "0002_seed.sql").write_text("INSERT INTO feature_flags VALUES ('beta');")
    second = await wait_reloads(nano, "migrations", 1)
    assert second.ok and second.changed == ("0002_seed.sql",)
    rows = await nano.core.db._all("SELECT name FROM feature_flags")
    assert [tuple(r) for r in rows] == [("beta",)]
    # The auth tables nanodev needs are untouched.
    assert await nano.core.db._all('SELECT count(*) FROM "user"')


def test_an_unreadable_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    db, migrations = tmp_path / "auth.sqlite", tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_ok.sql").write_text("CREATE TABLE ok (id INTEGER);")
    (migrations / "0002_latin1.sql").write_bytes(b"-- caf\xe9\nCREATE TABLE later (id INTEGER);")
    run = apply_pending(db, migrations)
    assert run.applied == ["0001_ok.sql"] and run.failed == "0002_latin1.sql"
    assert run.error.startswith("UnicodeDecodeError")


async def test_a_file_fixed_while_running_applies_with_the_rest_and_local_additions(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_keys.sql").write_text("CREATE TABLE api_keys (id TEXT PRIMARY KEY, typo")
    (migrations / "0002_later.sql").write_text("SELECT 1;")
    nano = await make_nano(migrations_dir=migrations)
    assert nano.core.db.prepared.run.failed == "0001_keys.sql"
    # api_keys was left to the failing file, not made by nanodev meanwhile.
    assert not await nano.core.db._all("SELECT 1 FROM sqlite_master WHERE name = 'api_keys'")
    (migrations / "0001_keys.sql").write_text(
        "CREATE TABLE api_keys (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT, "
        "created_at INTEGER NOT NULL, last_used_at INTEGER, scopes TEXT);"
    )
    fixed = await wait_reloads(nano, "migrations", 1)
    assert fixed.ok and fixed.changed == ("0001_keys.sql", "0002_later.sql")
    assert "added for local use: api_keys.expires_at, api_keys.revoked_at" in fixed.detail
    assert await nano.key("after@example.com")  # the Worker's key queries work on it
