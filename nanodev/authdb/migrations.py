"""Auth-database migrations the way `wrangler d1 migrations apply --local` does them.

Files are `migrations/NNNN_name.sql`, applied once each in file-name order (two files with the
same number both apply, in name order). The bookkeeping table is wrangler's own:
`d1_migrations(id, name, applied_at)`, `name` being the file name — a database that went
through wrangler keeps working here, and the other way round.

A run is one transaction with a savepoint per file, so a failing file leaves neither
half-applied SQL nor a row claiming it ran; the files before it stay applied, as with wrangler.
After a failure the remaining files are tried too and rolled back, only to name every file that
would fail as well (`conflicts.describe` turns those into sentences).
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


@dataclass(frozen=True, slots=True)
class Problem:
    name: str  # the file
    error: str  # "OperationalError: table api_keys already exists"
    sql: str  # the file's text, to say which statement of it collided


@dataclass(slots=True)
class MigrationRun:
    applied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not NNNN_name.sql
    # The first entry stopped the run; later ones are files that would fail as well.
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def failed(self) -> str | None:
        return self.problems[0].name if self.problems else None

    @property
    def error(self) -> str:
        return self.problems[0].error if self.problems else ""


@dataclass(frozen=True, slots=True)
class Status:
    """One migration file and when it was applied (None: pending)."""

    name: str
    applied_at: str | None


def ordered(names: list[str]) -> tuple[list[str], list[str]]:
    """(migration files in apply order, other .sql names that are ignored)."""
    good = [n for n in names if NAME_RE.match(n)]
    bad = sorted(n for n in names if n.endswith(".sql") and not NAME_RE.match(n))
    good.sort(key=lambda n: (int(NAME_RE.match(n).group(1)), n))  # type: ignore[union-attr]
    return good, bad


def pending(names: list[str], applied: set[str]) -> list[str]:
    files, _ = ordered(names)
    return [n for n in files if n not in applied]


def file_names(directory: Path | None) -> list[str]:
    if directory is None or not directory.is_dir():
        return []
    return [p.name for p in directory.iterdir() if p.is_file()]


def statements(sql: str) -> list[str]:
    """A file's statements, split where SQLite itself says one ends (semicolons inside strings,
    comments and trigger bodies stay put). Each runs on its own `execute`, because
    `executescript` commits first and would break the per-file savepoint."""
    out: list[str] = []
    buf = ""
    for part in sql.split(";"):
        buf += part + ";"
        if sqlite3.complete_statement(buf):
            out.append(buf)
            buf = ""
    return [s for s in out if _has_code(s)]


def _has_code(statement: str) -> bool:
    text = re.sub(r"--[^\n]*|/\*.*?\*/", "", statement, flags=re.S)
    return bool(text.strip(" \t\r\n;"))


def connect(db_path: Path) -> sqlite3.Connection:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path, timeout=5.0, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")  # fails first on a file that is no database
    except BaseException:
        conn.close()  # the caller never gets it to close
        raise
    return conn


def applied_rows(conn: sqlite3.Connection) -> dict[str, str]:
    conn.execute(CREATE_TABLE)
    return {row[0]: str(row[1]) for row in conn.execute(f"SELECT name, applied_at FROM {TABLE}")}


def run_files(conn: sqlite3.Connection, directory: Path, names: list[str]) -> MigrationRun:
    """Apply `names` in order in one transaction; stop applying at the first failure."""
    run = MigrationRun()
    conn.execute("BEGIN IMMEDIATE")
    try:
        for name in names:
            error: str | None
            try:
                sql = (directory / name).read_text(encoding="utf-8")
            except (OSError, UnicodeError) as exc:  # unreadable, or not UTF-8 as D1 expects
                sql, error = "", f"{type(exc).__name__}: {exc}"
            else:
                error = _try_file(conn, name, sql)
            if error is None and not run.problems:
                run.applied.append(name)
            elif error is not None:
                if not run.problems:
                    conn.execute("SAVEPOINT probe")  # what follows is only a diagnosis
                run.problems.append(Problem(name, error, sql))
        if run.problems:
            conn.execute("ROLLBACK TO probe")
            conn.execute("RELEASE probe")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return run


def _try_file(conn: sqlite3.Connection, name: str, sql: str) -> str | None:
    conn.execute("SAVEPOINT file")
    try:
        for statement in statements(sql):
            conn.execute(statement).fetchall()
        conn.execute(f"INSERT INTO {TABLE} (name) VALUES (?)", (name,))
    except sqlite3.Error as exc:
        conn.execute("ROLLBACK TO file")
        conn.execute("RELEASE file")
        return f"{type(exc).__name__}: {exc}"
    conn.execute("RELEASE file")
    return None


def apply_pending(db_path: Path, directory: Path) -> MigrationRun:
    """Apply what has not run yet; stop at the first failure. Blocking: run in a thread."""
    names = file_names(directory)
    conn = connect(db_path)
    try:
        todo = pending(names, set(applied_rows(conn)))
        run = run_files(conn, directory, todo) if todo else MigrationRun()
    finally:
        conn.close()
    run.skipped = ordered(names)[1]
    return run


def status(db_path: Path, directory: Path | None) -> list[Status]:
    """Every migration file in apply order, then rows for files no longer in the folder.
    Read-only: a state directory that does not exist yet is not created."""
    rows: dict[str, str] = {}
    if db_path.is_file():
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
        try:
            if conn.execute(f"SELECT 1 FROM sqlite_master WHERE name = '{TABLE}'").fetchone():
                rows = {
                    r[0]: str(r[1]) for r in conn.execute(f"SELECT name, applied_at FROM {TABLE}")
                }
        finally:
            conn.close()
    files, _ = ordered(file_names(directory))
    gone = sorted(set(rows) - set(files))
    return [Status(n, rows.get(n)) for n in files] + [Status(n, rows[n]) for n in gone]


class UnknownMigration(ValueError):
    """A name given to mark_applied that is no pending migration file."""


def mark_applied(db_path: Path, directory: Path, names: list[str]) -> list[str]:
    """Record `names` as applied without running them (the user checked that the database
    already holds what they create). All or nothing: an unknown name changes nothing."""
    conn = connect(db_path)
    try:
        todo = pending(file_names(directory), set(applied_rows(conn)))
        unknown = [n for n in names if n not in todo]
        if unknown:
            raise UnknownMigration(", ".join(unknown))
        marked = [n for n in todo if n in names]
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO {TABLE} (name) VALUES (?)", [(n,) for n in marked])
        conn.execute("COMMIT")
    finally:
        conn.close()
    return marked
