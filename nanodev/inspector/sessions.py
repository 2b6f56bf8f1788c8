"""Export the captured session (requests, decisions, frames) as JSON, and read it back.

The export holds the recorded events exactly as stored, so it is as redacted as the store.
Reading it back rebuilds typed events into a separate recorder, which the inspector shows
instead of the live one until the viewer returns to live traffic.
"""

from __future__ import annotations

import dataclasses
import time
import typing
from typing import Any

from nanodev.record import EVENT_TYPES, SCHEMA_VERSION, AuthStep, Event, Recorder, StackFrame

FORMAT = "nanodev-session"
MAX_IMPORT_EVENTS = 200_000


class ImportError_(ValueError):  # the builtin name is taken
    """The file is not a nanodev session export, or an event in it is malformed."""


def export_session(recorder: Recorder, version: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "v": SCHEMA_VERSION,
        "nanodev": version,
        "exported_at": time.time(),
        "dropped": recorder.dropped,
        "events": [{"seq": seq, **event.to_json()} for seq, event in recorder.events],
    }


def import_session(data: Any, capacity: int) -> Recorder:
    """A recorder holding the exported events (re-numbered, flows re-indexed)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportError_(f"not a nanodev session export (expected format {FORMAT!r})")
    events = data.get("events")
    if not isinstance(events, list):
        raise ImportError_("the export has no events list")
    if len(events) > MAX_IMPORT_EVENTS:
        raise ImportError_(f"too many events ({len(events)} > {MAX_IMPORT_EVENTS})")
    recorder = Recorder(max(capacity, len(events), 100))
    for index, item in enumerate(events):
        try:
            recorder.record(event_from_json(item))
        except (TypeError, ValueError, KeyError) as exc:
            raise ImportError_(f"event #{index}: {exc}") from None
    return recorder


def event_from_json(item: Any) -> Event:
    """The typed event `Event.to_json` produced (unknown keys ignored, types checked)."""
    if not isinstance(item, dict):
        raise ValueError("an event must be a JSON object")
    cls = EVENT_TYPES.get(str(item.get("kind")))
    if cls is None:
        raise ValueError(f"unknown event kind {item.get('kind')!r}")
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):
        if field.name in item:
            values[field.name] = _coerce(field.name, hints[field.name], item[field.name])
    return cls(**values)


def _coerce(name: str, hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError(f"{name} must be a list")
        inner = typing.get_args(hint)[0]
        if inner is AuthStep:
            return tuple(AuthStep(**_step(v)) for v in value)
        if inner is StackFrame:
            return tuple(StackFrame(**_step(v, StackFrame)) for v in value)
        return tuple(value)
    if origin is dict and not isinstance(value, dict):
        raise ValueError(f"{name} must be an object")
    if hint in (str, float, int, bool) and not isinstance(value, _ACCEPTS[hint]):
        raise ValueError(f"{name} must be {hint.__name__}")
    return value


_ACCEPTS: dict[Any, tuple[type, ...]] = {
    str: (str,),
    float: (int, float),
    int: (int,),
    bool: (bool,),
}


def _step(value: Any, cls: type[AuthStep | StackFrame] = AuthStep) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"a {cls.__name__} must be an object")
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in value.items() if k in names}
