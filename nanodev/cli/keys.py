"""`nanodev keys`: create, list and revoke API keys."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from nanodev.cli.accounts import user_id_for
from nanodev.cli.common import duration, json_option, ms_to_iso, state_dir_option, with_db
from nanodev.cli.output import CliError, emit, scope_list, with_iso


@click.group()
def keys() -> None:
    """Create, list and revoke API keys (nk_…)."""


def room_flag(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """--room checked with the server's own room_id rules, so the printed URL connects."""
    from nanodev.worker import RoomIdProblem, check_room_id  # noqa: PLC0415

    checked = check_room_id("room_id=" + quote(value, safe=""))
    if isinstance(checked, RoomIdProblem):
        raise CliError(f"--room {value!r}: {checked.error}", checked.hint, checked.code)
    return checked.room_id


@keys.command("create")
@click.option("--user", "email", required=True, help="Owner's email (created if missing).")
@click.option("--name", default="Unnamed Key", show_default=True, help="Key name.")
@click.option("--expires-in", default=None, help="Lifetime, e.g. 30d (default 30d).")
@click.option("--never-expires", is_flag=True, help="No expiry at all.")
@click.option("--expired", is_flag=True, help="Create a key that is already expired.")
@click.option("--scopes", default="read,write", show_default=True, help="Comma-separated.")
@click.option("--id", "key_id", default=None, help="Choose the key, e.g. nk_test_valid.")
@click.option(
    "--room",
    default="my-room",
    show_default=True,
    callback=room_flag,
    help="Room for the printed URL (3-50 letters, digits, - or _).",
)
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
    from nanodev.authdb import create_key  # noqa: PLC0415

    row = with_db(
        state_dir,
        lambda db: create_key(
            db,
            state_dir,
            email,
            name=name,
            ttl_s=ttl,
            expired=expired,
            scopes=tuple(scope_list(scopes)),
            key_id=key_id,
            room=room,
        ),
    )
    row["scopes"] = scope_list(row.get("scopes"))
    if as_json:
        emit(with_iso(row))
    else:
        print_key(row, expired)


def print_key(row: dict[str, Any], expired: bool) -> None:
    if row.get("user_created"):
        click.echo(f"created user {row['email']} ({row['user_id']})")
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
    from nanodev.authdb import AuthDB  # noqa: PLC0415

    async def work(db: AuthDB) -> list[dict[str, Any]]:
        return await db.list_keys(await user_id_for(db, email))

    rows = [with_iso(key_state(r, int(time.time() * 1000))) for r in with_db(state_dir, work)]
    if as_json:
        emit(rows)
        return
    if not rows:
        click.echo("no keys; create one with: nanodev keys create --user you@example.com")
    for row in rows:
        click.echo(
            f"{row['id']}  {row['state']:<8} {row['email'] or row['user_id']}  "
            f"expires {ms_to_iso(row['expires_at'])}  {row['name'] or ''}"
        )


def key_state(row: dict[str, Any], now_ms: int) -> dict[str, Any]:
    expired = row["expires_at"] is not None and row["expires_at"] < now_ms
    state = "revoked" if row["revoked_at"] else "expired" if expired else "valid"
    return {**row, "scopes": scope_list(row.get("scopes")), "state": state}


@keys.command("revoke")
@click.argument("key_id")
@state_dir_option
@json_option
def keys_revoke(key_id: str, state_dir: Path, as_json: bool) -> None:
    """Revoke a key: open sockets using it close with 1008, new handshakes get 401."""
    from nanodev.authdb import AuthDB  # noqa: PLC0415

    now = int(time.time() * 1000)

    async def work(db: AuthDB) -> tuple[bool, Any]:
        return await db.revoke_key(key_id, now), await db.get_key(key_id)

    revoked, row = with_db(state_dir, work)
    if row is None:
        raise CliError(f"no such key {key_id}", "see nanodev keys list", "no_such_key")
    if not revoked:
        when = ms_to_iso(row.revoked_at)
        raise CliError(f"key {key_id} was already revoked ({when})", "", "already_revoked")
    if as_json:
        emit(with_iso({"id": key_id, "revoked": True, "revoked_at": now}))
    else:
        click.echo(f"revoked {key_id}")
