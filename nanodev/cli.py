"""The `nanodev` command: a thin layer of flags over the Python API.

Every command that touches state takes `--state-dir` (or NANODEV_STATE_DIR) and works whether
or not `nanodev up` is running there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from . import __version__
from .d1 import AuthDB, open_auth_db
from .discovery import discover_defaults
from .ids import parse_duration
from .settings import Settings, env_values, load_toml

T = TypeVar("T")
_SPAWNED = time.perf_counter()
CONFIG_FILE = "nanodev.toml"


def _help(field: str) -> str:
    return Settings.model_fields[field].description or ""


# One instance for every command: each click.Path looks up its translated names on the disk.
STATE_DIR_TYPE = click.Path(path_type=Path, file_okay=False)


def state_dir_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--state-dir",
        type=STATE_DIR_TYPE,
        envvar="NANODEV_STATE_DIR",
        default=Path(".nanodev"),
        show_default=True,
        help=_help("state_dir"),
    )(fn)


def json_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(fn)


def with_db(state_dir: Path, work: Callable[[AuthDB], Awaitable[T]]) -> T:
    from .seeding import SeedError  # noqa: PLC0415 - seeding is not on `up`'s path

    async def runner() -> T:
        async with open_auth_db(state_dir / "d1" / "AUTH_DB.sqlite") as db:
            return await work(db)

    try:
        return asyncio.run(runner())
    except SeedError as exc:
        raise click.UsageError(str(exc)) from None


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


def _origin_flag(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An http(s) origin such as http://127.0.0.1:8787, checked before anything starts."""
    if value is None:
        return None
    from .proxy import normalize_origin  # noqa: PLC0415

    try:
        return normalize_origin(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nanodev")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Local development for realtime Worker + Durable Object apps, in one process."""
    if ctx.invoked_subcommand != "up":  # `python -m nanodev` paused it for `up` (__main__.py)
        gc.enable()


@main.command()
@click.option("--host", default=None, help=_help("host"))
@click.option("--port", type=int, default=None, help=_help("port"))
@click.option("--worker-port", type=int, default=None, help=_help("worker_port"))
@click.option("--static", "static_dir", type=click.Path(path_type=Path), help=_help("static_dir"))
@click.option("--frontend", "frontend_url", default=None, help=_help("frontend_url"))
@click.option("--upstream", default=None, callback=_origin_flag, help=_help("upstream"))
@click.option("--hooks", type=click.Path(path_type=Path, dir_okay=False), help=_help("hooks"))
@click.option(
    "--migrations", "migrations_dir", type=click.Path(path_type=Path), help=_help("migrations_dir")
)
@click.option(
    "--reload-sockets", type=click.Choice(["keep", "close"]), help=_help("reload_sockets")
)
@state_dir_option
@click.option("--ephemeral", is_flag=True, default=None, help=_help("ephemeral"))
@click.option("--hibernate-after", type=float, default=None, help=_help("hibernate_after"))
@click.option(
    "--export-on-exit",
    type=click.Path(path_type=Path, dir_okay=False),
    help=_help("export_on_exit"),
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
        from .serve import run  # noqa: PLC0415 - keeps `nanodev keys …` quick to start

        code = run(build_settings(config, flags), spawned=_SPAWNED)
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
        lines = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise click.UsageError("invalid settings: " + "; ".join(lines)) from None


# -- users ----------------------------------------------------------------------------------
@main.group()
def users() -> None:
    """Create users in the auth database."""


@users.command("create")
@click.argument("email")
@click.option("--name", default=None, help="Display name (default: the email's local part).")
@click.option("--password", default=None, help="Password for email sign-in (scrypt-hashed).")
@state_dir_option
@json_option
def users_create(
    email: str, name: str | None, password: str | None, state_dir: Path, as_json: bool
) -> None:
    """Create a user (or show the existing one with that email)."""
    if password is not None and not 8 <= len(password) <= 128:
        raise click.BadParameter(
            "passwords are 8 to 128 characters (as Better Auth requires)", param_hint="--password"
        )
    from .seeding import ensure_user  # noqa: PLC0415

    user, created = with_db(state_dir, lambda db: ensure_user(db, email, name, password))
    if as_json:
        click.echo(
            json.dumps({"id": user.id, "email": user.email, "name": user.name, "created": created})
        )
    else:
        click.echo(f"{'created' if created else 'exists '} {user.email}  id={user.id}")


# -- sessions -------------------------------------------------------------------------------
@main.group()
def sessions() -> None:
    """Create Better Auth sessions (signed cookies) for testing."""


@sessions.command("create")
@click.option("--user", "email", required=True, help="User email (created if missing).")
@click.option("--expires-in", default="7d", show_default=True, help="Lifetime, e.g. 2h, 7d.")
@state_dir_option
@json_option
def sessions_create(email: str, expires_in: str, state_dir: Path, as_json: bool) -> None:
    """Create a session and print its token and the Cookie header to send."""
    from .seeding import create_session  # noqa: PLC0415

    ttl = duration(expires_in, "--expires-in") or 0
    seed = with_db(state_dir, lambda db: create_session(db, state_dir, email, ttl))
    if as_json:
        click.echo(json.dumps(seed.to_json()))
        return
    click.echo(f"session for {seed.email}, expires {ms_to_iso(seed.expires_at * 1000)}")
    click.echo(f"  token   {seed.token}")
    click.echo(f"  Cookie: {seed.cookie}")


# -- keys -----------------------------------------------------------------------------------
@main.group()
def keys() -> None:
    """Create, list and revoke API keys (nk_…)."""


@keys.command("create")
@click.option("--user", "email", required=True, help="Owner's email (created if missing).")
@click.option("--name", default="Unnamed Key", show_default=True, help="Key name.")
@click.option("--expires-in", default=None, help="Lifetime, e.g. 30d (default 30d).")
@click.option("--never-expires", is_flag=True, help="No expiry at all.")
@click.option("--expired", is_flag=True, help="Create a key that is already expired.")
@click.option("--scopes", default="read,write", show_default=True, help="Comma-separated.")
@click.option("--id", "key_id", default=None, help="Choose the key, e.g. nk_test_valid.")
@click.option("--room", default="my-room", show_default=True, help="Room for the printed URL.")
@state_dir_option
@json_option
def keys_create(
    email: str,
    name: str,
    expires_in: str | None,
    never_expires: bool,
    expired: bool,
    scopes: str,
    key_id: str | None,
    room: str,
    state_dir: Path,
    as_json: bool,
) -> None:
    """Create an API key and print it with a ready ws:// URL."""
    if sum(bool(x) for x in (expires_in, never_expires, expired)) > 1:
        raise click.UsageError("use only one of --expires-in, --never-expires, --expired")
    ttl = None if never_expires else duration(expires_in or "30d", "--expires-in")
    scope_list = tuple(s.strip() for s in scopes.split(",") if s.strip())
    from .seeding import create_key  # noqa: PLC0415

    row = with_db(
        state_dir,
        lambda db: create_key(
            db,
            state_dir,
            email,
            name=name,
            ttl_s=ttl,
            expired=expired,
            scopes=scope_list,
            key_id=key_id,
            room=room,
        ),
    )
    if as_json:
        click.echo(json.dumps(row))
        return
    click.echo(f"key      {row['id']}")
    click.echo(f"owner    {row['email']} ({row['user_id']})")
    click.echo(f"expires  {ms_to_iso(row['expires_at'])}{'  (already expired)' if expired else ''}")
    click.echo(f"connect  {row['ws_url']}")


@keys.command("list")
@click.option("--user", "email", default=None, help="Only this user's keys.")
@state_dir_option
@json_option
def keys_list(email: str | None, state_dir: Path, as_json: bool) -> None:
    """List keys with their state (valid, expired, revoked)."""
    from .seeding import SeedError  # noqa: PLC0415

    async def work(db: AuthDB) -> list[dict[str, Any]]:
        user_id = None
        if email is not None:
            user = await db.get_user_by_email(email)
            if user is None:
                raise SeedError(f"no user {email}; create one with nanodev users create {email}")
            user_id = user.id
        return await db.list_keys(user_id)

    rows = with_db(state_dir, work)
    now = int(time.time() * 1000)
    for row in rows:
        row["state"] = (
            "revoked"
            if row["revoked_at"]
            else "expired"
            if row["expires_at"] is not None and row["expires_at"] < now
            else "valid"
        )
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo("no keys; create one with: nanodev keys create --user you@example.com")
    for row in rows:
        click.echo(
            f"{row['id']}  {row['state']:<8} {row['email'] or row['user_id']}  "
            f"expires {ms_to_iso(row['expires_at'])}  {row['name'] or ''}"
        )


@keys.command("revoke")
@click.argument("key_id")
@state_dir_option
@json_option
def keys_revoke(key_id: str, state_dir: Path, as_json: bool) -> None:
    """Revoke a key: the next handshake with it is refused with 401 Invalid API key."""
    ok = with_db(state_dir, lambda db: db.revoke_key(key_id, int(time.time() * 1000)))
    if as_json:
        click.echo(json.dumps({"id": key_id, "revoked": ok}))
    elif ok:
        click.echo(f"revoked {key_id}")
    if not ok:
        raise click.ClickException(f"no active key {key_id} (see nanodev keys list)")


# -- doctor ---------------------------------------------------------------------------------
@main.command()
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
    from . import doctor as api  # noqa: PLC0415 - keeps other commands quick to start
    from .doctor_report import render_text  # noqa: PLC0415
    from .seeding import SeedError  # noqa: PLC0415

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
@main.command()
@click.option(
    "--filter",
    "expression",
    default="",
    help="e.g. 'status=4xx path=/__ws room=my-room outcome=refused ws' plus words to match.",
)
@state_dir_option
def tail(expression: str, state_dir: Path) -> None:
    """Follow the running server's requests and handshakes (its inspector's live feed)."""
    from .flowfilter import FlowFilter  # noqa: PLC0415 - keeps other commands quick to start
    from .state import read_server_info  # noqa: PLC0415
    from .tail import follow  # noqa: PLC0415

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


# -- state: reset, export, import, sql ------------------------------------------------------
@main.command()
@click.option("--room", default=None, help="Delete this room's SQLite file (its data only).")
@click.option("--auth", is_flag=True, help="Delete the auth database (users, sessions, keys).")
@click.option("--all", "everything", is_flag=True, help="Delete the auth database and every room.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@state_dir_option
def reset(room: str | None, auth: bool, everything: bool, yes: bool, state_dir: Path) -> None:
    """Delete local data. Refuses while nanodev up runs on the same state directory."""
    from . import statefiles  # noqa: PLC0415

    try:
        statefiles.refuse_if_running(state_dir, "run nanodev reset")
        targets = statefiles.reset_targets(state_dir, room, auth, everything)
        if not targets:
            click.echo(f"nothing to reset in {state_dir.resolve()}")
            return
        for path in targets:
            click.echo(f"  {path.resolve()}")
        if not yes:
            click.confirm(f"delete these {len(targets)} database(s)?", abort=True)
        removed = statefiles.reset(state_dir, targets)
    except statefiles.StateError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"removed {len(removed)} file(s)")


@main.command("export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@state_dir_option
@json_option
def export_cmd(file: Path, state_dir: Path, as_json: bool) -> None:
    """Write the auth tables and every room to FILE (atomic; works while the server runs).

    The file holds API keys, session tokens and the cookie secret, so an import can restore
    them: it is created with mode 0600; keep it private.
    """
    from .snapshot import SnapshotError, export_state  # noqa: PLC0415

    try:
        snap = export_state(state_dir, file)
    except (SnapshotError, OSError) as exc:
        raise click.ClickException(f"export failed, {file} left as it was: {exc}") from None
    if as_json:
        click.echo(json.dumps(snap.to_json()))
    else:
        click.echo(f"exported auth={snap.auth} rooms={len(snap.rooms)} to {snap.path}")


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@state_dir_option
@json_option
def import_cmd(file: Path, yes: bool, state_dir: Path, as_json: bool) -> None:
    """Replace the state directory's databases with FILE's, whole or not at all."""
    from .snapshot import SnapshotError, import_state  # noqa: PLC0415

    if not yes:
        click.confirm(f"replace every database in {state_dir.resolve()}?", abort=True)
    try:
        snap = import_state(state_dir, file)
    except (SnapshotError, OSError) as exc:
        raise click.ClickException(f"import refused, nothing changed: {exc}") from None
    if as_json:
        click.echo(json.dumps(snap.to_json()))
    else:
        click.echo(f"imported auth={snap.auth} rooms={len(snap.rooms)} from {snap.path}")


@main.command("sql")
@click.argument("statement")
@click.option("--room", default=None, help="Run against this room's SQLite file.")
@click.option("--auth", is_flag=True, help="Run against the auth database.")
@state_dir_option
@json_option
def sql_cmd(statement: str, room: str | None, auth: bool, state_dir: Path, as_json: bool) -> None:
    """Run one SQL statement against exactly the file the server uses (safe while it runs)."""
    from .statefiles import StateError, format_table, run_sql, sql_target  # noqa: PLC0415

    try:
        result = run_sql(sql_target(state_dir, room, auth), statement)
    except StateError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"-- {result.path.resolve()}", err=True)
    if as_json:
        rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
        click.echo(json.dumps({"path": str(result.path.resolve()), "rows": rows}, default=str))
    else:
        click.echo(format_table(result))
