"""Settings: defaults, NANODEV_* variables, nanodev.toml, and the order they apply in."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from nanodev.cli import main
from nanodev.cli.up import build_settings
from nanodev.settings import Settings, env_values, load_toml


def test_defaults_are_loopback_and_the_incumbent_ports() -> None:
    settings = Settings()
    assert (settings.host, settings.port, settings.worker_port) == ("127.0.0.1", 3000, 8787)
    assert settings.is_loopback


def test_env_values_read_only_known_fields() -> None:
    env = {
        "NANODEV_PORT": "4000",
        "NANODEV_RECORD": "false",
        "NANODEV_NOPE": "1",
        "NANODEV_ALLOWED_HOSTS": "dev.localhost, box.test",
        "OTHER": "x",
    }
    values = env_values(env)
    assert values == {"port": "4000", "record": "false", "allowed_hosts": "dev.localhost, box.test"}
    settings = Settings(**values)
    assert settings.port == 4000 and settings.record is False
    assert settings.allowed_hosts == ("dev.localhost", "box.test")


def test_bad_values_are_refused_with_the_field_name() -> None:
    with pytest.raises(ValidationError, match="port"):
        Settings(port="seventy")
    with pytest.raises(ValidationError, match="unknown_field"):
        Settings(unknown_field=1)


def test_toml_keys_accept_dashes(tmp_path: Path) -> None:
    path = tmp_path / "nanodev.toml"
    path.write_text('[nanodev]\nworker-port = 9999\nstate_dir = "x"\n')
    assert load_toml(path) == {"worker_port": 9999, "state_dir": "x"}


def test_order_file_then_env_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nanodev.toml").write_text("[nanodev]\nport = 4001\nworker_port = 4002\n")
    monkeypatch.setenv("NANODEV_WORKER_PORT", "4003")
    seen: dict[str, Settings] = {}

    import nanodev.cli.up as cli_module  # noqa: PLC0415 - patch the command's settings sink

    monkeypatch.setattr(
        cli_module,
        "build_settings",
        lambda config, flags: seen.setdefault("s", build_settings(config, flags)),
    )
    monkeypatch.setattr("nanodev.serve.run", lambda settings, spawned=None: 0)
    result = CliRunner().invoke(main, ["up", "--host", "127.0.0.2"])
    assert result.exit_code == 0, result.output
    settings = seen["s"]
    assert (settings.port, settings.worker_port, settings.host) == (4001, 4003, "127.0.0.2")


def test_invalid_flag_value_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["up", "--port", "70000"])
    assert result.exit_code == 2
    assert "invalid settings: port" in result.output
