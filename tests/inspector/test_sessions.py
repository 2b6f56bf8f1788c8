from __future__ import annotations

import json

import pytest

from nanodev.inspector.sessions import ImportError_, event_from_json, export_session, import_session
from nanodev.record.events import (
    AuthDecided,
    AuthStep,
    Broadcast,
    Frame,
    RequestReceived,
    Responded,
)
from nanodev.record.recorder import Recorder


def _recorded() -> Recorder:
    rec = Recorder(100)
    rec.record(
        RequestReceived(
            1, 1.0, "GET", "/__ws/websocket", "room_id=r", {"host": "h"}, "127.0.0.1", "page", True
        )
    )
    rec.record(
        AuthDecided(
            1,
            1.1,
            "refused",
            None,
            None,
            "r",
            (AuthStep("api_keys lookup", True, "expired", "old"),),
            401,
            "key expired",
            "make one",
        )
    )
    rec.record(
        Responded(1, 1.2, 401, "text/plain", "API key expired", 15, 1.5, "key expired", "make one")
    )
    rec.record(Frame(2, 1.3, "in", "text", 2, "{}", False, "r"))
    rec.record(Broadcast(0, 1.4, "r", "update", "t", "added", (2, 3), (), 10))
    return rec


def test_export_then_import_round_trips_every_event() -> None:
    rec = _recorded()
    data = json.loads(json.dumps(export_session(rec, "0.1.0")))
    assert data["format"] == "nanodev-session" and len(data["events"]) == 5
    back = import_session(data, 100)
    assert [e for _s, e in back.events] == [e for _s, e in rec.events]
    assert back.flows[1].status == 401 and back.flows[1].fix == "make one"


def test_import_rejects_what_is_not_an_export() -> None:
    with pytest.raises(ImportError_, match="not a nanodev session"):
        import_session({"events": []}, 100)
    with pytest.raises(ImportError_, match="event #0: unknown event kind"):
        import_session({"format": "nanodev-session", "events": [{"kind": "evil"}]}, 100)
    with pytest.raises(ImportError_, match="event #0"):
        import_session(
            {"format": "nanodev-session", "events": [{"kind": "frame", "flow": "x"}]}, 100
        )


def test_event_from_json_checks_types() -> None:
    with pytest.raises(ValueError, match="size must be int"):
        event_from_json(
            {
                "kind": "frame",
                "flow": 1,
                "ts": 1,
                "direction": "in",
                "opcode": "text",
                "size": "9",
                "text": "",
                "truncated": False,
            }
        )
    with pytest.raises(ValueError, match="recipients must be a list"):
        event_from_json(
            {
                "kind": "broadcast",
                "flow": 0,
                "ts": 1,
                "room": "r",
                "what": "u",
                "table": "",
                "action": "",
                "recipients": 5,
                "failed": [],
                "size": 1,
            }
        )


def test_page_reports_round_trip_with_their_frames() -> None:
    from nanodev.record.events import PageSocket, StackFrame  # noqa: PLC0415

    frame = StackFrame("useStableSocket", "http://h/a.js", 3, 9, "src/App.tsx", 118, 4, "x")
    report = PageSocket(
        0,
        1.0,
        "s1",
        2,
        "construct",
        "ws://h/__ws/websocket",
        "http://h/",
        "http://h",
        attempt=3,
        since_previous_ms=1000.5,
        frames=(frame,),
        opened_by="src/App.tsx:118 f",
    )
    back = event_from_json(json.loads(json.dumps(report.to_json())))
    assert back == report
    with pytest.raises(ValueError, match="StackFrame must be an object"):
        event_from_json({**report.to_json(), "frames": ["nope"]})
