"""Auth-database migrations the way `wrangler d1 migrations apply --local` does them.

Files are `migrations/NNNN_name.sql`, applied once each in number order. Each is applied with
its bookkeeping row in one transaction, on a connection of its own, so a failing file leaves
neither half-applied SQL nor a row claiming it ran. The bookkeeping table is wrangler's own:
`d1_migrations(id, name, applied_at)`, `name` being the file name — a database that went
through wrangler keeps working here, and the other way round.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

TABLE = "d1_migrations"
NAME_RE = re.compile(r"^(\d+)_[A-Za-z0-9_.-]+\.sql$")
CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)"""


@dataclass(slots=True)
class MigrationRun:
    applied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not NNNN_name.sql
    failed: str | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.failed is None


def ordered(names: list[str]) -> tuple[list[str], list[str]]:
    """(migration files in apply order, other .sql names that are ignored)."""
    good = [n for n in names if NAME_RE.match(n)]
    bad = sorted(n for n in names if n.endswith(".sql") and not NAME_RE.match(n))
    good.sort(key=lambda n: (int(NAME_RE.match(n).group(1)), n))  # type: ignore[union-attr]
    return good, bad


def pending(names: list[str], applied: set[str]) -> list[str]:
    files, _ = ordered(names)
    return [n for n in files if n not in applied]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def applied_names(conn: sqlite3.Connection) -> set[str]:
    conn.execute(CREATE_TABLE)
    return {row[0] for row in conn.execute(f"SELECT name FROM {TABLE}")}


def apply_pending(db_path: Path, directory: Path) -> MigrationRun:
    """Apply what has not run yet; stop at the first failure. Blocking: run in a thread."""
    run = MigrationRun()
    names = [p.name for p in directory.iterdir() if p.is_file()] if directory.is_dir() else []
    run.skipped = ordered(names)[1]
    conn = sqlite3.connect(db_path, timeout=5.0, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        for name in pending(names, applied_names(conn)):
            sql = (directory / name).read_text(encoding="utf-8")
            try:
                # One script: the file and its bookkeeping row commit together or not at all.
                conn.executescript(
                    f"BEGIN;\n{sql}\n;\nINSERT INTO {TABLE} (name) VALUES ({_quote(name)});\n"
                    "COMMIT;"
                )
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                run.failed, run.error = name, f"{type(exc).__name__}: {exc}"
                break
            run.applied.append(name)
    finally:
        conn.close()
    return run
