"""What every hop reports through: typed, versioned event records, the recorder (the one narrow
call, a bounded store and its listeners), secret fingerprints, and the per-request flow facts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanodev.lazy import exports

if TYPE_CHECKING:
    from nanodev.record.events import (
        EVENT_TYPES,
        SCHEMA_VERSION,
        AuthDecided,
        AuthStep,
        Broadcast,
        Closed,
        Event,
        Frame,
        Note,
        PageSocket,
        Reloaded,
        RequestReceived,
        Responded,
        Rewritten,
        RoomChanged,
        StackFrame,
        Upgraded,
        UpstreamFailed,
        WebhookAttempt,
        close_meaning,
        now,
    )
    from nanodev.record.flow import FLOW, FlowContext
    from nanodev.record.recorder import FlowSummary, Recorder, broadcast_frame
    from nanodev.record.redaction import (
        fingerprint,
        redact_header,
        redact_headers,
        redact_protocols,
        redact_query,
        redact_text,
    )

__all__ = [
    "EVENT_TYPES",
    "FLOW",
    "SCHEMA_VERSION",
    "AuthDecided",
    "AuthStep",
    "Broadcast",
    "Closed",
    "Event",
    "FlowContext",
    "FlowSummary",
    "Frame",
    "Note",
    "PageSocket",
    "Recorder",
    "Reloaded",
    "RequestReceived",
    "Responded",
    "Rewritten",
    "RoomChanged",
    "StackFrame",
    "Upgraded",
    "UpstreamFailed",
    "WebhookAttempt",
    "broadcast_frame",
    "close_meaning",
    "fingerprint",
    "now",
    "redact_header",
    "redact_headers",
    "redact_protocols",
    "redact_query",
    "redact_text",
]
__getattr__ = exports(
    __name__,
    {
        "AuthDecided": "events",
        "AuthStep": "events",
        "Broadcast": "events",
        "Closed": "events",
        "EVENT_TYPES": "events",
        "Event": "events",
        "FLOW": "flow",
        "FlowContext": "flow",
        "FlowSummary": "recorder",
        "Frame": "events",
        "Note": "events",
        "PageSocket": "events",
        "Recorder": "recorder",
        "Reloaded": "events",
        "RequestReceived": "events",
        "Responded": "events",
        "Rewritten": "events",
        "RoomChanged": "events",
        "SCHEMA_VERSION": "events",
        "StackFrame": "events",
        "Upgraded": "events",
        "UpstreamFailed": "events",
        "WebhookAttempt": "events",
        "broadcast_frame": "recorder",
        "close_meaning": "events",
        "fingerprint": "redaction",
        "now": "events",
        "redact_header": "redaction",
        "redact_headers": "redaction",
        "redact_protocols": "redaction",
        "redact_query": "redaction",
        "redact_text": "redaction",
    },
)
