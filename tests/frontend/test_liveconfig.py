"""nanodev.toml edited while running: live-safe settings applied, the rest named."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from nanodev.frontend.liveconfig import changed_keys, plan
from nanodev.record.events import Note
from nanodev.settings import Settings, SocketPolicy
from tests.conftest import Nano
from tests.frontend.test_hooks import wait_reloads


def test_changed_keys_counts_only_edits() -> None:
    assert changed_keys({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b", "c"}
    assert changed_keys({"a": 1}, {}) == {"a"}


def test_plan_applies_live_fields_and_names_restart_ones(tmp_path: Path) -> None:
    current = Settings(state_dir=tmp_path, port=4000)
    old = {"port": 3000, "default_max_rooms": 3}
    new = {"port": 3001, "default_max_rooms": 7, "reload_sockets": "close"}
    settings, change = plan(current, old, new)
    assert change.ok
    assert settings.default_max_rooms == 7 and settings.reload_sockets is SocketPolicy.CLOSE
    assert settings.port == 4000  # kept until a restart
    assert change.needs_restart == ["port"]
    assert set(change.applied) == {"default_max_rooms", "reload_sockets"}


def test_plan_keeps_everything_on_invalid_values(tmp_path: Path) -> None:
    current = Settings(state_dir=tmp_path)
    settings, change = plan(current, {}, {"default_max_rooms": 0, "bogus": 1})
    assert settings is current
    assert "default_max_rooms" in change.error and "bogus" in change.error


def test_removed_key_returns_to_default(tmp_path: Path) -> None:
    current = Settings(state_dir=tmp_path, default_max_rooms=9)
    settings, change = plan(current, {"default_max_rooms": 9}, {})
    assert settings.default_max_rooms == 3 and change.applied == {"default_max_rooms": 3}


async def test_edit_while_running(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    config = tmp_path / "conf" / "nanodev.toml"
    config.parent.mkdir()
    config.write_text("[nanodev]\ndefault_max_rooms = 3\n")
    nano = await make_nano(config_path=config)
    await nano.connect("room-a")  # a live room must see the new settings too
    config.write_text("[nanodev]\ndefault_max_rooms = 5\nallow_writable_sql = true\nport = 1\n")
    event = await wait_reloads(nano, "config", 1)
    assert event.ok and "allow_writable_sql, default_max_rooms" in event.detail
    assert "restart nanodev to apply port" in event.detail
    assert nano.core.settings.default_max_rooms == 5
    assert nano.core.rooms.rooms["room-a"].settings.allow_writable_sql is True
    notes = [e for _, e in nano.core.recorder.since(0) if isinstance(e, Note)]
    assert any("restart nanodev to apply port" in n.message for n in notes)
    config.write_text("[nanodev]\ndefault_max_rooms = 'many'\n")
    bad = await wait_reloads(nano, "config", 2)
    assert not bad.ok and "kept the old settings" in bad.detail
    assert nano.core.settings.default_max_rooms == 5
