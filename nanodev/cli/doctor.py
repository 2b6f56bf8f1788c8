"""`nanodev doctor`: the handshake checklist."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from nanodev.cli.common import (
    json_option,
    state_dir_option,
)


@click.command()
@click.option("--url", default=None, help="Check this server (e.g. wrangler dev) instead.")
@click.option("--key", default=None, help="A valid nk_ key (with --url).")
@click.option("--expired-key", default=None, help="An expired key (with --url).")
@click.option("--revoked-key", default=None, help="A revoked key (with --url).")
@click.option("--cookie", default=None, help="A signed-in session cookie (with --url).")
@click.option("--session-token", default=None, help="A session's token (with --url).")
@click.option("--room", default=None, help="A room the key or cookie may open.")
@click.option("--ws-path", default="/__ws/websocket", show_default=True, help="Socket path.")
@click.option("--worker-port", type=int, default=None, help="Port the Vite proxy should target.")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per answer.")
@state_dir_option
@json_option
def doctor(url: str | None, state_dir: Path, as_json: bool, **given: Any) -> None:
    """Run the handshake checklist and check the working directory's set-up."""
    from nanodev.authdb import SeedError  # noqa: PLC0415
    from nanodev.doctor import render_text  # noqa: PLC0415
    from nanodev.doctor import run as api  # noqa: PLC0415 - keeps other commands quick to start

    options = api.DoctorOptions(url=url or "", workdir=Path.cwd(), **given)
    try:
        if url is None:
            page, worker_port = api.local_target(state_dir)
            options = replace(options, url=page, worker_port=given["worker_port"] or worker_port)
            report = asyncio.run(api.run_local(state_dir, options))
        else:
            report = asyncio.run(api.run_doctor(options))
    except (api.DoctorError, SeedError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(report.to_json()) if as_json else "\n".join(render_text(report)))
    sys.exit(report.exit_code)


# -- tail -----------------------------------------------------------------------------------
