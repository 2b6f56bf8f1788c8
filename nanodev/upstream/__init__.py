"""`--upstream`: worker-bound HTTP and WebSocket traffic relayed to a real Worker, recorded like
emulated traffic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanodev.lazy import exports

if TYPE_CHECKING:
    from nanodev.upstream.client import HandshakeRefused, client_session
    from nanodev.upstream.relay import describe_failure, install

__all__ = [
    "HandshakeRefused",
    "client_session",
    "describe_failure",
    "install",
]
__getattr__ = exports(
    __name__,
    {
        "HandshakeRefused": "client",
        "client_session": "client",
        "describe_failure": "relay",
        "install": "relay",
    },
)
