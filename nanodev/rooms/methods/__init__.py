"""The built-in RPC methods: one module per family, registered on the table's first use.

No handshake needs them, so their modules load when a room first dispatches an RPC, not at start.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from nanodev.rooms.rpc import MethodTable

if TYPE_CHECKING:
    from nanodev.authdb import AuthDB


def builtin_methods(db: AuthDB | None = None) -> MethodTable:
    """The built-in RPC methods (with the auth DB, the Cloudflare-only ones too). Their modules
    are imported when the table is first used, not at start: no handshake needs them."""

    def register(methods: MethodTable) -> None:
        from nanodev.rooms.methods import (  # noqa: PLC0415
            memory,
            rows,
            schema,
            sql,
            tasks,
            webhooks,
        )

        for module in (schema, rows, sql, tasks, memory, webhooks):
            module.register(methods)
        if db is not None:
            from nanodev.authdb import accounts  # noqa: PLC0415
            from nanodev.rooms.methods import cloud  # noqa: PLC0415

            cloud.register(methods, partial(accounts.user_tier, db))

    return MethodTable(register)
