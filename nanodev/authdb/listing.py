"""Listing users, sessions and rooms for the CLI. Every time is milliseconds since the epoch:
Better Auth's own tables store seconds here, so they are converted on the way out."""

from __future__ import annotations

from typing import Any

from nanodev.authdb.db import AuthDB


def _ms(seconds: Any) -> int | None:
    if seconds is None:
        return None
    value = int(seconds)
    return value if value > 100_000_000_000 else value * 1000  # already ms: keep


async def list_users(db: AuthDB) -> list[dict[str, Any]]:
    rows = await db.conn.execute_fetchall(
        "SELECT u.id, u.email, u.name, u.tier, u.createdAt, EXISTS (SELECT 1 FROM account a "
        "WHERE a.userId = u.id AND a.providerId = 'credential' AND a.password IS NOT NULL), "
        "(SELECT COUNT(*) FROM api_keys k WHERE k.user_id = u.id), "
        '(SELECT COUNT(*) FROM session s WHERE s.userId = u.id) FROM "user" u '
        "ORDER BY u.createdAt, u.email"
    )
    return [
        {
            "id": r[0],
            "email": r[1],
            "name": r[2],
            "tier": r[3],
            "created_at": _ms(r[4]),
            "password": bool(r[5]),
            "keys": r[6],
            "sessions": r[7],
        }
        for r in rows
    ]


async def list_sessions(db: AuthDB, user_id: str | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT s.id, s.token, s.userId, u.email, s.createdAt, s.expiresAt, s.userAgent "
        'FROM session s LEFT JOIN "user" u ON u.id = s.userId'
    )
    args: tuple[Any, ...] = ()
    if user_id is not None:
        sql += " WHERE s.userId = ?"
        args = (user_id,)
    rows = await db.conn.execute_fetchall(sql + " ORDER BY s.createdAt DESC", args)
    return [
        {
            "id": r[0],
            "token": r[1],
            "user_id": r[2],
            "email": r[3],
            "created_at": _ms(r[4]),
            "expires_at": _ms(r[5]),
            "user_agent": r[6],
        }
        for r in rows
    ]


async def list_rooms(db: AuthDB) -> list[dict[str, Any]]:
    """Rooms registered in the auth database (created through the app or a first handshake)."""
    rows = await db.conn.execute_fetchall(
        "SELECT r.id, r.user_id, u.email, r.created_at, r.last_accessed_at FROM rooms r "
        'LEFT JOIN "user" u ON u.id = r.user_id ORDER BY r.created_at'
    )
    return [
        {
            "id": r[0],
            "owner_id": r[1],
            "owner_email": r[2],
            "created_at": r[3],
            "last_accessed_at": r[4],
        }
        for r in rows
    ]
