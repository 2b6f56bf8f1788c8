"""Credentials re-checked while their sockets stay open.

The handshake checks a key or session once; a key that expires or is revoked later, or a
session that ends, must not keep its socket. Once a second the watcher looks up the credential
of every open socket (one query per kind, not one per socket) and closes the sockets whose
credential no longer holds with 1008 and a reason that names it. The next handshake with the
same credential is refused by the auth chain as usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING

from aiohttp import WSCloseCode

from nanodev.authdb import KeyRow, SessionRow, now_ms, now_s
from nanodev.worker.auth import judge_key, judge_session

if TYPE_CHECKING:
    from nanodev.authdb import AuthDB
    from nanodev.rooms import Connection, RoomRegistry

KEY = "key"
SESSION = "session"
CHUNK = 500  # below SQLite's bound-parameter limit


def key_problem(row: KeyRow | None, at_ms: int) -> str | None:
    """Why a socket opened with this key must close now, or None while the key holds."""
    verdict = judge_key(row, at_ms).verdict
    if verdict == "ok":
        return None
    if verdict == "expired":
        return "API key expired"
    return "API key revoked" if row is not None else "API key deleted"


def session_problem(row: SessionRow | None, at_s: int) -> str | None:
    verdict = judge_session(row, at_s).verdict
    if verdict == "ok":
        return None
    return "session expired" if verdict == "expired" else "session ended (signed out)"


def open_sockets(rooms: RoomRegistry) -> list[Connection]:
    conns = [c for room in rooms.rooms.values() for c in room.sockets]
    conns += [c for sockets in rooms.sleeping.values() for c in sockets]
    return [c for c in conns if not c.closed and c.credential is not None]


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


async def _keys(db: AuthDB, ids: list[str]) -> dict[str, KeyRow]:
    found: dict[str, KeyRow] = {}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT id, user_id, expires_at, revoked_at FROM api_keys WHERE id IN ({marks})"
        async with db.conn.execute(sql, chunk) as cursor:
            for row in await cursor.fetchall():
                found[row[0]] = KeyRow(row[0], row[1], row[2], row[3])
    return found


async def _sessions(db: AuthDB, tokens: list[str]) -> dict[str, SessionRow]:
    found: dict[str, SessionRow] = {}
    for chunk in _chunks(tokens):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT token, userId, expiresAt FROM session WHERE token IN ({marks})"
        async with db.conn.execute(sql, chunk) as cursor:
            for row in await cursor.fetchall():
                found[row[0]] = SessionRow(row[0], row[1], int(row[2]))
    return found


async def expired_sockets(db: AuthDB, conns: list[Connection]) -> list[tuple[Connection, str]]:
    """Each socket whose credential no longer holds, with the reason to close it."""
    key_ids = sorted({c.credential[1] for c in conns if c.credential and c.credential[0] == KEY})
    tokens = sorted({c.credential[1] for c in conns if c.credential and c.credential[0] == SESSION})
    keys = await _keys(db, key_ids) if key_ids else {}
    sessions = await _sessions(db, tokens) if tokens else {}
    at_ms, at_s = now_ms(), now_s()
    doomed: list[tuple[Connection, str]] = []
    for conn in conns:
        assert conn.credential is not None
        kind, ident = conn.credential
        if kind == KEY:
            problem = key_problem(keys.get(ident), at_ms)
        else:
            problem = session_problem(sessions.get(ident), at_s)
        if problem is not None:
            doomed.append((conn, problem))
    return doomed


async def check_once(db: AuthDB, rooms: RoomRegistry) -> int:
    conns = open_sockets(rooms)
    if not conns:
        return 0
    doomed = await expired_sockets(db, conns)
    for conn, reason in doomed:
        await conn.close(WSCloseCode.POLICY_VIOLATION, reason)
    return len(doomed)


async def watch_forever(db: AuthDB, rooms: RoomRegistry, every_s: float = 1.0) -> None:
    while True:
        await asyncio.sleep(every_s)
        await check_once(db, rooms)
