"""`nanodev explain FILE.har`: why the captured handshakes failed, read offline from a HAR."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from nanodev.cli.common import json_option
from nanodev.cli.output import emit
from nanodev.errors import UserError


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@json_option
def explain(file: Path, as_json: bool) -> None:
    """Explain FILE.har's WebSocket handshakes and failed requests (exit 1 if a handshake failed).

    Save the HAR from the browser's Network panel (Chrome: right-click, Save all as HAR),
    against the deployed app or nanodev; no server is needed.
    """
    from nanodev.inspector import HarError, explain_har, render_text  # noqa: PLC0415

    data = _read(file)
    try:
        report = explain_har(data)
    except HarError as exc:
        raise UserError(
            f"{file} is not a HAR nanodev can read: {exc}",
            "Save it from the browser's Network panel (Save all as HAR) and try again",
            "bad_har",
        ) from None
    if as_json:
        emit({"file": str(file), **report.to_json()})
    else:
        click.echo(render_text(report, str(file)), nl=False)
    sys.exit(1 if report.failed else 0)


def _read(file: Path) -> object:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(
            f"{file}: no such file", "Give the path of a .har file", "no_file"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            f"cannot read {file}: {exc}", "Give a readable .har file", "bad_file"
        ) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UserError(
            f"{file} is not JSON ({exc})",
            "A HAR file is JSON: save it again from the browser's Network panel",
            "bad_har",
        ) from None
