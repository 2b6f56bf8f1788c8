from __future__ import annotations

import shlex

from nanodev.inspector.copyas import curl_command, request_url, websocat_command

HEADERS = {
    "host": "127.0.0.1:3000",
    "upgrade": "websocket",
    "connection": "Upgrade",
    "origin": "http://127.0.0.1:3000",
    "cookie": "better-auth.session_token=abcd…wxyz",
}


def test_url() -> None:
    assert request_url("localhost:3000", "/x", "a=1") == "http://localhost:3000/x?a=1"
    assert request_url("", "/x", "", websocket=True) == "ws://127.0.0.1/x"


def test_curl_for_a_handshake_is_a_raw_upgrade_with_fingerprint_note() -> None:
    cmd = curl_command("GET", "127.0.0.1:3000", "/__ws/websocket", "room_id=", HEADERS)
    note, line = cmd.split("\n")
    assert "fingerprints" in note
    args = shlex.split(line)
    assert args[:2] == ["curl", "-i"]
    assert "Upgrade: websocket" in args
    assert "Cookie" not in args  # header names keep their recorded (lowercase) spelling
    assert "cookie: better-auth.session_token=abcd…wxyz" in args
    assert args[-1] == "http://127.0.0.1:3000/__ws/websocket?room_id="


def test_curl_plain_post_has_no_note() -> None:
    cmd = curl_command("POST", "localhost:3000", "/api/x", "", {"content-type": "text/plain"})
    assert shlex.split(cmd) == [
        "curl",
        "-i",
        "-X",
        "POST",
        "-H",
        "content-type: text/plain",
        "http://localhost:3000/api/x",
    ]


def test_websocat_moves_origin_to_its_flag_and_quotes_hostile_text() -> None:
    cmd = websocat_command("127.0.0.1:3000", "/__ws/websocket", "room_id=a'b;rm", HEADERS)
    args = shlex.split(cmd.split("\n", 1)[1])
    assert args[0] == "websocat"
    assert args[args.index("--origin") + 1] == "http://127.0.0.1:3000"
    assert args[-1] == "ws://127.0.0.1:3000/__ws/websocket?room_id=a'b;rm"
