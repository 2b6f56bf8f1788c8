"""The `nanodev` command: a thin layer of flags over the Python API.

Every command that touches state takes `--state-dir` (or NANODEV_STATE_DIR) and works whether
or not `nanodev up` is running there.
"""

from __future__ import annotations

import gc

import click

from nanodev import __version__
from nanodev.cli import accounts, doctor, migrations, state, tail, up
from nanodev.errors import UserError


class NanodevGroup(click.Group):
    """Every command's `UserError` (a bad file, flag or state directory) ends as one line and
    its hint, with exit code 1, never as a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UserError as err:
            text = f"{err.message}\n  {err.hint}" if err.hint else err.message
            raise click.ClickException(text) from None


@click.group(cls=NanodevGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nanodev")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Local development for realtime Worker + Durable Object apps, in one process."""
    if ctx.invoked_subcommand != "up":  # `python -m nanodev` paused it for `up` (__main__.py)
        gc.enable()


for command in (
    up.up,
    accounts.users,
    accounts.sessions,
    accounts.keys,
    doctor.doctor,
    tail.tail,
    state.reset,
    state.export_cmd,
    state.import_cmd,
    state.sql_cmd,
    migrations.migrations,
):
    main.add_command(command)
