"""The built-in demo: what `nanodev up` shows at `/` when no frontend is configured.

A vanilla-JS page shipped inside the package (`index.html`, `demo.js`, `demo.css` beside this
file). It asks `/__nanodev/demo/seed` for a demo user and key, connects to a room through
`/__ws/websocket` like a real app, and edits a table live. The seed endpoint hands out a key,
so it answers only loopback clients that name a loopback host, from a same-origin page.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from nanodev.authdb import now_ms
from nanodev.core import CORE, Core

PREFIX = "/__nanodev/demo"
HERE = Path(__file__).parent
ASSETS = {"demo.js": "text/javascript", "demo.css": "text/css", "favicon.svg": "image/svg+xml"}
DEMO_EMAIL = "demo@nanodev.local"
DEMO_KEY_NAME = "nanodev demo"
DEMO_ROOM = "nanodev-demo"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def _is_loopback_ip(value: str | None) -> bool:
    try:
        return value is not None and ipaddress.ip_address(value).is_loopback
    except ValueError:
        return False


def refusal(remote: str | None, host: str, origin: str | None) -> str | None:
    """Why a seed request is refused, or None when it comes from this machine's own page."""
    if not _is_loopback_ip(remote):
        return f"the demo seed answers loopback clients only, not {remote}"
    hostname = urlsplit(f"//{host}").hostname or ""
    if hostname not in LOOPBACK_NAMES:
        return f"Host {host!r} is not a loopback name (DNS rebinding guard)"
    if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
        return f"origin {origin} is not this server's page"
    return None


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/", index)
    app.router.add_post(f"{PREFIX}/seed", seed)
    app.router.add_get(f"{PREFIX}/{{name}}", asset)


async def index(request: web.Request) -> web.StreamResponse:
    from nanodev.frontend.pageprobe import inject_probe  # noqa: PLC0415

    html = (HERE / "index.html").read_bytes()
    if request.app[CORE].settings.page_probe:
        html = inject_probe(html)
    return web.Response(body=html, content_type="text/html", headers=HEADERS)


async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in ASSETS:  # a fixed list: no path from the URL ever reaches the filesystem
        raise web.HTTPNotFound(text="Not found")
    return web.Response(text=(HERE / name).read_text(), content_type=ASSETS[name], headers=HEADERS)


async def seed(request: web.Request) -> web.StreamResponse:
    why = refusal(request.remote, request.host, request.headers.get("Origin"))
    if why is not None:
        return web.Response(status=403, text=f"Forbidden: {why}\n")
    from nanodev.authdb import ws_url  # noqa: PLC0415 - the seeding helpers load on first use

    core = request.app[CORE]
    body = await demo_identity(core)
    host = request.host
    body["wsUrl"] = ws_url(f"http://{host}", DEMO_ROOM, str(body["key"]))
    return web.Response(text=json.dumps(body), content_type="application/json", headers=HEADERS)


async def demo_identity(core: Core) -> dict[str, object]:
    """The demo user, its room and a key: created once, returned as they are afterwards."""
    from nanodev.authdb import ensure_user  # noqa: PLC0415

    user, _ = await ensure_user(core.db, DEMO_EMAIL, "Demo")
    keys = await core.db.list_keys(user.id)
    live = [k for k in keys if k["name"] == DEMO_KEY_NAME and not k["revoked_at"]]
    live = [k for k in live if k["expires_at"] is None or k["expires_at"] > now_ms()]
    key = live[0]["id"] if live else (await core.db.create_key(user.id, name=DEMO_KEY_NAME))["id"]
    if await core.db.room_owner(DEMO_ROOM) is None:
        await core.db.register_room(DEMO_ROOM, user.id, now_ms())
    return {"email": user.email, "userId": user.id, "key": key, "room": DEMO_ROOM}
