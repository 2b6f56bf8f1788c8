"""Where the auth database's schema comes from, prepared once before the server opens it.

Without the app's `migrations/` folder: nanodev's built-in schema, the union of reference
§2.5 (as before). With it, the app's migrations are the source of truth, as
`wrangler d1 migrations apply --local` on an empty database would make them: on a fresh file
only Better Auth's own tables (`user`, `session`, `account`, `verification`, as its migration
tool creates them, without the app's columns) and then every migration in file-name order;
then only what nanodev still needs and the migrations did not create is added ("added for local
use"). A database that exists already gets its pending migrations, never a half-applied one.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from nanodev.authdb.migrations import (
    MigrationRun,
    applied_rows,
    connect,
    file_names,
    ordered,
    pending,
    run_files,
)

# Better Auth's core tables, as its CLI's migration writes them for SQLite (reference §2.5,
# dates as integers the way drizzle stores them), and nothing of the app's.
BETTER_AUTH = {
    "user": """CREATE TABLE "user" (
  id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE,
  emailVerified INTEGER NOT NULL, image TEXT, createdAt INTEGER NOT NULL,
  updatedAt INTEGER NOT NULL)""",
    "session": """CREATE TABLE session (
  id TEXT NOT NULL PRIMARY KEY, expiresAt INTEGER NOT NULL, token TEXT NOT NULL UNIQUE,
  createdAt INTEGER NOT NULL, updatedAt INTEGER NOT NULL, ipAddress TEXT, userAgent TEXT,
  userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE)""",
    "account": """CREATE TABLE account (
  id TEXT NOT NULL PRIMARY KEY, accountId TEXT NOT NULL, providerId TEXT NOT NULL,
  userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  accessToken TEXT, refreshToken TEXT, idToken TEXT,
  accessTokenExpiresAt INTEGER, refreshTokenExpiresAt INTEGER, scope TEXT, password TEXT,
  createdAt INTEGER NOT NULL, updatedAt INTEGER NOT NULL)""",
    "verification": """CREATE TABLE verification (
  id TEXT NOT NULL PRIMARY KEY, identifier TEXT NOT NULL, value TEXT NOT NULL,
  expiresAt INTEGER NOT NULL, createdAt INTEGER, updatedAt INTEGER)""",
}

# What nanodev's queries need: the union of reference §2.5, plus `revoked_at` for
# `nanodev keys revoke`.
SCHEMA = """
CREATE TABLE IF NOT EXISTS "user" (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE,
  emailVerified INTEGER NOT NULL DEFAULT 0, image TEXT,
  createdAt INTEGER NOT NULL, updatedAt INTEGER NOT NULL, tier TEXT NOT NULL DEFAULT 'free');
