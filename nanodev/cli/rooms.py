"""`nanodev rooms list`: every room with its owner, open sockets and size on disk."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from nanodev.cli.common import json_option, ms_to_iso, state_dir_option, with_db
from nanodev.cli.output import emit, with_iso

ROOMS_API = "/__nanodev/api/rooms"


@click.group()
def rooms() -> None:
    """List rooms: owner, open sockets, size on disk."""


@rooms.command("list")
@state_dir_option
@json_option
def rooms_list(state_dir: Path, as_json: bool) -> None:
    """List rooms: id, owner, open sockets (when nanodev up runs here) and size on disk."""
    from nanodev.authdb import list_rooms  # noqa: PLC0415
    from nanodev.ids import room_file_name  # noqa: PLC0415

    live = running_sockets(state_dir)
    rows = []
    for room in with_db(state_dir, list_rooms):
        path = state_dir / "rooms" / room_file_name(room["id"])
        sockets = None if live is None else live.get(room["id"], 0)
        rows.append(with_iso({**room, "sockets": sockets, "bytes": size_on_disk(path)}))
    if as_json:
        emit(rows)
        return
    if not rows:
        click.echo("no rooms yet; a room is made by /api/rooms/create or its first handshake")
    for r in rows:
        shown = "-" if r["sockets"] is None else r["sockets"]
        click.echo(
            f"{r['id']}  owner {r['owner_email'] or r['owner_id']}  sockets {shown}  "
            f"{r['bytes']} bytes  last used {ms_to_iso(r['last_accessed_at'])}"
        )


def size_on_disk(path: Path) -> int:
    """The room's SQLite file with its write-ahead log: what the room really occupies."""
    total = 0
    for part in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            total += part.stat().st_size
    return total


def running_sockets(state_dir: Path) -> dict[str, int] | None:
    """Open sockets per room from the running server's inspector; None when none runs."""
    from nanodev.state import read_server_info  # noqa: PLC0415

    info = read_server_info(state_dir)
    if info is None:
        return None
    try:
        with urllib.request.urlopen(str(info["page_url"]) + ROOMS_API, timeout=5) as resp:
            data: dict[str, Any] = json.load(resp)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return {str(r["id"]): len(r.get("sockets", ())) for r in data.get("rooms", ())}
