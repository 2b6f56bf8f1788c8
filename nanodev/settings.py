"""One settings model for every way nanodev is configured: flags, NANODEV_* env vars, nanodev.toml.

Each field's description doubles as the CLI help text, so the two cannot drift.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nanodev.origins import http_origin

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class SocketPolicy(StrEnum):
    """What a backend reload does to open sockets."""

    KEEP = "keep"
    CLOSE = "close"


class Settings(BaseModel):
    """Everything `nanodev up` can be told. Field descriptions are the CLI help."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(
        "127.0.0.1", description="Interface to listen on (loopback unless you mean it)."
    )
    port: int = Field(
        3000, ge=0, le=65535, description="Page origin port: frontend, /__ws/*, /api/* (0 = any)."
    )
    worker_port: int = Field(
        8787,
        ge=0,
        le=65535,
        description="Also serve the worker's routes here, for an unchanged Vite proxy (0 = off).",
    )
    state_dir: Path = Field(Path(".nanodev"), description="Where the auth DB and room stores live.")
    ephemeral: bool = Field(False, description="Use a temporary state directory removed on exit.")
    static_dir: Path | None = Field(
        None, description="Serve this built frontend with SPA fallback."
    )
    static_deny: tuple[str, ...] = Field(
        (),
        description="More glob patterns never served from --static (besides .env, .env.*, "
        "*.pem, *.crt, *.key, *.p12, .git).",
    )
    frontend_url: str | None = Field(
        None, description="Reverse-proxy the frontend to this dev server."
    )
    upstream: str | None = Field(
        None, description="Send worker traffic to this real Worker instead."
    )
    upstream_timeout: float = Field(
        30.0, gt=0, description="Seconds to wait for the upstream Worker to answer (then 504)."
    )
    hooks: Path | None = Field(None, description="Python module with extra RPC methods and seeds.")
    migrations_dir: Path | None = Field(
        None, description="Apply NNNN_name.sql migrations to the auth DB (default ./migrations)."
    )
    config_path: Path | None = Field(
        None, description="Settings file watched for live changes (set from --config)."
    )
    record: bool = Field(
        True, description="Record requests, decisions and frames for the inspector."
    )
    inspector_capacity: int = Field(
        10_000, ge=100, description="Events the inspector keeps before dropping the oldest."
    )
    frame_preview_bytes: int = Field(
        4096, ge=64, description="Frames larger than this are stored truncated (size kept)."
    )
    max_message_bytes: int = Field(
        1 << 20, ge=1024, description="Largest WebSocket message accepted (close 1009 above it)."
    )
    max_socket_buffer_bytes: int = Field(
        4 << 20, ge=65536, description="Unsent bytes a slow socket may hold before it is closed."
    )
    room_idle_seconds: float = Field(
        30.0, ge=0, description="Release an empty room's memory after this many idle seconds."
    )
    hibernate_after: float | None = Field(
        None,
        ge=0,
        description=(
            "Hibernate a room with open sockets after this many idle seconds. As on the "
            "platform, its sockets stay open but lose their table subscriptions: a client gets "
            "no update until it subscribes again (the inspector says when one is missed)."
        ),
    )
    export_on_exit: Path | None = Field(
        None, description="On exit (Ctrl-C, SIGTERM) write a snapshot here, atomically."
    )
    allowed_hosts: tuple[str, ...] = Field(
        (), description="Extra Host names accepted besides localhost and loopback addresses."
    )
    allowed_origins: tuple[str, ...] = Field(
        (), description="Extra page origins accepted for cookie-carrying requests."
    )
    default_max_rooms: int = Field(3, ge=1, description="Plan limit when plan_limits has no row.")
    allow_writable_sql: bool = Field(
        False, description="Honour executeSQL's readonly:false (production does; unsafe)."
    )
    deliver_webhooks: bool = Field(True, description="Deliver room webhooks over HTTP for real.")
    reload_sockets: SocketPolicy = Field(
        SocketPolicy.KEEP, description="On a backend reload keep sockets, or close them with 1012."
    )
    log_requests: bool = Field(True, description="Print one line per request and handshake.")
    log_format: Literal["text", "json"] = Field(
        "text", description="Terminal lines as text, or one JSON object per line (as tail --json)."
    )
    page_probe: bool = Field(
        True, description="Inject the page probe: what the page saw of each socket, and its line."
    )

    @field_validator("frontend_url", "upstream")
    @classmethod
    def _origin(cls, value: str | None) -> str | None:
        # Checked here, so a bad value from nanodev.toml or the environment is refused before
        # anything starts, exactly like the flag.
        return None if value is None else http_origin(value)

    @field_validator("allowed_hosts", "allowed_origins", "static_deny", mode="before")
    @classmethod
    def _split_csv(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    @property
    def ws_max_msg_size(self) -> int:
        """aiohttp's `max_msg_size` for `max_message_bytes`: aiohttp refuses a message whose size
        reaches its limit (>=), and a message of exactly `max_message_bytes` must pass."""
        return self.max_message_bytes + 1

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")

    @property
    def auth_db_path(self) -> Path:
        return self.state_dir / "d1" / "AUTH_DB.sqlite"

    @property
    def rooms_dir(self) -> Path:
        return self.state_dir / "rooms"


def load_toml(path: Path) -> dict[str, Any]:
    """Read nanodev.toml's settings table; unknown keys fail in Settings with a clear message."""
    import tomllib  # noqa: PLC0415 - most runs have no settings file; start-up time matters

    with path.open("rb") as fh:
        data = tomllib.load(fh)
    table = data.get("nanodev", data)
    return {k.replace("-", "_"): v for k, v in table.items()}


ENV_PREFIX = "NANODEV_"


def env_values(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`NANODEV_<FIELD>` variables, as raw strings for the model to validate.

    A plain loop instead of pydantic-settings: it is all we need, and importing that package
    costs more start-up time than the rest of the settings machinery together."""
    env = os.environ if environ is None else environ
    return {
        name: env[ENV_PREFIX + name.upper()]
        for name in Settings.model_fields
        if ENV_PREFIX + name.upper() in env
    }
