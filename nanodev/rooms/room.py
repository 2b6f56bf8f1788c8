"""Per-room actors: the emulated Durable Objects.

A `Room` owns one SQLite store, its sockets and its subscriptions, and runs jobs (socket
frames, HTTP requests) strictly one at a time in arrival order. There is no task or thread per
room: the first caller to find a room idle runs the job inline; callers that find it busy park
in the mailbox and the running caller drains it. Ordering comes for free, an idle room costs
only its memory, and a released room costs nothing (its data stays on disk).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from nanodev.ids import do_id, room_file_name
from nanodev.record import Broadcast, RoomChanged, now, redact_text
from nanodev.rooms import lostsubs
from nanodev.rooms.connection import Flusher, text_frame
from nanodev.rooms.protocol import encode
from nanodev.rooms.ratelimit import RateLimiter
from nanodev.rooms.rpc import MethodTable, OutboxItem, SchemaChanged, Send, ToRoom, Update
from nanodev.rooms.store import RoomStore
from nanodev.tasks import TaskSet

if TYPE_CHECKING:
    from nanodev.record import Recorder
    from nanodev.rooms.connection import Connection
    from nanodev.settings import Settings

T = TypeVar("T")
UpdateListener = Callable[["Room", Update], None]
MAX_TABLE_SUBSCRIBERS = 10_000


class Room:
    def __init__(
        self,
        room_id: str,
        path: Path,
        *,
        methods: MethodTable,
        recorder: Recorder,
        settings: Settings,
        update_listeners: list[UpdateListener],
    ) -> None:
        self.id = room_id
        self.do_id = do_id(room_id)
        self.path = path
        self.methods = methods
        self.recorder = recorder
        self.settings = settings
        self.update_listeners = update_listeners
        self.store = RoomStore(path, room_id)
        self.sockets: set[Connection] = set()
        self.subscribers: dict[str, set[Connection]] = {}
        self.rate_limiter = RateLimiter()
        self.state: dict[str, Any] = {}  # in-memory extras (memory store, debounce buffer, …)
        self.last_active = time.monotonic()
        self._busy = False
        self._mailbox: deque[tuple[Callable[[], Awaitable[Any]], asyncio.Future[Any]]] = deque()
        self.jobs = 0
        self.hibernated = False  # set once this object is gone; its sockets live on
        self.lost: lostsubs.Lost = {}  # subscriptions its hibernation dropped, until told
        self.tasks = TaskSet(f"room:{room_id}")
        self.on_close: list[Callable[[Room], None]] = []  # e.g. flush buffered writes

    # -- serial execution -------------------------------------------------------------------
    async def run(self, job: Callable[[], Awaitable[T]]) -> T:
        """Run `job` when every earlier job of this room has finished; return its result."""
        self.last_active = time.monotonic()
        if self._busy:
            future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
            self._mailbox.append((job, future))
            return await future
        self._busy = True
        try:
            result = await job()
            self.jobs += 1
        finally:
            if self._mailbox:
                await self._drain()
            else:
                self._busy = False
        return result

    async def _drain(self) -> None:
        try:
            while self._mailbox:
                job, future = self._mailbox.popleft()
                try:
                    result = await job()
                except Exception as exc:
                    if not future.done():
                        future.set_exception(exc)
                else:
                    if not future.done():
                        future.set_result(result)
                self.jobs += 1
        finally:
            self._busy = False
            if self._mailbox:  # the draining caller was cancelled: hand the rest to a task
                self._busy = True
                self.tasks.spawn(self._drain(), "drain")

    @property
    def busy(self) -> bool:
        return self._busy

    # -- membership -------------------------------------------------------------------------
    def join(self, conn: Connection) -> None:
        self.sockets.add(conn)
        self.last_active = time.monotonic()

    def leave(self, conn: Connection) -> None:
        self.sockets.discard(conn)
        for table in conn.subscriptions:
            subs = self.subscribers.get(table)
            if subs is not None:
                subs.discard(conn)
                if not subs:
                    del self.subscribers[table]
        conn.subscriptions.clear()
        conn.queries.clear()
        self.last_active = time.monotonic()

    def subscribe(self, conn: Connection, table: str) -> bool:
        subs = self.subscribers.setdefault(table, set())
        if conn not in subs and len(subs) >= MAX_TABLE_SUBSCRIBERS:
            return False
        subs.add(conn)
        conn.subscriptions.add(table)
        return True

    def unsubscribe(self, conn: Connection, table: str) -> None:
        self.subscribers.get(table, set()).discard(conn)
        conn.subscriptions.discard(table)

    def drop_table_subscribers(self, table: str) -> None:
        for conn in self.subscribers.pop(table, set()):
            conn.subscriptions.discard(table)

    # -- output -----------------------------------------------------------------------------
    async def flush(self, outbox: list[OutboxItem]) -> None:
        """Deliver a handler's replies and broadcasts, in the order it produced them."""
        for item in outbox:
            if isinstance(item, Send):
                item.conn.push(encode(item.frame))
            elif isinstance(item, Update):
                await self.broadcast_update(item)
            elif isinstance(item, SchemaChanged):
                frame = {"type": "schema_update", "schema": self.store.schema()}
                await self.fanout(encode(frame), list(self.sockets), "schema", "", "")
            elif isinstance(item, ToRoom):
                await self.fanout(encode(item.frame), list(self.sockets), item.what, "", "")

    async def broadcast_update(self, update: Update) -> None:
        if update.table not in self.store.schema():
            return  # the original broadcasts only tables getSchema shows (no `_` tables)
        frame = {
            "event": "update",
            "table": update.table,
            "action": update.action,
            "row": update.row,
        }
        targets = list(self.subscribers.get(update.table, ()))
        await self.fanout(encode(frame), targets, "update", update.table, update.action)
        if self.lost:
            for note in lostsubs.note_missed(
                self.lost, self.id, update.table, update.action, targets
            ):
                self.recorder.record(note)
        await self._refresh_queries(update)
        for listener in self.update_listeners:
            listener(self, update)

    async def _refresh_queries(self, update: Update) -> None:
        for conn in list(self.sockets):
            for query_id, query in list(conn.queries.items()):
                if update.table in query.get("tables", ()):
                    frame = {
                        "type": "query_refresh",
                        "queryId": query_id,
                        "table": update.table,
                        "action": update.action,
                    }
                    await conn.send(encode(frame))

    async def fanout(
        self, text: str, targets: list[Connection], what: str, table: str, action: str
    ) -> None:
        """One encoded frame to many sockets; one inspector record says who got it (and holds
        the frame), instead of one frame record per recipient."""
        delivered: list[int] = []
        failed: list[int] = []
        frame = text_frame(text)
        for conn in targets:
            (delivered if conn.push_frame(frame) else failed).append(conn.flow)
        preview = self.settings.frame_preview_bytes
        shown = text[:preview]
        if "nk_" in shown:
            shown = redact_text(shown)
        self.recorder.record(
            Broadcast(
                0,
                now(),
                self.id,
                what,
                table,
                action,
                tuple(delivered),
                tuple(failed),
                len(text),
                shown,
                len(text) > preview,
            )
        )

    def close(self) -> None:
        for _job, future in self._mailbox:
            future.cancel()
        self._mailbox.clear()
        for hook in self.on_close:
            hook(self)
        self.store.close()


