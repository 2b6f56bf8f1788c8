"""The D1-like auth database: `<state>/d1/AUTH_DB.sqlite` and its queries (schema: `schema.py`).

aiosqlite, because D1's real API is async. The file is plain SQLite, readable with the `sqlite3`
shell, and shared safely with the CLI (WAL + busy timeout) while `nanodev up` runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from nanodev.authdb.rows import KeyRow, SessionRow
from nanodev.authdb.schema import Prepared, prepare
from nanodev.errors import unreadable_database
from nanodev.ids import random_id
from nanodev.jsjson import stringify
from nanodev.state import make_dir


def now_ms() -> int:
    return int(time.time() * 1000)


def now_s() -> int:
    return int(time.time())


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    name: str
    tier: str = "free"


class AuthDB:
    """Queries over AUTH_DB. One connection; aiosqlite serialises statements on its thread."""

    def __init__(self, conn: aiosqlite.Connection, path: Path, prepared: Prepared) -> None:
        self.conn = conn
        self.path = path
        self.prepared = prepared  # how the schema came to be: built in, or the app's migrations
        # Told of every key and session created through this connection (the recorder masks
        # them); other processes' (the CLI's) are found by `secret_values`.
        self.on_secret: list[Callable[[str], None]] = []

    def _created(self, secret: str) -> None:
        for listener in self.on_secret:
            listener(secret)

    # -- keys -------------------------------------------------------------------------------
    async def get_key(self, key_id: str) -> KeyRow | None:
        row = await self._one(
            "SELECT id, user_id, expires_at, revoked_at FROM api_keys WHERE id = ?", (key_id,)
        )
        return KeyRow(row[0], row[1], row[2], row[3]) if row else None

    async def touch_key(self, key_id: str, at_ms: int) -> None:
        await self.conn.execute(
            "UPDATE api_keys SET last_used_at = ? WHERE id = ?", (at_ms, key_id)
        )
        await self.conn.commit()

    async def create_key(
        self,
        user_id: str,
        *,
        key_id: str | None = None,
        name: str = "Unnamed Key",
        expires_at: int | None = None,
        scopes: Sequence[str] = ("read", "write"),
        created_at: int | None = None,
    ) -> dict[str, Any]:
        key_id = key_id or f"nk_live_{random_id(32, alphabet='0123456789abcdef')}"
        created = created_at if created_at is not None else now_ms()
        await self.conn.execute(
            "INSERT INTO api_keys (id, user_id, name, created_at, expires_at, scopes) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key_id, user_id, name, created, expires_at, stringify(list(scopes))),
        )
        await self.conn.commit()
        self._created(key_id)
        return {
            "id": key_id,
            "user_id": user_id,
            "name": name,
            "created_at": created,
            "expires_at": expires_at,
            "scopes": list(scopes),
        }

    async def list_keys(self, user_id: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT k.id, k.user_id, u.email, k.name, k.created_at, k.last_used_at, "
            "k.expires_at, k.scopes, k.revoked_at FROM api_keys k "
            'LEFT JOIN "user" u ON u.id = k.user_id'
        )
        args: tuple[Any, ...] = ()
        if user_id is not None:
            sql += " WHERE k.user_id = ?"
            args = (user_id,)
        rows = await self._all(sql + " ORDER BY k.created_at DESC", args)
        names = (
            "id",
            "user_id",
            "email",
            "name",
            "created_at",
            "last_used_at",
            "expires_at",
            "scopes",
            "revoked_at",
        )
        return [dict(zip(names, row, strict=True)) for row in rows]

    async def revoke_key(self, key_id: str, at_ms: int) -> bool:
        cur = await self.conn.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (at_ms, key_id),
        )
        await self.conn.commit()
        return cur.rowcount > 0

    async def delete_key(self, key_id: str, user_id: str | None = None) -> bool:
        if user_id is None:
            cur = await self.conn.execute("DELETE FROM api_keys WHERE id = ?", (key_id,))
        else:
            cur = await self.conn.execute(
                "DELETE FROM api_keys WHERE id = ? AND user_id = ?", (key_id, user_id)
            )
        await self.conn.commit()
        return cur.rowcount > 0

    # -- users and sessions -----------------------------------------------------------------
    async def get_user(self, user_id: str) -> User | None:
        row = await self._one('SELECT id, email, name, tier FROM "user" WHERE id = ?', (user_id,))
        return User(*row) if row else None

    async def get_user_by_email(self, email: str) -> User | None:
        row = await self._one(
            'SELECT id, email, name, tier FROM "user" WHERE email = ?', (email.lower(),)
        )
        return User(*row) if row else None

    async def create_user(
        self, email: str, name: str, *, password_hash: str | None = None, user_id: str | None = None
    ) -> User:
        uid = user_id or random_id(32)
        ts = now_s()
        await self.conn.execute(
            'INSERT INTO "user" (id, name, email, emailVerified, image, createdAt, updatedAt) '
            "VALUES (?, ?, ?, 0, NULL, ?, ?)",
            (uid, name, email.lower(), ts, ts),
        )
        if password_hash is not None:
            await self.conn.execute(
                "INSERT INTO account (id, accountId, providerId, userId, password, createdAt, "
                "updatedAt) VALUES (?, ?, 'credential', ?, ?, ?, ?)",
                (random_id(32), uid, uid, password_hash, ts, ts),
            )
        await self.conn.commit()
        return User(uid, email.lower(), name)

    async def create_session(
        self, user_id: str, *, ttl_s: int, ip: str | None = None, user_agent: str | None = None
    ) -> tuple[str, int]:
        token, ts = random_id(32), now_s()
        expires = ts + ttl_s
        await self.conn.execute(
            "INSERT INTO session (id, expiresAt, token, createdAt, updatedAt, ipAddress, "
            "userAgent, userId) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (random_id(32), expires, token, ts, ts, ip, user_agent, user_id),
        )
        await self.conn.commit()
        self._created(token)
        return token, expires

    async def secret_values(self) -> list[str]:
        """Every session token and API key id: values the inspector must never show. A table
        the app's migrations have not created yet (one failed at start) holds none."""
        values: list[str] = []
        for sql in ("SELECT token FROM session", "SELECT id FROM api_keys"):
            try:
                values += [str(row[0]) for row in await self._all(sql)]
            except sqlite3.OperationalError:
                continue
        return values

    async def get_session(self, token: str) -> SessionRow | None:
        row = await self._one(
            "SELECT token, userId, expiresAt FROM session WHERE token = ?", (token,)
        )
        return SessionRow(row[0], row[1], int(row[2])) if row else None

    # -- rooms ------------------------------------------------------------------------------
    async def room_owner(self, room_id: str) -> str | None:
        row = await self._one("SELECT user_id FROM rooms WHERE id = ?", (room_id,))
        return str(row[0]) if row else None

    async def register_room(self, room_id: str, user_id: str, at_ms: int) -> bool:
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO rooms (id, user_id, name, created_at, last_accessed_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (room_id, user_id, room_id, at_ms, at_ms),
        )
        await self.conn.commit()
        return cur.rowcount > 0

    async def touch_room(self, room_id: str, user_id: str, at_ms: int) -> None:
        await self.conn.execute(
            "UPDATE rooms SET last_accessed_at = ? WHERE id = ? AND user_id = ?",
            (at_ms, room_id, user_id),
        )
        await self.conn.commit()

    # -- helpers ----------------------------------------------------------------------------
    # One round trip to aiosqlite's thread per query (execute + fetch + close would be three):
    # these lookups sit on every handshake's critical path.
    async def _one(self, sql: str, args: Iterable[Any] = ()) -> Any:
        rows = await self.conn.execute_fetchall(sql, tuple(args))
        return next(iter(rows), None)

    async def _all(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        return list(await self.conn.execute_fetchall(sql, tuple(args)))


@asynccontextmanager
async def open_auth_db(path: Path, migrations: Path | None = None) -> AsyncIterator[AuthDB]:
    """Open the auth database, its schema prepared first (the app's `migrations` folder when
    given, else the built-in schema; `schema.prepare`); closed when the block exits. A file
    that is not a database is the user's to fix, told in words before anything is written
    (SQLite reads the header first, so its bytes stay as they were)."""
    make_dir(path.parent)
    try:
        prepared = await asyncio.to_thread(prepare, path, migrations)
        conn = await aiosqlite.connect(path)
    except sqlite3.DatabaseError as exc:
        raise unreadable_database("auth database", path, exc, "reset --auth") from None
    try:
        await _pragmas(conn, path)
        yield AuthDB(conn, path, prepared)
    finally:
        await conn.close()


async def _pragmas(conn: aiosqlite.Connection, path: Path) -> None:
    try:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as exc:
        raise unreadable_database("auth database", path, exc, "reset --auth") from None
