"""The built-in RPC methods: one module per family, registered on the table's first use.

No handshake needs them, so their modules load when a room first dispatches an RPC, not at start.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from .rpc import MethodTable

if TYPE_CHECKING:
    from .d1 import AuthDB


def builtin_methods(db: AuthDB | None = None) -> MethodTable:
    """The built-in RPC methods (with the auth DB, the Cloudflare-only ones too). Their modules
    are imported when the table is first used, not at start: no handshake needs them."""

    def register(methods: MethodTable) -> None:
        from . import (  # noqa: PLC0415
            methods_memory,
            methods_rows,
            methods_schema,
            methods_sql,
            methods_tasks,
            methods_webhooks,
        )

        for module in (
            methods_schema,
            methods_rows,
            methods_sql,
            methods_tasks,
            methods_memory,
            methods_webhooks,
        ):
            module.register(methods)
        if db is not None:
            from . import accounts, methods_cloud  # noqa: PLC0415

            methods_cloud.register(methods, partial(accounts.user_tier, db))

    return MethodTable(register)
