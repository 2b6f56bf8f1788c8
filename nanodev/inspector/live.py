"""The inspector's live feed (`/__nanodev/api/live`): recorded events pushed to viewers.

Recording stays O(1) per viewer: the recorder hands each event to `LiveHub`, which only puts it
on each subscriber's bounded queue (or counts it as dropped when that viewer is behind). One
owned sender task per subscriber serialises and sends; all of them are cancelled on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from nanodev.record import Broadcast, Event, Recorder, broadcast_frame
from nanodev.tasks import TaskSet

QUEUE_SIZE = 2000
BATCH = 200


class Subscriber:
    __slots__ = ("dropped", "flow", "queue", "ws")

    def __init__(self, ws: web.WebSocketResponse, flow: int | None, size: int) -> None:
        self.ws = ws
        self.flow = flow
        self.queue: asyncio.Queue[tuple[int, Event]] = asyncio.Queue(size)
        self.dropped = 0

    def offer(self, seq: int, event: Event) -> None:
        if self.flow is not None and event.flow != self.flow:
            if not (type(event) is Broadcast and self.flow in event.recipients):
                return
            event = broadcast_frame(event, self.flow)  # what this socket received
        try:
            self.queue.put_nowait((seq, event))
        except asyncio.QueueFull:  # a slow viewer loses events; memory stays bounded
            self.dropped += 1


class LiveHub:
    """Recorder listener + the set of live viewers and their sender tasks."""

    def __init__(self, recorder: Recorder, queue_size: int = QUEUE_SIZE) -> None:
        self.recorder = recorder
        self.queue_size = queue_size
        self.subscribers: set[Subscriber] = set()
        self.tasks = TaskSet("live")

    def __call__(self, seq: int, event: Event) -> None:
        for sub in self.subscribers:
            sub.offer(seq, event)

    async def serve(self, request: web.Request, flow: int | None) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20.0)
        await ws.prepare(request)
        sub = Subscriber(ws, flow, self.queue_size)
        self.subscribers.add(sub)
        sender = self.tasks.spawn(self._send(sub), "sender")
        try:
            await ws.send_json({"type": "hello", "last_seq": self.recorder.last_seq})
            async for msg in ws:  # viewers only listen; reading detects the close
                if msg.type is WSMsgType.ERROR:
                    break
        finally:
            self.subscribers.discard(sub)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        return ws

    async def _send(self, sub: Subscriber) -> None:
        while True:
            batch = [await sub.queue.get()]
            while len(batch) < BATCH and not sub.queue.empty():
                batch.append(sub.queue.get_nowait())
            message = {
                "type": "events",
                "events": [self._item(seq, event) for seq, event in batch],
                "dropped": sub.dropped,
            }
            await sub.ws.send_str(json.dumps(message))

    def _item(self, seq: int, event: Event) -> dict[str, Any]:
        flow = self.recorder.flows.get(event.flow) if event.flow else None
        return {
            "seq": seq,
            "event": event.to_json(),
            "flow": flow.to_json() if flow is not None else None,
        }

    async def close_all(self) -> None:
        subs = list(self.subscribers)
        for sub in subs:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await sub.ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")
        await self.tasks.cancel_all()