CREATE TABLE IF NOT EXISTS session (
  id TEXT PRIMARY KEY, expiresAt INTEGER NOT NULL, token TEXT NOT NULL UNIQUE,
  createdAt INTEGER NOT NULL, updatedAt INTEGER NOT NULL, ipAddress TEXT, userAgent TEXT,
  userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS account (
  id TEXT PRIMARY KEY, accountId TEXT NOT NULL, providerId TEXT NOT NULL,
  userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  accessToken TEXT, refreshToken TEXT, idToken TEXT,
  accessTokenExpiresAt INTEGER, refreshTokenExpiresAt INTEGER, scope TEXT, password TEXT,
  createdAt INTEGER NOT NULL, updatedAt INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS verification (
  id TEXT PRIMARY KEY, identifier TEXT NOT NULL, value TEXT NOT NULL,
  expiresAt INTEGER NOT NULL, createdAt INTEGER, updatedAt INTEGER);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  name TEXT, created_at INTEGER NOT NULL, last_used_at INTEGER, expires_at INTEGER,
  scopes TEXT, revoked_at INTEGER);
CREATE TABLE IF NOT EXISTS rooms (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  name TEXT NOT NULL, created_at INTEGER NOT NULL, last_accessed_at INTEGER);
CREATE TABLE IF NOT EXISTS plan_limits (
  user_id TEXT PRIMARY KEY REFERENCES "user"(id) ON DELETE CASCADE,
  max_rooms INTEGER NOT NULL DEFAULT 3, plan_tier TEXT NOT NULL DEFAULT 'free');
CREATE TABLE IF NOT EXISTS permissions (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  room_id TEXT NOT NULL, table_name TEXT NOT NULL,
  can_read INTEGER NOT NULL DEFAULT 0, can_write INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS idx_api_keys_user ON api_keys(user_id);
CREATE INDEX IF NOT EXISTS idx_api_keys_expires ON api_keys(expires_at);
CREATE INDEX IF NOT EXISTS idx_rooms_user ON rooms(user_id);
CREATE INDEX IF NOT EXISTS idx_rooms_last_accessed ON rooms(user_id, last_accessed_at DESC);
CREATE INDEX IF NOT EXISTS idx_permissions_user_room ON permissions(user_id, room_id);
CREATE INDEX IF NOT EXISTS idx_permissions_room_table ON permissions(room_id, table_name);
"""
CREATES_TABLE = re.compile(
    r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[`\"\[]?(\w+)", re.IGNORECASE
)
CREATES_INDEX = re.compile(
    r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?[`\"\[]?(\w+)", re.IGNORECASE
)
ADDS_COLUMN = re.compile(
    r"ALTER\s+TABLE\s+[`\"\[]?(\w+)[`\"\]]?\s+ADD\s+(?:COLUMN\s+)?[`\"\[]?(\w+)", re.IGNORECASE
)


@dataclass(slots=True)
class Prepared:
    """How the auth database's schema came to be on this start (the startup card says it)."""

    migrations_dir: Path | None = None
    fresh: bool = False
    from_builtin: bool = False  # the file existed, made by the built-in schema
    created: list[str] = field(default_factory=list)  # Better Auth tables made first
    run: MigrationRun = field(default_factory=MigrationRun)
    added: list[str] = field(default_factory=list)  # added for local use
    applied_total: int = 0
    pending_total: int = 0

    @property
    def uses_migrations(self) -> bool:
        return self.migrations_dir is not None


def prepare(db_path: Path, migrations: Path | None) -> Prepared:
    """Blocking (run in a thread): make the schema ready before the server opens the file."""
    files, _ = ordered(file_names(migrations))
    conn = connect(db_path)
    try:
        if migrations is None or not files:
            ensure_local(conn)
            return Prepared()
        return _with_migrations(conn, migrations, files)
    finally:
        conn.close()


def _with_migrations(conn: sqlite3.Connection, directory: Path, files: list[str]) -> Prepared:
    prepared = Prepared(migrations_dir=directory)
    tables = _tables(conn)
    done = set(applied_rows(conn))
    # Fresh: nothing but perhaps wrangler's empty bookkeeping table (`migrations list` ran).
    prepared.fresh = not (tables - {"d1_migrations"}) and not done
    prepared.from_builtin = bool(tables) and "d1_migrations" not in tables
    if prepared.fresh:
        made_by_files = _created_by(directory, files)
        prepared.created = [t for t in BETTER_AUTH if t not in made_by_files]
        conn.execute("BEGIN")
        for table in prepared.created:
            conn.execute(BETTER_AUTH[table])
        conn.execute("COMMIT")
    todo = pending(files, done)
    if todo:
        prepared.run = run_files(conn, directory, todo)
        prepared.run.skipped = ordered(file_names(directory))[1]
    done = set(applied_rows(conn))
    # What files still pending will create is left to them: adding it now would make them
    # collide once the failing file is fixed.
    prepared.added = ensure_local(conn, planned(directory, [f for f in files if f not in done]))
    prepared.applied_total = sum(1 for f in files if f in done)
    prepared.pending_total = len(files) - prepared.applied_total
    return prepared


def _created_by(directory: Path, files: list[str]) -> set[str]:
    return {p[len("table ") :] for p in planned(directory, files) if p.startswith("table ")}


def planned(directory: Path, files: list[str]) -> set[str]:
    """What `files` create, named as `ensure_local` reports it (lowercase): `table t`,
    `t.column`, `index i`. A scan of the text: enough to stay out of the files' way."""
    found: set[str] = set()
    for name in files:
        try:
            text = (directory / name).read_text(encoding="utf-8", errors="replace")
        except OSError:  # gone since it was listed: the run names it, nothing to leave
            continue
        found.update(f"table {m.group(1).lower()}" for m in CREATES_TABLE.finditer(text))
        found.update(f"index {m.group(1).lower()}" for m in CREATES_INDEX.finditer(text))
        found.update(f"{t.lower()}.{c.lower()}" for t, c in ADDS_COLUMN.findall(text))
    return found


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {r[0] for r in rows}


def _objects(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Table → its columns, plus one `index <name>` entry per index; all lowercase, as SQLite
    compares these names."""
    out: dict[str, list[str]] = {}
    for kind, name in conn.execute(
        "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index') "
        "AND name NOT LIKE 'sqlite_%'"
    ):
        if kind == "index":
            out[f"index {name}".lower()] = []
        else:
            columns = conn.execute(f'PRAGMA table_info("{name}")')
            out[name.lower()] = [r[1].lower() for r in columns]
    return out


def ensure_local(conn: sqlite3.Connection, leave: set[str] | None = None) -> list[str]:
    """Add what nanodev's queries need and the database lacks, except what `leave` names
    (`planned`): tables, then columns (never dropped, never changed), then indexes, in one
    transaction. Returns what was added."""
    leave = leave or set()
    wanted = sqlite3.connect(":memory:")
    try:
        wanted.executescript(SCHEMA)
        want = _objects(wanted)
        decls = {t: _column_decls(wanted, t) for t in want if not t.startswith("index ")}
    finally:
        wanted.close()
    have = _objects(conn)
    tables = [
        s
        for s in SCHEMA.split(";")
        if "CREATE TABLE" in s
        and _name(CREATES_TABLE, s).lower() not in have
        and f"table {_name(CREATES_TABLE, s).lower()}" not in leave
    ]
    added = [f"table {_name(CREATES_TABLE, s)}" for s in tables]
    columns: list[str] = []
    for table, decl_of in decls.items():
        for column, decl in decl_of.items():
            planned_here = f"{table}.{column}".lower() in leave
            if table in have and column.lower() not in have[table] and not planned_here:
                columns.append(f'ALTER TABLE "{table}" ADD COLUMN {decl}')
                added.append(f"{table}.{column}")
    will_have = set(have) | {_name(CREATES_TABLE, s).lower() for s in tables}
    indexes = _missing_indexes(have, leave, will_have)
    added += [f"index {_name(CREATES_INDEX, s)}" for s in indexes]
    conn.execute("BEGIN")
    for statement in tables + columns + indexes:
        conn.execute(statement)
    conn.execute("COMMIT")
    return added


def _missing_indexes(have: dict[str, list[str]], leave: set[str], tables: set[str]) -> list[str]:
    """The built-in indexes the database lacks, on tables it will have, over columns no pending
    migration is about to add."""
    return [
        s
        for s in SCHEMA.split(";")
        if "CREATE INDEX" in s
        and f"index {_name(CREATES_INDEX, s).lower()}" not in have
        and f"index {_name(CREATES_INDEX, s).lower()}" not in leave
        and _indexed_table(s).lower() in tables
        and all(f"{_indexed_table(s)}.{c}".lower() not in leave for c in _indexed_columns(s))
    ]


def _name(pattern: re.Pattern[str], statement: str) -> str:
    match = pattern.search(statement)
    return match.group(1) if match else ""


def _indexed_table(create_index: str) -> str:
    match = re.search(r"\bON\s+(\w+)", create_index)
    return match.group(1) if match else ""


def _indexed_columns(create_index: str) -> list[str]:
    match = re.search(r"\(([^)]*)\)", create_index)
    inside = match.group(1) if match else ""
    return [part.split()[0] for part in inside.split(",") if part.strip()]


def _column_decls(conn: sqlite3.Connection, table: str) -> dict[str, str]:
    """Each column as ALTER TABLE ADD COLUMN can add it: NOT NULL only with a default."""
    decls: dict[str, str] = {}
    for _cid, name, ctype, notnull, default, _pk in conn.execute(f'PRAGMA table_info("{table}")'):
        decl = f"{name} {ctype}"
        if default is not None:
            decl += f"{' NOT NULL' if notnull else ''} DEFAULT {default}"
        decls[name] = decl
    return decls
