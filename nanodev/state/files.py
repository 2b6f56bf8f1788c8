"""`nanodev reset` and `nanodev sql`: the state directory's files, named as the server names them.

`sql` opens the very file `nanodev up` uses (a room's `<state>/rooms/<room>-<hash8>.sqlite` or
`<state>/d1/AUTH_DB.sqlite`) with plain `sqlite3`: WAL mode and a busy timeout let it run while
the server runs. `reset` deletes files, so it refuses while a server runs on the directory
(its open stores would keep the deleted files alive); stop the server first.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nanodev.ids import room_file_name
from nanodev.state.directory import read_server_info
from nanodev.state.snapshot import AUTH_MEMBER, room_files

SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")


class StateError(Exception):
    """A state command that cannot run; the message says what to do instead."""


@dataclass(frozen=True, slots=True)
class SqlResult:
    path: Path
    columns: list[str]
    rows: list[tuple[Any, ...]]
    changes: int


def auth_path(state_dir: Path) -> Path:
    return state_dir / AUTH_MEMBER


def room_path(state_dir: Path, room_id: str) -> Path:
    return state_dir / "rooms" / room_file_name(room_id)


def refuse_if_running(state_dir: Path, what: str) -> None:
    info = read_server_info(state_dir)
    if info is not None:
        raise StateError(
            f"nanodev is running on {state_dir.resolve()} (pid {info.get('pid')}, "
            f"{info.get('page_url')}): stop it with Ctrl-C first, then {what} again"
        )


def reset_targets(state_dir: Path, room: str | None, auth: bool, everything: bool) -> list[Path]:
    """The database files a reset removes (only those that exist)."""
    if sum((room is not None, auth, everything)) != 1:
        raise StateError("choose exactly one of --room ID, --auth, --all")
    if room is not None:
        bases = [room_path(state_dir, room)]
    elif auth:
        bases = [auth_path(state_dir)]
    else:
        bases = [auth_path(state_dir), *room_files(state_dir)]
    return [b for b in bases if b.exists()]


def reset(state_dir: Path, targets: list[Path]) -> list[Path]:
    """Delete each database with its WAL and shared-memory files; return what was removed."""
    refuse_if_running(state_dir, "run nanodev reset")
    removed = []
    for base in targets:
        for suffix in SQLITE_SIDECARS:
            path = base.with_name(base.name + suffix)
            if path.exists():
                path.unlink()
                removed.append(path)
    return removed


def sql_target(state_dir: Path, room: str | None, auth: bool) -> Path:
    if (room is None) == (not auth):
        raise StateError("choose exactly one of --room ID or --auth")
    path = room_path(state_dir, room) if room is not None else auth_path(state_dir)
    if not path.exists():
        where = f"room {room!r}" if room is not None else "the auth database"
        raise StateError(f"{where} has no file yet ({path}); nothing to query")
    return path


def run_sql(path: Path, sql: str) -> SqlResult:
    """Run one statement on `path` (autocommit, 5 s busy timeout) and return its rows."""
    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None, timeout=5)
    try:
        cursor = conn.execute(sql)
        rows = cursor.fetchall()
        columns = [d[0] for d in cursor.description or ()]
        return SqlResult(path, columns, rows, conn.total_changes)
    except sqlite3.Error as exc:
        raise StateError(f"{path.name}: {exc}") from None
    finally:
        conn.close()


def format_table(result: SqlResult) -> str:
    """Rows as aligned text columns, for a terminal."""
    if not result.columns:
        return f"ok ({result.changes} row(s) changed)"
    cells = [[_cell(v) for v in row] for row in result.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(result.columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(line.rstrip() for line in lines)


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)
