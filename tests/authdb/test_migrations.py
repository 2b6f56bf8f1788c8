"""Auth-DB migrations: order, bookkeeping like wrangler's, rollback, and live application."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path

from nanodev.authdb.migrations import apply_pending, ordered, pending
from tests.conftest import Nano
from tests.frontend.test_hooks import wait_reloads


def test_order_is_numeric_then_name() -> None:
    names = ["0010_ten.sql", "0002_two.sql", "notes.txt", "setup.sql", "0002_a.sql", "1_one.sql"]
    files, ignored = ordered(names)
    assert files == ["1_one.sql", "0002_a.sql", "0002_two.sql", "0010_ten.sql"]
    assert ignored == ["setup.sql"]
    assert pending(names, {"0002_a.sql", "1_one.sql"}) == ["0002_two.sql", "0010_ten.sql"]


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


async def test_migrations_apply_at_start_and_when_a_file_appears(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_flags.sql").write_text("CREATE TABLE feature_flags (name TEXT);")
    nano = await make_nano(migrations_dir=migrations)
    first = await wait_reloads(nano, "migrations", 1)
    assert first.ok and first.changed == ("0001_flags.sql",)
    (migrations / "0002_seed.sql").write_text("INSERT INTO feature_flags VALUES ('beta');")
    second = await wait_reloads(nano, "migrations", 2)
    assert second.ok and second.changed == ("0002_seed.sql",)
    rows = await nano.core.db._all("SELECT name FROM feature_flags")
    assert [tuple(r) for r in rows] == [("beta",)]
    # The auth tables nanodev needs are untouched.
    assert await nano.core.db._all('SELECT count(*) FROM "user"')
