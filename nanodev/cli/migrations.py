"""`nanodev migrations list|apply|mark-applied`: the app's D1 migrations against the auth
database, like `wrangler d1 migrations list/apply --local`."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import click

from nanodev.cli.common import json_option, state_dir_option
from nanodev.cli.output import emit, with_iso
from nanodev.errors import UserError


def migrations_option(fn: Any) -> Any:
    return click.option(
        "--migrations",
        "migrations_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="The app's migrations folder (default: ./migrations, as nanodev up finds it).",
    )(fn)


def folder(given: Path | None) -> Path:
    """The migrations folder: the flag, else ./migrations as `nanodev up` finds it."""
    found = given if given is not None else Path("migrations")
    if not found.is_dir():
        raise UserError(
            f"no migrations folder at {found.resolve()}",
            "run this from the app's folder (the one holding migrations/), "
            "or pass --migrations DIR",
            code="no_migrations",
        )
    return found


def sqlite_time_ms(text: str | None) -> int | None:
    """d1_migrations' `applied_at` (SQLite's `CURRENT_TIMESTAMP`, UTC text) → ms since the
    epoch, the unit of every command's JSON."""
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return int(when.timestamp() * 1000)


def db_path(state_dir: Path) -> Path:
    return state_dir / "d1" / "AUTH_DB.sqlite"


def unreadable(state_dir: Path, exc: Exception) -> UserError:
    return UserError(
        f"cannot use the auth database {db_path(state_dir).resolve()}: {exc}",
        "if it is damaged, nanodev reset --auth starts it again (deleting its users, sessions "
        "and keys); or pass the right --state-dir",
        code="bad_auth_db",
    )


@click.group()
def migrations() -> None:
    """The app's D1 migrations (migrations/NNNN_name.sql) in the auth database."""


@migrations.command("list")
@migrations_option
@state_dir_option
@json_option
def list_cmd(migrations_dir: Path | None, state_dir: Path, as_json: bool) -> None:
    """Each migration file, applied (when) or pending, in the order they apply."""
    from nanodev.authdb import migrations as engine  # noqa: PLC0415

    directory = folder(migrations_dir)
    try:
        rows = engine.status(db_path(state_dir), directory)
    except (sqlite3.Error, OSError) as exc:
        raise unreadable(state_dir, exc) from None
    applied = sum(1 for r in rows if r.applied_at)
    if as_json:
        out = {
            "migrations_dir": str(directory.resolve()),
            "database": str(db_path(state_dir).resolve()),
            "applied": applied,
            "pending": len(rows) - applied,
            "migrations": [
                with_iso({"name": r.name, "applied_at": sqlite_time_ms(r.applied_at)}) for r in rows
            ],
        }
        emit(out)
        return
    for row in rows:
        click.echo(
            f"  {'applied ' + row.applied_at if row.applied_at else 'pending':<28} {row.name}"
        )
    click.echo(f"{applied} applied, {len(rows) - applied} pending ({directory})")


@migrations.command("apply")
@migrations_option
@state_dir_option
@json_option
def apply_cmd(migrations_dir: Path | None, state_dir: Path, as_json: bool) -> None:
    """Apply the pending migrations (on a fresh database: Better Auth's tables first, then
    every file), then add what nanodev needs that they do not create. Exit 1 on a failure;
    a failing file is rolled back whole."""
    from nanodev.authdb import outcome, prepare  # noqa: PLC0415

    directory = folder(migrations_dir)
    try:
        prepared = prepare(db_path(state_dir), directory)
    except (sqlite3.Error, OSError) as exc:
        raise unreadable(state_dir, exc) from None
    lines = outcome.summary(prepared)
    if as_json:
        emit(_apply_json(prepared, lines))
    else:
        for line in lines:
            click.echo(line)
    if not prepared.run.ok:
        raise SystemExit(1)


def _apply_json(prepared: Any, lines: list[str]) -> dict[str, Any]:
    run = prepared.run
    return {
        "ok": run.ok,
        "applied": run.applied,
        "failed": run.failed,
        "problems": [{"name": p.name, "error": p.error} for p in run.problems],
        "created": prepared.created,
        "added_for_local_use": prepared.added,
        "applied_total": prepared.applied_total,
        "pending_total": prepared.pending_total,
        "message": lines,
    }


@migrations.command("mark-applied")
@click.argument("names", nargs=-1, required=True)
@migrations_option
@state_dir_option
@json_option
def mark_cmd(
    names: tuple[str, ...], migrations_dir: Path | None, state_dir: Path, as_json: bool
) -> None:
    """Record pending migration files as applied WITHOUT running them: for a database that
    already holds what they create (check that first, e.g. with `nanodev sql --auth`)."""
    from nanodev.authdb import migrations as engine  # noqa: PLC0415

    directory = folder(migrations_dir)
    try:
        marked = engine.mark_applied(db_path(state_dir), directory, list(names))
    except (sqlite3.Error, OSError) as exc:
        raise unreadable(state_dir, exc) from None
    except engine.UnknownMigration as exc:
        raise UserError(
            f"not a pending migration in {directory}: {exc}",
            "nanodev migrations list shows each file's name and whether it is pending",
            code="unknown_migration",
        ) from None
    if as_json:
        emit({"marked": marked})
    else:
        click.echo(f"marked as applied: {', '.join(marked)}")
