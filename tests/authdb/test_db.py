"""The auth DB: created with the union schema, and a database from a real deployment (no
`tier`, no `expires_at`) is upgraded in place without losing rows."""

import sqlite3
from contextlib import closing
from pathlib import Path

from nanodev.authdb.db import open_auth_db


async def test_old_schema_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "AUTH_DB.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        'CREATE TABLE "user" (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL '
        "UNIQUE, emailVerified INTEGER NOT NULL, image TEXT, createdAt INTEGER NOT NULL, "
        "updatedAt INTEGER NOT NULL);"
        "CREATE TABLE api_keys (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT, "
        "created_at INTEGER NOT NULL, last_used_at INTEGER, scopes TEXT);"
        "INSERT INTO \"user\" VALUES ('u1', 'Ada', 'ada@example.com', 0, NULL, 1, 1);"
        "INSERT INTO api_keys VALUES ('nk_live_old', 'u1', 'k', 1, NULL, '[\"read\"]');"
    )
    old.close()
    async with open_auth_db(path) as db:
        user = await db.get_user_by_email("ADA@example.com")
        assert user is not None and user.tier == "free"
        key = await db.get_key("nk_live_old")
        assert key is not None and key.expires_at is None and key.revoked_at is None
    with closing(sqlite3.connect(path)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"session", "account", "verification", "rooms", "plan_limits", "permissions"} <= tables
