"""What answers requests that are not the Worker's: the built-in demo, a static build with SPA
fallback, or a proxy to the user's dev server; live reload, the file watcher, `nanodev.toml`
edits applied live, and the hooks module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanodev.lazy import exports

if TYPE_CHECKING:
    from nanodev.frontend import chooser
    from nanodev.frontend.chooser import describe_frontend
    from nanodev.frontend.proxy import (
        WS_HANDSHAKE,
        downstream_headers,
        normalize_origin,
        requested_protocols,
        strip_hop_by_hop,
        target_url,
    )

__all__ = [
    "WS_HANDSHAKE",
    "chooser",
    "describe_frontend",
    "downstream_headers",
    "normalize_origin",
    "requested_protocols",
    "strip_hop_by_hop",
    "target_url",
]
__getattr__ = exports(
    __name__,
    {
        "WS_HANDSHAKE": "proxy",
        "chooser": "",
        "describe_frontend": "chooser",
        "downstream_headers": "proxy",
        "normalize_origin": "proxy",
        "requested_protocols": "proxy",
        "strip_hop_by_hop": "proxy",
        "target_url": "proxy",
    },
)
