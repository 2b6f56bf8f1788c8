"""One WebSocket relayed to the upstream Worker: frames both ways, recorded, then the close.

Two loops run while the socket is open, client → upstream and upstream → client. Each one
receives a message, records it (O(1), no await) and sends it on, with no queue or task hop in
between: a frame is handed to the other side's socket in the same step that read it, so a
relayed message costs one receive and one send. `send_*` awaits only when the destination's
transport is paused (its kernel buffer and aiohttp's write buffer are full), and the next
frame is read only after that, so a reader that stops reading stalls the sender instead of
growing nanodev's memory. Whichever loop ends first decides how the socket ends: its close
code goes to the other side, and a broken upstream becomes a 1011 with an `UpstreamFailed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import aiohttp
from aiohttp import WSCloseCode, WSMsgType, web

from nanodev.record import (
    Closed,
    FlowContext,
    Frame,
    Recorder,
    Upgraded,
    UpstreamFailed,
    close_meaning,
    now,
    redact_text,
)
from nanodev.tasks import TaskSet

WsEnd = web.WebSocketResponse | aiohttp.ClientWebSocketResponse
TEXT, BINARY, CLOSE, ERROR = WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CLOSE, WSMsgType.ERROR


def sendable_close(code: int | None, fallback: int) -> int:
    """A code that may travel in a close frame (1005/1006/1015 only describe a missing one)."""
    if code is None:
        return fallback
    if code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999:
        return code
    return fallback


@dataclass(frozen=True, slots=True)
class End:
    """How one direction of a relayed socket ended."""

    code: int | None
    reason: str = ""
    clean: bool = True  # a close frame arrived (False: dropped, reset or garbage)
    error: str = ""


@dataclass(slots=True)
class Link:
    """What the records of one relayed socket share, and its frame counts."""

    recorder: Recorder
    flow: int
    room: str
    secrets: tuple[str, ...]
    preview: int
    frames_in: int = 0
    frames_out: int = 0

    def frame(self, direction: str, opcode: str, size: int, text: str) -> None:
        if direction == "in":
            self.frames_in += 1
        else:
            self.frames_out += 1
        if not self.recorder.wants_frames:
            return
        truncated = len(text) > self.preview
        shown = text[: self.preview] if truncated else text
        # Both directions are foreign text here (the Worker's frames are not nanodev's own
        # encodings), so both get the full scan: known secrets, key shapes, JSON fields.
        shown = redact_text(shown, self.secrets)
        self.recorder.record(
            Frame(self.flow, time.time(), direction, opcode, size, shown, truncated, self.room)  # type: ignore[arg-type]
        )

    def closed(self, code: int | None, reason: str, by: str) -> None:
        self.recorder.record(
            Closed(
                self.flow,
                now(),
                code,
                reason,
                by,
                close_meaning(code),
                self.room,
                self.frames_in,
                self.frames_out,
            )
        )


async def pump(src: WsEnd, dst: WsEnd, link: Link, direction: str) -> End:
    """Copy messages until `src` ends: receive → record → send, one await each way."""
    receive, send_str, send_bytes, frame = src.receive, dst.send_str, dst.send_bytes, link.frame
    while True:
        msg = await receive()
        kind = msg.type
        try:
            if kind is TEXT:
                frame(direction, "text", len(msg.data), msg.data)
                await send_str(msg.data)
                continue
            if kind is BINARY:
                size = len(msg.data)
                frame(direction, "binary", size, f"<{size} bytes of binary>")
                await send_bytes(msg.data)
                continue
        except (ConnectionError, RuntimeError) as exc:
            return End(None, clean=False, error=f"the other side went away ({exc})")
        return _ended(src, msg)


def _ended(src: WsEnd, msg: aiohttp.WSMessage) -> End:
    if msg.type is CLOSE:
        return End(int(msg.data), str(msg.extra or ""))
    if msg.type is ERROR:
        return End(None, clean=False, error=f"{type(msg.data).__name__}: {msg.data}")
    return End(src.close_code, clean=False, error="the connection dropped (no close frame)")


async def close_quietly(ws: WsEnd, code: int, reason: str = "") -> None:
    with contextlib.suppress(ConnectionError, RuntimeError, asyncio.TimeoutError):
        await ws.close(code=code, message=reason.encode()[:120])


class SocketRelay:
    """Relays accepted upstream sockets and closes them all when the server stops."""

    def __init__(self, origin: str, recorder: Recorder, *, max_msg_size: int) -> None:
        self.origin = origin
        self.recorder = recorder
        self.max_msg_size = max_msg_size
        # Each open client socket and its upstream leg, closed together when the server stops.
        self.sockets: dict[web.WebSocketResponse, aiohttp.ClientWebSocketResponse] = {}
        self.stopping = False

    async def accept(
        self,
        request: web.Request,
        up: aiohttp.ClientWebSocketResponse,
        flow: FlowContext,
        link: Link,
    ) -> web.WebSocketResponse:
        """Answer the client's upgrade (the upstream already accepted) and relay until done."""
        down = web.WebSocketResponse(
            protocols=(up.protocol,) if up.protocol else (),
            max_msg_size=self.max_msg_size,
            compress=False,  # no permessage-deflate: frames pass as they came, no zlib per frame
        )
        await down.prepare(request)
        elapsed = round((time.perf_counter() - flow.started) * 1000, 3)
        self.recorder.record(Upgraded(flow.flow, now(), link.room, "", "upstream", elapsed))
        self.sockets[down] = up
        try:
            await self._both_ways(down, up, link, flow)
        finally:
            del self.sockets[down]
        return down

    async def _both_ways(
        self,
        down: web.WebSocketResponse,
        up: aiohttp.ClientWebSocketResponse,
        link: Link,
        flow: FlowContext,
    ) -> None:
        tasks = TaskSet("upstream-relay")
        to_up = tasks.spawn(pump(down, up, link, "in"), "to-upstream")
        to_down = tasks.spawn(pump(up, down, link, "out"), "to-client")
        try:
            await asyncio.wait((to_up, to_down), return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            # The server stops, or (with handler cancellation) the client's connection went
            # away, possibly right after a close frame that still has to reach the upstream.
            await self._settle(down, up, link, flow, (to_up, to_down))
            raise
        finally:
            await tasks.cancel_all()
        await self._settle(down, up, link, flow, (to_up, to_down))

    async def _settle(
        self,
        down: web.WebSocketResponse,
        up: aiohttp.ClientWebSocketResponse,
        link: Link,
        flow: FlowContext,
        loops: tuple[asyncio.Task[End], asyncio.Task[End]],
    ) -> None:
        """Finish the socket by whichever side ended first, closing the other to match."""
        to_up, to_down = loops
        if _finished(to_up):
            await self._client_ended(down, up, link, _result(to_up))
        elif _finished(to_down):
            await self._upstream_ended(down, up, link, _result(to_down), flow)
        else:
            await self._client_ended(down, up, link, End(down.close_code, clean=False))

    async def _client_ended(
        self, down: web.WebSocketResponse, up: aiohttp.ClientWebSocketResponse, link: Link, end: End
    ) -> None:
        by = "client" if end.clean else ("server" if self.stopping else "network")
        code = end.code if end.clean else down.close_code
        await close_quietly(up, sendable_close(code, WSCloseCode.GOING_AWAY), end.reason)
        link.closed(code, end.reason or end.error, by)

    async def _upstream_ended(
        self,
        down: web.WebSocketResponse,
        up: aiohttp.ClientWebSocketResponse,
        link: Link,
        end: End,
        flow: FlowContext,
    ) -> None:
        if end.clean:
            code = sendable_close(end.code, WSCloseCode.OK)
            await close_quietly(down, code, end.reason)
            link.closed(end.code, end.reason, "upstream")
            return
        message = f"upstream {self.origin} broke the socket: {end.error}"
        flow.cause = message
        flow.fix = "See the Worker's own logs (wrangler tail) for why it dropped the socket"
        self.recorder.record(UpstreamFailed(flow.flow, now(), self.origin, message, 101))
        await close_quietly(down, WSCloseCode.INTERNAL_ERROR, message)
        await close_quietly(up, WSCloseCode.INTERNAL_ERROR)
        link.closed(WSCloseCode.INTERNAL_ERROR, message, "upstream")

    async def close_all(self) -> None:
        self.stopping = True
        for ws in list(self.sockets):
            await close_quietly(ws, WSCloseCode.GOING_AWAY, "Server shutdown")


def _finished(task: asyncio.Task[End]) -> bool:
    return task.done() and not task.cancelled()


def _result(task: asyncio.Task[End]) -> End:
    try:
        return task.result()
    except Exception as exc:  # a relay bug ends this socket only, with the cause recorded
        return End(None, clean=False, error=f"{type(exc).__name__}: {exc}")
