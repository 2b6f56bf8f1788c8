"""`nanodev up`: one runner, the page and worker listeners, the startup card, a clean exit.

Ctrl-C or SIGTERM closes every socket with 1001, flushes state and exits 0 within 2 s.
A port already in use is one line naming the port and the flag to change it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import os
import resource
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from nanodev import __version__
from nanodev.app import create_app
from nanodev.card import Bound, ready_after_ms, write_card
from nanodev.gateway import LISTENERS
from nanodev.preflight import check_aiohttp
from nanodev.record import redact_protocols
from nanodev.settings import Settings
from nanodev.state import clear_server_info, write_server_info

SHUTDOWN_TIMEOUT_S = 1.0


class BadRequestsInOneLine(logging.Filter):
    """aiohttp logs every request its parser refuses (smuggling attempts, bad chunking) with a
    full traceback, although the client got its 400 and nothing in nanodev failed: one line
    naming the parser's reason instead. Any other error keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            reason = " ".join(str(exc.message).split())[:200]
            record.msg = f"{record.getMessage()}: refused with {exc.code} ({reason})"
            record.args, record.exc_info, record.exc_text = (), None, None
        return True


SERVER_LOG = logging.getLogger("nanodev.http")
SERVER_LOG.addFilter(BadRequestsInOneLine())


class ProtocolsFingerprinted(logging.Filter):
    """aiohttp warns when a client's Sec-WebSocket-Protocol values match none of the server's,
    and prints them: a token smuggled there would reach the terminal in full."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if "Client protocols" in str(record.msg) and isinstance(args, tuple) and len(args) > 1:
            offered = args[1] if isinstance(args[1], list) else [str(args[1])]
            shown = redact_protocols(", ".join(map(str, offered))).split(", ")
            record.args = (args[0], shown, *args[2:])
        return True


logging.getLogger("aiohttp.websocket").addFilter(ProtocolsFingerprinted())


class StartupError(Exception):
    """A problem the user fixes with a flag; printed as one line, exit code 2."""


def raise_fd_limit() -> int:
    """Sockets cost one descriptor each; take the hard limit so thousands of tabs fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return target
    return soft


async def start(settings: Settings) -> tuple[web.AppRunner, Bound]:
    await _resolve(settings.host)  # before anything is opened or written
    app = create_app(settings)
    runner = web.AppRunner(
        app, shutdown_timeout=SHUTDOWN_TIMEOUT_S, access_log=None, logger=SERVER_LOG
    )
    await runner.setup()
    try:
        page_port = await _listen(runner, settings.host, settings.port, "--port")
        worker_port = None
        if settings.worker_port:
            worker_port = await _listen(
                runner, settings.host, settings.worker_port, "--worker-port"
            )
    except BaseException:
        await runner.cleanup()
        raise
    listeners = app[LISTENERS]
    listeners[page_port] = "page"
    if worker_port is not None:
        listeners[worker_port] = "worker"
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    bound = Bound(
        f"http://{host}:{page_port}",
        f"http://{host}:{worker_port}" if worker_port else None,
        page_port,
        worker_port,
    )
    return runner, bound


async def _resolve(host: str) -> None:
    try:
        await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise StartupError(
            f"--host {host!r} does not resolve to an address ({exc.strerror}): pass an address "
            "such as --host 127.0.0.1 or --host ::1, or a name in /etc/hosts"
        ) from None


async def _listen(runner: web.AppRunner, host: str, port: int, flag: str) -> int:
    site = web.TCPSite(runner, host, port)  # the runner carries shutdown_timeout
    try:
        await site.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"port {port} on {host} is already in use: stop what runs there, or pass "
                f"{flag} N (NANODEV_{flag[2:].upper().replace('-', '_')}=N)"
            ) from None
        if exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
            raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        raise
    server = site._server  # the one documented way to learn the port chosen for port 0
    sockets = getattr(server, "sockets", None) or []
    return int(sockets[0].getsockname()[1]) if sockets else port


