"""The front door's answer when a hop fails: the user's problem in words (503, before any 101),
nanodev's own bug as a 500; either way only this request fails."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import aiohttp
import pytest

from nanodev.errors import missing_table
from tests.conftest import Nano


def test_missing_table_is_the_users_to_fix_and_nothing_else_is() -> None:
    problem = missing_table(sqlite3.OperationalError("no such table: api_keys"))
    assert problem is not None and problem.code == "missing_table"
    assert "no such table: api_keys" in problem.message
    assert "nanodev migrations apply" in problem.hint
    assert missing_table(sqlite3.OperationalError("database is locked")) is None
    assert missing_table(ValueError("no such table: x")) is None


async def test_a_table_a_failed_migration_did_not_create_is_a_503_in_words(nano: Nano) -> None:
    """As after a migration that failed at start: the key handshake needs api_keys."""
    key = await nano.key()
    with closing(sqlite3.connect(nano.core.settings.auth_db_path)) as db, db:
        db.execute("DROP TABLE api_keys")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await nano.session.ws_connect(nano.ws_url(room_id="my-room", key=key))
    assert refused.value.status == 503
    async with nano.session.get(nano.base + "/__nanodev/api/flows") as resp:
        row = (await resp.json())["flows"][0]
    assert row["status"] == 503
    assert "no such table: api_keys" in row["cause"]
    async with nano.session.get(nano.base + "/health") as resp:  # the server lives on
        assert resp.status == 200
