"""Which paths are the Worker's: its backend-path predicate (reference §1.1) and its own routes.

Pure. The gateway's rewrite asks it where a request goes; the Worker's pipeline asks it which
requests it answers itself.
"""

from __future__ import annotations

# The Worker's backend-path predicate (reference §1.1), plus the two worker-level extras
# that sit before it in the pipeline.
BACKEND_PATHS = frozenset(
    {
        "/connect",
        "/websocket",
        "/schema",
        "/manifest",
        "/download-client",
        "/analytics",
        "/backups",
        "/restore",
        "/backup",
        "/health",
        "/query",
        "/global-query",
        "/debug-auth",
    }
)


def is_backend_path(path: str, upgrade: bool) -> bool:
    return path in BACKEND_PATHS or path.startswith("/api/") or upgrade


# The Worker's own routes (worker/routes/) all live under /api/ or at one of these paths. Their
# modules and the room's HTTP routes (rooms/routes.py) are imported on the first request that
# may need them, not at start: no handshake needs them. tests/worker/test_pipeline.py holds
# every route to this.
OWN_ROUTE_PATHS = frozenset({"/debug-auth", "/global-query"})


def may_be_own_route(path: str) -> bool:
    return path.startswith("/api/") or path in OWN_ROUTE_PATHS
