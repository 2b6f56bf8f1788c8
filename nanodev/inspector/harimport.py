"""A HAR file recorded anywhere (Chrome, Firefox, nanodev's own export) as an imported session.

Each entry becomes one flow of a separate recorder, built from the same typed events live
traffic records: the request (headers and query fingerprinted here, since a browser's HAR
holds raw cookies and keys), the answer, and for a WebSocket (`_resourceType: "websocket"`, a
ws:// or wss:// URL, or an `Upgrade: websocket` header) the upgrade, the
`_webSocketMessages` frames and the close when the file has one. A failed entry no hop of
nanodev judged gets its cause and fix read back from its status and body (`offline`).

Pure: a parsed JSON document in, a `Recorder` out; a malformed file raises `HarError` naming
the entry and the field.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from nanodev.inspector.explain import Explanation
from nanodev.inspector.offline import Capture, diagnose
from nanodev.record import (
    AuthDecided,
    Closed,
    Frame,
    Recorder,
    RequestReceived,
    Responded,
    Rewritten,
    Upgraded,
    close_meaning,
    redact_headers,
    redact_query,
    redact_text,
)
from nanodev.worker import raw_param

MAX_ENTRIES = 50_000
UNKNOWN_USER = "(not in the capture)"
END_OF_CAPTURE = "the end of the capture"


class HarError(ValueError):
    """The document is not a HAR log, or one of its entries is malformed."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What one HAR entry says, checked and normalised."""

    ts: float
    method: str
    url: str
    path: str
    query: str
    headers: dict[str, str]  # names lowercased, raw values
    upgrade: bool
    status: int
    mime: str
    body: str
    size: int
    took: float
    raw: dict[str, Any]


def is_har(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("log"), dict)


def import_har(data: Any, capacity: int) -> Recorder:
    """A recorder holding every entry of the HAR, oldest first."""
    if not is_har(data) or not isinstance(data["log"].get("entries"), list):
        raise HarError('not a HAR file (expected {"log": {"entries": [...]}})')
    raw_entries = data["log"]["entries"]
    if len(raw_entries) > MAX_ENTRIES:
        raise HarError(f"too many entries ({len(raw_entries)} > {MAX_ENTRIES})")
    entries = []
    for index, item in enumerate(raw_entries):
        try:
            entries.append(parse_entry(item))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise HarError(f"entry #{index}: {exc}") from None
    entries.sort(key=lambda e: e.ts)
    frames = sum(len(e.raw.get("_webSocketMessages") or ()) for e in entries)
    recorder = Recorder(max(capacity, 8 * len(entries) + frames, 100))
    for index, found in enumerate(entries):
        try:
            record_entry(recorder, found)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise HarError(f"entry #{index} ({found.url}): {exc}") from None
    return recorder


def parse_entry(item: Any) -> Entry:
    if not isinstance(item, dict):
        raise ValueError("an entry must be a JSON object")
    request, response = item["request"], item["response"]
    url = str(request["url"])
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"request.url {url!r} is not an absolute URL")
    headers = header_map(request.get("headers") or [])
    headers.setdefault("host", parts.netloc)
    upgrade = (
        item.get("_resourceType") == "websocket"
        or parts.scheme in ("ws", "wss")
        or headers.get("upgrade", "").lower() == "websocket"
    )
    content = response.get("content") or {}
    body = content_text(content)
    return Entry(
        ts=parse_time(str(item["startedDateTime"])),
        method=str(request["method"]),
        url=url,
        path=parts.path or "/",
        query=parts.query,
        headers=headers,
        upgrade=upgrade,
        status=int(response["status"]),
        mime=str(content.get("mimeType") or ""),
        body=body,
        size=int(content.get("size") or len(body)),
        took=max(float(item.get("time") or 0.0), 0.0),
        raw=item,
    )


def header_map(headers: list[Any]) -> dict[str, str]:
    """HAR's name/value list as one value per lowercased name; HTTP/2's `:authority` is Host."""
    out: dict[str, str] = {}
    for header in headers:
        name, value = str(header["name"]).lower(), str(header["value"])
        name = "host" if name == ":authority" else name
        out[name] = f"{out[name]}; {value}" if name == "cookie" and name in out else value
    return out


