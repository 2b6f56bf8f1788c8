"""`nanodev users`, `sessions` and `keys`: seeding the auth database for tests and the app."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from nanodev.authdb import AuthDB
from nanodev.cli.common import (
    duration,
    json_option,
    ms_to_iso,
    state_dir_option,
    with_db,
)


# -- users ----------------------------------------------------------------------------------
@click.group()
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
    from nanodev.authdb import ensure_user  # noqa: PLC0415

    user, created = with_db(state_dir, lambda db: ensure_user(db, email, name, password))
    if as_json:
        click.echo(
            json.dumps({"id": user.id, "email": user.email, "name": user.name, "created": created})
        )
    else:
        click.echo(f"{'created' if created else 'exists '} {user.email}  id={user.id}")


# -- sessions -------------------------------------------------------------------------------
@click.group()
def sessions() -> None:
    """Create Better Auth sessions (signed cookies) for testing."""


@sessions.command("create")
@click.option("--user", "email", required=True, help="User email (created if missing).")
@click.option("--expires-in", default="7d", show_default=True, help="Lifetime, e.g. 2h, 7d.")
@state_dir_option
@json_option
def sessions_create(email: str, expires_in: str, state_dir: Path, as_json: bool) -> None:
    """Create a session and print its token and the Cookie header to send."""
    from nanodev.authdb import create_session  # noqa: PLC0415

    ttl = duration(expires_in, "--expires-in") or 0
    seed = with_db(state_dir, lambda db: create_session(db, state_dir, email, ttl))
    if as_json:
        click.echo(json.dumps(seed.to_json()))
        return
    click.echo(f"session for {seed.email}, expires {ms_to_iso(seed.expires_at * 1000)}")
    click.echo(f"  token   {seed.token}")
    click.echo(f"  Cookie: {seed.cookie}")


# -- keys -----------------------------------------------------------------------------------
@click.group()
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
    from nanodev.authdb import SeedError  # noqa: PLC0415

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
