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

MAX_MARKS = 2000
LOOP_MIN_ATTEMPTS = 3
LOOP_MAX_GAP_S = 60.0  # attempts further apart than this are separate visits, not a loop
MAX_ATTEMPTS_SHOWN = 50


def socket_timeline(events: Iterable[tuple[int, Event]], flow_id: int) -> dict[str, Any]:
    """Handshake, answer, frames in and out, broadcasts received and close, in time order."""
    marks: list[dict[str, Any]] = []
    for seq, event in events:
        mark = _mark(event, flow_id)
        if mark is not None:
            marks.append({"seq": seq, "ts": event.ts, **mark})
    if not marks:
        return {"start": None, "end": None, "marks": [], "total": 0}
    start, end = marks[0]["ts"], marks[-1]["ts"]
    shown = marks if len(marks) <= MAX_MARKS else marks[:1] + marks[-(MAX_MARKS - 1) :]
    for mark in shown:
        mark["t_ms"] = round((mark["ts"] - start) * 1000, 1)
    return {"start": start, "end": end, "marks": shown, "total": len(marks)}


def _mark(event: Event, flow_id: int) -> dict[str, str] | None:
    if type(event) is Broadcast:
        if flow_id not in event.recipients:
            return None
        return {"kind": "broadcast", "label": f"broadcast {event.what} {event.table}".strip()}
    if event.flow != flow_id:
        return None
    if isinstance(event, RequestReceived):
        return {"kind": "handshake", "label": f"{event.method} {event.path}"}
    if isinstance(event, Upgraded):
        return {"kind": "accepted", "label": f"101 in room {event.room}"}
    if isinstance(event, Responded):
        return {"kind": "refused" if event.status >= 400 else "answer", "label": str(event.status)}
    if isinstance(event, Frame):
        return {"kind": event.direction, "label": f"{event.direction} {event.size} B"}
    if isinstance(event, Closed):
        return {"kind": "close", "label": f"close {event.code} by {event.by}"}
    return None


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
