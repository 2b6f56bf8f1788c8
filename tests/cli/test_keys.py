"""`nanodev keys`: input refused up front, with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nanodev.cli import main


def run(state: Path, *args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(main, [*args, "--state-dir", str(state), "--json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(
    ("room", "code"),
    [
        ("x", "ROOM_ID_TOO_SHORT"),
        ("a" * 51, "ROOM_ID_TOO_LONG"),
        ("my room!", "ROOM_ID_BAD_CHARACTERS"),
        ("   ", "ROOM_ID_BLANK"),
    ],
)
def test_create_checks_room_with_the_servers_rules(tmp_path: Path, room: str, code: str) -> None:
    exit_code, doc = run(tmp_path, "keys", "create", "--user", "k@example.com", "--room", room)
    assert exit_code == 1 and doc["code"] == code
    assert "--room" in str(doc["error"]) and doc["hint"]
    assert not (tmp_path / "d1" / "AUTH_DB.sqlite").exists()  # refused before any write


def test_create_accepts_a_valid_room_and_prints_it(tmp_path: Path) -> None:
    exit_code, doc = run(tmp_path, "keys", "create", "--user", "k@example.com", "--room", "ok_1")
    assert exit_code == 0 and "room_id=ok_1&key=nk_" in str(doc["ws_url"])
    assert doc["scopes"] == ["read", "write"] and doc["user_created"] is True


def test_revoke_tells_already_revoked_from_no_such_key(tmp_path: Path) -> None:
    run(tmp_path, "keys", "create", "--user", "k@example.com", "--id", "nk_test_twice")
    assert run(tmp_path, "keys", "revoke", "nk_test_twice")[0] == 0
    again = run(tmp_path, "keys", "revoke", "nk_test_twice")
    assert again[0] == 1 and again[1]["code"] == "already_revoked"
    assert "already revoked" in str(again[1]["error"])
    missing = run(tmp_path, "keys", "revoke", "nk_test_never")
    assert missing[0] == 1 and missing[1]["code"] == "no_such_key"


def test_list_scopes_are_lists(tmp_path: Path) -> None:
    run(tmp_path, "keys", "create", "--user", "k@example.com", "--scopes", "read,admin")
    exit_code, rows = run(tmp_path, "keys", "list")
    assert exit_code == 0 and isinstance(rows, list)
    assert rows[0]["scopes"] == ["read", "admin"]
