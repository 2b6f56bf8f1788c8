"""One accepted WebSocket: who it is, what it subscribed to, and how frames leave it.

Every frame out goes through `send`, which records it and protects the room from a client that
stopped reading: past `max_buffer` unsent bytes, or a send stuck for 2 s, the socket is closed
with 1013 instead of stalling everyone else in the room.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, web
from aiohttp.base_protocol import BaseProtocol

from .events import Frame
from .redaction import redact_text

if TYPE_CHECKING:
    from .recorder import Recorder

SEND_TIMEOUT_S = 2.0
# asyncio pauses a transport holding more than 64 KiB (its default high-water mark); a frame
# header adds up to 10 bytes, and frames are ASCII JSON, so len(text) is their size.
PAUSE_AT = 64 * 1024 - 10


class Connection:
    __slots__ = (
        "attachment",
        "close_by",
        "close_code",
        "close_reason",
        "closed",
        "credential",
        "flow",
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
        """Send one text frame; False when the socket is gone or was closed as too slow.
        `record=False` for fan-out, whose one `Broadcast` record stands for every recipient."""
        if self.closed or self.ws.closed:
            return False
        pending = self._buffered() + len(text)
        if pending > self.max_buffer:
            await self.close(WSCloseCode.TRY_AGAIN_LATER, "client too slow: send buffer full")
            return False
        self.frames_out += 1
        if record:
            self.record_frame("out", text)
        try:
            if pending > PAUSE_AT or (self.protocol is not None and self.protocol.writing_paused):
                # Only a paused transport can make send_str wait, and this very write may be
                # the one that pauses it; bound that wait so one client that stopped reading
                # cannot stall its whole room.
                async with asyncio.timeout(SEND_TIMEOUT_S):
                    await self.ws.send_str(text)
            else:
                await self.ws.send_str(text)
        except TimeoutError:
            await self.close(WSCloseCode.TRY_AGAIN_LATER, "client too slow: send timed out")
            return False
        except (ConnectionError, RuntimeError):
            self.closed = True
            return False
        return True

    def _buffered(self) -> int:
        transport = self.transport
        if transport is None:
            return 0
        return transport.get_write_buffer_size()  # type: ignore[attr-defined, no-any-return]

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_by = "server"
        self.close_code = code
        self.close_reason = reason
        if code == WSCloseCode.TRY_AGAIN_LATER or (
            self.protocol is not None and self.protocol.writing_paused
        ):
            self._drop(code, reason)
            return
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.close(code=code, message=reason.encode()[:120])

    def _drop(self, code: int, reason: str) -> None:
        """Close a socket whose client stopped reading without waiting for it. aiohttp's close
        first drains the send buffer, i.e. waits on this client forever, and after a timed-out
        send its drain waiter is a cancelled future that would cancel the caller (the task of
        whichever socket's frame caused the broadcast). The close frame goes behind the unsent
        data; a client that still has not read it after SEND_TIMEOUT_S is cut off."""
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
