"""`nanodev tail`: follow a running server's requests and handshakes."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

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
        code = asyncio.run(
            until_signal(follow(str(info["page_url"]), FlowFilter.parse(expression), sys.stdout))
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
