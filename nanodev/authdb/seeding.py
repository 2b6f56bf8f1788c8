"""Seeding users, sessions and keys: the Python API under `nanodev users|sessions|keys`.

Works whether or not `nanodev up` runs on the same state directory (both open the same SQLite
file). Users named by email are created when missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nanodev.authdb.db import AuthDB, User, now_ms
from nanodev.betterauth import COOKIE_NAME, hash_password, sign
from nanodev.ids import random_id
from nanodev.state import load_secret, read_server_info

DEFAULT_PAGE_URL = "http://127.0.0.1:3000"


class SeedError(Exception):
    """Bad input for a seeding command; the message says what to pass instead."""


async def ensure_user(
    db: AuthDB,
    email: str,
    name: str | None = None,
    password: str | None = None,
    *,
    reset_password: bool = False,
) -> tuple[User, bool]:
    """The user with this email, created when missing. A password given for an existing user
    is refused (it would be silently ignored) unless `reset_password` asks to replace it."""
    if "@" not in email or email.strip() != email or len(email) > 254:
        raise SeedError(f"{email!r} is not an email address; pass e.g. you@example.com")
    user = await db.get_user_by_email(email)
    if user is not None:
        if password is not None and not reset_password:
            raise SeedError(
                f"user {email} already exists and its password was left unchanged; "
                "pass --reset-password to replace it"
            )
        if password is not None:
            await _set_password(db, user.id, hash_password(password))
        return user, False
    hashed = hash_password(password) if password else None
    return await db.create_user(
        email, name or email.split("@", maxsplit=1)[0], password_hash=hashed
    ), True


async def _set_password(db: AuthDB, user_id: str, hashed: str) -> None:
    ts = now_ms() // 1000
    cur = await db.conn.execute(
        "UPDATE account SET password = ?, updatedAt = ? "
        "WHERE userId = ? AND providerId = 'credential'",
        (hashed, ts, user_id),
    )
    if cur.rowcount == 0:
        await db.conn.execute(
            "INSERT INTO account (id, accountId, providerId, userId, password, createdAt, "
            "updatedAt) VALUES (?, ?, 'credential', ?, ?, ?, ?)",
            (random_id(32), user_id, user_id, hashed, ts, ts),
        )
    await db.conn.commit()


@dataclass(frozen=True, slots=True)
class SessionSeed:
    token: str
    cookie: str
    cookie_value: str
    expires_at: int
    user_id: str
    email: str
    user_created: bool = False

    def to_json(self) -> dict[str, Any]:
        """`expires_at` in milliseconds since the epoch, like every time the CLI prints."""
        return {
            "token": self.token,
            "cookie": self.cookie,
            "cookie_value": self.cookie_value,
            "expires_at": self.expires_at * 1000,
            "user_id": self.user_id,
            "email": self.email,
            "user_created": self.user_created,
        }


async def create_session(db: AuthDB, state_dir: Path, email: str, ttl_s: int) -> SessionSeed:
    user, created = await ensure_user(db, email)
    token, expires = await db.create_session(user.id, ttl_s=ttl_s, user_agent="nanodev-cli")
    value = sign(token, load_secret(state_dir))
    return SessionSeed(
        token, f"{COOKIE_NAME}={value}", value, expires, user.id, user.email, created
    )


def page_url(state_dir: Path) -> str:
    info = read_server_info(state_dir)
    return str(info["page_url"]) if info else DEFAULT_PAGE_URL


def ws_url(base: str, room: str, key: str) -> str:
    ws_base = base.replace("https://", "wss://").replace("http://", "ws://")
    return f"{ws_base}/__ws/websocket?room_id={quote(room, safe='')}&key={quote(key, safe='')}"


async def create_key(
    db: AuthDB,
    state_dir: Path,
    email: str,
    *,
    name: str = "Unnamed Key",
    ttl_s: int | None = 30 * 86400,
    expired: bool = False,
    scopes: tuple[str, ...] = ("read", "write"),
    key_id: str | None = None,
    room: str = "my-room",
) -> dict[str, Any]:
    if key_id is not None and not key_id.startswith("nk_"):
        raise SeedError(f"--id {key_id!r} must start with nk_ (only nk_ keys are looked up)")
    bad = [s for s in scopes if s not in ("read", "write", "admin")]
    if bad:
        raise SeedError(f"Invalid scopes: {', '.join(bad)}. Valid scopes are: read, write, admin")
    if key_id is not None and await db.get_key(key_id) is not None:
        raise SeedError(f"key {key_id} already exists; revoke it or pick another --id")
    user, created = await ensure_user(db, email)
    now = now_ms()
    expires = now - 3600_000 if expired else (now + ttl_s * 1000 if ttl_s else None)
    row = await db.create_key(
        user.id, key_id=key_id, name=name, expires_at=expires, scopes=scopes, created_at=now
    )
    row["email"] = user.email
    row["user_created"] = created
    row["ws_url"] = ws_url(page_url(state_dir), room, row["id"])
    return row
