"""`nanodev explain FILE.har`: one fixture per explanation, in text and --json, with exit codes
(1 when a handshake failed), and clear errors for files that are no HAR."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nanodev.cli import main
from tests.inspector.har.chrome import DEPLOYED, chrome_entry, chrome_har, ws_url

CHROME = Path(__file__).parent.parent / "inspector" / "har" / "chrome-deployed.har"
COOKIE = {"Cookie": "better-auth.session_token=abcdefghijklmnop.sig"}


def explain(tmp_path: Path, har: dict[str, Any], *flags: str) -> tuple[int, str]:
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(har))
    result = CliRunner().invoke(main, ["explain", str(path), *flags])
    return result.exit_code, result.output


CASES: dict[str, tuple[dict[str, Any], int, str, str]] = {
    "empty room_id": (
        chrome_har(chrome_entry(ws_url("room_id="), 400, headers=COOKIE)),
        1,
        "room_id is present but empty",
        "only open the socket when it is non-empty",
    ),
    "missing room_id": (
        chrome_har(chrome_entry(ws_url(""), 400, body="Missing room_id query parameter")),
        1,
        "room_id query parameter is missing",
        "create the socket only once the room is known",
    ),
    "401 from the body": (
        chrome_har(
            chrome_entry(
                ws_url("room_id=abc&key=nk_live_abcdefgh1234"), 401, body="Invalid API key"
            )
        ),
        1,
        "the Worker has no such API key",
        "deployed app's API keys page",
    ),
    "401 from the status alone": (
        chrome_har(chrome_entry(ws_url("room_id=abc"), 401)),
        1,
        "the capture holds no body",
        "curl -i",
    ),
    "403 another user's room": (
        chrome_har(
            chrome_entry(
                ws_url("room_id=abc"), 403, body="Forbidden: room 'abc' belongs to another user"
            )
        ),
        1,
        "registered to another user",
        "a room you own",
    ),
    "cross-site Origin": (
        chrome_har(
            chrome_entry(
                ws_url("room_id=abc"), 403, headers={**COOKIE, "Origin": "https://evil.example"}
            )
        ),
        1,
        "came from Origin 'https://evil.example', another site",
        "app's own host",
    ),
    "/__ws on a production origin": (
        chrome_har(
            chrome_entry(ws_url("room_id=abc", "/__ws/websocket"), 200, body="<!doctype html>")
        ),
        1,
        "keeps the dev server's /__ws prefix on " + DEPLOYED,
        f"wss://{DEPLOYED}/websocket in production",
    ),
    "close code": (
        chrome_har(
            chrome_entry(ws_url("room_id=abc"), 101)
            | {"_webSocketClose": {"code": 1008, "reason": "API key revoked", "by": "server"}}
        ),
        0,
        "closed by nanodev with 1008 (policy violation",
        "reconnect with a valid key or session",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_each_explanation_in_text_and_json(tmp_path: Path, case: str) -> None:
    har, code, cause, fix = CASES[case]
    status, text = explain(tmp_path, har)
    assert status == code, text
    assert cause in text and fix in text
    assert ("FAIL #1" in text) == (code == 1)
    status, out = explain(tmp_path, har, "--json")
    assert status == code
    report = json.loads(out)
    assert report["failed"] is (code == 1)
    (finding,) = report["findings"]
    assert cause in finding["cause"] and fix in finding["fix"]
    assert finding["websocket"] is True and finding["url"].startswith("wss://" + DEPLOYED)


def test_the_room_less_reconnect_loop_in_a_chrome_har(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nanodev", "explain", str(CHROME), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["entries"] == 6 and report["handshakes"] == 4
    (loop,) = report["patterns"]
    assert loop["url"] == "/websocket" and loop["count"] == 3
    assert "partysocket keeps reconnecting" in loop["cause"]
    text = subprocess.run(
        [sys.executable, "-m", "nanodev", "explain", str(CHROME)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert text.returncode == 1 and "LOOP /websocket x3" in text.stdout


def test_a_har_without_failures_exits_0(tmp_path: Path) -> None:
    har = chrome_har(
        chrome_entry(f"https://{DEPLOYED}/", 200, mime="text/html", body="<html>"),
        chrome_entry(ws_url("room_id=abc"), 101),
    )
    status, text = explain(tmp_path, har)
    assert status == 0 and "1 WebSocket handshakes (0 failed)" in text and "ok   #2" in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ('{"entries": []}', "is not a HAR nanodev can read: not a HAR file"),
        ('{"log": {"entries": [1]}}', "entry #0"),
    ],
)
def test_a_file_that_is_no_har_is_one_clear_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.har"
    path.write_text(content)
    result = subprocess.run(
        [sys.executable, "-m", "nanodev", "explain", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and message in result.stderr
    assert "Traceback" not in result.stderr and "Network panel" in result.stderr
    missing = CliRunner().invoke(main, ["explain", str(tmp_path / "none.har")])
    assert missing.exit_code == 1 and "no such file" in missing.output
