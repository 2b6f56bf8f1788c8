"""The one narrow call every hop reports through, and the bounded store behind the inspector.

`Recorder.record(event)` appends to a ring buffer, folds the event into its flow's summary
(the inspector's list rows) and hands it to live listeners. It never awaits and never does
work proportional to the store size, so recording cannot slow the path it watches.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from nanodev.record.events import (
    AuthDecided,
    Broadcast,
    Closed,
    Event,
    Frame,
    RequestReceived,
    Responded,
    Rewritten,
    Upgraded,
)
from nanodev.record.known import KnownSecrets

Listener = Callable[[int, Event], None]


@dataclass(slots=True)
class FlowSummary:
    """One row of the inspector's list: an HTTP request or a WebSocket connection."""

    id: int
    ts: float
    method: str = ""
    path: str = ""
    query: str = ""
    target: str = ""
    destination: str = ""
    listener: str = ""
    upgrade: bool = False
    websocket: bool = False
    room: str | None = None
    user_id: str | None = None
    status: int | None = None
    outcome: str = "none"
    cause: str = ""
    fix: str = ""
    duration_ms: float | None = None
    frames_in: int = 0
    frames_out: int = 0
    close_code: int | None = None
    closed_by: str = ""
    open: bool = False
    last_seq: int = 0

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


class Recorder:
    """Bounded event store + flow index + live listeners."""

    def __init__(self, capacity: int = 10_000, *, store: bool = True) -> None:
        self.capacity = capacity
        self.store_enabled = store
        self.events: deque[tuple[int, Event]] = deque(maxlen=capacity)
        self.flows: OrderedDict[int, FlowSummary] = OrderedDict()
        self._seq = itertools.count(1)
        self._flow_ids = itertools.count(1)
        self._listeners: list[Listener] = []
        self.dropped = 0
        self.last_seq = 0
        self.known = KnownSecrets()  # masked in every record before it is kept or shown

    def new_flow(self) -> int:
        return next(self._flow_ids)

    def listen(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    @property
    def wants_frames(self) -> bool:
        """False when recording is off: hops then skip building frame records at all."""
        return self.store_enabled

    def record(self, event: Event) -> None:
        """Store, index and publish one event. O(1); never raises into the caller."""
        if type(event) is Frame:
            self._record_frame(event)
            return
        if self.known:
            self.known.scrub(event)
        seq = next(self._seq)
        self.last_seq = seq
        if self.store_enabled:
            if len(self.events) == self.capacity:
                self.dropped += 1
            self.events.append((seq, event))
            if event.flow:
                self._fold(seq, event)
            elif type(event) is Broadcast:
                self._fold_broadcast(seq, event)
        for listener in self._listeners:
            try:
                listener(seq, event)
            except Exception:  # a broken viewer must never break the request path
                continue

    def _record_frame(self, event: Frame) -> None:
        """`record` for the one event that comes with every message, kept short."""
        if not self.store_enabled:
            return
        if self.known:
            event.text = self.known.mask(event.text)
        seq = next(self._seq)
        self.last_seq = seq
        if len(self.events) == self.capacity:
            self.dropped += 1
        self.events.append((seq, event))
        flow = self.flows.get(event.flow)
        if flow is not None:
            flow.last_seq = seq
            if event.direction == "in":
                flow.frames_in += 1
            else:
                flow.frames_out += 1
        for listener in self._listeners:
            try:
                listener(seq, event)
            except Exception:  # a broken viewer must never break the request path
                continue

    def _fold_broadcast(self, seq: int, event: Broadcast) -> None:
        """A broadcast is a frame out for each recipient: count it on their rows."""
        flows = self.flows
        for flow_id in event.recipients:
            flow = flows.get(flow_id)
            if flow is not None:
                flow.frames_out += 1
                flow.last_seq = seq

    def _fold(self, seq: int, event: Event) -> None:
        flow = self.flows.get(event.flow)
        if flow is None:
            if not isinstance(event, RequestReceived):
                return
            flow = FlowSummary(id=event.flow, ts=event.ts)
            self.flows[event.flow] = flow
            if len(self.flows) > self.capacity:
                self.flows.popitem(last=False)
        flow.last_seq = seq
        _FOLDERS.get(type(event), _fold_nothing)(flow, event)

    def since(self, seq: int = 0) -> Iterator[tuple[int, Event]]:
        """Events newer than `seq`, oldest first."""
        if seq <= 0:
            yield from self.events
            return
        for item in self.events:
            if item[0] > seq:
                yield item

    def flow_events(self, flow_id: int) -> list[tuple[int, Event]]:
        """The flow's own events, plus each broadcast it received as the frame it is."""
        out: list[tuple[int, Event]] = []
        for seq, event in self.events:
            if event.flow == flow_id:
                out.append((seq, event))
            elif type(event) is Broadcast and flow_id in event.recipients:
                out.append((seq, broadcast_frame(event, flow_id)))
        return out

    def clear(self) -> None:
        self.events.clear()
        self.flows.clear()


def _fold_nothing(flow: FlowSummary, event: Event) -> None:
    return None


def _fold_request(flow: FlowSummary, event: Event) -> None:
    assert isinstance(event, RequestReceived)
    flow.method, flow.path, flow.query = event.method, event.path, event.query
    flow.listener, flow.upgrade = event.listener, event.upgrade


def _fold_rewrite(flow: FlowSummary, event: Event) -> None:
    assert isinstance(event, Rewritten)
    flow.target, flow.destination = event.target, event.destination


def _fold_auth(flow: FlowSummary, event: Event) -> None:
    assert isinstance(event, AuthDecided)
    flow.outcome, flow.user_id, flow.room = event.outcome, event.user_id, event.room
    if event.cause:
        flow.cause, flow.fix = event.cause, event.fix


def _fold_response(flow: FlowSummary, event: Event) -> None:
    assert isinstance(event, Responded)
    flow.status, flow.duration_ms = event.status, event.duration_ms
    if event.cause:
        flow.cause, flow.fix = event.cause, event.fix
    # A refused handshake, or an auth status, is a refusal; a page's 404 is just a 404.
    if (
        event.status >= 400
        and flow.outcome == "none"
        and (flow.upgrade or event.status in (401, 403))
    ):
        flow.outcome = "error" if event.status >= 500 else "refused"


def _fold_upgrade(flow: FlowSummary, event: Event) -> None:
    assert isinstance(event, Upgraded)
    flow.websocket, flow.open, flow.status = True, True, 101
    flow.room, flow.user_id, flow.duration_ms = event.room, event.user_id, event.duration_ms


def _fold_frame(flow: FlowSummary, event: Event) -> None:
    assert isinstance(event, Frame)
    if event.direction == "in":
        flow.frames_in += 1
    else:
        flow.frames_out += 1


def _fold_close(flow: FlowSummary, event: Event) -> None:
    assert isinstance(event, Closed)
    flow.open, flow.close_code, flow.closed_by = False, event.code, event.by


_FOLDERS: dict[type[Event], Callable[[FlowSummary, Event], None]] = {
    RequestReceived: _fold_request,
    Rewritten: _fold_rewrite,
    AuthDecided: _fold_auth,
    Responded: _fold_response,
    Upgraded: _fold_upgrade,
    Frame: _fold_frame,
    Closed: _fold_close,
    Broadcast: _fold_nothing,
}


def broadcast_frame(event: Broadcast, flow_id: int) -> Frame:
    """The frame one recipient of a broadcast got."""
    return Frame(
        flow_id, event.ts, "out", "text", event.size, event.text, event.truncated, event.room
    )
