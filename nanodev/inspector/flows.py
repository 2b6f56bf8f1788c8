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
    FlowFacts,
    Handshake,
    explain_flow,
    header_facts,
    query_params,
    roomless_repeats,
    with_creating_lines,
)
from nanodev.inspector.filters import FlowFilter
from nanodev.inspector.pagejoin import HandshakeSide, PageStory, join, stories
from nanodev.record import (
    AuthDecided,
    Broadcast,
    Closed,
    Event,
    FlowSummary,
    Frame,
    PageSocket,
    Recorder,
    RequestReceived,
    Responded,
    Rewritten,
    Upgraded,
)

MAX_LIST = 500
MAX_EVENTS = 2000
MAX_DETAIL_FRAMES = 500


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


def list_flows(
    recorder: Recorder, filt: FlowFilter, since: int = 0, limit: int = MAX_LIST
) -> dict[str, Any]:
    """The list page's rows (newest first) changed after `since`, plus the patterns banner."""
    rows = [f for f in matching_flows(recorder, filt) if f.last_seq > since][:limit]
    return {
        "flows": [row_json(flow) for flow in rows],
        "last_seq": recorder.last_seq,
        "dropped": recorder.dropped,
        "patterns": patterns(recorder),
    }


def patterns(recorder: Recorder) -> list[dict[str, Any]]:
    """The room-less patterns, each naming the page lines that created its sockets."""
    found = roomless_repeats(handshakes(recorder))
    joined = page_join(recorder) if found else {}
    return [with_creating_lines(p.to_json(), creating_lines(p.flows, joined)) for p in found]


def creating_lines(flows: Iterable[int], joined: dict[int, PageStory]) -> list[str]:
    lines = (joined[f].construct for f in flows if f in joined)
    return list(dict.fromkeys(c.opened_by for c in lines if c is not None and c.opened_by))


def page_join(recorder: Recorder) -> dict[int, PageStory]:
    """Each handshake's page story (the page probe's reports), where the join is certain."""
    sides: list[HandshakeSide] = []
    reports: list[PageSocket] = []
    for _seq, event in recorder.events:
        if isinstance(event, RequestReceived) and event.upgrade:
            origin = event.headers.get("origin", "")
            sides.append(HandshakeSide(event.flow, event.ts, event.path, event.query, origin))
        elif isinstance(event, PageSocket):
            reports.append(event)
    return join(sides, stories(reports)) if reports else {}


def both_sides(
    recorder: Recorder, summary: FlowSummary, response: Event | None = None
) -> dict[str, Any] | None:
    """A handshake's two halves: what the page saw and what nanodev (or, with --upstream, the
    Worker: its refusal's body, relayed) answered."""
    if not summary.upgrade:
        return None
    story = page_join(recorder).get(summary.id)
    status = summary.status if summary.status is not None else "…"
    why = summary.cause
    if not why and isinstance(response, Responded):
        why = response.body.strip().splitlines()[0][:300] if response.body.strip() else ""
    answer = f"{status} {why}".strip() if summary.status != 101 else "101 accepted"
    return {
        "page": story.to_json() if story is not None else None,
        "page_sentence": story.sentence()
        if story is not None
        else "unmatched: no page report "
        "fits this handshake (the page probe is off, the page is not served through nanodev, or "
        "two tabs opened the same URL at once)",
        "nanodev": answer,
    }


def row_json(flow: FlowSummary) -> dict[str, Any]:
    data = flow.to_json()
    data["explanation"] = explain_flow(facts_of(flow)).to_json()
    return data


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


def handshakes(recorder: Recorder) -> list[Handshake]:
    out = []
    for _seq, event in recorder.events:
        if isinstance(event, RequestReceived) and event.upgrade:
            flow = recorder.flows.get(event.flow)
            out.append(
                Handshake(
                    event.flow,
                    event.ts,
                    event.path,
                    event.query,
                    "cookie" in event.headers,
                    flow.status if flow else None,
                )
            )
    return out


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
        "explanation": explain_flow(facts_of(summary, close)).to_json(),
        "events": len(events),
        "frames_total": len(frames),
        "frames": [_frame_json(f) for f in frames[-MAX_DETAIL_FRAMES:]],
    }
    for key, cls in (
        ("request", RequestReceived),
        ("rewrite", Rewritten),
        ("auth", AuthDecided),
        ("response", Responded),
        ("upgrade", Upgraded),
        ("close", Closed),
    ):
        found = by_kind.get(cls)
        detail[key] = found.to_json() if found is not None else None
    if isinstance(request, RequestReceived):
        detail |= _request_parts(request, summary)
    detail["pattern"] = next((p for p in patterns(recorder) if flow_id in p["flows"]), None)
    detail["sides"] = both_sides(recorder, summary, by_kind.get(Responded))
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


def _frame_json(frame: Frame) -> dict[str, Any]:
    data = frame.to_json()
    data["pretty"] = pretty_json(frame.text) if not frame.truncated else None
    return data


def pretty_json(text: str) -> str | None:
    """The frame's JSON, indented; None when it is not JSON."""
    if not text or text[0] not in "{[":
        return None
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return None
