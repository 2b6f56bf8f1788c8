"""The page probe: `/__nanodev/probe.js`, injected into the HTML nanodev serves, reports what
the page did with its WebSockets over its own socket, `/__nanodev/probe/ws`; each report
becomes a `PageSocket` record, its stack resolved through the page's source maps.

A socket rather than requests, because a request to a nanodev that went away is logged in the
page's console, while an established socket that closes is not: the probe opens it while
nanodev is surely there (it just served the script) and stops for good when it closes. The
channel takes same-origin pages only (Origin is this server's host, or one of
`allowed_origins`), frames of at most `MAX_BODY` bytes and `MAX_POSTS_PER_S` frames a second;
the page fingerprinted secrets before sending, and the URLs are fingerprinted again here, so a
page that skipped it still stores none.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Literal

from aiohttp import WSCloseCode, WSMessage, WSMsgType, web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nanodev.frontend.livereload import origin_allowed
from nanodev.frontend.mapcache import MapCache
from nanodev.frontend.stacks import PROBE_SCRIPT, Resolver, opened_by, parse_stack, resolve
from nanodev.record import PageSocket, Recorder, StackFrame, redact_query, redact_text

PROBE_PATH = "/__nanodev/probe.js"
REPORT_PATH = "/__nanodev/probe/ws"
PROBE_JS = Path(__file__).parent / "probe.js"
# Versioned by content, so a page load takes the script from the browser's cache: a blocking
# script in <head> that needed a request would delay every page (benchmarks/bench_pageprobe.py).
VERSION = hashlib.sha256(PROBE_JS.read_bytes()).hexdigest()[:12]
SNIPPET = f'<script src="{PROBE_PATH}?v={VERSION}" data-nanodev-probe></script>'.encode()
CACHED = {"Cache-Control": "public, max-age=31536000, immutable"}
MAX_BODY = 64 * 1024
MAX_POSTS_PER_S = 40  # report frames a second, all pages together
NO_CACHE = {"Cache-Control": "no-cache"}
_HEAD_OPEN = re.compile(rb"<head(?:\s[^>]*)?>", re.IGNORECASE)
_HTML_OPEN = re.compile(rb"<html(?:\s[^>]*)?>", re.IGNORECASE)


def inject_probe(html: bytes) -> bytes:
    """The probe as the page's first script (right after `<head>`), so it wraps WebSocket
    before any of the page's own code runs."""
    if SNIPPET in html or b"data-nanodev-probe" in html:
        return html
    for pattern in (_HEAD_OPEN, _HTML_OPEN):
        match = pattern.search(html)
        if match:
            return html[: match.end()] + SNIPPET + html[match.end() :]
    doctype = re.match(rb"\s*<!doctype[^>]*>", html, re.IGNORECASE)
    at = doctype.end() if doctype else 0
    return html[:at] + SNIPPET + html[at:]


class Report(BaseModel):
    model_config = ConfigDict(extra="ignore")

    socket: int = Field(ge=1, le=1_000_000)
    what: Literal["construct", "open", "error", "close"]
    url: str = Field(max_length=2048)
    t: float
    ms: float = 0.0
    attempt: int = Field(1, ge=1)
    since: float | None = None
    page: str = Field("", max_length=2048)
    stack: str = Field("", max_length=8000)
    creator: str = Field("", max_length=8000)  # the library object's construction, if any
    code: int | None = None
    reason: str = Field("", max_length=400)
    clean: bool | None = None


class Batch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    v: Literal[1]
    session: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    sent: float
    reports: list[Report] = Field(max_length=50)


def redact_url(url: str) -> str:
    """A URL with secret query parameters fingerprinted (idempotent on fingerprinted ones)."""
    head, sep, query = url.partition("?")
    return redact_text(head) + sep + redact_query(query) if sep else redact_text(head)


class RateCap:
    """At most `limit` accepted posts in any one-second window (all pages together)."""

    def __init__(self, limit: int = MAX_POSTS_PER_S) -> None:
        self.limit = limit
        self.times: deque[float] = deque()

    def allow(self, now: float) -> bool:
        while self.times and now - self.times[0] > 1.0:
            self.times.popleft()
        if len(self.times) >= self.limit:
            return False
        self.times.append(now)
        return True


