"""One room's durable SQLite store, the emulated Durable Object's `ctx.storage.sql`.

Synchronous stdlib `sqlite3`, like the DO SQL API: the room actor calls it inline, one frame at
a time, so there is no thread per room. Writes run inside `transaction()`; callers send replies
and broadcasts only after it returns, i.e. after COMMIT (the platform's output gate).
User SQL runs on a second, read-only connection whose authorizer denies every write.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nanodev.errors import UserError, unreadable_database
from nanodev.jsjson import stringify
from nanodev.rooms.sqlsafety import is_identifier, quote_ident, read_only_authorizer

# Reference §3.2: the DO's own migrations, applied in order and recorded in _migrations.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, ("CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY, title TEXT, status TEXT)",)),
    (
        2,
        (
            "CREATE TABLE IF NOT EXISTS _usage (date TEXT PRIMARY KEY, reads INTEGER DEFAULT 0, "
            "writes INTEGER DEFAULT 0)",
            "CREATE TABLE IF NOT EXISTS _audit_log (id INTEGER PRIMARY KEY, action TEXT, "
            "payload TEXT, timestamp TEXT)",
        ),
    ),
    (3, ("ALTER TABLE _usage ADD COLUMN ai_ops INTEGER DEFAULT 0",)),
    (
        4,
        (
            "CREATE TABLE IF NOT EXISTS _debounced_state (key TEXT PRIMARY KEY, value TEXT, "
            "updated_at TEXT)",
        ),
    ),
    (5, ("ALTER TABLE tasks ADD COLUMN vector_status TEXT DEFAULT 'pending'",)),
    (6, ("ALTER TABLE tasks ADD COLUMN owner_id TEXT",)),
    (
        7,
        (
            "CREATE TABLE IF NOT EXISTS _webhooks (id TEXT PRIMARY KEY, url TEXT NOT NULL, "
            "events TEXT NOT NULL, secret TEXT, active INTEGER DEFAULT 1, "
            "created_at INTEGER NOT NULL, last_triggered_at INTEGER, failure_count INTEGER "
            "DEFAULT 0)",
            "CREATE INDEX IF NOT EXISTS idx_webhooks_active ON _webhooks(active) WHERE active = 1",
            "CREATE TABLE IF NOT EXISTS _files (id TEXT PRIMARY KEY, owner_id TEXT, filename TEXT, "
            "size INTEGER, content_type TEXT, r2_key TEXT, created_at TEXT DEFAULT "
            "CURRENT_TIMESTAMP)",
            "CREATE TABLE IF NOT EXISTS _cron_jobs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "schedule TEXT NOT NULL, rpc_method TEXT NOT NULL, rpc_payload TEXT, enabled INTEGER "
            "DEFAULT 1, owner_id TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP)",
            "CREATE TABLE IF NOT EXISTS _environments (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
            "type TEXT CHECK(type IN ('dev','staging','prod')), created_at TEXT DEFAULT "
            "CURRENT_TIMESTAMP)",
            "ALTER TABLE tasks ADD COLUMN user_id TEXT",
        ),
    ),
    (
        8,
        (
            "CREATE TABLE IF NOT EXISTS _replication_queue (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "table_name TEXT NOT NULL, operation TEXT NOT NULL, data TEXT, attempt INTEGER "
            "DEFAULT 0, next_retry_at INTEGER NOT NULL, last_error TEXT, created_at INTEGER NOT "
            "NULL)",
            "CREATE INDEX IF NOT EXISTS idx_replication_queue_next_retry ON "
            "_replication_queue(next_retry_at)",
        ),
    ),
)

USAGE_COUNTERS = ("reads", "writes", "ai_ops")
QUERY_TIMEOUT_S = 5.0


class QueryTimeout(Exception):
    pass


def today() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")


def unreadable_room(path: Path, room_id: str, exc: sqlite3.Error) -> UserError:
    """A room file SQLite cannot open: what and where, and the two ways out."""
    return unreadable_database("room file", path, exc, f"reset --room {room_id or 'ROOM_ID'}")


def _row_factory(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


class RoomStore:
    """The room's SQLite file: migrations, schema, transactions, usage counters, user SQL."""

    def __init__(self, path: Path, room_id: str = "") -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, cached_statements=32
        )
        self.db.row_factory = _row_factory
        try:
            self._open()
        except sqlite3.Error as exc:
            self.db.close()  # no half-open store left for the collector
            raise unreadable_room(path, room_id, exc) from None
        self._reader: sqlite3.Connection | None = None
        self._schema_cache: dict[str, list[dict[str, Any]]] | None = None

    def _open(self) -> None:
        self.db.execute("PRAGMA journal_mode=WAL")
        # A room is small; a 512 KiB page cache (not SQLite's 2 MiB default) keeps thousands
        # of open rooms cheap.
        self.db.execute("PRAGMA cache_size=-512")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    # -- lifecycle --------------------------------------------------------------------------
    def _migrate(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, applied_at TEXT)"
        )
        row = self.db.execute("SELECT COALESCE(MAX(version), 0) AS v FROM _migrations").fetchone()
        current = int(row["v"])
        for version, statements in MIGRATIONS:
            if version <= current:
                continue
            # executescript: one-off statements must not sit in the prepared-statement cache
            # (compiled DDL costs kilobytes each, times every open room).
            script = ";\n".join(
                (
                    *statements,
                    f"INSERT INTO _migrations (version, applied_at) VALUES ({version}, "
                    "datetime('now'))",
                )
            )
            try:
                self.db.executescript(f"BEGIN IMMEDIATE;\n{script};\nCOMMIT;")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; any exception rolls everything back and propagates."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            self._schema_cache = None
            raise
        self.db.execute("COMMIT")

    # -- schema -----------------------------------------------------------------------------
    def schema(self) -> dict[str, list[dict[str, Any]]]:
        """Every table not starting with `_`/`sqlite_`, in sqlite_master order, with table_info."""
        if self._schema_cache is None:
            tables = self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid"
            ).fetchall()
            schema: dict[str, list[dict[str, Any]]] = {}
            for row in tables:
                name = row["name"]
                if name.startswith("_") or name.startswith("sqlite_"):
                    continue
                schema[name] = self.db.execute(f"PRAGMA table_info({quote_ident(name)})").fetchall()
            self._schema_cache = schema
        return self._schema_cache

    def invalidate_schema(self) -> None:
        self._schema_cache = None

    def table_exists(self, name: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def is_user_table(self, name: Any) -> bool:
        """The original's isUserTable: a valid identifier, and `_webhooks` or a visible table."""
        if not is_identifier(name):
            return False
        if name == "_webhooks":
            return True
        if name.startswith("_") or name.startswith("sqlite_"):
            return False
        return self.table_exists(name)

    def columns(self, table: str) -> list[str]:
        return [c["name"] for c in self.db.execute(f"PRAGMA table_info({quote_ident(table)})")]

    # -- usage ------------------------------------------------------------------------------
    def bump_usage(self, counter: str, amount: int = 1) -> None:
        assert counter in USAGE_COUNTERS
        self.db.execute(
            f"INSERT INTO _usage (date, {counter}) VALUES (?, ?) "
            f"ON CONFLICT(date) DO UPDATE SET "
            f"{counter} = COALESCE({counter}, 0) + excluded.{counter}",
            (today(), amount),
        )

    def usage(self, limit: int = 30) -> list[dict[str, Any]]:
        return self.db.execute(
            "SELECT date, COALESCE(reads, 0) AS reads, COALESCE(writes, 0) AS writes, "
            "COALESCE(ai_ops, 0) AS ai_ops FROM _usage ORDER BY date DESC LIMIT ?",
            (limit,),
        ).fetchall()

    # -- user SQL (read-only) ---------------------------------------------------------------
    def _read_conn(self) -> sqlite3.Connection:
        if self._reader is None:
            reader = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, cached_statements=16
            )
            reader.row_factory = _row_factory
            reader.execute("PRAGMA cache_size=-256")
            reader.execute("PRAGMA query_only=ON")
            reader.execute("PRAGMA busy_timeout=5000")
            reader.set_authorizer(read_only_authorizer)
            self._reader = reader
        return self._reader

    def read_query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Run one statement that may only read. Raises sqlite3 errors with SQLite's message."""
        conn = self._read_conn()
        deadline = time.monotonic() + QUERY_TIMEOUT_S
        timed_out = False

        def progress() -> int:
            nonlocal timed_out
            timed_out = time.monotonic() > deadline
            return 1 if timed_out else 0

        conn.set_progress_handler(progress, 20_000)
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            if timed_out:
                raise QueryTimeout("Query execution timeout (max 5 seconds)") from None
            raise
        finally:
            conn.set_progress_handler(None, 0)

    def write_query(self, sql: str) -> list[dict[str, Any]]:
        """Only with --allow-writable-sql: one statement on the writer connection."""
        with self.transaction():
            rows = self.db.execute(sql).fetchall()
        self.invalidate_schema()
        return rows


def json_value(value: Any) -> Any:
    """Values a client sends that SQLite cannot bind (objects, arrays) are stored as JSON text;
    an integer beyond SQLite's 64 bits is the double JavaScript would have parsed it as."""
    if isinstance(value, dict | list):
        return stringify(value)
    if isinstance(value, int) and not -(1 << 63) <= value < 1 << 63:
        return float(value)
    return value
