"""Pure routing: which part of nanodev answers a request, and at which path.

One function decides for plain HTTP and WebSocket upgrades alike, so the `/__ws` rewrite can
never differ between the two (the bug Vite's proxy shipped for years).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nanodev.worker import BACKEND_PATHS

Destination = Literal["inspector", "worker", "frontend"]
Listener = Literal["page", "worker"]

WS_PREFIX = "/__ws"
NANODEV_PREFIX = "/__nanodev"


@dataclass(frozen=True, slots=True)
class Route:
    destination: Destination
    path: str  # the path the destination sees (query string not included)
    reason: str

    def target(self, query_string: str) -> str:
        return f"{self.path}?{query_string}" if query_string else self.path


def _strip_prefix(path: str, prefix: str) -> str | None:
    if path == prefix:
        return "/"
    if path.startswith(prefix + "/"):
        return path[len(prefix) :]
    return None


def has_param(query_string: str, name: str) -> bool:
    """True when `name` appears as a parameter at all (`?name`, `?name=`, `?name=v`)."""
    return any(part.partition("=")[0] == name for part in query_string.split("&"))


def route(path: str, query_string: str, *, upgrade: bool, listener: Listener = "page") -> Route:
    """Decide where a request goes. `path` is the raw (still percent-encoded) path."""
    if _strip_prefix(path, NANODEV_PREFIX) is not None:
        return Route("inspector", path, "nanodev's own pages and API")
    rest = _strip_prefix(path, WS_PREFIX)
    if rest is not None:
        return Route("worker", rest, "rewrite: /__ws prefix stripped, query kept")
    if listener == "worker":
        return Route("worker", path, "worker port: every route goes to the worker")
    if path.startswith("/api/") or path == "/api":
        return Route("worker", path, "/api/* belongs to the worker")
    if path in BACKEND_PATHS:
        return Route("worker", path, "a worker backend path")
    if upgrade and has_param(query_string, "room_id"):
        return Route("worker", path, "a WebSocket upgrade carrying room_id")
    return Route("frontend", path, "not a worker path: the frontend answers")
