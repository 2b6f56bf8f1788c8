"""The `nanodev` command: a thin layer of flags over the Python API.

Every command that touches state takes `--state-dir` (or NANODEV_STATE_DIR) and works whether
or not `nanodev up` is running there. Commands load on first use (click's lazy group), so
`nanodev --help` and `--version` import neither pydantic nor the server.
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click

from nanodev import __version__
from nanodev.cli.output import json_requested, run_json_mode, user_errors

# name → (module in nanodev.cli, attribute, the short help shown by `nanodev --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "up": ("up", "up", "Serve the page, the /__ws rewrite, the Worker and the rooms."),
    "users": ("accounts", "users", "Create and list users in the auth database."),
    "sessions": ("accounts", "sessions", "Create and list Better Auth sessions."),
    "keys": ("keys", "keys", "Create, list and revoke API keys (nk_…)."),
    "rooms": ("rooms", "rooms", "List rooms: owner, open sockets, size on disk."),
    "doctor": ("doctor", "doctor", "Run the handshake checklist and check the set-up."),
    "tail": ("tail", "tail", "Follow the running server's requests and handshakes."),
    "explain": ("explain", "explain", "Explain a HAR's handshakes offline (exit 1 if one failed)."),
    "reset": ("state", "reset", "Delete local data (refuses while nanodev up runs)."),
    "export": ("state", "export_cmd", "Write the auth tables and every room to a zip."),
    "import": ("state", "import_cmd", "Replace the databases with a snapshot's."),
    "sql": ("state", "sql_cmd", "Run one SQL statement against the server's own files."),
    "migrations": ("migrations", "migrations", "List, apply or mark the app's D1 migrations."),
}

EPILOG = """\b
Coming from wrangler or Vite:
  wrangler dev --persist-to DIR         nanodev up --state-dir DIR
  wrangler dev --ip HOST                nanodev up --host HOST
  wrangler d1 execute --local --command nanodev sql --auth "SELECT …"
  wrangler d1 migrations apply --local  automatic (./migrations, applied on change)
  vite server.proxy for /api and /ws    built in (the /__ws rewrite, --frontend URL)

\b
Shell completion (bash; zsh and fish alike):
  eval "$(_NANODEV_COMPLETE=bash_source nanodev)"
"""


class NanodevGroup(click.Group):
    """Loads each command's module only when that command runs (or its --help is asked for),
    and turns every failure into a clear message: text, or JSON under --json."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = COMMANDS.get(cmd_name)
        if found is None:  # one registered with add_command (loaded eagerly)
            return super().get_command(ctx, cmd_name)
        module = importlib.import_module(f"nanodev.cli.{found[0]}")
        command = getattr(module, found[1])
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from COMMANDS, so `nanodev --help` imports no command."""
        rows = [(name, short) for name, (_m, _a, short) in COMMANDS.items()]
        rows += [(n, c.get_short_help_str()) for n, c in self.commands.items() if n not in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        with user_errors():
            return super().invoke(ctx)

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not json_requested(argv) or extra.get("standalone_mode") is False:
            return super().main(argv, prog_name or "nanodev", **extra)
        extra.pop("standalone_mode", None)
        return run_json_mode(
            lambda: super(NanodevGroup, self).main(
                argv, prog_name or "nanodev", standalone_mode=False, **extra
            )
        )


@click.group(
    cls=NanodevGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EPILOG,
)
@click.version_option(__version__, "-V", "--version", prog_name="nanodev")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Local development for realtime Worker + Durable Object apps, in one process."""
    if ctx.invoked_subcommand != "up":  # `python -m nanodev` paused it for `up` (__main__.py)
        gc.enable()
