"""The page's side of a socket joined to nanodev's side, pure.

A page report (`PageSocket`) and a handshake belong together when they name the same path and
query, come from the same Origin, and lie within `WINDOW_S` of each other. Only a pair that
is each other's nearest candidate is joined, and a handshake that constructions of two page
sessions (two tabs) could both explain is left unmatched: "unmatched" is said rather than a
guess made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from nanodev.record import PageSocket

WINDOW_S = 1.0


@dataclass(frozen=True, slots=True)
class HandshakeSide:
    """What the join needs of one recorded upgrade."""

    flow: int
    ts: float
    path: str
    query: str
    origin: str


@dataclass(slots=True)
class PageStory:
    """One socket as one page saw it: its construction, then what its handlers saw."""

    session: str
    socket: int
    construct: PageSocket | None = None
    seen: list[PageSocket] = field(default_factory=list)

    def sentence(self) -> str:
        """`opened by src/App.tsx:118 in useStableSocket → reconnect attempt 4, saw error +
        close 1006 after 3 ms`."""
        first = self.construct
        head = "opened by an unknown line"
        if first is not None and first.opened_by:
            where, _, function = first.opened_by.partition(" ")
            head = f"opened by {where}" + (f" in {function}" if function else "")
        rest = []
        if first is not None and first.attempt > 1:
            gap = first.since_previous_ms
            after = f" ({gap / 1000:.1f} s after the last)" if gap is not None else ""
            rest.append(f"reconnect attempt {first.attempt}{after}")
        if self.seen:
            saw = " + ".join(_seen_word(e) for e in self.seen)
            rest.append(f"saw {saw} after {self.seen[-1].page_ms:.0f} ms")
        else:
            rest.append("nothing seen by the page yet")
        return f"{head} → {', '.join(rest)}"

    def to_json(self) -> dict[str, Any]:
        first = self.construct
        return {
            "session": self.session,
            "socket": self.socket,
            "sentence": self.sentence(),
            "construct": first.to_json() if first is not None else None,
            "seen": [
                {"what": e.what, "code": e.code, "reason": e.reason, "after_ms": e.page_ms}
                for e in self.seen
            ],
            "close_code": next((e.code for e in reversed(self.seen) if e.what == "close"), None),
        }


def _seen_word(event: PageSocket) -> str:
    return f"close {event.code}" if event.what == "close" else event.what


def url_key(path: str, query: str) -> tuple[str, str]:
    return path, unquote(query)


def page_url_key(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return url_key(parts.path or "/", parts.query)


def stories(reports: Iterable[PageSocket]) -> list[PageStory]:
    """Reports grouped per socket, in order of construction."""
    found: dict[tuple[str, int], PageStory] = {}
    for report in reports:
        story = found.setdefault(
            (report.page_session, report.socket), PageStory(report.page_session, report.socket)
        )
        if report.what == "construct":
            story.construct = report
        else:
            story.seen.append(report)
    return sorted(found.values(), key=lambda s: s.construct.ts if s.construct else 0.0)


def _fits(story: PageStory, hs: HandshakeSide, window: float) -> bool:
    c = story.construct
    return (
        c is not None
        and abs(c.ts - hs.ts) <= window
        and page_url_key(c.url) == url_key(hs.path, hs.query)
        and (not c.origin or not hs.origin or c.origin == hs.origin)
    )


def join(
    handshakes: Sequence[HandshakeSide], page: Sequence[PageStory], window: float = WINDOW_S
) -> dict[int, PageStory]:
    """Handshake flow id → the page story it belongs to, for the pairs that are certain."""
    by_url: dict[tuple[str, str], list[PageStory]] = {}
    for story in page:
        if story.construct is not None:
            by_url.setdefault(page_url_key(story.construct.url), []).append(story)
    near: dict[int, list[PageStory]] = {
        hs.flow: [s for s in by_url.get(url_key(hs.path, hs.query), ()) if _fits(s, hs, window)]
        for hs in handshakes
    }
    by_flow = {hs.flow: hs for hs in handshakes}
    best_for_story: dict[tuple[str, int], tuple[float, int]] = {}
    for flow, candidates in near.items():
        for story in candidates:
            assert story.construct is not None
            gap = abs(story.construct.ts - by_flow[flow].ts)
            key = (story.session, story.socket)
            if key not in best_for_story or gap < best_for_story[key][0]:
                best_for_story[key] = (gap, flow)
    out: dict[int, PageStory] = {}
    for flow, candidates in near.items():
        if not candidates or len({s.session for s in candidates}) > 1:
            continue  # nothing, or two tabs that could both have opened it: unmatched
        hs = by_flow[flow]
        nearest = min(candidates, key=lambda s: abs(s.construct.ts - hs.ts) if s.construct else 0)
        if best_for_story[(nearest.session, nearest.socket)][1] == flow:
            out[flow] = nearest
    return out
