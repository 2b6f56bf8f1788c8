"""A socket's life on a time axis, and the connection attempts of one page session.

Pure readers of recorded events. A page session is the set of handshakes one page made: the
same client, Origin, User-Agent, credentials (by fingerprint) and path. Its attempts, with
the time between them, show a reconnect loop at a glance: partysocket backing off 1 s, 2 s,
4 s … against a handshake that can never succeed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nanodev.record import (
    Broadcast,
    Closed,
    Event,
    FlowSummary,
    Frame,
    RequestReceived,
    Responded,
    Upgraded,
)

MAX_MARKS = 1000  # the page draws at most 500 slots per kind anyway
LOOP_MIN_ATTEMPTS = 3
LOOP_MAX_GAP_S = 60.0  # attempts further apart than this are separate visits, not a loop
MAX_ATTEMPTS_SHOWN = 50


def socket_timeline(events: Iterable[tuple[int, Event]], flow_id: int) -> dict[str, Any]:
    """Handshake, answer, frames in and out, broadcasts received and close, in time order."""
    found: list[tuple[int, Event]] = []
    for item in events:
        event = item[1]
        if event.flow == flow_id or (type(event) is Broadcast and flow_id in event.recipients):
            found.append(item)  # most of a full store is skipped by these two tests alone
    if not found:
        return {"start": None, "end": None, "marks": [], "total": 0}
    start, end = found[0][1].ts, found[-1][1].ts
    shown = found if len(found) <= MAX_MARKS else found[:1] + found[-(MAX_MARKS - 1) :]
    marks = []
    for seq, event in shown:  # labels only for what is sent: a busy socket has thousands
        kind, label = _mark(event)
        if kind:
            t_ms = round((event.ts - start) * 1000, 1)
            marks.append({"seq": seq, "ts": event.ts, "t_ms": t_ms, "kind": kind, "label": label})
    return {"start": start, "end": end, "marks": marks, "total": len(found)}


def _mark(event: Event) -> tuple[str, str]:
    if type(event) is Frame:
        return event.direction, f"{event.direction} {event.size} B"
    if type(event) is Broadcast:
        return "broadcast", f"broadcast {event.what} {event.table}".strip()
    if isinstance(event, RequestReceived):
        return "handshake", f"{event.method} {event.path}"
    if isinstance(event, Upgraded):
        return "accepted", f"101 in room {event.room}"
    if isinstance(event, Responded):
        return "refused" if event.status >= 400 else "answer", str(event.status)
    if isinstance(event, Closed):
        return "close", f"close {event.code} by {event.by}"
    return "", ""


@dataclass(frozen=True, slots=True)
class Attempt:
    flow: int
    ts: float
    key: tuple[str, ...]


def session_key(request: RequestReceived) -> tuple[str, ...]:
    """What one page's handshakes share; secrets are already fingerprints in the record."""
    h = request.headers
    cred = h.get("cookie", "") + h.get("x-nano-key", "") + h.get("authorization", "")
    return (request.client, h.get("origin", ""), h.get("user-agent", ""), cred, request.path)


def page_session(
    events: Iterable[tuple[int, Event]], flows: dict[int, FlowSummary], flow_id: int
) -> dict[str, Any] | None:
    """The attempts of the page session `flow_id` belongs to, oldest first, with backoffs."""
    attempts = [
        Attempt(e.flow, e.ts, session_key(e))
        for _seq, e in events
        if isinstance(e, RequestReceived) and e.upgrade
    ]
    mine = next((a for a in attempts if a.flow == flow_id), None)
    if mine is None:
        return None
    same = [a for a in attempts if a.key == mine.key][-MAX_ATTEMPTS_SHOWN:]
    rows = []
    for index, attempt in enumerate(same):
        flow = flows.get(attempt.flow)
        gap = attempt.ts - same[index - 1].ts if index else None
        rows.append(_attempt_json(attempt, flow, gap))
    return {"attempts": rows, "loop": is_loop([a.ts for a in same], rows)}


def _attempt_json(attempt: Attempt, flow: FlowSummary | None, gap: float | None) -> dict[str, Any]:
    return {
        "flow": attempt.flow,
        "ts": attempt.ts,
        "backoff_ms": None if gap is None else round(gap * 1000),
        "status": flow.status if flow else None,
        "close_code": flow.close_code if flow else None,
        "room": flow.room if flow else None,
        "open": flow.open if flow else False,
    }


def is_loop(times: list[float], rows: list[dict[str, Any]]) -> bool:
    """At least three attempts in a row, none kept open, none far apart from the previous."""
    if len(times) < LOOP_MIN_ATTEMPTS or any(r["open"] for r in rows[-LOOP_MIN_ATTEMPTS:]):
        return False
    tail = times[-LOOP_MIN_ATTEMPTS:]
    return all(b - a <= LOOP_MAX_GAP_S for a, b in itertools.pairwise(tail))
