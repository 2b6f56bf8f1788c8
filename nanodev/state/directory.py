"""The state directory's layout and the small files in it besides the databases.

<state>/d1/AUTH_DB.sqlite   auth tables          <state>/rooms/*.sqlite   one file per room
<state>/secret              cookie-signing key   <state>/server.json      the running server
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from nanodev.errors import unusable_directory


def make_dir(path: Path) -> None:
    """`mkdir -p`, or a `UserError` that says why the state directory cannot be used."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unusable_directory(path, exc) from None


def ensure_layout(state_dir: Path) -> None:
    for sub in ("d1", "rooms"):
        make_dir(state_dir / sub)


def load_secret(state_dir: Path) -> str:
    """The auth secret, generated once per state directory and kept (never per request)."""
    path = state_dir / "secret"
    if path.exists():
        value = path.read_text().strip()
        if value:
            return value
    make_dir(state_dir)
    value = secrets.token_urlsafe(32)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    os.replace(tmp, path)
    return value


def write_server_info(state_dir: Path, info: dict[str, Any]) -> None:
    path = state_dir / "server.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(info, indent=2))
    os.replace(tmp, path)


def read_server_info(state_dir: Path) -> dict[str, Any] | None:
    """The running server's URLs, or None when none runs on this state directory."""
    path = state_dir / "server.json"
    try:
        info: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    pid = info.get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        return None
    return info


def clear_server_info(state_dir: Path, pid: int) -> None:
    path = state_dir / "server.json"
    try:
        if json.loads(path.read_text()).get("pid") == pid:
            path.unlink()
    except (OSError, ValueError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
