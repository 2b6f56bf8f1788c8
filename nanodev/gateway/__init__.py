"""The front door: the Host/Origin guard on every route, the one catch-all route that records
each request and hands it on, and the pure `/__ws` rewrite that decides where it goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanodev.lazy import exports

if TYPE_CHECKING:
    from nanodev.gateway import guard
    from nanodev.gateway.front import LISTENERS, front_door
    from nanodev.gateway.guard import cross_site_refusal, refuse
    from nanodev.gateway.rewrite import WS_PREFIX, has_param

__all__ = [
    "LISTENERS",
    "WS_PREFIX",
    "cross_site_refusal",
    "front_door",
    "guard",
    "has_param",
    "refuse",
]
__getattr__ = exports(
    __name__,
    {
        "LISTENERS": "front",
        "WS_PREFIX": "rewrite",
        "cross_site_refusal": "guard",
        "front_door": "front",
        "guard": "",
        "has_param": "rewrite",
        "refuse": "guard",
    },
)
