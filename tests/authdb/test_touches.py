"""Batched last_used_at / last_accessed_at writes, against a real auth DB file."""

from pathlib import Path

from nanodev.authdb.db import open_auth_db
from nanodev.authdb.touches import Touches


async def test_latest_time_wins_and_one_flush_writes_all(tmp_path: Path) -> None:
    async with open_auth_db(tmp_path / "AUTH_DB.sqlite") as db:
        user = await db.create_user("t@example.com", "T")
        await db.create_key(user.id, key_id="nk_test_a")
        await db.register_room("room-1", user.id, 1)
        touches = Touches(db)
        touches.key_used("nk_test_a", 100)
        touches.key_used("nk_test_a", 200)
        touches.room_accessed("room-1", user.id, 300)
        assert touches.pending == 2
        await touches.flush()
        assert touches.pending == 0
        keys = await db.list_keys()
        assert keys[0]["last_used_at"] == 200
        rows = await db._all("SELECT last_accessed_at FROM rooms WHERE id = 'room-1'")
        assert rows[0][0] == 300
        await touches.flush()  # nothing pending: a no-op
