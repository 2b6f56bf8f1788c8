"""Pure explanations for the inspector: one sentence of cause and one of fix for a request or
connection, the query parameters and headers that decide a handshake, and the failure
patterns only visible across several flows.

Everything here takes plain recorded facts (already redacted) and returns text; nothing reads
the store or touches a socket, so every sentence is unit-tested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

from nanodev.gateway import has_param
from nanodev.record import close_meaning

SESSION_COOKIE = "better-auth.session_token"
KEY_PARAMS = ("key", "api_key")
ROOMLESS_MIN_REPEATS = 2


@dataclass(frozen=True, slots=True)
class Explanation:
    cause: str
    fix: str

    def to_json(self) -> dict[str, str]:
        return {"cause": self.cause, "fix": self.fix}


@dataclass(frozen=True, slots=True)
class QueryParam:
    name: str
    value: str
    flag: str = ""  # why this parameter deserves attention ("" when it is fine)

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "value": self.value, "flag": self.flag}


@dataclass(frozen=True, slots=True)
class HeaderFact:
    name: str
    value: str | None  # None = not sent
    note: str

    def to_json(self) -> dict[str, str | None]:
        return {"name": self.name, "value": self.value, "note": self.note}


@dataclass(frozen=True, slots=True)
class FlowFacts:
    """What the inspector knows about one flow, as plain values."""

    method: str
    path: str
    query: str
    upgrade: bool
    status: int | None
    outcome: str = "none"
    cause: str = ""
    fix: str = ""
    destination: str = ""
    room: str | None = None
    user_id: str | None = None
    open: bool = False
    close_code: int | None = None
    closed_by: str = ""
    close_reason: str = ""


@dataclass(frozen=True, slots=True)
class Handshake:
    """One recorded upgrade attempt, for patterns across flows."""

    flow: int
    ts: float
    path: str
    query: str
    cookie: bool
    status: int | None
    session: str = ""  # the page session: the cookie's (or key's) fingerprint
    user: str = ""  # whose it is (email), when the inspector could tell


@dataclass(frozen=True, slots=True)
class RoomlessPattern:
    url: str
    flows: tuple[int, ...]
    first_ts: float
    last_ts: float
    explanation: Explanation
    session: str = ""
    user: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "url": self.url,
            "session": self.session,
            "user": self.user,
            "flows": list(self.flows),
            "count": len(self.flows),
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
            **self.explanation.to_json(),
        }


# -- query parameters -------------------------------------------------------------------------
def query_params(query: str, *, room_scoped: bool = True) -> list[QueryParam]:
    """The query as (name, value, flag) rows, with `room_id` missing or empty flagged."""
    params: list[QueryParam] = []
    for raw in query.split("&") if query else ():
        name, eq, value = raw.partition("=")
        name, value = unquote_plus(name), unquote_plus(value)
        flag = ""
        if name == "room_id":
            if not eq:
                flag = "room_id has no value (?room_id with no '=')"
            elif not value:
                flag = "room_id is present but empty"
            elif not value.strip():
                flag = "room_id is only whitespace"
        params.append(QueryParam(name, value, flag))
    if room_scoped and not has_param(query, "room_id"):
        params.insert(0, QueryParam("room_id", "", "room_id is missing"))
    return params


# -- headers ----------------------------------------------------------------------------------
def header_facts(headers: Mapping[str, str], query: str, upgrade: bool) -> list[HeaderFact]:
    """The headers that decide a handshake, each with a note on what its value means."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return [
        _upgrade_fact(lowered.get("upgrade"), upgrade),
        _connection_fact(lowered.get("connection"), upgrade),
        HeaderFact("Host", lowered.get("host"), "the name the client used for nanodev"),
        _origin_fact(lowered.get("origin")),
        _cookie_fact(lowered.get("cookie")),
        _key_fact(lowered.get("x-nano-key"), query),
    ]


def _upgrade_fact(value: str | None, upgrade: bool) -> HeaderFact:
    if upgrade:
        return HeaderFact("Upgrade", value, "a WebSocket handshake")
    if value:
        return HeaderFact("Upgrade", value, f"asks for {value!r}, not websocket")
    return HeaderFact("Upgrade", None, "absent: plain HTTP, not a WebSocket handshake")


def _connection_fact(value: str | None, upgrade: bool) -> HeaderFact:
    tokens = {t.strip().lower() for t in (value or "").split(",")}
    if upgrade and "upgrade" not in tokens:
        note = "lacks 'upgrade': a proxy forwarded the handshake as plain HTTP"
        return HeaderFact("Connection", value, note)
    return HeaderFact("Connection", value, "" if value else "absent")


