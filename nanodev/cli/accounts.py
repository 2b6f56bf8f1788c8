"""`nanodev users` and `sessions`: seeding and listing the auth database's accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from nanodev.cli.common import duration, json_option, ms_to_iso, state_dir_option, with_db
from nanodev.cli.output import CliError, emit, with_iso


# -- users ----------------------------------------------------------------------------------
@click.group()
def users() -> None:
    """Create and list users in the auth database."""


@users.command("create")
@click.argument("email")
@click.option("--name", default=None, help="Display name (default: the email's local part).")
@click.option("--password", default=None, help="Password for email sign-in (scrypt-hashed).")
@click.option("--reset-password", is_flag=True, help="Replace the password of a user that exists.")
@state_dir_option
@json_option
def users_create(
    email: str,
    name: str | None,
    password: str | None,
    reset_password: bool,
    state_dir: Path,
    as_json: bool,
) -> None:
    """Create a user (or show the existing one with that email).

    A --password for a user that exists is refused unless --reset-password is given."""
    if password is not None and not 8 <= len(password) <= 128:
        raise click.BadParameter(
            "passwords are 8 to 128 characters (as Better Auth requires)", param_hint="--password"
        )
    if reset_password and password is None:
        raise CliError("--reset-password needs --password NEW", code="usage")
    from nanodev.authdb import ensure_user  # noqa: PLC0415

    user, created = with_db(
        state_dir,
        lambda db: ensure_user(db, email, name, password, reset_password=reset_password),
    )
    if as_json:
        row = {"id": user.id, "email": user.email, "name": user.name, "created": created}
        emit({**row, "password_reset": bool(reset_password and not created)})
        return
    state = "created" if created else "password reset for" if reset_password else "exists "
    click.echo(f"{state} {user.email}  id={user.id}")


@users.command("list")
@state_dir_option
@json_option
def users_list(state_dir: Path, as_json: bool) -> None:
    """List users with their sign-in method and how many keys and sessions they hold."""
    from nanodev.authdb import list_users  # noqa: PLC0415

    rows = [with_iso(r) for r in with_db(state_dir, list_users)]
    if as_json:
        emit(rows)
        return
    if not rows:
        click.echo("no users; create one with: nanodev users create you@example.com")
    for r in rows:
        password = "password" if r["password"] else "no password"
        click.echo(
            f"{r['email']}  id={r['id']}  {r['tier']}  {password}  "
            f"{r['keys']} key(s)  {r['sessions']} session(s)"
        )


# -- sessions -------------------------------------------------------------------------------
@click.group()
def sessions() -> None:
    """Create and list Better Auth sessions (signed cookies) for testing."""


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
        emit(with_iso(seed.to_json()))
        return
    if seed.user_created:
        click.echo(f"created user {seed.email} (id={seed.user_id})")
    click.echo(f"session for {seed.email}, expires {ms_to_iso(seed.expires_at * 1000)}")
    click.echo(f"  token   {seed.token}")
    click.echo(f"  Cookie: {seed.cookie}")


@sessions.command("list")
@click.option("--user", "email", default=None, help="Only this user's sessions.")
@state_dir_option
@json_option
def sessions_list(email: str | None, state_dir: Path, as_json: bool) -> None:
    """List sessions with their owner and expiry, newest first."""
    from nanodev.authdb import AuthDB, list_sessions  # noqa: PLC0415

    async def work(db: AuthDB) -> list[dict[str, Any]]:
        return await list_sessions(db, await user_id_for(db, email))

    rows = [with_iso(r) for r in with_db(state_dir, work)]
    if as_json:
        emit(rows)
        return
    if not rows:
        click.echo("no sessions; create one with: nanodev sessions create --user you@example.com")
    for r in rows:
        click.echo(
            f"{r['token']}  {r['email'] or r['user_id']}  expires {ms_to_iso(r['expires_at'])}"
        )


async def user_id_for(db: Any, email: str | None) -> str | None:
    """The id of the user `--user EMAIL` names (None without the flag); refused if unknown."""
    if email is None:
        return None
    user = await db.get_user_by_email(email)
    if user is None:
        raise CliError(
            f"no user {email}", f"create one with: nanodev users create {email}", "no_such_user"
        )
    return str(user.id)
