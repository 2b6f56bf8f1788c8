"""`nanodev tail`: follow a running server's requests and handshakes."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

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
            until_signal(
                follow(str(info["page_url"]), filt, sys.stdout, "json" if as_json else "text")
            )
        )
    except KeyboardInterrupt:
        code = 0
    sys.exit(code)


async def until_signal(work: Coroutine[Any, Any, int]) -> int:
    """Run `work` until it ends or SIGINT/SIGTERM arrives (then 0). Handlers of its own, as
    `up` has: a process started with SIGINT ignored (a script's background job) would
    otherwise never stop on Ctrl-C."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
