"""`nanodev tail`'s flags: a filter that could never match is refused, and --help names the
fields."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from nanodev.cli import main


def test_bad_filters_are_refused_before_connecting(tmp_path: Path) -> None:
    for expression in ("status=abc", "colour=red", "outcome=maybe"):
        result = CliRunner().invoke(
            main, ["tail", "--filter", expression, "--state-dir", str(tmp_path), "--json"]
        )
        assert result.exit_code == 1
        assert json.loads(result.stdout)["code"] == "bad_filter", result.stdout


def test_help_lists_the_fields() -> None:
    out = CliRunner().invoke(main, ["tail", "--help"]).stdout
    for field in ("status=", "path=", "room=", "outcome=", "q=", "ws"):
        assert field in out
