"""The store's handshakes seen together: the room-less pattern over them (one per page session,
naming its user and the page lines that created the sockets, as the page probe reported them),
and each handshake's two sides (what the page saw, what nanodev or the Worker answered).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from nanodev.inspector.explain import Handshake, roomless_repeats, with_creating_lines
from nanodev.inspector.pagejoin import HandshakeSide, PageStory, join, stories
from nanodev.record import (
    Event,
    FlowSummary,
    Note,
    PageSocket,
    Recorder,
    RequestReceived,
    Responded,
)


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


def handshakes(recorder: Recorder) -> list[Handshake]:
    out = []
    users: dict[int, str] = {}  # flow → email, from the pipeline's `identify` notes
    for _seq, event in recorder.events:
        if isinstance(event, Note) and event.extra.get("identified"):
            users[event.flow] = str(event.extra.get("email", ""))
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
                    credential_session(event),
                    users.get(event.flow, ""),
                )
            )
    return out


def credential_session(event: RequestReceived) -> str:
    """The credential that ties retries to one page: the cookie's fingerprint, else the key's."""
    cookie = event.headers.get("cookie", "")
    if cookie:
        return cookie
    if event.headers.get("x-nano-key"):
        return event.headers["x-nano-key"]
    for part in event.query.split("&"):
        name, _, value = part.partition("=")
        if name in ("key", "api_key") and value:
            return unquote(value)
    return ""
