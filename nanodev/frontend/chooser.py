"""What answers requests that are not the worker's: a static build, a dev-server proxy, or the
built-in demo, chosen from the settings when the app starts.

`--frontend URL` wins over `--static DIR`; with neither, `/` is nanodev's demo app. nanodev's own
parts of the page origin live under `/__nanodev/reload/…` (the live-reload channel) and
`/__nanodev/demo/…`, so they can never collide with `/__ws/*` or the app's routes. This module
also owns the hot-reload watcher and the proxy's ClientSession, through one cleanup context.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from nanodev.core import CORE, Core
from nanodev.frontend import demo
from nanodev.frontend.livereload import CLIENT_PATH, WS_PATH, ReloadHub
from nanodev.frontend.pageprobe import PageProbe
from nanodev.record import FLOW, Note, now
from nanodev.settings import Settings

if TYPE_CHECKING:  # each imported by _frontend_ctx only when configured (start-up time)
    from nanodev.frontend.proxy import DevProxy
    from nanodev.frontend.static import StaticSite
    from nanodev.frontend.watcher import Reloader


@dataclass(slots=True)
class Frontend:
    """The frontend parts one app owns; built at startup, closed at cleanup."""

    hub: ReloadHub
    probe: PageProbe
    site: StaticSite | None = None
    proxy: DevProxy | None = None
    session: aiohttp.ClientSession | None = None
    reloader: Reloader | None = None

    @property
    def mode(self) -> str:
        if self.proxy is not None:
            return f"proxy to {self.proxy.origin}"
        if self.site is not None:
            return f"static files from {self.site.configured}"
        return "built-in demo"


FRONTEND: web.AppKey[Frontend] = web.AppKey("nanodev_frontend", Frontend)


def describe_frontend(settings: Settings) -> str:
    """One line for the startup card: what answers at / and how it reloads."""
    if settings.frontend_url:
        return f"proxy to {settings.frontend_url} (its HMR socket passes through)"
    if settings.static_dir is not None:
        return f"{settings.static_dir}/ with SPA fallback, live reload on"
    return "built-in demo at / (--static DIR or --frontend URL for your app)"


def add_routes(app: web.Application) -> None:
    """nanodev's own page-origin routes; they sit before the gateway's catch-all."""
    hub = ReloadHub(lambda: app[CORE].settings.allowed_origins)
    probe = PageProbe(
        lambda: app[CORE].recorder,
        lambda: app[CORE].settings.page_probe,
        lambda: app[CORE].settings.allowed_origins,
    )
    app[FRONTEND] = Frontend(hub, probe)
    app.router.add_get(WS_PATH, hub.handle_ws)
    app.router.add_get(CLIENT_PATH, hub.client_js)
    probe.add_routes(app)
    demo.add_routes(app)
    app.cleanup_ctx.append(_frontend_ctx)
    app.on_shutdown.append(_close_sockets)


async def _frontend_ctx(app: web.Application) -> AsyncIterator[None]:
    core, fe = app[CORE], app[FRONTEND]
    settings = core.settings
    if settings.frontend_url:
        _start_proxy(core, fe, settings.frontend_url)
    elif settings.static_dir is not None:
        from nanodev.frontend.static import StaticSite  # noqa: PLC0415

        fe.site = StaticSite(
            settings.static_dir,
            page_probe=lambda: core.settings.page_probe,
            deny=settings.static_deny,
        )
        core.frontend = static
    else:
        core.frontend = builtin_demo
    core.recorder.record(Note(0, now(), "info", f"frontend: {fe.mode}"))
    # The watcher, and its imports, only when there is something to watch (reload.Watched).
    if fe.site or settings.config_path or settings.hooks or settings.migrations_dir:
        from nanodev.frontend.watcher import Reloader, watched_for  # noqa: PLC0415

        fe.reloader = Reloader(
            core, fe.hub, watched_for(core, settings.static_dir if fe.site else None)
        )
    try:
        if fe.reloader is not None:
            await fe.reloader.start()
        yield
    finally:
        if fe.reloader is not None:
            await fe.reloader.close()
        await fe.hub.close_all()
        await fe.probe.close()
        if fe.session is not None:
            await fe.session.close()


def _start_proxy(core: Core, fe: Frontend, url: str) -> None:
    from nanodev.frontend.proxy import DevProxy  # noqa: PLC0415

    # No cookie jar: cookies belong to the browser, never to a session shared by all tabs.
    fe.session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False)
    fe.proxy = DevProxy(
        url,
        fe.session,
        core.recorder,
        allowed_origins=lambda: core.settings.allowed_origins,
        page_probe=lambda: core.settings.page_probe,
    )
    core.frontend = proxied


async def _close_sockets(app: web.Application) -> None:
    """Reload listeners and relayed dev-server sockets end with the server (1001)."""
    fe = app[FRONTEND]
    await fe.hub.close_all()
    await fe.probe.close_all()
    if fe.proxy is not None:
        await fe.proxy.close_all()


async def static(request: web.Request, core: Core) -> web.StreamResponse:
    site = request.app[FRONTEND].site
    assert site is not None
    return await site.handle(request)


async def proxied(request: web.Request, core: Core) -> web.StreamResponse:
    proxy = request.app[FRONTEND].proxy
    assert proxy is not None
    flow = request.get(FLOW)
    return await proxy.handle(request, flow.flow if flow else 0)


async def builtin_demo(request: web.Request, core: Core) -> web.StreamResponse:
    if request.path == "/" and request.method in ("GET", "HEAD"):
        return await demo.index(request)
    return web.Response(
        status=404,
        text=f"Not found: {request.path}\nNo frontend is configured; nanodev serves its demo "
        "app at / (use --static DIR or --frontend URL for your own).\n",
    )