class RoomRegistry:
    """Room id → live Room. Opens stores on demand and releases idle ones."""

    def __init__(self, settings: Settings, methods: MethodTable, recorder: Recorder) -> None:
        self.settings = settings
        self.methods = methods
        self.recorder = recorder
        self.rooms: dict[str, Room] = {}
        # Hibernated rooms: no Room object, only their sockets (with their attachments).
        self.sleeping: dict[str, set[Connection]] = {}
        self.lost: dict[str, lostsubs.Lost] = {}  # room id → what its hibernation dropped
        self.naps: dict[str, dict[str, float]] = {}  # room id → hibernated_at / woken_at
        self.constructed = 0
        self.update_listeners: list[UpdateListener] = []
        self.tasks = TaskSet("rooms")
        self.flusher = Flusher()  # one per app: every socket's frames leave once per turn

    def path_for(self, room_id: str) -> Path:
        return self.settings.rooms_dir / room_file_name(room_id)

    def get(self, room_id: str) -> Room:
        room = self.rooms.get(room_id)
        if room is None:
            room = Room(
                room_id,
                self.path_for(room_id),
                methods=self.methods,
                recorder=self.recorder,
                settings=self.settings,
                update_listeners=self.update_listeners,
            )
            self.rooms[room_id] = room
            self.constructed += 1
            self.recorder.record(RoomChanged(0, now(), room_id, "opened", str(room.path)))
            if room_id in self.sleeping:
                self._wake(room)
        return room

    def current(self, room: Room) -> Room:
        """The live Room for a room object a socket holds (a hibernated one is replaced)."""
        return self.get(room.id) if room.hibernated else room

    def hibernate(self, room_id: str, reason: str = "idle") -> bool:
        """Drop the Room object and its in-memory state, keep its sockets (as the platform
        does). Only an idle room hibernates: no job running, no timer pending."""
        room = self.rooms.get(room_id)
        if room is None or not room.sockets or room.busy or len(room.tasks):
            return False
        del self.rooms[room_id]
        room.close()
        room.hibernated = True
        lost = lostsubs.taken(room.sockets)
        self.lost[room_id] = lost
        self.sleeping[room_id] = room.sockets
        self.naps.setdefault(room_id, {})["hibernated_at"] = time.time()
        detail = lostsubs.hibernated_detail(reason, len(room.sockets), lost)
        self.recorder.record(RoomChanged(0, now(), room_id, "hibernated", detail))
        return True

    def _wake(self, room: Room) -> None:
        room.sockets = self.sleeping.pop(room.id)
        room.lost = self.lost.pop(room.id, {})
        self.naps.setdefault(room.id, {})["woken_at"] = time.time()
        self.recorder.record(
            RoomChanged(0, now(), room.id, "woken", f"{len(room.sockets)} socket(s) kept")
        )

    def hibernate_idle(self, idle_s: float) -> list[str]:
        cutoff = time.monotonic() - idle_s
        for room_id in [k for k, conns in self.sleeping.items() if not conns]:
            del self.sleeping[room_id]  # every socket left while it slept
            self.lost.pop(room_id, None)
        idle = [r.id for r in self.rooms.values() if r.sockets and r.last_active < cutoff]
        return [room_id for room_id in idle if self.hibernate(room_id)]

    def release(self, room_id: str, reason: str = "idle") -> bool:
        room = self.rooms.get(room_id)
        if room is None or room.sockets or room.busy:
            return False
        del self.rooms[room_id]
        room.close()
        self.recorder.record(RoomChanged(0, now(), room_id, "released", reason))
        return True

    def release_idle(self, idle_s: float) -> list[str]:
        cutoff = time.monotonic() - idle_s
        idle = [r.id for r in self.rooms.values() if not r.sockets and r.last_active < cutoff]
        return [room_id for room_id in idle if self.release(room_id)]

    async def sweep_forever(self, every_s: float = 1.0) -> None:
        while True:
            await asyncio.sleep(every_s)
            self.release_idle(self.settings.room_idle_seconds)
            if self.settings.hibernate_after is not None:
                self.hibernate_idle(self.settings.hibernate_after)

    async def close_all(self, code: int, reason: str) -> None:
        """Close every socket (in parallel, bounded) and every store."""
        conns = [c for room in self.rooms.values() for c in room.sockets]
        conns += [c for sockets in self.sleeping.values() for c in sockets]
        if conns:
            await asyncio.wait(
                [asyncio.ensure_future(c.close(code, reason)) for c in conns], timeout=1.0
            )
        await self.tasks.cancel_all()
        for room in list(self.rooms.values()):
            room.close()
        self.rooms.clear()
