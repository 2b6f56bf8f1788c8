"""The auth database's key and session rows as the Worker's auth chain reads them.

They belong to the database (which returns them) and not to the Worker (which judges them), so
the database never imports the Worker.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyRow:
    id: str
    user_id: str
    expires_at: int | None  # ms
    revoked_at: int | None = None  # ms; nanodev's extension for `nanodev keys revoke`


@dataclass(frozen=True, slots=True)
class SessionRow:
    token: str
    user_id: str
    expires_at: int  # seconds (Better Auth's drizzle timestamp)
