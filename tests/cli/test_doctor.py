"""`nanodev doctor`'s flags: --url without a scheme, and nothing listening."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from nanodev.cli import main
from nanodev.cli.doctor import with_scheme
from nanodev.cli.output import CliError


def test_url_without_a_scheme_is_http() -> None:
    assert with_scheme("127.0.0.1:8787") == "http://127.0.0.1:8787"
    assert with_scheme("https://localhost:8787") == "https://localhost:8787"
    with pytest.raises(CliError, match="not an http"):
        with_scheme("ftp://127.0.0.1:21")


def test_nothing_listening_says_so(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago, and is closed now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = CliRunner().invoke(main, ["doctor", "--url", f"127.0.0.1:{port}", "--json"])
    doc = json.loads(result.stdout)
    assert result.exit_code == 1 and doc["code"] == "unreachable"
    assert doc["error"] == f"nothing answers at http://127.0.0.1:{port}"
    assert "nanodev up" in doc["hint"] and "--url" in doc["hint"]


def test_no_server_on_the_state_dir_is_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["doctor", "--state-dir", str(tmp_path), "--json"])
    assert result.exit_code == 1 and json.loads(result.stdout)["code"] == "no_server"
