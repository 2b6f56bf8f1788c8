"""`nanodev explain FILE.har`: the inspector's explanations over a HAR's handshakes, offline.

The HAR is imported exactly as the inspector's Import does (`harimport`), so each failed entry
carries the cause and fix read back from its status and body; sockets get their close code
explained, and handshakes repeating a room-less URL are reported as the reconnect loop.
A browser's HAR is often saved without cookies, so here a handshake counts as
session-authenticated for that pattern unless it carried an API key.

Pure: a parsed HAR in, a `Report` out, rendered as text or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nanodev.gateway import has_param
from nanodev.inspector.explain import (
    KEY_PARAMS,
    Explanation,
    Handshake,
    RoomlessPattern,
    close_explanation,
    explain_flow,
    roomless_repeats,
)
from nanodev.inspector.flows import facts_of
from nanodev.inspector.har import request_url
from nanodev.inspector.harimport import import_har
from nanodev.record import Closed, Recorder, RequestReceived


@dataclass(frozen=True, slots=True)
class Finding:
    flow: int
    method: str
    url: str
    websocket: bool
    status: int | None
    failed: bool
    explanation: Explanation
    close: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "method": self.method,
            "url": self.url,
            "websocket": self.websocket,
            "status": self.status,
            "failed": self.failed,
            "close": self.close or None,
            **self.explanation.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Report:
    entries: int
    findings: tuple[Finding, ...]
    patterns: tuple[RoomlessPattern, ...]

    @property
    def failed(self) -> bool:
        """A handshake failed: the exit code is 1."""
        return any(f.failed and f.websocket for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "handshakes": sum(1 for f in self.findings if f.websocket),
            "failed": self.failed,
            "findings": [f.to_json() for f in self.findings],
            "patterns": [p.to_json() for p in self.patterns],
        }


def explain_har(data: Any) -> Report:
    """Every handshake, and every failed request, of the HAR with its explanation."""
    recorder = import_har(data, 100)
    requests: dict[int, RequestReceived] = {}
    closes: dict[int, Closed] = {}
    for _seq, event in recorder.events:
        if isinstance(event, RequestReceived):
            requests[event.flow] = event
        elif isinstance(event, Closed):
            closes[event.flow] = event
    findings = []
    for flow in recorder.flows.values():
        request = requests[flow.id]
        failed = flow.status is not None and (
            flow.status != 101 if flow.upgrade else flow.status >= 400
        )
        if not (flow.upgrade or failed):
            continue
        close = closes.get(flow.id)
        findings.append(
            Finding(
                flow.id,
                flow.method,
                request_url(request, flow),
                flow.upgrade,
                flow.status,
                failed,
                explain_flow(facts_of(flow, close)),
                close_explanation(close.code, close.by, close.reason) if close else "",
            )
        )
    patterns = roomless_repeats(_handshakes(recorder, requests))
    return Report(len(recorder.flows), tuple(findings), tuple(patterns))


def _handshakes(recorder: Recorder, requests: dict[int, RequestReceived]) -> list[Handshake]:
    out = []
    for flow_id, request in requests.items():
        if not request.upgrade:
            continue
        keyed = "x-nano-key" in request.headers or any(
            has_param(request.query, name) for name in KEY_PARAMS
        )
        status = recorder.flows[flow_id].status
        cookie = "cookie" in request.headers or not keyed
        out.append(Handshake(flow_id, request.ts, request.path, request.query, cookie, status))
    return out


def render_text(report: Report, name: str) -> str:
    handshakes = [f for f in report.findings if f.websocket]
    bad = sum(1 for f in handshakes if f.failed)
    lines = [
        f"{name}: {report.entries} entries, {len(handshakes)} WebSocket handshakes ({bad} failed)"
    ]
    for finding in report.findings:
        mark = "FAIL" if finding.failed else "ok  "
        lines.append(f"\n{mark} #{finding.flow} {finding.method} {finding.url} → {finding.status}")
        lines.append(f"     cause: {finding.explanation.cause}")
        if finding.explanation.fix:
            lines.append(f"     fix:   {finding.explanation.fix}")
    for pattern in report.patterns:
        lines.append(f"\nLOOP {pattern.url} x{len(pattern.flows)}")
        lines.append(f"     cause: {pattern.explanation.cause}")
        lines.append(f"     fix:   {pattern.explanation.fix}")
    if not report.findings:
        lines.append("no WebSocket handshake and no failed request in this file")
    return "\n".join(lines) + "\n"
