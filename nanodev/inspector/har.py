"""The captured session as HAR 1.2, the format every browser's network panel reads and writes.

One entry per flow: an HTTP request with its answer, or a WebSocket handshake written the way
Chrome DevTools writes it (`_resourceType: "websocket"` and `_webSocketMessages`, each message
`{type: send|receive, time, opcode, data}`), so the file opens in DevTools' Network panel and in
other HAR viewers. What HAR has no field for travels in underscore fields, which viewers
ignore and `harimport` reads back: the close (`_webSocketClose`) and nanodev's own verdict
(`_nanodev`: outcome, room, user, cause, fix). The recorder holds secrets only as fingerprints,
so the file does too.

Pure: recorded events in, a JSON-ready dictionary out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from nanodev.record import (
    Broadcast,
    Closed,
    Event,
    FlowSummary,
    Frame,
    Recorder,
    RequestReceived,
    Responded,
    Upgraded,
    broadcast_frame,
    close_meaning,
)

HAR_VERSION = "1.2"
OPCODES = {"text": 1, "binary": 2}
MESSAGE_TYPES = {"in": "send", "out": "receive"}  # seen from the client, as DevTools does
STATUS_TEXT = {101: "Switching Protocols"}


@dataclass(slots=True)
class FlowRecords:
    """One flow's events, gathered in one pass over the store."""

    request: RequestReceived | None = None
    response: Responded | None = None
    upgrade: Upgraded | None = None
    close: Closed | None = None
    frames: list[Frame] = field(default_factory=list)


def export_har(
    recorder: Recorder, version: str, flow_ids: Iterable[int] | None = None
) -> dict[str, Any]:
    """HAR 1.2 for the chosen flows (all when None), oldest first."""
    wanted = set(recorder.flows) if flow_ids is None else set(flow_ids) & set(recorder.flows)
    records = gather(recorder.events, wanted)
    entries = [
        entry(recorder.flows[flow_id], records[flow_id])
        for flow_id in sorted(wanted)
        if records[flow_id].request is not None
    ]
    return {
        "log": {
            "version": HAR_VERSION,
            "creator": {"name": "nanodev", "version": version},
            "pages": [],
            "entries": entries,
        }
    }


def gather(events: Iterable[tuple[int, Event]], wanted: set[int]) -> dict[int, FlowRecords]:
    records = {flow_id: FlowRecords() for flow_id in wanted}
    for _seq, event in events:
        if type(event) is Broadcast:
            for flow_id in wanted.intersection(event.recipients):
                records[flow_id].frames.append(broadcast_frame(event, flow_id))
            continue
        found = records.get(event.flow)
        if found is None:
            continue
        if type(event) is Frame:
            found.frames.append(event)
        elif type(event) is RequestReceived and found.request is None:
            found.request = event
        elif type(event) is Responded:
            found.response = event
        elif type(event) is Upgraded:
            found.upgrade = event
        elif type(event) is Closed:
            found.close = event
    return records


def entry(flow: FlowSummary, records: FlowRecords) -> dict[str, Any]:
    request = records.request
    assert request is not None
    took = flow.duration_ms if flow.duration_ms is not None else 0.0
    data: dict[str, Any] = {
        "startedDateTime": iso_time(request.ts),
        "time": took,
        "request": har_request(request, flow),
        "response": har_response(flow, records),
        "cache": {},
        "timings": {"send": 0, "wait": took, "receive": 0},
        "_nanodev": verdict(flow),
    }
    if flow.websocket or records.upgrade is not None:
        data["_resourceType"] = "websocket"
        data["_webSocketMessages"] = [message(frame) for frame in records.frames]
        if records.close is not None:
            data["_webSocketClose"] = close_record(records.close)
    return data


def iso_time(ts: float) -> str:
    when = dt.datetime.fromtimestamp(ts, dt.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def request_url(request: RequestReceived, flow: FlowSummary) -> str:
    """The URL the client used: an imported flow kept it whole; nanodev's own listeners are
    plain http:// (ws:// for an upgrade) on the Host the client named."""
    if flow.destination == "imported" and "://" in flow.target:
        return flow.target
    host = request.headers.get("host", "localhost")
    scheme = "ws" if request.upgrade else "http"
    return f"{scheme}://{host}{request.path}" + (f"?{request.query}" if request.query else "")


def har_request(request: RequestReceived, flow: FlowSummary) -> dict[str, Any]:
    url = request_url(request, flow)
    return {
        "method": request.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": cookies(request.headers.get("cookie", "")),
        "headers": [{"name": k, "value": v} for k, v in request.headers.items()],
        "queryString": query_string(request.query),
        "headersSize": -1,
        "bodySize": -1 if request.method in ("GET", "HEAD") else 0,
    }


def har_response(flow: FlowSummary, records: FlowRecords) -> dict[str, Any]:
    answer = records.response
    status = answer.status if answer is not None else (flow.status or 0)
    headers = []
    if answer is not None and answer.content_type:
        headers.append({"name": "content-type", "value": answer.content_type})
    if answer is not None and answer.encoding:
        headers.append({"name": "content-encoding", "value": answer.encoding})
    content: dict[str, Any] = {"size": 0, "mimeType": "x-unknown"}
    if answer is not None:
        content = {
            "size": answer.body_size,
            "mimeType": answer.content_type or "x-unknown",
            "text": answer.body,
        }
    return {
        "status": status,
        "statusText": STATUS_TEXT.get(status, ""),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": headers,
        "content": content,
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": answer.body_size if answer is not None else 0,
    }


def message(frame: Frame) -> dict[str, Any]:
    return {
        "type": MESSAGE_TYPES[frame.direction],
        "time": frame.ts,
        "opcode": OPCODES.get(frame.opcode, 1),
        "data": frame.text,
    }


def close_record(close: Closed) -> dict[str, Any]:
    return {
        "code": close.code,
        "reason": close.reason,
        "by": close.by,
        "meaning": close_meaning(close.code),
    }


def verdict(flow: FlowSummary) -> dict[str, Any]:
    return {
        "flow": flow.id,
        "outcome": flow.outcome,
        "room": flow.room,
        "user_id": flow.user_id,
        "cause": flow.cause,
        "fix": flow.fix,
        "destination": flow.destination,
    }


def cookies(header: str) -> list[dict[str, str]]:
    out = []
    for pair in header.split(";"):
        name, eq, value = pair.strip().partition("=")
        if name and eq:
            out.append({"name": name, "value": value})
    return out


def query_string(query: str) -> list[dict[str, str]]:
    out = []
    for raw in query.split("&") if query else ():
        name, _eq, value = raw.partition("=")
        out.append({"name": unquote_plus(name), "value": unquote_plus(value)})
    return out