def content_text(content: dict[str, Any]) -> str:
    text = content.get("text")
    if not isinstance(text, str):
        return ""
    if content.get("encoding") == "base64":
        try:
            raw = base64.b64decode(text, validate=True)
        except ValueError:
            return text
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return f"(binary body, {len(raw)} bytes)"
    return text


def parse_time(value: str) -> float:
    when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def record_entry(recorder: Recorder, entry: Entry) -> None:
    flow = recorder.new_flow()
    headers = redact_headers(entry.headers)
    query = redact_query(entry.query)
    recorder.record(
        RequestReceived(
            flow, entry.ts, entry.method, entry.path, query, headers, "", "har", entry.upgrade
        )
    )
    shown = f"{entry.path}?{query}" if query else entry.path
    # The target keeps the captured URL whole (scheme and host: wss://app.workers.dev/…).
    where = entry.url.split("?", 1)[0] + (f"?{query}" if query else "")
    recorder.record(Rewritten(flow, entry.ts, shown, where, "imported", "imported from a HAR file"))
    said = entry.raw.get("_nanodev")
    body = redact_text(entry.body)  # before anything quotes it (a cause may quote the body)
    explanation = _verdict(said) or diagnose(
        Capture(entry.method, entry.path, query, headers, entry.upgrade, entry.status, body)
    )
    if isinstance(said, dict) and said.get("outcome") in ("allowed", "refused", "error"):
        _record_auth(recorder, flow, entry, said)
    done = entry.ts + entry.took / 1000
    if entry.upgrade and entry.status == 101:
        room = raw_param(entry.query, "room_id")[2]
        user = str(said.get("user_id") or UNKNOWN_USER) if isinstance(said, dict) else UNKNOWN_USER
        recorder.record(Upgraded(flow, done, room, user, "", entry.took))
        _record_socket(recorder, flow, entry, room)
        return
    cause, fix = (explanation.cause, explanation.fix) if explanation else ("", "")
    recorder.record(
        Responded(flow, done, entry.status, entry.mime, body, entry.size, entry.took, cause, fix)
    )


def _verdict(said: Any) -> Explanation | None:
    """nanodev's own export carries the cause it recorded: keep it rather than guess again."""
    if isinstance(said, dict) and said.get("cause"):
        return Explanation(str(said["cause"]), str(said.get("fix") or ""))
    return None


def _record_auth(recorder: Recorder, flow: int, entry: Entry, said: dict[str, Any]) -> None:
    user = said.get("user_id")
    room = said.get("room")
    recorder.record(
        AuthDecided(
            flow,
            entry.ts,
            said["outcome"],
            str(user) if user else None,
            None,
            str(room) if room else None,
            (),
            entry.status,
            str(said.get("cause") or ""),
            str(said.get("fix") or ""),
        )
    )


def _record_socket(recorder: Recorder, flow: int, entry: Entry, room: str) -> None:
    messages = entry.raw.get("_webSocketMessages") or []
    if not isinstance(messages, list):
        raise HarError("_webSocketMessages must be a list")
    last = entry.ts
    counts = {"in": 0, "out": 0}
    for item in messages:
        direction = "in" if item["type"] == "send" else "out"
        text = str(item.get("data", ""))
        opcode = "binary" if int(item.get("opcode", 1)) == 2 else "text"
        last = max(last, float(item.get("time") or last))
        counts[direction] += 1
        recorder.record(
            Frame(flow, last, direction, opcode, len(text), redact_text(text), False, room)  # type: ignore[arg-type]
        )
    close = entry.raw.get("_webSocketClose")
    code = close.get("code") if isinstance(close, dict) else None
    recorder.record(
        Closed(
            flow,
            last,
            int(code) if code is not None else None,
            str(close.get("reason", "")) if isinstance(close, dict) else "",
            str(close.get("by", "client")) if isinstance(close, dict) else END_OF_CAPTURE,
            close_meaning(int(code) if code is not None else None),
            room,
            counts["in"],
            counts["out"],
        )
    )
