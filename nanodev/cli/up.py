"""`nanodev up`: settings from flags, the environment and nanodev.toml, then the server."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from nanodev.cli.common import (
    CONFIG_FILE,
    SPAWNED,
    origin_flag,
    state_dir_option,
)
from nanodev.settings import Settings, env_values, load_toml
from nanodev.state import discover_defaults


def help_for(field: str) -> str:
    return Settings.model_fields[field].description or ""


@click.command()
@click.option("--host", default=None, help=help_for("host"))
@click.option("--port", type=int, default=None, help=help_for("port"))
@click.option("--worker-port", type=int, default=None, help=help_for("worker_port"))
@click.option(
    "--static", "static_dir", type=click.Path(path_type=Path), help=help_for("static_dir")
)
@click.option("--frontend", "frontend_url", default=None, help=help_for("frontend_url"))
@click.option("--upstream", default=None, callback=origin_flag, help=help_for("upstream"))
@click.option("--hooks", type=click.Path(path_type=Path, dir_okay=False), help=help_for("hooks"))
@click.option(
    "--migrations",
    "migrations_dir",
    type=click.Path(path_type=Path),
    help=help_for("migrations_dir"),
)
@click.option(
    "--reload-sockets", type=click.Choice(["keep", "close"]), help=help_for("reload_sockets")
)
@state_dir_option
@click.option("--ephemeral", is_flag=True, default=None, help=help_for("ephemeral"))
@click.option("--hibernate-after", type=float, default=None, help=help_for("hibernate_after"))
@click.option(
    "--export-on-exit",
    type=click.Path(path_type=Path, dir_okay=False),
    help=help_for("export_on_exit"),
)
@click.option(
    "--no-record",
    "record",
    flag_value=False,
    default=None,
    help="Do not record frames for the inspector (requests and handshakes are still logged).",
)
@click.option(
    "--quiet",
    "log_requests",
    flag_value=False,
    default=None,
    help="Do not print a line per request.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default=None,
    help=help_for("log_format"),
)
@click.option(
    "--no-page-probe",
    "page_probe",
    flag_value=False,
    default=None,
    help="Do not inject the page probe (/__nanodev/probe.js) into served HTML.",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=f"Settings file (default: ./{CONFIG_FILE} when present).",
)
def up(config: Path | None, **flags: Any) -> None:
    """Serve the frontend, the /__ws rewrite, the emulated Worker and the rooms."""
    # Loading the server builds ~50,000 long-lived objects and no garbage, which the cyclic
    # collector would scan over and over (a tenth of start-up): paused until `serve` listens
    # (serve.resume_collection), and resumed here on every way out.
    gc.disable()
    try:
        from nanodev.serve import run  # noqa: PLC0415 - keeps `nanodev keys …` quick to start

        code = run(build_settings(config, flags), spawned=SPAWNED)
    finally:
        gc.enable()
    sys.exit(code)


def build_settings(config: Path | None, flags: dict[str, Any]) -> Settings:
    values: dict[str, Any] = {}
    path = config or (Path(CONFIG_FILE) if Path(CONFIG_FILE).exists() else None)
    if path is not None:
        try:
            values.update(load_toml(path))
        except (OSError, ValueError) as exc:
            raise click.UsageError(f"cannot read {path}: {exc}") from None
    values.update(env_values())  # the environment overrides the file, flags override both
    ctx = click.get_current_context()
    for name, value in flags.items():
        source = ctx.get_parameter_source(name)
        if value is not None and (
            source is not click.core.ParameterSource.DEFAULT or name not in values
        ):
            values[name] = value
    values.update(discover_defaults(values, Path.cwd()))
    if path is not None:
        values["config_path"] = path
    try:
        return Settings(**values)
    except ValidationError as exc:
        lines = [
            f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
        raise click.UsageError("invalid settings: " + "; ".join(lines)) from None
