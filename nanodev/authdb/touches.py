"""Batched `last_used_at` / `last_accessed_at` updates for the auth DB.

Production updates them in the background (`waitUntil`). Doing one UPDATE + COMMIT per
handshake would put a write on every connection's critical path; instead the newest time per
key and per room is kept in memory and written in one transaction every second (and at
shutdown), so the columns are at most a second stale.
"""

from __future__ import annotations

import asyncio

from nanodev.authdb.db import AuthDB


class Touches:
    def __init__(self, db: AuthDB) -> None:
        self.db = db
        self._keys: dict[str, int] = {}
        self._rooms: dict[tuple[str, str], int] = {}

    def key_used(self, key_id: str, at_ms: int) -> None:
        self._keys[key_id] = at_ms

    def room_accessed(self, room_id: str, user_id: str, at_ms: int) -> None:
        self._rooms[(room_id, user_id)] = at_ms

    @property
    def pending(self) -> int:
        return len(self._keys) + len(self._rooms)

    async def flush(self) -> None:
        keys, rooms = self._keys, self._rooms
        if not keys and not rooms:
            return
        self._keys, self._rooms = {}, {}
        conn = self.db.conn
        await conn.executemany(
            "UPDATE api_keys SET last_used_at = ? WHERE id = ?",
            [(at, key) for key, at in keys.items()],
        )
        await conn.executemany(
            "UPDATE rooms SET last_accessed_at = ? WHERE id = ? AND user_id = ?",
            [(at, room, user) for (room, user), at in rooms.items()],
        )
        await conn.commit()

    async def flush_forever(self, every_s: float = 1.0) -> None:
        while True:
            await asyncio.sleep(every_s)
            await self.flush()
