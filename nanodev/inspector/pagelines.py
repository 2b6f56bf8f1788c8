""" "opened by FILE:LINE" for the terminal and `nanodev tail`: the page join over the last few
handshakes and page reports, as the live feed delivers them in either order.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from nanodev.inspector.pagejoin import HandshakeSide, PageStory, join, stories
from nanodev.record import PageSocket, RequestReceived

KEEP = 64  # recent handshakes and constructions: the join window is a second wide


class OpenedBy:
    """Remembers recent upgrades and page constructions; says which line opened a flow."""

    def __init__(self) -> None:
        self.sides: OrderedDict[int, HandshakeSide] = OrderedDict()
        self.reports: OrderedDict[tuple[str, int], PageSocket] = OrderedDict()
        self.told: set[int] = set()

    def handshake(self, event: RequestReceived) -> None:
        origin = event.headers.get("origin", "")
        self.sides[event.flow] = HandshakeSide(
            event.flow, event.ts, event.path, event.query, origin
        )
        _trim(self.sides)

    def report(self, event: PageSocket) -> list[tuple[int, str]]:
        """A construction arrived: (flow, label) for flows it now explains, not told before."""
        if event.what != "construct" or not event.opened_by:
            return []
        self.reports[(event.page_session, event.socket)] = event
        _trim(self.reports)
        found = []
        for flow, story in self._joined().items():
            if flow not in self.told and story.construct is event:
                self.told.add(flow)
                found.append((flow, label(story)))
        return found

    def label(self, flow: int) -> str:
        """The line that opened `flow` when already known (marked told), else ""."""
        story = self._joined().get(flow)
        if story is None:
            return ""
        self.told.add(flow)
        return label(story)

    def _joined(self) -> dict[int, PageStory]:
        if not self.reports or not self.sides:
            return {}
        joined = join(list(self.sides.values()), stories(self.reports.values()))
        if len(self.told) > 4 * KEEP:
            self.told = {f for f in self.told if f in self.sides}
        return joined


def label(story: PageStory) -> str:
    construct = story.construct
    if construct is None or not construct.opened_by:
        return ""
    where, _, function = construct.opened_by.partition(" ")
    return f"opened by {where}" + (f" in {function}" if function else "")


def _trim(items: OrderedDict[Any, Any]) -> None:
    while len(items) > KEEP:
        items.popitem(last=False)