def _origin_fact(value: str | None) -> HeaderFact:
    if value is None:
        return HeaderFact("Origin", None, "absent: not a browser page (script or CLI)")
    if value == "null":
        return HeaderFact("Origin", value, "null: a sandboxed frame or file:// page")
    return HeaderFact("Origin", value, "the page that opened the socket")


def _cookie_fact(value: str | None) -> HeaderFact:
    if value is None:
        return HeaderFact("Cookie", None, "absent: no session cookie was sent")
    if SESSION_COOKIE in value:
        return HeaderFact("Cookie", value, f"carries {SESSION_COOKIE} (shown as a fingerprint)")
    return HeaderFact("Cookie", value, f"sent, but without {SESSION_COOKIE}")


def _key_fact(header_key: str | None, query: str) -> HeaderFact:
    sources = ["X-Nano-Key header"] if header_key else []
    sources += [f"?{name}=" for name in KEY_PARAMS if has_param(query, name)]
    if not sources:
        return HeaderFact("API key", None, "absent: no X-Nano-Key, ?key= or ?api_key=")
    # A key sent only in the query is shown by its (fingerprinted) query value, so the row
    # never reads "not sent" beside "present".
    shown = header_key or next(
        (v for n, v in parse_qsl(query, keep_blank_values=True) if n in KEY_PARAMS), ""
    )
    return HeaderFact("API key", shown, "present via " + ", ".join(sources))


# -- one flow ---------------------------------------------------------------------------------
def explain_flow(facts: FlowFacts) -> Explanation:
    """One sentence of cause and one of fix; the recorded cause wins when a hop gave one."""
    if facts.upgrade and facts.status == 101:
        return _explain_socket(facts)
    if facts.cause:
        return Explanation(facts.cause, facts.fix or _default_fix(facts))
    if facts.upgrade and facts.destination == "frontend":
        return Explanation(
            f"the WebSocket upgrade to {facts.path} went to the frontend: it is not a worker "
            "path and carries no room_id",
            "Connect to /__ws/websocket?room_id=<room> (or /websocket?room_id=<room>)",
        )
    if facts.status is None:
        return Explanation("no response recorded yet", "")
    if facts.status >= 500:
        return Explanation(f"the request failed with {facts.status}", "See the response body")
    if facts.status >= 400:
        return Explanation(f"refused with {facts.status}", "See the response body")
    return Explanation(f"answered {facts.status}", "")


def _explain_socket(facts: FlowFacts) -> Explanation:
    who = f"room {facts.room!r} as user {facts.user_id!r}"
    why = f" ({facts.cause})" if facts.cause else ""
    if facts.open:
        return Explanation(f"handshake accepted{why}: socket open in {who}", "")
    return Explanation(
        f"handshake accepted{why} in {who}; "
        + close_explanation(facts.close_code, facts.closed_by, facts.close_reason),
        close_fix(facts.close_code),
    )


def _default_fix(facts: FlowFacts) -> str:
    return "See the auth decision trace below" if facts.outcome == "refused" else ""


def close_explanation(code: int | None, by: str, reason: str = "") -> str:
    """`closed by the client with 1000 (normal closure: …)`, plus the reason when given."""
    who = {"client": "the client", "server": "nanodev", "network": "the network"}.get(by, by)
    shown = "no code" if code is None else str(code)
    text = f"closed by {who} with {shown} ({close_meaning(code)})"
    return f"{text}; reason: {reason}" if reason else text


def close_fix(code: int | None) -> str:
    fixes = {
        1006: "Nothing on the server closed it cleanly: look for a dropped connection",
        1008: "The credential expired or was revoked: reconnect with a valid key or session",
        1009: "Send smaller messages (max_message_bytes)",
        1011: "A nanodev bug: the terminal shows the traceback",
        1012: "nanodev reloaded: the client should reconnect",
        1013: "The client stopped reading: read frames as they arrive",
    }
    return fixes.get(code or 0, "")


