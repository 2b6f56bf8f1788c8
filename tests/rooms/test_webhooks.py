"""Webhook delivery for real, to a loopback receiver: headers, HMAC signature, retries with
backoff, one inspector event per attempt, failure accounting; and the pure matching rules."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from nanodev.record.events import WebhookAttempt
from nanodev.rooms.webhooks import matches, signature, url_problem, valid_event_pattern
from tests.conftest import Nano, rpc, wait_for


@dataclass
class Receiver:
    server: TestServer
    statuses: list[int]  # answers to give, in order; 200 once exhausted
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/hook"


@pytest.fixture
async def receiver() -> AsyncIterator[Callable[[list[int]], Awaitable[Receiver]]]:
    made: list[Receiver] = []

    async def make(statuses: list[int]) -> Receiver:
        app = web.Application()
        server = TestServer(app, host="127.0.0.1", port=0)
        rec = Receiver(server, list(statuses))

        async def hook(request: web.Request) -> web.Response:
            rec.got.append((dict(request.headers), await request.read()))
            return web.Response(status=rec.statuses.pop(0) if rec.statuses else 200)

        app.router.add_post("/hook", hook)
        await server.start_server()
        made.append(rec)
        return rec

    yield make
    for rec in made:
        await rec.server.close()


def attempts(nano: Nano) -> list[WebhookAttempt]:
    return [e for _, e in nano.core.recorder.events if isinstance(e, WebhookAttempt)]


def hook_row(nano: Nano, room: str) -> dict[str, Any]:
    db = sqlite3.connect(nano.core.rooms.path_for(room))
    db.row_factory = sqlite3.Row
    row = dict(db.execute("SELECT * FROM _webhooks").fetchone())
    db.close()
    return row


async def test_signed_delivery_with_the_original_headers(nano: Nano, receiver: Any) -> None:
    rec = await receiver([])
    ws = await nano.connect("hooks")
    payload = {"url": rec.url, "events": "tasks.added", "secret": "s3cret"}
    reply, _ = await rpc(ws, "createWebhook", payload, "w")
    assert reply["type"] == "mutation_success" and reply["data"]["id"].startswith("wh_")
    await rpc(ws, "createTask", {"title": "hello"}, "t")
    await wait_for(lambda: len(rec.got) == 1)
    headers, body = rec.got[0]
    assert headers["User-Agent"] == "NanoTypeDB-Webhooks/1.0"
    assert headers["Content-Type"] == "application/json"
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Webhook-Signature"] == expected
    event = json.loads(body)
    assert (event["event"], event["table"], event["action"]) == ("tasks.added", "tasks", "added")
    assert event["data"]["title"] == "hello" and isinstance(event["timestamp"], int)
    await wait_for(lambda: len(attempts(nano)) == 1)
    first = attempts(nano)[0]
    assert (first.ok, first.status, first.attempt, first.room) == (True, 200, 1, "hooks")
    assert hook_row(nano, "hooks")["last_triggered_at"] is not None


async def test_retries_until_success_each_attempt_recorded(nano: Nano, receiver: Any) -> None:
    rec = await receiver([500, 503])
    ws = await nano.connect("hooks")
    await rpc(ws, "createWebhook", {"url": rec.url, "events": "*"}, "w")
    await rpc(ws, "createTask", {"title": "x"}, "t")
    await wait_for(lambda: len(attempts(nano)) == 3)
    assert [(a.attempt, a.status, a.ok) for a in attempts(nano)] == [
        (1, 500, False),
        (2, 503, False),
        (3, 200, True),
    ]
    assert "X-Webhook-Signature" not in rec.got[0][0]  # no secret, no signature
    assert hook_row(nano, "hooks")["failure_count"] == 0


async def test_gives_up_after_three_retries_and_counts_a_failure(nano: Nano, receiver: Any) -> None:
    rec = await receiver([500] * 10)
    ws = await nano.connect("hooks")
    await rpc(ws, "createWebhook", {"url": rec.url, "events": "*.added"}, "w")
    await rpc(ws, "createTask", {"title": "x"}, "t")
    await wait_for(lambda: hook_row(nano, "hooks")["failure_count"] == 1, timeout=8)
    assert [a.attempt for a in attempts(nano)] == [1, 2, 3, 4]
    assert hook_row(nano, "hooks")["active"] == 1


async def test_unmatched_events_and_disabled_delivery_send_nothing(
    make_nano: Callable[..., Awaitable[Nano]], receiver: Any
) -> None:
    rec = await receiver([])
    for nano, events in (
        (await make_nano(), "customers.*"),
        (await make_nano(deliver_webhooks=False), "*"),
    ):
        ws = await nano.connect("hooks")
        await rpc(ws, "createWebhook", {"url": rec.url, "events": events}, "w")
        await rpc(ws, "createTask", {"title": "x"}, "t")
        await rpc(ws, "getUsage", None, "u")  # one more turn of the room
        assert attempts(nano) == []
    assert rec.got == []


@pytest.mark.parametrize(
    ("events", "table", "action", "expected"),
    [
        ("*", "tasks", "added", True),
        ("tasks.added", "tasks", "added", True),
        ("tasks.*", "tasks", "deleted", True),
        ("*.modified", "customers", "modified", True),
        ("customers.added, tasks.deleted", "tasks", "deleted", True),
        ("tasks.added", "tasks", "deleted", False),
        ("customers.*", "tasks", "added", False),
        ("tasks.created", "tasks", "added", False),
    ],
)
def test_matches(events: str, table: str, action: str, expected: bool) -> None:
    assert matches(events, table, action) is expected


def test_signature_is_hex_hmac_sha256() -> None:
    expected = hmac.new(b"k", b"{}", hashlib.sha256).hexdigest()
    assert signature("k", b"{}") == f"sha256={expected}"


@pytest.mark.parametrize(
    ("pattern", "ok"),
    [
        ("*", True),
        ("a.*", True),
        ("*.b", True),
        ("a.b, c.d", True),
        ("a", False),
        ("a.b.c", False),
        ("", False),
    ],
)
def test_event_patterns(pattern: str, ok: bool) -> None:
    assert valid_event_pattern(pattern) is ok


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (None, "Webhook URL is required"),
        ("not a url", "Invalid webhook URL format"),
        ("ftp://127.0.0.1/x", "Webhook URL must use HTTP or HTTPS protocol"),
        ("http://127.0.0.1:9/x", None),
    ],
)
def test_url_problem(url: Any, problem: str | None) -> None:
    assert url_problem(url) == problem
