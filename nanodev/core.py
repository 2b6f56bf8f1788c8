"""The components one running nanodev shares, built once by `create_app` and passed explicitly.

Handlers reach them through `request.app[CORE]`; nothing lives in module globals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from nanodev.tasks import TaskSet

if TYPE_CHECKING:
    from nanodev.authdb import AuthDB, Touches
    from nanodev.record import Recorder
    from nanodev.rooms import MethodTable, Room, RoomRegistry
    from nanodev.settings import Settings

HttpHandler = Callable[[web.Request, "Core"], Awaitable[web.StreamResponse]]
RoomHttpHandler = Callable[[web.Request, "Room", str], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class Core:
    settings: Settings
    recorder: Recorder
    db: AuthDB
    rooms: RoomRegistry
    methods: MethodTable
    secret: str
    version: str
    # Worker routes by exact path (after the /__ws rewrite), and by prefix.
    worker_routes: dict[str, HttpHandler] = field(default_factory=dict)
    worker_prefixes: dict[str, HttpHandler] = field(default_factory=dict)
    # Room-scoped HTTP routes (the DO's fetch), reached after room_id and auth checks.
    room_routes: dict[str, RoomHttpHandler] = field(default_factory=dict)
    routes_loaded: bool = False  # both tables are filled on first need (worker.load_routes)
    tasks: TaskSet = field(default_factory=lambda: TaskSet("core"))
    frontend: HttpHandler | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    touches: Touches | None = None


CORE: web.AppKey[Core] = web.AppKey("nanodev_core", Core)


class WorkerRelay(Protocol):
    """What the gateway needs of `--upstream`'s relay: worker-bound requests go to it instead
    of the emulated Worker. The relay registers itself under `UPSTREAM`, so neither the core
    nor the gateway imports it."""

    def handle(self, request: web.Request) -> Awaitable[web.StreamResponse]: ...


# Set only with --upstream.
UPSTREAM: web.AppKey[WorkerRelay] = web.AppKey("nanodev_upstream")
