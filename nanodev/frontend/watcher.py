"""Hot reload: watchfiles over the static build, nanodev.toml, the hooks module and migrations.

Each burst of changes (grouped by watchfiles until the files are quiet for `STEP_MS`) is sorted
by `classify` (pure) and handled in one go; every reload becomes one `Reloaded` event saying
what changed, whether it worked and how long it took. Rooms and their sockets survive backend
reloads; `settings.reload_sockets = "close"` closes the sockets with 1012 instead, as a
production deploy would, so an app's reconnect path can be exercised.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import WSCloseCode

from nanodev.core import Core
from nanodev.frontend.livereload import ReloadHub, reload_message
from nanodev.record import Note, Reloaded, now
from nanodev.settings import SocketPolicy
from nanodev.tasks import TaskSet

if TYPE_CHECKING:
    from watchfiles import Change

    from nanodev.frontend.hooks import HooksModule
    from nanodev.frontend.liveconfig import LiveConfig

# watchfiles, the hooks loader, the live config and the migrations runner are imported only when
# something is watched or configured, and when it is first needed: most runs of `nanodev up`
# start faster without them.

STEP_MS = 20  # quiet time that ends a burst: editors write a file in several syscalls
DEBOUNCE_MS = 400  # upper bound on how long one burst may be grouped
STOP_CHECK_MS = 500


@dataclass(frozen=True, slots=True)
class Watched:
    """What this nanodev watches; None for a part that is not configured."""

    static_root: Path | None = None
    config: Path | None = None
    hooks: Path | None = None
    migrations: Path | None = None


@dataclass(slots=True)
class Batch:
    static: list[str] = field(default_factory=list)  # URL paths, e.g. /assets/app.css
    config: bool = False
    hooks: bool = False
    migrations: list[str] = field(default_factory=list)

    @property
    def css_only(self) -> bool:
        return bool(self.static) and all(p.lower().endswith(".css") for p in self.static)

    @property
    def empty(self) -> bool:
        return not (self.static or self.config or self.hooks or self.migrations)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def classify(changes: Iterable[tuple[Change, str]], watched: Watched) -> Batch:
    """Sort one burst of file changes into the reloads they call for (pure)."""
    from watchfiles import DefaultFilter  # noqa: PLC0415 - see the note at the imports

    ignored = DefaultFilter()
    batch = Batch()
    for change, raw in changes:
        path = Path(raw)
        if not ignored(change, raw):
            continue
        if watched.config is not None and path == watched.config:
            batch.config = True
        elif watched.hooks is not None and path == watched.hooks:
            batch.hooks = True
        elif watched.migrations is not None and _inside(path, watched.migrations):
            if path.suffix == ".sql":
                batch.migrations.append(path.name)
        elif watched.static_root is not None and _inside(path, watched.static_root):
            rel = path.relative_to(watched.static_root).as_posix()
            batch.static.append("/" + rel)
    batch.static = sorted(set(batch.static))
    batch.migrations = sorted(set(batch.migrations))
    return batch


def watched_for(core: Core, static_root: Path | None) -> Watched:
    settings = core.settings
    config, migrations = settings.config_path, settings.migrations_dir
    return Watched(
        static_root=static_root.resolve() if static_root and static_root.is_dir() else None,
        config=config.resolve() if config else None,
        hooks=settings.hooks.resolve() if settings.hooks else None,
        migrations=migrations.resolve() if migrations else None,
    )


class Reloader:
    """Owns the watch tasks and applies each burst of changes."""

    def __init__(self, core: Core, hub: ReloadHub, watched: Watched) -> None:
        self.core = core
        self.hub = hub
        self.watched = watched
        self.hooks: HooksModule | None = None
        self.config: LiveConfig | None = None
        if watched.hooks:
            from nanodev.frontend.hooks import HooksModule  # noqa: PLC0415

            self.hooks = HooksModule(watched.hooks, core.methods)
        if watched.config:
            from nanodev.frontend.liveconfig import LiveConfig  # noqa: PLC0415

            self.config = LiveConfig(watched.config)
        self.tasks = TaskSet("reload")
        self.stop = asyncio.Event()

    # -- lifetime ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Initial hooks, then the watchers (the auth database applied pending migrations as
        it opened, before anything could use it: `authdb.prepare`)."""
        if self.hooks is not None:
            await self.reload_hooks(initial=True)
        deep = [p for p in (self.watched.static_root, self.watched.migrations) if p and p.is_dir()]
        files = {p.parent for p in (self.watched.config, self.watched.hooks) if p is not None}
        if deep:
            self.tasks.spawn(self._watch(deep, recursive=True), "watch-tree")
        if files := {d for d in files if d.is_dir()}:
            self.tasks.spawn(self._watch(sorted(files), recursive=False), "watch-files")

    async def close(self) -> None:
        self.stop.set()  # lets the watch thread return instead of blocking the cancel
        await self.tasks.wait_all(timeout=STOP_CHECK_MS / 1000 + 0.5)
        await self.tasks.cancel_all()
        if self.hooks is not None:
            self.hooks.unload()

    async def _watch(self, paths: list[Path], *, recursive: bool) -> None:
        from watchfiles import awatch  # noqa: PLC0415

        async for changes in awatch(
            *paths,
            watch_filter=None,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=self.stop,
            rust_timeout=STOP_CHECK_MS,
            recursive=recursive,
        ):
            await self.apply(classify(changes, self.watched))

    # -- one burst --------------------------------------------------------------------------
    async def apply(self, batch: Batch) -> None:
        if batch.static:
            await self.reload_pages(batch)
        if batch.config:
            self.reload_config()
        if batch.migrations:
            await self.apply_migrations(batch.migrations)
        if batch.hooks:
            await self.reload_hooks()

    async def reload_pages(self, batch: Batch) -> None:
        started = time.perf_counter()
        pages = await self.hub.broadcast(reload_message(batch.static, batch.css_only))
        kind = "stylesheets swapped" if batch.css_only else "full reload"
        self._record("static", batch.static, True, started, f"{kind} on {pages} open page(s)")

    def reload_config(self) -> None:
        assert self.config is not None
        started = time.perf_counter()
        change = self.config.reload(self.core)
        name = self.config.path.name
        if not change.ok:
            self._record("config", [name], False, started, f"kept the old settings: {change.error}")
            return
        parts = [f"applied {', '.join(sorted(change.applied))}" if change.applied else ""]
        if change.needs_restart:
            restart = ", ".join(change.needs_restart)
            parts.append(f"restart nanodev to apply {restart}")
            self._note("warning", f"{name}: restart nanodev to apply {restart}")
        detail = "; ".join(p for p in parts if p) or "no setting changed"
        self._record("config", [name], True, started, detail)

    async def apply_migrations(self, changed: list[str]) -> None:
        from nanodev.authdb import outcome, prepare  # noqa: PLC0415

        assert self.watched.migrations is not None
        started = time.perf_counter()
        # As at start: pending files, then what nanodev needs that they left out.
        prepared = await asyncio.to_thread(
            prepare, self.core.settings.auth_db_path, self.watched.migrations
        )
        run = prepared.run
        names = run.applied + ([run.failed] if run.failed else []) or changed
        detail = outcome.live_detail(prepared)
        if run.applied:
            await self._backend_reloaded("migrations applied")
        self._record("migrations", names, run.ok, started, detail)

    async def reload_hooks(self, *, initial: bool = False) -> None:
        from nanodev.frontend.hooks import SeedContext  # noqa: PLC0415

        assert self.hooks is not None
        started = time.perf_counter()
        settings = self.core.settings
        result = await self.hooks.load(SeedContext(self.core.db, settings.state_dir))
        if result.ok:
            detail = f"methods: {', '.join(result.methods) or 'none'}"
            if result.seeds_run:
                detail += f"; {result.seeds_run} seed(s) ran"
            if not initial:
                await self._backend_reloaded("hooks reloaded")
        else:
            kept = "the previous version keeps serving" if self.hooks.module else "no hooks loaded"
            detail = f"{result.error}; {kept}"
        if result.warnings:
            detail += "; " + "; ".join(result.warnings)
        self._record("hooks", [self.hooks.path.name], result.ok, started, detail)

    async def _backend_reloaded(self, why: str) -> None:
        if self.core.settings.reload_sockets is not SocketPolicy.CLOSE:
            return
        conns = [c for room in self.core.rooms.rooms.values() for c in room.sockets]
        if conns:
            await asyncio.gather(
                *(c.close(WSCloseCode.SERVICE_RESTART, f"Backend reloaded: {why}") for c in conns)
            )

    def _record(self, what: str, changed: list[str], ok: bool, started: float, detail: str) -> None:
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        self.core.recorder.record(Reloaded(0, now(), what, tuple(changed), ok, elapsed, detail))

    def _note(self, level: str, message: str) -> None:
        self.core.recorder.record(Note(0, now(), level, message))
