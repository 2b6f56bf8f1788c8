"""`nanodev up` run from a folder shaped like the app's: its migrations/ picked up, a clean start,
every file recorded in d1_migrations, and the columns the app and nanodev both need."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import aiohttp

from tests.authdb.test_schema import APP, FILES
from tests.conftest import Proc, free_port


async def test_up_in_the_app_folder_applies_its_migrations_cleanly(tmp_path: Path) -> None:
    shutil.copytree(APP, tmp_path / "migrations")  # ./migrations of the working directory
    proc = Proc(tmp_path / "state", free_port(), []).start()
    try:
        card = "".join(proc.output)
        # The migrated schema serves the Worker: a key made now opens a room.
        made = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "nanodev", "keys", "create", "--user", "a@example.com",
             "--state-dir", str(tmp_path / "state"), "--json"],
            capture_output=True, text=True, check=True, cwd=tmp_path,
        )  # fmt: skip
        key = json.loads(made.stdout)["id"]
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(proc.ws_url(room_id="notes", key=key)) as ws,
        ):
            assert (await ws.receive_json(timeout=5)) == {"type": "reset"}
    finally:
        assert proc.stop() == 0
    assert "Migrations 7 applied, 0 pending" in card, card
    assert "added for local use: api_keys.expires_at, api_keys.revoked_at" in card
    assert "FAILED" not in card and "rolled back" not in card and "Traceback" not in card
    with closing(sqlite3.connect(tmp_path / "state" / "d1" / "AUTH_DB.sqlite")) as db, db:
        recorded = [r[0] for r in db.execute("SELECT name FROM d1_migrations ORDER BY id")]
        cols = {
            t: [r[1] for r in db.execute(f'PRAGMA table_info("{t}")')]
            for t in ("user", "api_keys", "rooms", "plan_limits", "permissions")
        }
    assert recorded == FILES
    assert cols["user"][-1] == "tier" and "scopes" in cols["api_keys"]
    assert {"expires_at", "revoked_at"} <= set(cols["api_keys"])
    assert cols["rooms"] == ["id", "user_id", "name", "created_at", "last_accessed_at"]
    assert cols["permissions"][:2] == ["id", "user_id"] and cols["plan_limits"]
