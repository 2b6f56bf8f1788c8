"""The components one running nanodev shares, built once by `create_app` and passed explicitly.

Handlers reach them through `request.app[CORE]`; nothing lives in module globals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .tasks import TaskSet

if TYPE_CHECKING:
    from .d1 import AuthDB
    from .recorder import Recorder
    from .rooms import Room, RoomRegistry
    from .rpc import MethodTable
    from .settings import Settings
    from .touches import Touches
    from .upstream import UpstreamRelay

HttpHandler = Callable[[web.Request, "Core"], Awaitable[web.StreamResponse]]
RoomHttpHandler = Callable[[web.Request, "Core", "Room", str], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class FlowContext:
    """Per-request facts the hops share: the flow id and what the inspector should say."""

    flow: int
    started: float
    listener: str
    cause: str = ""
    fix: str = ""
    secrets: tuple[str, ...] = ()


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
FLOW: web.RequestKey[FlowContext] = web.RequestKey("nanodev_flow", FlowContext)
# Set only with --upstream; defined here so the gateway need not import the relay to look.
UPSTREAM: web.AppKey[UpstreamRelay] = web.AppKey("nanodev_upstream")
