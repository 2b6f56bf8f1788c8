"""The inspector's data, as JSON, from the recorder's store: the flow list with filters and a
`since` cursor, the raw events, one flow's full detail, and patterns across flows.

Everything here only reads recorded (already redacted) events; the pages and the API serve the
same dictionaries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from nanodev.inspector.copyas import curl_command, websocat_command
from nanodev.inspector.explain import (
    Explanation,
    FlowFacts,
    explain_flow,
    frame_explanation,
    header_facts,
    query_params,
)
from nanodev.inspector.filters import FlowFilter
from nanodev.inspector.handshakes import both_sides, patterns
from nanodev.inspector.offline import capture_of, diagnose
from nanodev.inspector.timeline import page_session, socket_timeline
from nanodev.record import (
    AuthDecided,
    Broadcast,
    Closed,
    Event,
    FlowSummary,
    Frame,
    Note,
    Recorder,
    RequestReceived,
    Responded,
    Rewritten,
    Upgraded,
)

MAX_LIST = 10_000  # the whole default store: the page virtualizes the list
MAX_EVENTS = 2000
MAX_DETAIL_FRAMES = 500
MAX_PRETTY_FRAMES = 100


def frame_texts(recorder: Recorder) -> dict[int, list[str]]:
    texts: dict[int, list[str]] = {}
    for _seq, event in recorder.events:
        if isinstance(event, Frame) and event.flow:
            texts.setdefault(event.flow, []).append(event.text)
        elif isinstance(event, Broadcast):
            for flow_id in event.recipients:
                texts.setdefault(flow_id, []).append(event.text)
    return texts


def matching_flows(recorder: Recorder, filt: FlowFilter) -> list[FlowSummary]:
    """Flows passing `filt`, newest first."""
    texts = frame_texts(recorder) if filt.text else {}
    rows = []
    for flow in reversed(recorder.flows.values()):
        if filt.empty or filt.matches(flow.to_json(), texts.get(flow.id, ())):
            rows.append(flow)
    return rows


RowCache = dict[int, tuple[int, dict[str, Any]]]


def list_flows(
    recorder: Recorder,
    filt: FlowFilter,
    since: int = 0,
    limit: int = MAX_LIST,
    cache: RowCache | None = None,
) -> dict[str, Any]:
    """The list's rows (newest first) changed after `since`, the patterns banner, and what a
    page that keeps rows needs to stay right: how many flows exist, how many match, which
    changed rows stopped matching, and the oldest flow still stored."""
    matching = matching_flows(recorder, filt)
    rows = [f for f in matching if f.last_seq > since][:limit]
    read_back = relayed_explanations(recorder, rows)
    unmatched: list[int] = []
    if since and not filt.empty:
        kept = {f.id for f in matching}
        unmatched = [
            f.id for f in recorder.flows.values() if f.last_seq > since and f.id not in kept
        ]
    return {
        "flows": [row_json(flow, cache, read_back.get(flow.id)) for flow in rows],
        "total": len(recorder.flows),
        "matched": len(matching),
        "unmatched": unmatched,
        "oldest": next(iter(recorder.flows), 0),
        "last_seq": recorder.last_seq,
        "dropped": recorder.dropped,
        "patterns": patterns(recorder),
    }


def row_json(
    flow: FlowSummary, cache: RowCache | None = None, read_back: Explanation | None = None
) -> dict[str, Any]:
    """One list row; with a cache, rebuilt only when the flow changed since it was built. A
    refusal no hop judged (relayed, imported) carries the cause read back from its answer."""
    if cache is not None:
        hit = cache.get(flow.id)
        if hit is not None and hit[0] == flow.last_seq:
            return hit[1]
    data = flow.to_json()
    data["explanation"] = (read_back or explain_flow(facts_of(flow))).to_json()
    if cache is not None:
        cache[flow.id] = (flow.last_seq, data)
        if len(cache) > 2 * MAX_LIST:
            cache.clear()
    return data


def relayed_explanations(
    recorder: Recorder, flows: Iterable[FlowSummary]
) -> dict[int, Explanation]:
    """Causes read back from status and body for failed flows the real Worker answered through
    the relay (nanodev judged nothing there, so no hop recorded a cause): one pass over the
    store for the flows that need it."""
    wanted = {
        f.id for f in flows if f.destination == "upstream" and not f.cause and f.status is not None
    }
    if not wanted:
        return {}
    requests: dict[int, RequestReceived] = {}
    answers: dict[int, Responded] = {}
    for _seq, event in recorder.events:
        if event.flow in wanted:
            if isinstance(event, RequestReceived):
                requests[event.flow] = event
            elif isinstance(event, Responded):
                answers[event.flow] = event
    found = {}
    for flow_id, request in requests.items():
        answer = answers.get(flow_id)
        explanation = diagnose(capture_of(request, answer)) if answer is not None else None
        if explanation is not None:
            found[flow_id] = explanation
    return found


def facts_of(flow: FlowSummary, close: Closed | None = None) -> FlowFacts:
    return FlowFacts(
        method=flow.method,
        path=flow.path,
        query=flow.query,
        upgrade=flow.upgrade,
        status=flow.status,
        outcome=flow.outcome,
        cause=flow.cause,
        fix=flow.fix,
        destination=flow.destination,
        room=flow.room,
        user_id=flow.user_id,
        open=flow.open,
        close_code=flow.close_code,
        closed_by=flow.closed_by,
        close_reason=close.reason if close else "",
    )


def list_events(
    recorder: Recorder,
    filt: FlowFilter,
    since: int = 0,
    flow_id: int | None = None,
    kinds: Iterable[str] = (),
    limit: int = MAX_EVENTS,
) -> dict[str, Any]:
    """Raw events after `since`, oldest first; `next` is the cursor for the following call."""
    wanted = set(kinds)
    allowed_flows = None if filt.empty else {f.id for f in matching_flows(recorder, filt)}
    out: list[dict[str, Any]] = []
    for seq, event in recorder.since(since):
        if flow_id is not None and event.flow != flow_id:
            continue
        if wanted and event.kind not in wanted:
            continue
        if allowed_flows is not None and event.flow not in allowed_flows:
            continue
        out.append({"seq": seq, **event.to_json()})
        if len(out) >= limit:
            break
    cursor = out[-1]["seq"] if len(out) >= limit else recorder.last_seq
    return {"events": out, "next": cursor, "last_seq": recorder.last_seq}


# The first event of each kind a flow's detail shows, by the key the page reads it under.
DETAIL_PARTS: tuple[tuple[str, type[Event]], ...] = (
    ("request", RequestReceived),
    ("rewrite", Rewritten),
    ("auth", AuthDecided),
    ("response", Responded),
    ("upgrade", Upgraded),
    ("close", Closed),
)


def flow_detail(recorder: Recorder, flow_id: int) -> dict[str, Any] | None:
    summary = recorder.flows.get(flow_id)
    if summary is None:
        return None
    events = [event for _seq, event in recorder.flow_events(flow_id)]
    by_kind = _first_of_each(events)
    request = by_kind.get(RequestReceived)
    close = by_kind.get(Closed)
    assert close is None or isinstance(close, Closed)
    frames = [e for e in events if isinstance(e, Frame)]
    detail: dict[str, Any] = {
        "flow": summary.to_json(),
        "explanation": (
            relayed_explanations(recorder, (summary,)).get(flow_id)
            or explain_flow(facts_of(summary, close))
        ).to_json(),
        "events": len(events),
        "frames_total": len(frames),
        "frames": _frames_json(frames[-MAX_DETAIL_FRAMES:]),
        "notes": [e.to_json() for e in events if isinstance(e, Note)],
    }
    for key, cls in DETAIL_PARTS:
        found = by_kind.get(cls)
        detail[key] = found.to_json() if found is not None else None
    if isinstance(request, RequestReceived):
        detail |= _request_parts(request, summary)
    detail["pattern"] = next((p for p in patterns(recorder) if flow_id in p["flows"]), None)
    detail["sides"] = both_sides(recorder, summary, by_kind.get(Responded))
    if summary.upgrade:
        detail["timeline"] = socket_timeline(recorder.events, flow_id)
        detail["page_session"] = page_session(recorder.events, recorder.flows, flow_id)
    return detail


def _first_of_each(events: list[Event]) -> dict[type[Event], Event]:
    found: dict[type[Event], Event] = {}
    for event in events:
        found.setdefault(type(event), event)
    return found


def _request_parts(request: RequestReceived, summary: FlowSummary) -> dict[str, Any]:
    room_scoped = summary.destination == "worker" and (request.upgrade or summary.room is not None)
    host = request.headers.get("host", "")
    path = summary.path
    return {
        "request_line": f"{request.method} {path}{'?' + request.query if request.query else ''}",
        "query_params": [p.to_json() for p in query_params(request.query, room_scoped=room_scoped)],
        "headers_that_matter": [
            h.to_json() for h in header_facts(request.headers, request.query, request.upgrade)
        ],
        "commands": {
            "curl": curl_command(request.method, host, path, request.query, request.headers),
            "websocat": websocat_command(host, path, request.query, request.headers)
            if request.upgrade
            else None,
        },
    }


def _frames_json(frames: list[Frame]) -> list[dict[str, Any]]:
    """Frames as JSON; only the newest are also indented (the page shows those first). A reply
    whose cause is the frame the client sent before it carries the explanation
    (explain.frame_explanation)."""
    out = []
    sent: dict[str, Any] | None = None
    pretty_from = len(frames) - MAX_PRETTY_FRAMES
    for index, frame in enumerate(frames):
        data = frame.to_json()
        shown = index >= pretty_from and not frame.truncated
        data["pretty"] = pretty_json(frame.text) if shown else None
        if frame.direction == "in":
            sent = _object(frame.text)
        elif (note := frame_explanation(frame.text, sent)) is not None:
            data["explanation"] = note.to_json()
        out.append(data)
    return out


def _object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def pretty_json(text: str) -> str | None:
    """The frame's JSON, indented; None when it is not JSON."""
    if not text or text[0] not in "{[":
        return None
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return None
