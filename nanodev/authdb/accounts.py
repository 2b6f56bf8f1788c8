"""Better Auth's rows in AUTH_DB as its endpoints read and write them: users, credential
accounts and sessions (reference §2.3, §2.5). Timestamps are Unix seconds (drizzle's
`mode: "timestamp"`); values that look like milliseconds are accepted too, for databases
exported from deployments that stored them that way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from nanodev.authdb.db import AuthDB

SESSION_TTL_S = 7 * 24 * 3600
UPDATE_AGE_S = 24 * 3600


def iso(ts: Any) -> str | None:
    """A stored timestamp as JavaScript's `Date.toISOString()`."""
    if ts is None:
        return None
    seconds = float(ts) / 1000 if float(ts) > 1e11 else float(ts)
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    name: str
    email: str
    email_verified: bool
    image: str | None
    created_at: int
    updated_at: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "emailVerified": self.email_verified,
            "image": self.image,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: str
    token: str
    user_id: str
    expires_at: int
    created_at: int
    updated_at: int
    ip_address: str | None
    user_agent: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "token": self.token,
            "userId": self.user_id,
            "expiresAt": iso(self.expires_at),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "ipAddress": self.ip_address,
            "userAgent": self.user_agent,
        }

    @property
    def expires_s(self) -> float:
        return self.expires_at / 1000 if self.expires_at > 1e11 else float(self.expires_at)


def needs_extension(session: SessionRecord, now_s: float) -> bool:
    """Better Auth's `updateAge`: refresh once the session is more than a day old."""
    return session.expires_s - SESSION_TTL_S + UPDATE_AGE_S <= now_s


_USER_COLS = 'id, name, email, emailVerified, image, createdAt, updatedAt FROM "user"'
_SESSION_COLS = "id, token, userId, expiresAt, createdAt, updatedAt, ipAddress, userAgent"


async def user_by_email(db: AuthDB, email: str) -> UserRecord | None:
    row = await _one(db, f"SELECT {_USER_COLS} WHERE email = ?", (email.lower(),))
    return _user(row) if row else None


async def user_by_id(db: AuthDB, user_id: str) -> UserRecord | None:
    row = await _one(db, f"SELECT {_USER_COLS} WHERE id = ?", (user_id,))
    return _user(row) if row else None


def _user(row: Any) -> UserRecord:
    return UserRecord(row[0], row[1], row[2], bool(row[3]), row[4], int(row[5]), int(row[6]))


async def credential_hash(db: AuthDB, user_id: str) -> str | None:
    row = await _one(
        db,
        "SELECT password FROM account WHERE userId = ? AND providerId = 'credential'",
        (user_id,),
    )
    return str(row[0]) if row and row[0] else None


async def session_by_token(db: AuthDB, token: str) -> SessionRecord | None:
    row = await _one(db, f"SELECT {_SESSION_COLS} FROM session WHERE token = ?", (token,))
    if row is None:
        return None
    return SessionRecord(
        row[0], row[1], row[2], int(row[3]), int(row[4]), int(row[5]), row[6], row[7]
    )


async def sessions_with_emails(db: AuthDB, limit: int = 200) -> list[tuple[str, str, int]]:
    """(token, the user's email, expiresAt) of the newest sessions: the inspector's picker."""
    sql = (
        'SELECT s.token, COALESCE(u.email, s.userId), s.expiresAt FROM session s LEFT JOIN "user" u'
        " ON u.id = s.userId ORDER BY s.createdAt DESC LIMIT ?"
    )
    async with db.conn.execute(sql, (limit,)) as cur:
        rows = await cur.fetchall()
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


async def delete_session(db: AuthDB, token: str) -> None:
    await db.conn.execute("DELETE FROM session WHERE token = ?", (token,))
    await db.conn.commit()


async def extend_session(db: AuthDB, token: str, now_s: int) -> None:
    await db.conn.execute(
        "UPDATE session SET expiresAt = ?, updatedAt = ? WHERE token = ?",
        (now_s + SESSION_TTL_S, now_s, token),
    )
    await db.conn.commit()


async def user_tier(db: AuthDB, user_id: str) -> str | None:
    row = await _one(db, 'SELECT tier FROM "user" WHERE id = ?', (user_id,))
    return str(row[0]) if row and row[0] else None


async def _one(db: AuthDB, sql: str, args: tuple[Any, ...]) -> Any:
    async with db.conn.execute(sql, args) as cur:
        return await cur.fetchone()
