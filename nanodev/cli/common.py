"""What every command shares: the --state-dir and --json options, running work against the
auth database, durations and times."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from nanodev.cli.output import CliError
from nanodev.ids import parse_duration

if TYPE_CHECKING:
    from nanodev.authdb import AuthDB

T = TypeVar("T")
SPAWNED = time.perf_counter()
CONFIG_FILE = "nanodev.toml"
# Settings.state_dir's description, written out so commands other than `up` need no pydantic.
STATE_DIR_HELP = "Where the auth DB and room stores live."


# One instance for every command: each click.Path looks up its translated names on the disk.
STATE_DIR_TYPE = click.Path(path_type=Path, file_okay=False)


def state_dir_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--state-dir",
        type=STATE_DIR_TYPE,
        envvar="NANODEV_STATE_DIR",
        default=Path(".nanodev"),
        show_default=True,
        help=STATE_DIR_HELP,
    )(fn)


def json_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(fn)


def with_db(state_dir: Path, work: Callable[[AuthDB], Awaitable[T]]) -> T:
    from nanodev.authdb import SeedError, open_auth_db  # noqa: PLC0415 - loaded when used

    # Like `nanodev up` run from here: seeding a fresh state directory in the app's folder must
    # not give it the built-in schema its migrations would then collide with.
    migrations = Path("migrations") if Path("migrations").is_dir() else None

    async def runner() -> T:
        async with open_auth_db(state_dir / "d1" / "AUTH_DB.sqlite", migrations) as db:
            return await work(db)

    try:
        return asyncio.run(runner())
    except SeedError as exc:
        raise CliError(str(exc), code="refused") from None


def duration(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def ms_to_iso(ms: int | None) -> str:
    if ms is None:
        return "never"
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def origin_flag(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An http(s) origin such as http://127.0.0.1:8787, checked before anything starts."""
    if value is None:
        return None
    from nanodev.frontend import normalize_origin  # noqa: PLC0415

    try:
        return normalize_origin(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
