"""`nanodev export` / `nanodev import`: the auth tables and every room in one file.

A snapshot is a zip archive: `manifest.json`, `d1/AUTH_DB.sqlite`, `rooms/*.sqlite` and the
cookie-signing `secret` (so restored sessions still verify). Each database is copied with
SQLite's backup API, which gives a consistent copy even while `nanodev up` writes to it.

Writing never destroys the previous good snapshot: the archive is written to a temporary file
beside the target, synced, renamed over it, and the directory is synced. Importing applies
whole or not at all: the archive is validated first (manifest, names, `integrity_check` of every
database), unpacked into a staging directory, and only then swapped in.

A snapshot holds credentials (API keys, session tokens, the secret) because an import must
restore them; it is written with mode 0600. The inspector and the logs never show them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nanodev.errors import unreadable_database
from nanodev.state.directory import read_server_info

FORMAT = "nanodev-snapshot"
VERSION = 1
AUTH_MEMBER = "d1/AUTH_DB.sqlite"
SECRET_MEMBER = "secret"
ROOM_MEMBER_RE = re.compile(r"^rooms/[A-Za-z0-9_.-]{1,80}\.sqlite$")
MAX_MEMBER_BYTES = 4 << 30


class SnapshotError(Exception):
    """A snapshot that cannot be written or applied; the message says why and what to do."""


@dataclass(slots=True)
class Snapshot:
    """What an export wrote or an import applied."""

    path: Path
    auth: bool
    rooms: list[str] = field(default_factory=list)
    bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "auth": self.auth, "rooms": self.rooms, "bytes": self.bytes}


# -- atomic files ---------------------------------------------------------------------------
def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside `target`; renamed over it only if the block finishes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


def backup_db(source: Path, dest: Path) -> None:
    """Consistent copy of a live SQLite file (WAL included) into a single self-contained file."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=5)
    try:
        out = sqlite3.connect(dest)
        try:
            src.backup(out)
            out.execute("PRAGMA journal_mode=DELETE")
        finally:
            out.close()
    finally:
        src.close()


def _backup_member(source: Path, member: str, copy: Path) -> None:
    try:
        backup_db(source, copy)
    except sqlite3.DatabaseError as exc:  # the export stops; the previous file is untouched
        if member == AUTH_MEMBER:
            raise unreadable_database("auth database", source, exc, "reset --auth") from None
        room = source.stem.rsplit("-", 1)[0]  # <room>-<hash8>.sqlite
        raise unreadable_database("room file", source, exc, f"reset --room {room}") from None


# -- export ---------------------------------------------------------------------------------
def room_files(state_dir: Path) -> list[Path]:
    rooms = state_dir / "rooms"
    if not rooms.is_dir():
        return []
    return sorted(p for p in rooms.glob("*.sqlite") if ROOM_MEMBER_RE.match(f"rooms/{p.name}"))


def export_state(state_dir: Path, target: Path) -> Snapshot:
    """Write every database of `state_dir` to `target` atomically; the old file survives failure."""
    auth = state_dir / AUTH_MEMBER
    rooms = room_files(state_dir)
    snap = Snapshot(target.resolve(), auth.exists(), [p.name for p in rooms])
    with tempfile.TemporaryDirectory(prefix="nanodev-export-") as work, atomic_path(target) as tmp:
        os.chmod(tmp, 0o600)
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            members = [(auth, AUTH_MEMBER)] if snap.auth else []
            members += [(p, f"rooms/{p.name}") for p in rooms]
            for source, member in members:
                copy = Path(work) / "copy.sqlite"
                _backup_member(source, member, copy)
                archive.write(copy, member)
                copy.unlink()
            secret = state_dir / SECRET_MEMBER
            if secret.exists():
                archive.writestr(SECRET_MEMBER, secret.read_text())
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created": time.time(),
                "auth": snap.auth,
                "rooms": snap.rooms,
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        snap.bytes = tmp.stat().st_size
    return snap


