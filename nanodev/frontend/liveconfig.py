"""`nanodev.toml` edited while nanodev runs: apply what is safe live, name what needs a restart.

Settings is a frozen model; a live change builds a new one and swaps it into the places that
read settings per request or per frame (the core, the room registry and each room). Listeners,
the state directory and anything fixed at startup keep their value until a restart.
Only keys whose value changed in the file count, so a flag given on the command line is not
reported just because the file says something else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nanodev.core import Core
from nanodev.settings import Settings, load_toml

# Read where they are used (per request, per socket, per sweep): safe to change live.
LIVE_FIELDS = frozenset(
    {
        "allowed_hosts",
        "allowed_origins",
        "default_max_rooms",
        "allow_writable_sql",
        "deliver_webhooks",
        "reload_sockets",
        "frame_preview_bytes",
        "max_socket_buffer_bytes",
        "room_idle_seconds",
        "hibernate_after",
        "page_probe",
    }
)


@dataclass(slots=True)
class ConfigChange:
    applied: dict[str, Any] = field(default_factory=dict)
    needs_restart: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def changed_keys(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    return {k for k in old.keys() | new.keys() if old.get(k, _MISSING) != new.get(k, _MISSING)}


_MISSING = object()


def plan(
    current: Settings, old: dict[str, Any], new: dict[str, Any]
) -> tuple[Settings, ConfigChange]:
    """The settings to run with after the file went from `old` to `new` (pure)."""
    change = ConfigChange()
    keys = changed_keys(old, new)
    updates: dict[str, Any] = {}
    for key in sorted(keys):
        if key in new:
            updates[key] = new[key]
        elif key in Settings.model_fields:  # removed from the file: back to the default
            updates[key] = Settings.model_fields[key].get_default(call_default_factory=True)
        else:
            updates[key] = None
    try:
        validated = Settings(**{**current.model_dump(), **updates})
    except ValidationError as exc:
        change.error = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
        )
        return current, change
    live = {k: getattr(validated, k) for k in keys if k in LIVE_FIELDS}
    change.applied = {k: v for k, v in live.items() if getattr(current, k) != v}
    change.needs_restart = sorted(k for k in keys if k not in LIVE_FIELDS)
    return current.model_copy(update=live), change


def install(core: Core, settings: Settings) -> None:
    """Swap `settings` into every holder that reads it at use time."""
    core.settings = settings
    core.rooms.settings = settings
    for room in core.rooms.rooms.values():
        room.settings = settings


class LiveConfig:
    """The watched settings file and the values it held last time it was read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last = self._read_or_empty()

    def _read_or_empty(self) -> dict[str, Any]:
        try:
            return load_toml(self.path)
        except (OSError, ValueError):
            return {}

    def reload(self, core: Core) -> ConfigChange:
        try:
            new = load_toml(self.path)
        except (OSError, ValueError) as exc:
            return ConfigChange(error=f"cannot read {self.path.name}: {exc}")
        settings, change = plan(core.settings, self.last, new)
        if change.ok:
            self.last = new
            install(core, settings)
        return change
