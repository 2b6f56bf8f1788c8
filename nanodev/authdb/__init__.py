"""The D1-like auth database (SQLite through aiosqlite): its schema and queries, Better Auth's
rows, the app's migrations, batched touches and seeding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanodev.lazy import exports

if TYPE_CHECKING:
    from nanodev.authdb import accounts
    from nanodev.authdb.db import AuthDB, User, now_ms, now_s, open_auth_db
    from nanodev.authdb.listing import list_rooms, list_sessions, list_users
    from nanodev.authdb.migrations import apply_pending
    from nanodev.authdb.rows import KeyRow, SessionRow
    from nanodev.authdb.seeding import SeedError, create_key, create_session, ensure_user, ws_url
    from nanodev.authdb.touches import Touches

__all__ = [
    "AuthDB",
    "KeyRow",
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
    "now_ms",
    "now_s",
    "open_auth_db",
    "ws_url",
]
__getattr__ = exports(
    __name__,
    {
        "AuthDB": "db",
        "KeyRow": "rows",
        "SeedError": "seeding",
        "SessionRow": "rows",
        "Touches": "touches",
        "User": "db",
        "accounts": "",
        "apply_pending": "migrations",
        "create_key": "seeding",
        "create_session": "seeding",
        "ensure_user": "seeding",
        "list_rooms": "listing",
        "list_sessions": "listing",
        "list_users": "listing",
        "now_ms": "db",
        "now_s": "db",
        "open_auth_db": "db",
        "ws_url": "seeding",
    },
)
