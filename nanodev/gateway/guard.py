"""DNS-rebinding and cross-site guards for every route nanodev serves.

A page on any website can make a browser talk to 127.0.0.1 (by rebinding its own DNS name to
it, or by plain cross-site requests). Loopback binding is no defence, so every request must
carry a `Host` nanodev recognises, nanodev's own pages answer loopback clients only, and
state-changing actions and the inspector's live socket must come from the same origin. The
Worker's cookie-carrying requests (auth endpoints, session upgrades) follow Better Auth's
trusted-origin rule instead: any port of the serving host (`origin_allowed`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

from nanodev.origins import same_origin, split_host

DEFAULT_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
INSPECTOR_PREFIX = "/__nanodev"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def host_allowed(host: str, extra: Iterable[str] = ()) -> bool:
    """True for `localhost`, `127.0.0.1`, `[::1]` (any port) and the configured extra names.

    Spelled-differently loopback addresses (`127.1`, `0x7f000001`, `2130706433`) and any name
    that merely starts or ends like one are refused: only exact, unambiguous names pass.
    """
    parts = split_host(host)
    if parts is None:
        return False
    name = parts[0]
    allowed = DEFAULT_HOSTS | {h.lower() for h in extra}
    return name in allowed


def is_loopback_client(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        return ipaddress.ip_address(remote.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def cross_site_refusal(request: web.Request) -> str | None:
    """Why a state-changing inspector request must be refused, or None when it may proceed.

    Browsers always send `Origin` on POST and on WebSocket handshakes, so a foreign or `null`
    Origin is refused; a request with no Origin at all comes from a script (curl, nanodev tail),
    which the Host and loopback checks already limit to this machine.
    """
    origin = request.headers.get("Origin")
    if origin is not None and not same_origin(origin, request.host, request.scheme):
        return f"Origin {origin!r} is not this inspector's origin"
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site is {site!r}: cross-site use of the inspector is refused"
    return None


def refuse(text: str) -> web.Response:
    return web.Response(status=403, text=text + "\n", headers={"Cache-Control": "no-store"})


def host_refusal(request: web.Request, extra: Iterable[str]) -> str | None:
    header = request.headers.get("Host", "")
    # An absolute-form target (`GET http://name/path`) names the request's host itself
    # (RFC 9112 §3.2.2), and aiohttp's `request.host`, which the Origin checks use, is that name.
    hosts = (header,) if request.host == header else (header, request.host)
    for host in hosts:
        if host_allowed(host, extra):
            continue
        return (
            f"nanodev refused this request: Host {host!r} is not an allowed host (DNS rebinding "
            "protection). Open nanodev as http://localhost:PORT or http://127.0.0.1:PORT, or add "
            "the name to allowed_hosts (NANODEV_ALLOWED_HOSTS)."
        )
    if request.path.startswith(INSPECTOR_PREFIX) and not is_loopback_client(request.remote):
        return "nanodev's inspector answers loopback clients only."
    return None


def host_guard(extra_hosts: tuple[str, ...]) -> Middleware:
    """Middleware: refuse foreign or ambiguous Hosts on every route, before any handler runs."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        problem = host_refusal(request, extra_hosts)
        if problem is not None:
            return refuse(problem)
        return await handler(request)

    return guard


async def add_resource_policy(request: web.Request, response: web.StreamResponse) -> None:
    """No other origin may embed nanodev's responses (scripts, images, frames)."""
    if response.status != 101:  # meaningless on an upgrade, and it costs every open socket
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")


def install(app: web.Application, extra_hosts: tuple[str, ...]) -> None:
    app.middlewares.append(host_guard(extra_hosts))
    app.on_response_prepare.append(add_resource_policy)
