"""Pure filters over the inspector's flow rows: status, path, room, outcome, WebSocket only and
text inside frames. The page, the JSON API and `nanodev tail --filter` share this one parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

OUTCOMES = ("allowed", "refused", "error", "none")
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True, slots=True)
class FlowFilter:
    status: str = ""  # "404", "4xx", "101" or "error" (any status >= 400)
    path: str = ""  # substring of the original or rewritten path
    room: str = ""
    outcome: str = ""  # allowed | refused | error | none
    websocket: bool = False  # WebSocket handshakes only (accepted or refused)
    text: str = ""  # substring of any frame of the flow, case-insensitive

    @property
    def empty(self) -> bool:
        return self == FlowFilter()

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> FlowFilter:
        """From URL parameters: `status`, `path`, `room`, `outcome`, `ws`, `q`."""
        return cls(
            status=query.get("status", "").strip().lower(),
            path=query.get("path", "").strip(),
            room=query.get("room", "").strip(),
            outcome=query.get("outcome", "").strip().lower(),
            websocket=query.get("ws", "").lower() in _TRUE,
            text=query.get("q", "").strip(),
        )

    @classmethod
    def parse(cls, expression: str) -> FlowFilter:
        """From a terminal expression: `status=4xx path=/__ws room=r outcome=refused ws words`.

        A `name=value` token must name a field (FIELDS) with a value it can match: anything
        else raises `FilterError` rather than a filter that never matches."""
        values: dict[str, Any] = {}
        words: list[str] = []
        for token in expression.split():
            name, eq, value = token.partition("=")
            if token.lower() in ("ws", "websocket"):
                values["websocket"] = True
            elif eq:
                field_name = check_field(name.lower(), value)
                lowered = field_name in ("status", "outcome")
                values[field_name] = value.lower() if lowered else value
            else:
                words.append(token)
        if words:
            values["text"] = " ".join([values.get("text", ""), *words]).strip()
        return cls(**values)

    def to_query(self) -> dict[str, str]:
        out = {"status": self.status, "path": self.path, "room": self.room}
        out |= {"outcome": self.outcome, "q": self.text, "ws": "1" if self.websocket else ""}
        return {k: v for k, v in out.items() if v}

    def matches(self, row: Mapping[str, Any], frames: Iterable[str] = ()) -> bool:
        """`row` is a flow summary as JSON; `frames` the texts of its recorded frames."""
        if self.websocket and not row.get("upgrade"):
            return False
        if self.status and not status_matches(self.status, row.get("status")):
            return False
        if self.path and not any(self.path in (row.get(k) or "") for k in ("path", "target")):
            return False
        if self.room and self.room != (row.get("room") or ""):
            return False
        if self.outcome and self.outcome != row.get("outcome"):
            return False
        if self.text:
            needle = self.text.lower()
            return any(needle in frame.lower() for frame in frames)
        return True


class FilterError(ValueError):
    """A `--filter` token naming no field, or a value that field can never match."""


# the fields `nanodev tail --filter` takes, and what each matches
FIELDS: dict[str, str] = {
    "status": "404, 4xx, 101, error (any >= 400) or none",
    "path": "part of the original or rewritten path",
    "room": "the room id",
    "outcome": " | ".join(OUTCOMES),
    "q": "text inside the flow's lines",
}
_STATUS = re.compile(r"^(?:[1-5]\d\d|[1-5]xx|error|none|pending)$")


def check_field(name: str, value: str) -> str:
    """The FlowFilter attribute for `name=value`, or FilterError saying what would work."""
    known = ", ".join(f"{k}=" for k in FIELDS)
    if name not in FIELDS:
        raise FilterError(f"unknown filter field {name!r}: the fields are {known} and ws")
    if not value:
        raise FilterError(f"{name}= needs a value ({FIELDS[name]})")
    if name == "status" and not _STATUS.match(value.lower()):
        raise FilterError(f"status={value} cannot match: use {FIELDS['status']}")
    if name == "outcome" and value.lower() not in OUTCOMES:
        raise FilterError(f"outcome={value} cannot match: use {FIELDS['outcome']}")
    return "text" if name == "q" else name


def status_matches(wanted: str, status: int | None) -> bool:
    if status is None:
        return wanted in ("none", "pending")
    if wanted == "error":
        return status >= 400
    if len(wanted) == 3 and wanted.endswith("xx") and wanted[0].isdigit():
        return status // 100 == int(wanted[0])
    return wanted == str(status)
