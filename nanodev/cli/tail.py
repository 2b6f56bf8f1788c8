"""`nanodev tail`: follow a running server's requests and handshakes."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from nanodev.cli.common import json_option, state_dir_option
from nanodev.cli.output import CliError

# Written out (not imported) so `nanodev tail --help` loads no inspector module; a test checks
# it against nanodev.inspector.FIELDS.
FILTER_HELP = (
    "Fields: status= (404, 4xx, 101, error, none), path= (part of the path), room= (room id), "
    "outcome= (allowed, refused, error, none), q= (text), ws (WebSocket only); other words "
    "must appear in the line. e.g. 'status=4xx path=/__ws room=my-room outcome=refused ws'."
)


@click.command()
@click.option("--filter", "expression", default="", help=FILTER_HELP)
@state_dir_option
@json_option
def tail(expression: str, state_dir: Path, as_json: bool) -> None:
    """Follow the running server's requests, handshakes and socket closes, as `nanodev up`
    prints them; with --json one object per line (the fields of `up --log-format json`)."""
    from nanodev.inspector import FilterError, FlowFilter, follow  # noqa: PLC0415
    from nanodev.state import read_server_info  # noqa: PLC0415

    try:
        filt = FlowFilter.parse(expression)
    except FilterError as exc:
        raise CliError(str(exc), "see nanodev tail --help for the fields", "bad_filter") from None
    info = read_server_info(state_dir)
    if info is None:
        raise CliError(
            f"no nanodev is running on {state_dir.resolve()}",
            "start one with nanodev up, or pass --state-dir",
            "no_server",
        )
    try:
        code = asyncio.run(
            follow(str(info["page_url"]), filt, sys.stdout, "json" if as_json else "text")
        )
    except KeyboardInterrupt:
        code = 0
    sys.exit(code)