# -- import ---------------------------------------------------------------------------------
def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except KeyError:
        raise SnapshotError("not a nanodev snapshot: no manifest.json") from None
    except ValueError as exc:
        raise SnapshotError(f"manifest.json is not JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SnapshotError("not a nanodev snapshot: manifest.json has the wrong format")
    if manifest.get("version") != VERSION:
        raise SnapshotError(
            f"snapshot version {manifest.get('version')!r} is not supported (expected {VERSION})"
        )
    return manifest


def expected_members(manifest: dict[str, Any]) -> list[str]:
    """The database members a manifest promises, each name checked (no paths out of state)."""
    rooms = manifest.get("rooms")
    if not isinstance(rooms, list) or not all(isinstance(r, str) for r in rooms):
        raise SnapshotError("manifest.json: rooms must be a list of file names")
    members = [AUTH_MEMBER] if manifest.get("auth") else []
    for name in rooms:
        member = f"rooms/{name}"
        if not ROOM_MEMBER_RE.match(member) or name.startswith("."):
            raise SnapshotError(f"manifest.json: {name!r} is not a room file name")
        members.append(member)
    return members


def check_database(path: Path, member: str) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise SnapshotError(f"{member} is not a SQLite database: {exc}") from None
    if rows != [("ok",)]:
        raise SnapshotError(f"{member} fails integrity_check: {rows[:3]}")


def unpack(source: Path, staging: Path) -> Snapshot:
    """Validate the archive and write its databases into `staging`; raises SnapshotError."""
    try:
        archive = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as exc:
        raise SnapshotError(f"cannot read {source}: {exc}") from None
    with archive:
        manifest = read_manifest(archive)
        members = expected_members(manifest)
        names = set(archive.namelist())
        for member in members:
            if member not in names:
                raise SnapshotError(f"snapshot is incomplete: {member} is missing")
            if archive.getinfo(member).file_size > MAX_MEMBER_BYTES:
                raise SnapshotError(f"{member} is larger than {MAX_MEMBER_BYTES >> 30} GiB")
        for sub in ("d1", "rooms"):
            (staging / sub).mkdir(parents=True)
        for member in members:
            dest = staging / member
            with archive.open(member) as src, dest.open("wb") as out:
                shutil.copyfileobj(src, out)
                out.flush()
                os.fsync(out.fileno())
            check_database(dest, member)
        if SECRET_MEMBER in names:
            secret = archive.read(SECRET_MEMBER).decode("utf-8", "replace").strip()
            if secret:
                fd = os.open(staging / SECRET_MEMBER, os.O_WRONLY | os.O_CREAT, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(secret)
    size = source.stat().st_size  # the snapshot file's real size, as an export reports it
    return Snapshot(source.resolve(), bool(manifest.get("auth")), list(manifest["rooms"]), size)


def swap_in(state_dir: Path, staging: Path) -> None:
    """Move the current databases aside, move the staged ones in, then drop the old ones.

    A failure midway moves the old ones back, so the state is the old one or the new one.
    """
    old = Path(tempfile.mkdtemp(prefix=".import-old-", dir=state_dir))
    names = [n for n in ("d1", "rooms", SECRET_MEMBER) if (staging / n).exists()]
    moved: list[str] = []
    try:
        for name in names:
            if (state_dir / name).exists():
                os.replace(state_dir / name, old / name)
                moved.append(name)
        for name in names:
            os.replace(staging / name, state_dir / name)
    except OSError:
        for name in moved:
            _remove(state_dir / name)
            os.replace(old / name, state_dir / name)
        raise
    fsync_dir(state_dir)
    shutil.rmtree(old, ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def import_state(state_dir: Path, source: Path) -> Snapshot:
    """Replace every database of `state_dir` with the snapshot's, whole or not at all."""
    info = read_server_info(state_dir)
    if info is not None:
        raise SnapshotError(
            f"nanodev is running on {state_dir.resolve()} (pid {info.get('pid')}): stop it "
            "with Ctrl-C first, then run nanodev import again"
        )
    state_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-staging-", dir=state_dir))
    try:
        snap = unpack(source, staging)
        swap_in(state_dir, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    (state_dir / "d1").mkdir(exist_ok=True)
    (state_dir / "rooms").mkdir(exist_ok=True)
    return snap
