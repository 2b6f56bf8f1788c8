"""One Durable Object per room: a serial actor with its SQLite store, its sockets, the wire
protocol, RPC dispatch and the built-in methods, broadcasts, webhooks and the room's HTTP routes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanodev.lazy import exports

if TYPE_CHECKING:
    from nanodev.rooms import routes, webhooks
    from nanodev.rooms.attachments import attachment_size
    from nanodev.rooms.connection import Connection
    from nanodev.rooms.methods import builtin_methods
    from nanodev.rooms.room import Room, RoomRegistry
    from nanodev.rooms.routes import read_only
    from nanodev.rooms.rpc import Handler, MethodTable
    from nanodev.rooms.sockets import serve_socket
    from nanodev.rooms.sqlsafety import quote_ident
    from nanodev.rooms.webhooks import MSG_BAD_PATTERN, url_problem, valid_event_pattern

__all__ = [
    "MSG_BAD_PATTERN",
    "Connection",
    "Handler",
    "MethodTable",
    "Room",
    "RoomRegistry",
    "attachment_size",
    "builtin_methods",
    "quote_ident",
    "read_only",
    "routes",
    "serve_socket",
    "url_problem",
    "valid_event_pattern",
    "webhooks",
]
__getattr__ = exports(
    __name__,
    {
        "Connection": "connection",
        "Handler": "rpc",
        "MSG_BAD_PATTERN": "webhooks",
        "MethodTable": "rpc",
        "Room": "room",
        "RoomRegistry": "room",
        "attachment_size": "attachments",
        "builtin_methods": "methods",
        "quote_ident": "sqlsafety",
        "read_only": "routes",
        "routes": "",
        "serve_socket": "sockets",
        "url_problem": "webhooks",
        "valid_event_pattern": "webhooks",
        "webhooks": "",
    },
)
