"""Delivering room webhooks for real (reference §1.12, §3.13), in place of the Queue consumer.

Every data broadcast is matched against the room's active `_webhooks` rows; each match is
POSTed with the original's headers (`User-Agent: NanoTypeDB-Webhooks/1.0`, and
`X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, body)>` when the hook has a secret),
retried up to 3 times with backoff on a non-2xx answer or a network error, and every attempt
is recorded as a `WebhookAttempt` event. After the last failed attempt `failure_count` grows;
at 10 the hook is deactivated, as the original does. The HTTP session and the delivery tasks
belong to the app (`delivering`, entered by the app's webhooks context) and end with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from nanodev.jsjson import stringify
from nanodev.record import Recorder, WebhookAttempt, now
from nanodev.rooms.room import Room, RoomRegistry
from nanodev.rooms.rpc import Update
from nanodev.tasks import TaskSet

USER_AGENT = "NanoTypeDB-Webhooks/1.0"
RETRIES = 3
BACKOFF_S: tuple[float, ...] = (0.25, 0.5, 1.0)
ATTEMPT_TIMEOUT_S = 5.0
DEACTIVATE_AFTER = 10
_EVENT_ITEM = re.compile(r"^(\*|[A-Za-z0-9_]+\.\*|\*\.[A-Za-z0-9_]+|[A-Za-z0-9_]+\.[A-Za-z0-9_]+)$")
MSG_BAD_PATTERN = "Invalid event pattern. Use formats like: *, table.*, *.action, or table.action"


def valid_event_pattern(pattern: str) -> bool:
    """`*`, `table.*`, `*.action` or `table.action`, comma-separated."""
    return all(_EVENT_ITEM.match(item.strip()) for item in pattern.split(","))


def url_problem(url: Any) -> str | None:
    """The stub's URL checks, in order; None when the URL is acceptable."""
    if not url:
        return "Webhook URL is required"
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return "Invalid webhook URL format"
    if not parts.scheme or not (parts.netloc or parts.path):
        return "Invalid webhook URL format"
    if parts.scheme not in ("http", "https"):
        return "Webhook URL must use HTTP or HTTPS protocol"
    return None


def matches(events: str, table: str, action: str) -> bool:
    """`*`, `<table>.<action>`, `<table>.*` or `*.<action>` in the comma-separated list."""
    wanted = {item.strip() for item in events.split(",")}
    return bool(wanted & {"*", f"{table}.{action}", f"{table}.*", f"*.{action}"})


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(table: str, action: str, row: dict[str, Any], ts_ms: int) -> bytes:
    event = {"event": f"{table}.{action}", "table": table, "action": action, "data": row}
    return stringify({**event, "timestamp": ts_ms}).encode()  # the queue's JSON.stringify


def headers(secret: str | None, body: bytes) -> dict[str, str]:
    out = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if secret:
        out["X-Webhook-Signature"] = signature(secret, body)
    return out


@dataclass(frozen=True, slots=True)
class Hook:
    id: str
    url: str
    events: str
    secret: str | None


def due_hooks(room: Room, table: str, action: str) -> list[Hook]:
    rows = room.store.db.execute(
        "SELECT id, url, events, secret FROM _webhooks WHERE active = 1"
    ).fetchall()
    hooks = [Hook(r["id"], r["url"], r["events"], r["secret"]) for r in rows]
    return [h for h in hooks if matches(h.events, table, action)]


class WebhookDelivery:
    """Listens to room broadcasts and delivers matching webhooks in owned tasks."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        rooms: RoomRegistry,
        recorder: Recorder,
        backoff: Sequence[float] = BACKOFF_S,
    ) -> None:
        self.session = session
        self.rooms = rooms
        self.recorder = recorder
        self.backoff = tuple(backoff)
        self.tasks = TaskSet("webhooks")

    def on_update(self, room: Room, update: Update) -> None:
        """Runs in the room's turn, right after the broadcast of a committed change."""
        hooks = due_hooks(room, update.table, update.action)
        if not hooks:
            return
        ts = int(time.time() * 1000)
        body = payload(update.table, update.action, update.row, ts)
        event = f"{update.table}.{update.action}"
        for hook in hooks:
            room.store.db.execute(
                "UPDATE _webhooks SET last_triggered_at = ? WHERE id = ?", (ts, hook.id)
            )
            self.tasks.spawn(self.deliver(room.id, hook, event, body), f"deliver:{hook.id}")

    async def deliver(self, room_id: str, hook: Hook, event: str, body: bytes) -> bool:
        for attempt in range(1, RETRIES + 2):
            if await self._attempt(room_id, hook, event, body, attempt):
                return True
            if attempt <= RETRIES:
                await asyncio.sleep(self.backoff[min(attempt - 1, len(self.backoff) - 1)])
        room = self.rooms.get(room_id)
        await room.run(lambda: _count_failure(room, hook.id))
        return False

    async def _attempt(
        self, room_id: str, hook: Hook, event: str, body: bytes, attempt: int
    ) -> bool:
        started = time.perf_counter()
        status: int | None = None
        error = ""
        try:
            async with self.session.post(
                hook.url,
                data=body,
                headers=headers(hook.secret, body),
                timeout=aiohttp.ClientTimeout(total=ATTEMPT_TIMEOUT_S),
                allow_redirects=False,
            ) as resp:
                status = resp.status
                await resp.read()
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        ok = status is not None and 200 <= status < 300
        if status is not None and not ok:
            error = f"HTTP {status}"
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        self.recorder.record(
            WebhookAttempt(
                0, now(), room_id, hook.id, hook.url, event, attempt, status, ok, error, elapsed
            )
        )
        return ok


async def _count_failure(room: Room, hook_id: str) -> None:
    room.store.db.execute(
        "UPDATE _webhooks SET failure_count = COALESCE(failure_count, 0) + 1, "
        "active = CASE WHEN COALESCE(failure_count, 0) + 1 >= ? THEN 0 ELSE active END "
        "WHERE id = ?",
        (DEACTIVATE_AFTER, hook_id),
    )


@asynccontextmanager
async def delivering(rooms: RoomRegistry, recorder: Recorder) -> AsyncIterator[WebhookDelivery]:
    """Webhook delivery for every room: one HTTP session and its tasks, closed on exit."""
    async with aiohttp.ClientSession() as session:
        delivery = WebhookDelivery(session, rooms, recorder)
        rooms.update_listeners.append(delivery.on_update)
        try:
            yield delivery
        finally:
            rooms.update_listeners.remove(delivery.on_update)
            await delivery.tasks.cancel_all()