def say(out: TextIO, fmt: str, kind: str, text: str, level: str = "info") -> None:
    """One of nanodev's own lines (`nanodev: stopping …`), or its JSON record under
    `--log-format json`, so a log pipe sees nothing but JSON."""
    if fmt == "json":
        from nanodev.inspector import TermLine, render  # noqa: PLC0415 - only for JSON logs

        line = TermLine(time.time(), kind, "warning" if level == "warning" else "info", text)
        out.write(render(line, "json") + "\n")
    else:
        out.write(f"nanodev: {text}\n")
    out.flush()


async def serve(settings: Settings, out: TextIO | None = None, spawned: float | None = None) -> int:
    out = out or sys.stdout
    serving = time.perf_counter()
    raise_fd_limit()
    preflight(sys.stderr)
    runner, bound = await start(settings)
    resume_collection()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _on_signal, stop, out, settings)
    write_server_info(
        settings.state_dir,
        {
            "pid": os.getpid(),
            "page_url": bound.page_url,
            "worker_url": bound.worker_url,
            "version": __version__,
            "state_dir": str(settings.state_dir.resolve()),
        },
    )
    await write_card(out, settings, runner.app, bound, ready_after_ms(spawned, serving))
    try:
        await stop.wait()
    finally:
        say(out, settings.log_format, "stopping", "stopping (closing sockets with 1001)")
        await asyncio.wait_for(runner.cleanup(), timeout=5)
        code = await export_on_exit(settings, out)
        clear_server_info(settings.state_dir, os.getpid())
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return code


def resume_collection() -> None:
    """Resume the cyclic collector `nanodev up` paused while it loaded (cli.up), once listening.
    What start-up built lives as long as the process: `gc.freeze` moves it out of the
    collector's reach, so later full collections do not walk it either. A process that never
    paused the collector (a test serving in-process) is left as it was."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def preflight(err: TextIO) -> None:
    checked = check_aiohttp()
    for warning in checked.warnings:
        err.write(f"nanodev: WARNING: {warning}\n")
    if checked.errors:
        raise StartupError("; ".join(checked.errors))


def _on_signal(stop: asyncio.Event, out: TextIO, settings: Settings) -> None:
    """First Ctrl-C/SIGTERM stops; later ones say what is still happening instead of
    interrupting it (an interrupted export would be lost, never the previous snapshot)."""
    if not stop.is_set():
        stop.set()
        return
    export = settings.export_on_exit
    doing = f"writing the snapshot to {export}" if export else "closing sockets and stores"
    say(out, settings.log_format, "stopping", f"already stopping ({doing}); this takes a moment")


async def export_on_exit(settings: Settings, out: TextIO) -> int:
    """After every store closed: the --export-on-exit snapshot, atomically (0 ok, 1 failed)."""
    target = settings.export_on_exit
    if target is None:
        return 0
    # Imported only when asked for: start-up time matters and most runs never export.
    from nanodev.state import SnapshotError, export_state  # noqa: PLC0415

    try:
        snap = await asyncio.to_thread(export_state, settings.state_dir, target)
    except (SnapshotError, OSError, sqlite3.Error) as exc:
        failed = f"export to {target} FAILED ({exc}); the previous file is intact"
        say(out, settings.log_format, "note", failed, "warning")
        return 1
    done = f"exported auth and {len(snap.rooms)} room(s) to {snap.path}"
    say(out, settings.log_format, "note", done)
    return 0


def run(settings: Settings, spawned: float | None = None) -> int:
    """Blocking entry point for the CLI; handles --ephemeral's temporary directory."""
    temp: str | None = None
    if settings.ephemeral:
        temp = tempfile.mkdtemp(prefix="nanodev-")
        settings = settings.model_copy(update={"state_dir": Path(temp)})
    try:
        return asyncio.run(serve(settings, spawned=spawned))
    except StartupError as exc:
        sys.stderr.write(f"nanodev: {exc}\n")
        return 2
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
