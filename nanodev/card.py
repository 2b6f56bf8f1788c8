"""The startup card `nanodev up` prints once listening: what is served where, what this run was
started with (config file, flags, usable keys, the app's migrations), and how long it took from
process start; under `--log-format json`, the same as the first JSON record.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from aiohttp import web

from nanodev import __version__
from nanodev.core import CORE
from nanodev.frontend import describe_frontend
from nanodev.settings import Settings

MAX_CARD_KEYS = 3


@dataclass(frozen=True, slots=True)
class Bound:
    page_url: str
    worker_url: str | None
    page_port: int
    worker_port: int | None


async def write_card(
    out: TextIO, settings: Settings, app: web.Application, bound: Bound, ready_ms: float
) -> None:
    keys = await valid_keys(app)
    migrations = migration_lines(app)
    if settings.log_format == "json":
        out.write(ready_record(settings, bound, ready_ms, keys, migrations) + "\n")
    else:
        out.write(startup_card(settings, bound, ready_ms, keys, migrations) + "\n")
    out.flush()


def startup_card(
    settings: Settings,
    bound: Bound,
    ready_ms: float,
    keys: Sequence[str] = (),
    migrations: Sequence[str] = (),
) -> str:
    page = bound.page_url
    ws_page = page.replace("http://", "ws://")
    state = settings.state_dir.resolve()
    state_flag = "" if settings.state_dir == Path(".nanodev") else f" --state-dir {state}"
    lines = [
        f"nanodev {__version__} ready in {ready_ms:.0f} ms",
        f"  Page       {page}/",
        f"  Frontend   {describe_frontend(settings)}",
        f"  WebSocket  {ws_page}/__ws/websocket?room_id=<room>&key=<key>",
    ]
    if bound.worker_url:
        lines.append(f"  Worker     {bound.worker_url}/   (routes without /__ws, for a Vite proxy)")
    lines += [
        f"  Inspector  {page}/__nanodev/",
        f"  State      {state}{'  (ephemeral: removed on exit)' if settings.ephemeral else ''}",
        *in_effect(settings, keys),
        *[f"  {'Migrations' if i == 0 else '':<10} {line}" for i, line in enumerate(migrations)],
        "",
        "  Make a key and a ready-to-paste URL:",
        f"    nanodev keys create --user you@example.com{state_flag}",
        f"    → {ws_page}/__ws/websocket?room_id=my-room&key=nk_live_…",
        "",
        "  Ctrl-C to stop.",
    ]
    if not settings.is_loopback:
        lines.insert(
            1,
            f"  WARNING: listening on {settings.host}: anyone who can reach this "
            "machine can reach nanodev. Use 127.0.0.1 unless you mean it.",
        )
    return "\n".join(lines)


def ready_record(
    settings: Settings,
    bound: Bound,
    ready_ms: float,
    keys: Sequence[str],
    migrations: Sequence[str] = (),
) -> str:
    """`--log-format json`: the startup card as the first record of the terminal's JSON lines."""
    from nanodev.inspector import TermLine, render  # noqa: PLC0415 - only for JSON logs

    config = settings.config_path
    fields = {
        "version": __version__,
        "ready_ms": round(ready_ms),
        "page_url": bound.page_url,
        "worker_url": bound.worker_url,
        "inspector_url": f"{bound.page_url}/__nanodev/",
        "state_dir": str(settings.state_dir.resolve()),
        "config": str(config.resolve()) if config else None,
        "keys": list(keys),
        "migrations": list(migrations),
    }
    text = f"nanodev {__version__} ready in {ready_ms:.0f} ms at {bound.page_url}/"
    return render(TermLine(time.time(), "ready", "info", text, "", fields), "json")


def in_effect(settings: Settings, keys: Sequence[str]) -> list[str]:
    """The card's lines for what this run was started with: config file, flags, keys."""
    config = settings.config_path
    lines = [f"  Config     {config.resolve() if config else 'none (no ./nanodev.toml)'}"]
    given = {
        "--static": settings.static_dir,
        "--frontend": settings.frontend_url,
        "--upstream": settings.upstream,
        "--hooks": settings.hooks,
        "--migrations": settings.migrations_dir,
    }
    lines += [f"  {flag:<10} {value}" for flag, value in given.items() if value is not None]
    if keys:
        shown = ", ".join(keys[:MAX_CARD_KEYS])
        more = f" and {len(keys) - MAX_CARD_KEYS} more" if len(keys) > MAX_CARD_KEYS else ""
        lines.append(f"  Keys       {shown}{more}  (nanodev keys list)")
    return lines


def process_age_ms() -> float | None:
    """Milliseconds since this process was created, interpreter start and imports included:
    the kernel's start time of the process (/proc/self/stat, in clock ticks since boot, so to
    10 ms) against CLOCK_BOOTTIME. None where there is no /proc."""
    try:
        stat = Path("/proc/self/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: starttime
        started_s = ticks / os.sysconf("SC_CLK_TCK")
        return (time.clock_gettime(time.CLOCK_BOOTTIME) - started_s) * 1000
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def ready_after_ms(spawned: float | None, serving: float) -> float:
    """From process start for the CLI (`spawned` given: its first perf_counter, the fallback);
    from `serve()`'s start for a server run inside another program such as a test."""
    if spawned is None:
        return (time.perf_counter() - serving) * 1000
    age = process_age_ms()
    return age if age is not None else (time.perf_counter() - spawned) * 1000


async def valid_keys(app: web.Application) -> list[str]:
    """The usable keys already in the auth database, newest first, for the startup card."""
    now_ms = time.time() * 1000
    rows = await app[CORE].db.list_keys()
    return [
        f"{row['id']} ({row['email'] or row['user_id']})"
        for row in rows
        if not row["revoked_at"] and (row["expires_at"] is None or row["expires_at"] > now_ms)
    ]


def migration_lines(app: web.Application) -> list[str]:
    """The app's migrations on this start (authdb.outcome), or nothing without a folder."""
    prepared = app[CORE].db.prepared
    if not prepared.uses_migrations:
        return []
    from nanodev.authdb import outcome  # noqa: PLC0415 - only with a migrations folder

    return outcome.summary(prepared)
