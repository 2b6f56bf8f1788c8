"""`create_app(settings)`: one aiohttp application with every component it owns.

Each resource (auth DB, room registry and its sweeper, the console) is opened in a
`cleanup_ctx` and closed after its `yield`; shutdown closes every socket with 1001 first.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
from collections.abc import AsyncIterator

from aiohttp import WSCloseCode, web

from nanodev import __version__
from nanodev.authdb import AuthDB, Touches, open_auth_db, outcome
from nanodev.core import CORE, Core
from nanodev.frontend import chooser as frontend
from nanodev.gateway import LISTENERS, front_door, guard
from nanodev.inspector import ConsoleLog
from nanodev.inspector import views as inspector
from nanodev.record import Note, Recorder, now
from nanodev.rooms import RoomRegistry, builtin_methods, webhooks
from nanodev.settings import Settings
from nanodev.state import ensure_layout, load_secret
from nanodev.worker import expiry

SETTINGS: web.AppKey[Settings] = web.AppKey("nanodev_settings", Settings)
RECORDER: web.AppKey[Recorder] = web.AppKey("nanodev_recorder", Recorder)


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=settings.max_message_bytes)
    app[SETTINGS] = settings
    app[RECORDER] = Recorder(settings.inspector_capacity, store=settings.record)
    app[LISTENERS] = {}
    app.cleanup_ctx.append(_core_ctx)
    app.cleanup_ctx.append(_webhooks_ctx)  # after the core it delivers for
    if settings.upstream:  # the relay to a real Worker, after the core; imported only then
        from nanodev.upstream import install as install_upstream  # noqa: PLC0415

        install_upstream(app)
    app.on_shutdown.append(_close_sockets)
    guard.install(app, settings.allowed_hosts)
    inspector.add_routes(app)
    frontend.add_routes(app)
    app.router.add_route("*", "/{tail:.*}", front_door)
    return app


async def _core_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    recorder = app[RECORDER]
    # The auth database first: if it cannot open, nothing is created or written.
    async with open_auth_db(settings.auth_db_path, settings.migrations_dir) as db:
        ensure_layout(settings.state_dir)
        if db.prepared.uses_migrations:  # for the inspector; the startup card prints it
            lines = outcome.summary(db.prepared)
            level = "info" if db.prepared.run.ok else "warning"
            recorder.record(Note(0, now(), level, "migrations: " + "; ".join(lines)))
        methods = builtin_methods(db)
        rooms = RoomRegistry(settings, methods, recorder)
        core = Core(
            settings, recorder, db, rooms, methods, load_secret(settings.state_dir), __version__
        )
        core.frontend = frontend.builtin_demo
        app[CORE] = core
        stop_console = (
            recorder.listen(ConsoleLog(sys.stdout, settings.log_format))
            if settings.log_requests
            else None
        )
        rooms.tasks.spawn(rooms.sweep_forever(), "sweeper")
        core.touches = Touches(db)
        core.tasks.spawn(core.touches.flush_forever(), "touches")
        core.tasks.spawn(expiry.watch_forever(db, rooms), "expiry")
        recorder.known.add(await db.secret_values())
        db.on_secret.append(lambda secret: recorder.known.add((secret,)))
        core.tasks.spawn(_learn_secrets(db, recorder), "known-secrets")
        try:
            yield
        finally:
            await rooms.close_all(WSCloseCode.GOING_AWAY, "Server shutdown")
            if stop_console:  # after the 1001 closes, so the terminal shows them
                stop_console()
            await core.tasks.wait_all(timeout=0.2)
            await core.tasks.cancel_all()
            await core.touches.flush()


async def _learn_secrets(db: AuthDB, recorder: Recorder, every_s: float = 1.0) -> None:
    """Keys and sessions created meanwhile (by the CLI, sign-in, /api/keys/generate) become
    known secrets within a second, so a record never shows one in full."""
    while True:
        await asyncio.sleep(every_s)
        with contextlib.suppress(sqlite3.Error):
            recorder.known.add(await db.secret_values())


async def _webhooks_ctx(app: web.Application) -> AsyncIterator[None]:
    core = app[CORE]
    if not core.settings.deliver_webhooks:
        yield
        return
    async with webhooks.delivering(core.rooms, core.recorder) as delivery:
        core.extras["webhooks"] = delivery
        yield


async def _close_sockets(app: web.Application) -> None:
    core = app.get(CORE)
    if core is not None:
        await core.rooms.close_all(WSCloseCode.GOING_AWAY, "Server shutdown")
