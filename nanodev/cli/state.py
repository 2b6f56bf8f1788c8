"""`nanodev reset`, `export`, `import` and `sql`: the state directory's files."""

from __future__ import annotations

from pathlib import Path

import click

from nanodev.cli.common import json_option, state_dir_option
from nanodev.cli.output import CliError, emit


# -- state: reset, export, import, sql ------------------------------------------------------
def confirm(question: str, yes: bool, as_json: bool) -> None:
    """Ask before deleting data; under --json there is no prompt, so --yes is required."""
    if yes:
        return
    if as_json:
        raise CliError(f"{question} (needs confirmation)", "pass --yes with --json", "needs_yes")
    click.confirm(question, abort=True)


@click.command()
@click.option("--room", default=None, help="Delete this room's SQLite file (its data only).")
@click.option("--auth", is_flag=True, help="Delete the auth database (users, sessions, keys).")
@click.option("--all", "everything", is_flag=True, help="Delete the auth database and every room.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (required with --json).")
@state_dir_option
@json_option
def reset(
    room: str | None, auth: bool, everything: bool, yes: bool, state_dir: Path, as_json: bool
) -> None:
    """Delete local data. Refuses while nanodev up runs on the same state directory."""
    from nanodev.state import files as statefiles  # noqa: PLC0415

    try:
        statefiles.refuse_if_running(state_dir, "run nanodev reset")
        targets = statefiles.reset_targets(state_dir, room, auth, everything)
        if not as_json:
            for path in targets:
                click.echo(f"  {path.resolve()}")
        if targets:
            confirm(f"delete these {len(targets)} database(s)?", yes, as_json)
        removed = statefiles.reset(state_dir, targets) if targets else []
    except statefiles.StateError as exc:
        raise CliError(str(exc), code="refused") from None
    if as_json:
        emit({"state_dir": str(state_dir.resolve()), "removed": [str(p) for p in removed]})
    elif not targets:
        click.echo(f"nothing to reset in {state_dir.resolve()}")
    else:
        click.echo(f"removed {len(removed)} file(s)")


@click.command("export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@state_dir_option
@json_option
def export_cmd(file: Path, state_dir: Path, as_json: bool) -> None:
    """Write the auth tables and every room to FILE (atomic; works while the server runs).

    FILE's folder must exist. The file holds API keys, session tokens and the cookie secret,
    so an import can restore them: it is created with mode 0600; keep it private.
    """
    from nanodev.state import SnapshotError, export_state  # noqa: PLC0415

    folder = file.resolve().parent
    if not folder.is_dir():
        raise CliError(
            f"cannot export to {file}: the folder {folder} does not exist",
            f"create it first (mkdir -p {folder}) or pick another path",
            "no_such_folder",
        )
    try:
        snap = export_state(state_dir, file)
    except (SnapshotError, OSError) as exc:
        raise CliError(
            f"export failed, {file} left as it was: {exc}", code="export_failed"
        ) from None
    if as_json:
        emit(snap.to_json())
    else:
        click.echo(f"exported auth={snap.auth} rooms={len(snap.rooms)} to {snap.path}")


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (required with --json).")
@state_dir_option
@json_option
def import_cmd(file: Path, yes: bool, state_dir: Path, as_json: bool) -> None:
    """Replace the state directory's databases with FILE's, whole or not at all.

    Asks first (every database in the state directory is replaced); --yes skips the question.
    """
    from nanodev.state import SnapshotError, import_state  # noqa: PLC0415

    confirm(f"replace every database in {state_dir.resolve()}?", yes, as_json)
    try:
        snap = import_state(state_dir, file)
    except (SnapshotError, OSError) as exc:
        raise CliError(f"import refused, nothing changed: {exc}", code="import_refused") from None
    if as_json:
        emit(snap.to_json())
    else:
        click.echo(f"imported auth={snap.auth} rooms={len(snap.rooms)} from {snap.path}")


@click.command("sql")
@click.argument("statement")
@click.option("--room", default=None, help="Run against this room's SQLite file.")
@click.option("--auth", is_flag=True, help="Run against the auth database.")
@state_dir_option
@json_option
def sql_cmd(statement: str, room: str | None, auth: bool, state_dir: Path, as_json: bool) -> None:
    """Run one SQL statement against exactly the file the server uses (safe while it runs)."""
    from nanodev.state import StateError, format_table, run_sql, sql_target  # noqa: PLC0415

    try:
        result = run_sql(sql_target(state_dir, room, auth), statement)
    except StateError as exc:
        raise CliError(str(exc), code="sql_refused") from None
    click.echo(f"-- {result.path.resolve()}", err=True)
    if as_json:
        rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
        emit({"path": str(result.path.resolve()), "columns": list(result.columns), "rows": rows})
    else:
        click.echo(format_table(result))