class PageProbe:
    """The probe's two routes; reports go to `recorder` as `PageSocket` records."""

    def __init__(
        self,
        recorder: Callable[[], Recorder],
        enabled: Callable[[], bool],
        allowed_origins: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self.recorder = recorder
        self.enabled = enabled
        self.allowed_origins = allowed_origins
        self.maps = MapCache()
        self.rate = RateCap()  # all pages together
        self.sockets: set[web.WebSocketResponse] = set()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PROBE_PATH, self.script)
        app.router.add_get(REPORT_PATH, self.channel)

    async def script(self, request: web.Request) -> web.StreamResponse:
        if not self.enabled():
            raise web.HTTPNotFound(text="The page probe is off (--no-page-probe).\n")
        versioned = request.query.get("v") == VERSION
        return web.Response(
            text=PROBE_JS.read_text(),
            content_type="text/javascript",
            headers={**(CACHED if versioned else NO_CACHE), "X-Content-Type-Options": "nosniff"},
        )

    async def channel(self, request: web.Request) -> web.StreamResponse:
        """One page's report channel: a socket whose text frames are report batches."""
        refused = self.refusal(request)
        if refused is not None:
            return refused
        origin = request.headers.get("Origin", "")
        ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=MAX_BODY)
        await ws.prepare(request)
        self.sockets.add(ws)
        try:
            async for msg in ws:  # a frame over MAX_BODY ends the socket with 1009 (aiohttp)
                taken = self.take(msg)
                if isinstance(taken, Batch):
                    await self.record_batch(taken, origin)
                    continue
                await ws.close(code=taken[0], message=taken[1].encode()[:120])
        finally:
            self.sockets.discard(ws)
        return ws

    def take(self, msg: WSMessage) -> Batch | tuple[int, str]:
        """The frame's batch, or why it ends the channel (close code, reason)."""
        if msg.type is not WSMsgType.TEXT:
            return WSCloseCode.UNSUPPORTED_DATA, "probe reports are JSON text frames"
        if not self.rate.allow(time.monotonic()):
            return WSCloseCode.POLICY_VIOLATION, f"over {MAX_POSTS_PER_S} report frames a second"
        try:
            return Batch.model_validate_json(msg.data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "frame"
            return WSCloseCode.INVALID_TEXT, f"bad probe report: {where}: {first['msg']}"

    def refusal(self, request: web.Request) -> web.Response | None:
        if not self.enabled():
            return web.Response(status=404, text="The page probe is off (--no-page-probe).\n")
        origin = request.headers.get("Origin")
        if not origin_allowed(origin, request.host, self.allowed_origins()):
            return web.Response(
                status=403,
                text=f"Forbidden: probe reports are accepted from this server's own pages only, "
                f"not from origin {origin or '(none)'}; add it to allowed_origins if it is "
                "your app's page.\n",
            )
        return None

    async def record_batch(self, batch: Batch, origin: str) -> None:
        # The page's clock may differ from ours: place each report by its age when sent.
        offset = time.time() - batch.sent / 1000
        stacks = {
            id(r): (parse_stack(r.stack), parse_stack(r.creator))
            for r in batch.reports
            if r.what == "construct"
        }
        urls = (f.url for pair in stacks.values() for frames in pair for f in frames)
        lookup = await self.maps.resolver(urls)
        recorder = self.recorder()
        for report in batch.reports:
            frames, label, collapsed, hint = first_own(stacks.get(id(report), ([], [])), lookup)
            frames = tuple(replace(f, url=redact_url(f.url)) for f in frames)
            recorder.record(
                PageSocket(
                    0,
                    report.t / 1000 + offset,
                    batch.session,
                    report.socket,
                    report.what,
                    redact_url(report.url),
                    redact_url(report.page),
                    origin[:200],
                    attempt=report.attempt,
                    page_ms=round(report.ms, 1),
                    since_previous_ms=None if report.since is None else round(report.since, 1),
                    code=report.code,
                    reason=redact_text(report.reason),
                    clean=report.clean,
                    frames=frames,
                    opened_by=label,
                    collapsed=collapsed,
                    hint=hint,
                )
            )

    async def close(self) -> None:
        await self.close_all()
        await self.maps.close()

    async def close_all(self) -> None:
        for ws in list(self.sockets):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")
        self.sockets.clear()


def first_own(
    stacks: tuple[list[StackFrame], list[StackFrame]], lookup: Resolver
) -> tuple[tuple[StackFrame, ...], str, int, str]:
    """The frames that name the app's line: the socket's own stack when a source map says it
    is the app's, else the stack that built the library object (partysocket) that built the
    socket later from a timer, its constructors skipped, else the socket's own stack."""
    own = tuple(resolve(stacks[0], lookup))
    label, collapsed, hint = opened_by(own)
    if (label and not hint) or not stacks[1]:
        return own, label, collapsed, hint
    creator = tuple(resolve(stacks[1], lookup))
    skipped = [f for f in creator if PROBE_SCRIPT not in f.url]
    while skipped and skipped[0].function.startswith("new "):
        skipped.pop(0)  # the library's constructors (PartySocket → ReconnectingWebSocket)
    found, more, found_hint = opened_by(skipped)
    if not found:
        return own, label, collapsed, hint
    return creator, found, more + len(creator) - len(skipped), found_hint
