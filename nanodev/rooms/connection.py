"""One accepted WebSocket: who it is, what it subscribed to, and how frames leave it.

Every frame out goes through `push` (or its awaitable twin `send`): it records the frame and
queues it; frames queued in one event-loop turn leave in one write. Nothing ever waits on a
client, so a client that stopped reading cannot stall its room: past `max_buffer` unsent bytes
its socket is closed with 1013.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, web
from aiohttp.base_protocol import BaseProtocol

from nanodev.record import Frame, redact_text

if TYPE_CHECKING:
    from nanodev.record import Recorder

SEND_TIMEOUT_S = 2.0  # how long a client too slow to read gets to take its close frame


class Connection:
    __slots__ = (
        "_pending",
        "_pending_bytes",
        "attachment",
        "close_by",
        "close_code",
        "close_reason",
        "closed",
        "credential",
        "flow",
        "flusher",
        "frames_in",
        "frames_out",
        "max_buffer",
        "preview",
        "protocol",
        "queries",
        "recorder",
        "room_id",
        "secrets",
        "source",
        "subscriptions",
        "transport",
        "user_id",
        "ws",
    )

    def __init__(
        self,
        ws: web.WebSocketResponse,
        transport: asyncio.BaseTransport | None,
        *,
        flow: int,
        user_id: str,
        room_id: str,
        source: str,
        recorder: Recorder,
        secrets: tuple[str, ...] = (),
        preview: int = 4096,
        max_buffer: int = 4 << 20,
        flusher: Flusher | None = None,
    ) -> None:
        self.ws = ws
        self.transport = transport
        self.flow = flow
        self.user_id = user_id
        self.room_id = room_id
        self.source = source
        self.recorder = recorder
        self.secrets = secrets
        self.preview = preview
        self.max_buffer = max_buffer
        self.subscriptions: set[str] = set()
        self.queries: dict[Any, dict[str, Any]] = {}
        self.attachment: Any = None
        self.frames_in = 0
        self.frames_out = 0
        self.closed = False
        self.close_by = ""
        self.close_code: int | None = None
        self.close_reason = ""
        # ("key", key id) or ("session", token): re-checked while the socket is open.
        self.credential: tuple[str, str] | None = None
        self.protocol: BaseProtocol | None = None
        self._pending: list[bytes] | None = None
        self._pending_bytes = 0
        self.flusher = flusher or Flusher()

    def record_frame(self, direction: str, text: str, opcode: str = "text") -> None:
        recorder = self.recorder
        if not recorder.wants_frames:
            return
        size = len(text)
        truncated = size > self.preview
        shown = text[: self.preview] if truncated else text
        if direction == "in":
            shown = redact_text(shown, self.secrets)
        elif "nk_" in shown or (self.secrets and _holds_any(shown, self.secrets)):
            # Frames out are the room's own encodings: only a known credential or a
            # key-shaped value can be in them, so the JSON field scan is skipped.
            shown = redact_text(shown, self.secrets)
        recorder.record(
            Frame(self.flow, time.time(), direction, opcode, size, shown, truncated, self.room_id)  # type: ignore[arg-type]
        )

    async def send(self, text: str, *, record: bool = True) -> bool:
        """Send one text frame; False when the socket is gone or was closed as too slow."""
        return self.push(text, record=record)

    def push(self, text: str, *, record: bool = True) -> bool:
        """Queue one text frame without waiting: frames queued in one event-loop turn leave in
        one write (a burst of replies costs one system call, not one each), and a client that
        stops reading can never make the room wait. Past `max_buffer` unsent bytes the socket
        is closed with 1013 instead."""
        return self.push_frame(text_frame(text), text if record else None)

    def push_frame(self, frame: bytes, recorded_text: str | None = None) -> bool:
        """Queue an encoded frame (fan-out encodes once for every recipient, and its one
        `Broadcast` record stands for all of them, so it passes no text to record)."""
        if self.closed or self.ws.closed:
            return False
        if self._buffered() + len(frame) > self.max_buffer:
            self._drop(WSCloseCode.TRY_AGAIN_LATER, "client too slow: send buffer full")
            return False
        self.frames_out += 1
        if recorded_text is not None:
            self.record_frame("out", recorded_text)
        if self._pending is None:
            self._pending = [frame]
            self._pending_bytes = len(frame)
            self.flusher.mark(self)
        else:
            self._pending.append(frame)
            self._pending_bytes += len(frame)
        return True

    def flush(self) -> None:
        pending, self._pending, self._pending_bytes = self._pending, None, 0
        transport = self.transport
        if (
            pending
            and isinstance(transport, asyncio.WriteTransport)
            and not (transport.is_closing())
        ):
            transport.write(b"".join(pending) if len(pending) > 1 else pending[0])

    def _buffered(self) -> int:
        transport = self.transport
        if transport is None:
            return self._pending_bytes
        size: int = transport.get_write_buffer_size()  # type: ignore[attr-defined]
        return size + self._pending_bytes

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_by = "server"
        self.close_code = code
        self.close_reason = reason
        self.flush()  # frames queued before the close go out before it
        if code == WSCloseCode.TRY_AGAIN_LATER or (
            self.protocol is not None and self.protocol.writing_paused
        ):
            self._drop(code, reason)
            return
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.close(code=code, message=reason.encode()[:120])

    def _drop(self, code: int, reason: str) -> None:
        """Close a socket whose client stopped reading without waiting for it: aiohttp's close
        first drains the send buffer, i.e. would wait on this client forever. The close frame
        goes behind the data already written; a client that has not read it after
        SEND_TIMEOUT_S is cut off."""
        self.closed, self.close_by = True, "server"
        self.close_code, self.close_reason = code, reason
        self._pending, self._pending_bytes = None, 0  # a client too slow for them never gets them
        transport = self.transport
        if not isinstance(transport, asyncio.Transport) or transport.is_closing():
            return
        payload = struct.pack("!H", code) + reason.encode()[:120]
        transport.write(struct.pack("!BB", 0x88, len(payload)) + payload)
        transport.close()
        asyncio.get_running_loop().call_later(SEND_TIMEOUT_S, transport.abort)


def _holds_any(text: str, secrets: tuple[str, ...]) -> bool:
    for secret in secrets:  # noqa: SIM110 - a plain loop is cheaper than any(<generator>)
        if secret in text:
            return True
    return False


def text_frame(text: str) -> bytes:
    """An unmasked, final text frame (server frames are never masked; RFC 6455 §5.2). No
    extension is negotiated on these sockets (compress=False), so no RSV bits."""
    data = text.encode()
    size = len(data)
    if size < 126:
        return struct.pack("!BB", 0x81, size) + data
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + data
    return struct.pack("!BBQ", 0x81, 127, size) + data


class Flusher:
    """Writes every connection's queued frames once the current event-loop turn ends: one
    scheduled callback per turn, however many sockets a broadcast reached."""

    __slots__ = ("_marked",)

    def __init__(self) -> None:
        self._marked: list[Connection] = []

    def mark(self, conn: Connection) -> None:
        if not self._marked:
            asyncio.get_running_loop().call_soon(self._run)
        self._marked.append(conn)

    def _run(self) -> None:
        marked, self._marked = self._marked, []
        for conn in marked:
            conn.flush()
