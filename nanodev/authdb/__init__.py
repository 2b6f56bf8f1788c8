"""The D1-like auth database (SQLite through aiosqlite): its schema and queries, Better Auth's
rows, where its schema comes from (built in, or the app's migrations), batched touches and seeding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanodev.lazy import exports

if TYPE_CHECKING:
    from nanodev.authdb import accounts, migrations, outcome
    from nanodev.authdb.db import AuthDB, User, now_ms, now_s, open_auth_db
    from nanodev.authdb.listing import list_rooms, list_sessions, list_users
    from nanodev.authdb.migrations import apply_pending
    from nanodev.authdb.rows import KeyRow, SessionRow
    from nanodev.authdb.schema import Prepared, prepare
    from nanodev.authdb.seeding import SeedError, create_key, create_session, ensure_user, ws_url
    from nanodev.authdb.touches import Touches

__all__ = [
    "AuthDB",
    "KeyRow",
    "Prepared",
    "SeedError",
    "SessionRow",
    "Touches",
    "User",
    "accounts",
    "apply_pending",
    "create_key",
    "create_session",
    "ensure_user",
    "list_rooms",
    "list_sessions",
    "list_users",
    "migrations",
    "now_ms",
    "now_s",
    "open_auth_db",
    "outcome",
    "prepare",
    "ws_url",
]
__getattr__ = exports(
    __name__,
    {
        "AuthDB": "db",
        "KeyRow": "rows",
        "Prepared": "schema",
        "SeedError": "seeding",
        "SessionRow": "rows",
        "Touches": "touches",
        "User": "db",
        "accounts": "",
        "apply_pending": "migrations",
        "outcome": "",
        "create_key": "seeding",
        "create_session": "seeding",
        "ensure_user": "seeding",
        "list_rooms": "listing",
        "list_sessions": "listing",
        "list_users": "listing",
        "migrations": "",
        "now_ms": "db",
        "now_s": "db",
        "open_auth_db": "db",
        "prepare": "schema",
        "ws_url": "seeding",
    },
)
