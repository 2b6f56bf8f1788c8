"""The `nanodev` group: -V, commands loaded only when used, errors under --json."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import click
from click.testing import CliRunner

from nanodev import __version__
from nanodev.cli import COMMANDS, NanodevGroup, main


def test_version_short_and_long() -> None:
    for flag in ("-V", "--version"):
        result = CliRunner().invoke(main, [flag])
        assert result.exit_code == 0 and result.stdout == f"nanodev, version {__version__}\n"


def test_help_and_version_import_no_command_and_no_pydantic() -> None:
    probe = (
        "import sys\n"
        "from nanodev.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('pydantic', 'nanodev.cli.',"
        " 'aiohttp', 'aiosqlite')))\n"
        "print(loaded, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert "Commands:" in result.stdout
    for name in COMMANDS:
        assert f"  {name} " in result.stdout  # listed without importing it
    assert result.stderr.strip() == "['nanodev.cli.output']"


def test_an_unknown_command_under_json_is_json() -> None:
    result = CliRunner().invoke(main, ["frobnicate", "--json"])
    doc = json.loads(result.stdout)
    assert result.exit_code == 2 and doc["code"] == "usage" and "frobnicate" in doc["error"]


def test_a_command_added_with_add_command_is_listed_and_found() -> None:
    group = NanodevGroup("nanodev")
    group.add_command(click.Command("extra", help="An eagerly added command."))
    ctx = click.Context(group)
    assert group.list_commands(ctx)[-1] == "extra"
    assert group.get_command(ctx, "extra") is group.commands["extra"]
    assert re.search(r"\n  extra +An eagerly added command\.", group.get_help(ctx))


def test_shell_completion_finds_lazily_loaded_commands() -> None:
    env = {**os.environ, "_NANODEV_COMPLETE": "bash_complete", "COMP_CWORD": "2"}
    result = subprocess.run(
        [sys.executable, "-c", "from nanodev.cli import main; main()"],
        env={**env, "COMP_WORDS": "nanodev keys cr"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == ["plain,create"]
