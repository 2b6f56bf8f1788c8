"""`nanodev tail`: follow a running server's requests and handshakes."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from nanodev.cli.common import (
    state_dir_option,
)


@click.command()
@click.option(
    "--filter",
    "expression",
    default="",
    help="e.g. 'status=4xx path=/__ws room=my-room outcome=refused ws' plus words to match.",
)
@state_dir_option
def tail(expression: str, state_dir: Path) -> None:
    """Follow the running server's requests and handshakes (its inspector's live feed)."""
    from nanodev.inspector import FlowFilter, follow  # noqa: PLC0415 - quick start for others
    from nanodev.state import read_server_info  # noqa: PLC0415

    info = read_server_info(state_dir)
    if info is None:
        raise click.ClickException(
            f"no nanodev is running on {state_dir.resolve()} (start one with nanodev up, "
            "or pass --state-dir)"
        )
    try:
        code = asyncio.run(follow(str(info["page_url"]), FlowFilter.parse(expression), sys.stdout))
    except KeyboardInterrupt:
        code = 0
    sys.exit(code)
