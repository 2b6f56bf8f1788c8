"""`nanodev doctor`: the handshake checklist."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from nanodev.cli.common import json_option, state_dir_option
from nanodev.cli.output import CliError


@click.command()
@click.option(
    "--url",
    default=None,
    callback=lambda ctx, param, value: with_scheme(value),
    help="Check this server (e.g. wrangler dev: 127.0.0.1:8787) instead; http:// if no scheme.",
)
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
            answers_at(page, "start nanodev up again (its server.json is stale) or pass --url")
            report = asyncio.run(api.run_local(state_dir, options))
        else:
            answers_at(url, "start nanodev up (or your wrangler dev), or pass the right --url")
            report = asyncio.run(api.run_doctor(options))
    except (api.DoctorError, SeedError) as exc:
        raise CliError(str(exc), code="no_server") from None
    click.echo(json.dumps(report.to_json()) if as_json else "\n".join(render_text(report)))
    sys.exit(report.exit_code)


def with_scheme(url: str | None) -> str | None:
    """`127.0.0.1:8787` is read as http://127.0.0.1:8787; other schemes than http(s) are refused."""
    if url is None:
        return None
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CliError(
            f"--url {url!r} is not an http(s) address",
            "pass the server's address, e.g. --url http://127.0.0.1:8787",
            "bad_parameter",
        )
    return url


def answers_at(url: str, hint: str) -> None:
    """Refuse up front when nothing listens at `url`, instead of a failed check per step."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=3):
            pass
    except OSError:
        raise CliError(f"nothing answers at {url}", hint, "unreachable") from None


# -- tail -----------------------------------------------------------------------------------
