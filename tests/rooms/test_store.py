"""One room's SQLite store, on real files."""

import sqlite3
from pathlib import Path

import pytest

from nanodev.rooms.store import MIGRATIONS, QueryTimeout, RoomStore


def test_migrations_recorded_and_idempotent(tmp_path: Path) -> None:
    store = RoomStore(tmp_path / "r.sqlite")
    store.close()
    store = RoomStore(tmp_path / "r.sqlite")  # reopening applies nothing twice
    versions = [r["version"] for r in store.db.execute("SELECT version FROM _migrations")]
    assert versions == [v for v, _ in MIGRATIONS]
    assert list(store.schema()) == ["tasks"]
    store.close()


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    store = RoomStore(tmp_path / "r.sqlite")
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as db:
        db.execute("INSERT INTO tasks (id, title) VALUES (1, 'a')")
        db.execute("INSERT INTO tasks (id, title) VALUES (1, 'dup')")
    assert store.db.execute("SELECT count(*) AS n FROM tasks").fetchone()["n"] == 0
    store.close()


def test_read_query_cannot_write_and_sees_committed_rows(tmp_path: Path) -> None:
    store = RoomStore(tmp_path / "r.sqlite")
    with store.transaction() as db:
        db.execute("INSERT INTO tasks (title) VALUES ('x')")
    assert store.read_query("SELECT title FROM tasks") == [{"title": "x"}]
    for sql in ("DELETE FROM tasks", "CREATE TABLE t (a)", "PRAGMA journal_mode=DELETE"):
        with pytest.raises(sqlite3.DatabaseError):
            store.read_query(sql)
    assert store.read_query("SELECT count(*) AS n FROM tasks") == [{"n": 1}]
    store.close()


def test_runaway_query_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("nanodev.rooms.store.QUERY_TIMEOUT_S", 0.05)
    store = RoomStore(tmp_path / "r.sqlite")
    sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    with pytest.raises(QueryTimeout, match="max 5 seconds"):
        store.read_query(sql)
    store.close()


def test_usage_counters(tmp_path: Path) -> None:
    store = RoomStore(tmp_path / "r.sqlite")
    store.bump_usage("reads")
    store.bump_usage("reads", 2)
    store.bump_usage("writes")
    row = store.usage()[0]
    assert (row["reads"], row["writes"], row["ai_ops"]) == (3, 1, 0)
    store.close()
