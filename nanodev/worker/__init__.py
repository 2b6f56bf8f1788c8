"""The emulated Worker (`src/index.ts`): `/health`, its own `/api/*` routes, then for every
room-scoped request the `room_id` check, the auth chain over the auth database, room ownership,
and the hand-off to the room.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanodev.lazy import exports

if TYPE_CHECKING:
    from nanodev.worker import expiry, pipeline
    from nanodev.worker.auth import extract_credentials
    from nanodev.worker.paths import BACKEND_PATHS
    from nanodev.worker.roomids import RoomIdProblem, check_room_id, raw_param

__all__ = [
    "BACKEND_PATHS",
    "RoomIdProblem",
    "check_room_id",
    "expiry",
    "extract_credentials",
    "pipeline",
    "raw_param",
]
__getattr__ = exports(
    __name__,
    {
        "BACKEND_PATHS": "paths",
        "RoomIdProblem": "roomids",
        "check_room_id": "roomids",
        "expiry": "",
        "extract_credentials": "auth",
        "pipeline": "",
        "raw_param": "roomids",
    },
)
