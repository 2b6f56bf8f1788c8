"""The inspector's own state for one app: the replay vault, the live hub, an imported
session and the user id → email names, under one typed app key the route modules share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from nanodev.gateway import LISTENERS
from nanodev.inspector.live import LiveHub
from nanodev.inspector.replay import ReplayVault
from nanodev.record import Recorder

MAX_IMPORT_BYTES = 64 << 20


@dataclass(slots=True)
class Inspector:
    vault: ReplayVault = field(default_factory=ReplayVault)
    hub: LiveHub | None = None
    imported: Recorder | None = None
    # user id → email (None: no such user); ids never change owner, so it only grows.
    emails: dict[str, str | None] = field(default_factory=dict)
    # flow id → (last_seq, row JSON) of live traffic: a refresh rebuilds only changed rows.
    rows: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    import_limit: int = MAX_IMPORT_BYTES  # the largest upload Import reads (tests lower it)


INSPECTOR: web.AppKey[Inspector] = web.AppKey("nanodev_inspector", Inspector)


def port_of(request: web.Request, listener: str) -> int:
    """The port of the listener a handshake came in on; this request's port as a fallback."""
    for port, name in request.app[LISTENERS].items():
        if name == listener:
            return port
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return int(sockname[1]) if isinstance(sockname, tuple) else 0
