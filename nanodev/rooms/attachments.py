"""Per-socket attachments: what a room keeps for each socket across hibernation.

The platform's `ws.serializeAttachment(value)` keeps a structured-clone copy of `value` beside
the socket, at most 2,048 bytes serialised, and `deserializeAttachment()` returns it after the
room woke up with fresh in-memory state. Here the value is serialised to JSON on the socket's
`Connection`, which outlives the Room object. A hooks module uses it like this:

    from nanodev.attachments import deserialize_attachment, serialize_attachment

    @rpc("remember")
    def remember(call):
        serialize_attachment(call.conn, {"cursor": call.payload.get("cursor")})
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nanodev.rooms.connection import Connection

MAX_ATTACHMENT_BYTES = 2048


class AttachmentError(ValueError):
    """The value cannot be kept: too large, or not JSON-serialisable."""


def encode_attachment(value: Any) -> str | None:
    """The serialised form, or None for None; raises AttachmentError with the reason."""
    if value is None:
        return None
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AttachmentError(f"attachment is not JSON-serialisable: {exc}") from None
    size = len(text.encode())
    if size > MAX_ATTACHMENT_BYTES:
        raise AttachmentError(
            f"attachment is {size} bytes serialised; the limit is {MAX_ATTACHMENT_BYTES} "
            "(as on the platform): keep larger state in the room's SQLite and its key here"
        )
    return text


def serialize_attachment(conn: Connection, value: Any) -> None:
    """Keep `value` for this socket (replacing the previous one); None clears it."""
    conn.attachment = encode_attachment(value)


def deserialize_attachment(conn: Connection) -> Any:
    """The last value kept for this socket, or None."""
    text = conn.attachment
    return None if text is None else json.loads(text)


def attachment_size(conn: Connection) -> int:
    text = conn.attachment
    return len(text.encode()) if isinstance(text, str) else 0