# -- across flows -----------------------------------------------------------------------------
def roomless_repeats(
    handshakes: Sequence[Handshake], min_repeats: int = ROOMLESS_MIN_REPEATS
) -> list[RoomlessPattern]:
    """Cookie-authenticated handshakes with no `room_id` at all, repeating on the same URL.

    This is the real frontend's failure: its socket hook creates partysocket while no room is
    chosen, then reconnects that same room-less URL forever once a room is picked.
    """
    groups: dict[tuple[str, str, str], list[Handshake]] = {}
    for hs in handshakes:
        if (hs.cookie or hs.session) and not has_param(hs.query, "room_id"):
            url = f"{hs.path}?{hs.query}" if hs.query else hs.path
            groups.setdefault((url, hs.session, hs.user), []).append(hs)
    patterns = []
    for (url, session, user), group in groups.items():
        if len(group) >= min_repeats:
            group.sort(key=lambda h: h.ts)
            patterns.append(
                RoomlessPattern(
                    url,
                    tuple(h.flow for h in group),
                    group[0].ts,
                    group[-1].ts,
                    roomless_session_explanation(url, len(group), group[0]),
                    session,
                    user,
                )
            )
    return patterns


def roomless_session_explanation(url: str, count: int, first: Handshake) -> Explanation:
    """The room-less pattern for one page session: whose page it is, and that its cookie was
    never the problem (the Worker refuses a missing room_id before it reads credentials)."""
    carrying = "cookie-carrying" if first.cookie else "key-carrying"
    who = f" from {first.user}'s page" if first.user else " from one page"
    session = f" (session {first.session})" if first.session else ""
    checked = "cookie" if first.cookie else "key"
    return Explanation(
        f"{count} {carrying} handshakes{who}{session} to {url} carried no room_id at all: the "
        "page built the socket URL before the room was known, and partysocket keeps "
        f"reconnecting that same room-less URL. The {checked} was never checked: room_id comes "
        "first, so signing in again changes nothing",
        "Build the socket URL from the chosen room and create the socket (or re-key it) when "
        "the room changes; only a page loaded with ?room_id= already in its URL connects today",
    )


def roomless_explanation(url: str, count: int) -> Explanation:
    return Explanation(
        f"{count} cookie-authenticated handshakes to {url} carried no room_id at all: the page "
        "built the socket URL before the room was known, and partysocket keeps reconnecting "
        "that same room-less URL",
        "Build the socket URL from the chosen room and create the socket (or re-key it) when "
        "the room changes; only a page loaded with ?room_id= already in its URL connects today",
    )


# -- frames a client cannot make sense of alone --------------------------------------------------
SUBSCRIBE_QUERY_ERROR = "subscribe_query requires queryId, method, and tables"
SUBSCRIBE_QUERY_FIELDS = ("queryId", "method", "tables")
GOOD_SUBSCRIBE_QUERY = (
    '{"action":"subscribe_query","queryId":"q1","method":"executeSQL",'
    '"tables":["customers"],"payload":{"sql":"SELECT * FROM customers"}}'
)


def frame_explanation(text: str, sent_before: Mapping[str, object] | None) -> Explanation | None:
    """A note for an outgoing frame whose cause is in the frame the client sent before it."""
    if SUBSCRIBE_QUERY_ERROR in text:
        return subscribe_query_explanation(sent_before)
    return None


def subscribe_query_explanation(sent: Mapping[str, object] | None) -> Explanation:
    """The app's SQL runner sends `{"action":"subscribe_query","sql":…,"table":…}`: no queryId,
    method or tables, so the Durable Object refuses it (reference §3.6, §5 I)."""
    missing = [f for f in SUBSCRIBE_QUERY_FIELDS if not (sent or {}).get(f)]
    tables = (sent or {}).get("tables")
    if "tables" not in missing and not isinstance(tables, list):
        missing.append("tables (as a list)")
    fields = ", ".join(sorted(k for k in (sent or {}) if k != "action")) or "nothing else"
    return Explanation(
        f"the client sent subscribe_query without {', '.join(missing) or 'a valid tables list'} "
        f"(it sent {fields}); the app's SQL runner sends its SQL this way, so it always gets "
        "this error. The real Worker answers the same: this is the page's frame, not nanodev",
        f"A correct frame names the query and the tables it watches: {GOOD_SUBSCRIBE_QUERY} "
        '(answered {"type":"query_subscribed","queryId":"q1"}, then a query_refresh after '
        'each change); to run SQL once, send rpc executeSQL with {"sql":…}',
    )


def with_creating_lines(pattern: dict[str, object], lines: Sequence[str]) -> dict[str, object]:
    """A room-less pattern's JSON naming the page lines that created its sockets (the page
    probe's "opened by"), so the fix points at code rather than at a URL."""
    if not lines:
        return pattern
    named = ", ".join(line.replace(" ", " in ", 1) for line in lines)
    return {
        **pattern,
        "created_at": list(lines),
        "cause": f"{pattern['cause']}; the socket was created at {named}",
        "fix": f"In {lines[0].split(' ', 1)[0]}: {pattern['fix']}",
    }
