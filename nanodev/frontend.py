"""What answers requests that are not the worker's: for now nanodev's landing page.

`--static DIR` and `--frontend URL` replace `landing` with a static server or a reverse proxy.
"""

from __future__ import annotations

from aiohttp import web

from .core import Core
from .templating import render


def add_routes(app: web.Application) -> None:
    """nanodev's own pages live under /__nanodev/ and are never rewritten."""


async def landing(request: web.Request, core: Core) -> web.StreamResponse:
    if request.path != "/" or request.method not in ("GET", "HEAD"):
        return web.Response(
            status=404,
            text=f"Not found: {request.path}\nNo frontend is configured; nanodev serves only "
            "its landing page at / (use --static DIR or --frontend URL).\n",
        )
    host = request.host
    html = render(
        "landing.html",
        version=core.version,
        ws_url=f"ws://{host}/__ws/websocket?room_id=my-room&key=<key>",
        inspector_url=f"http://{host}/__nanodev/",
        state_dir=str(core.settings.state_dir.resolve()),
        demo_url=None,
    )
    return web.Response(text=html, content_type="text/html")
