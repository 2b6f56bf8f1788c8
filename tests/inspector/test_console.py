import io

from nanodev.inspector.console import ConsoleLog
from nanodev.record.events import (
    Closed,
    Note,
    PageSocket,
    Reloaded,
    RequestReceived,
    Responded,
    RoomChanged,
    StackFrame,
    Upgraded,
    close_meaning,
)


def test_one_line_per_request_and_handshake() -> None:
    out = io.StringIO()
    log = ConsoleLog(out)
    log(1, RequestReceived(1, 0, "GET", "/__ws/websocket", "room_id=", {}, "", "page", True))
    log(
        2,
        Responded(
            1, 0, 400, "application/json", "", 0, 1.06, "room_id is present but empty (?room_id=)"
        ),
    )
    log(3, RequestReceived(2, 0, "GET", "/__ws/websocket", "room_id=r1", {}, "", "page", True))
    log(4, Upgraded(2, 0, "r1", "u1", "api_key (key query)", 0.91))
    log(5, RequestReceived(3, 0, "GET", "/__nanodev/api/flows", "", {}, "", "page", False))
    log(6, Responded(3, 0, 200, "application/json", "", 0, 0.2))
    log(7, Reloaded(0, 0, "static", ("dist/app.css",), True, 12.0))
    # each line starts with the wall-clock time (HH:MM:SS) and a space
    assert [line[9:] for line in out.getvalue().splitlines()] == [
        "GET /__ws/websocket?room_id= 400 room_id is present but empty (?room_id=) 1.1ms",
        "GET /__ws/websocket?room_id=r1 101 room=r1 user=u1 via api_key (key query) 0.9ms",
        "reload static (dist/app.css) ok 12ms",
    ]


def _lines(log: ConsoleLog, *events: object) -> list[str]:
    out = log.out
    assert isinstance(out, io.StringIO)
    for seq, event in enumerate(events):
        log(seq, event)  # type: ignore[arg-type]
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return [line[9:] if line[:2].isdigit() else line for line in text.splitlines()]


def test_refusal_carries_its_fix_on_a_second_line() -> None:
    log = ConsoleLog(io.StringIO(), colour=False)
    request = RequestReceived(1, 0, "GET", "/__ws/websocket", "", {}, "", "page", True)
    refused = Responded(1, 0, 400, "", "", 0, 1.0, "room_id is missing", "Pass ?room_id=r")
    assert _lines(log, request, refused) == [
        "GET /__ws/websocket 400 room_id is missing 1.0ms",
        "         → Pass ?room_id=r",
    ]


def test_close_line_says_code_meaning_who_lifetime_and_frames() -> None:
    log = ConsoleLog(io.StringIO(), colour=False)
    request = RequestReceived(
        7, 100.0, "GET", "/__ws/websocket", "room_id=r1", {}, "", "page", True
    )
    upgraded = Upgraded(7, 100.0, "r1", "u1", "api_key", 1.0)
    closed = Closed(7, 104.25, 1008, "API key revoked", "server", close_meaning(1008), "r1", 3, 5)
    lines = _lines(log, request, upgraded, closed)
    assert lines[1] == (
        "close /__ws/websocket room=r1 1008 by server (policy violation: the server refused the "
        "socket (auth expired or revoked, limits)) after 4.2s, reason: API key revoked; "
        "3 in / 5 out"
    )
    assert lines[2].strip().startswith("→ The credential expired or was revoked")
    normal = Closed(8, 1.0, 1000, "", "client", close_meaning(1000), "r1")
    assert len(_lines(log, normal)) == 1  # a normal close has no fix line


def test_lifecycle_lines_restart_hooks_migrations_rooms() -> None:
    log = ConsoleLog(io.StringIO(), colour=False)
    lines = _lines(
        log,
        Note(0, 0, "warning", "nanodev.toml: restart nanodev to apply port"),
        Note(0, 0, "info", "frontend: built-in demo"),  # inspector-only
        Reloaded(0, 0, "migrations", ("0002_x.sql",), False, 3.0, "0002_x.sql failed: boom"),
        RoomChanged(0, 0, "r1", "hibernated", "idle 10s; 2 socket(s)"),
        RoomChanged(0, 0, "r1", "opened", "/x"),  # not worth a line
        RoomChanged(0, 0, "r1", "woken", "2 socket(s) kept"),
    )
    assert lines == [
        "nanodev.toml: restart nanodev to apply port",
        "reload migrations (0002_x.sql) FAILED 3ms: 0002_x.sql failed: boom",
        "room r1 hibernated (idle 10s; 2 socket(s))",
        "room r1 woken (2 socket(s) kept)",
    ]


def test_roomless_pattern_said_once_then_when_its_count_doubles() -> None:
    log = ConsoleLog(io.StringIO(), colour=False)
    said = []
    for flow in range(1, 10):
        hs = RequestReceived(
            flow, 0, "GET", "/__ws/websocket", "", {"cookie": "…"}, "", "page", True
        )
        said += [line for line in _lines(log, hs) if line.startswith("pattern:")]
    assert [line.split()[1] for line in said] == ["2", "4", "8"]
    keyed = RequestReceived(20, 0, "GET", "/__ws/websocket", "", {}, "", "page", True)
    assert _lines(log, keyed, keyed) == []  # no cookie: not the pattern


def test_a_refusal_no_hop_judged_gets_the_cause_read_back() -> None:
    """The real Worker's 400 through the relay: no recorded cause, the line still says why."""
    log = ConsoleLog(io.StringIO(), colour=False)
    lines = _lines(
        log,
        RequestReceived(1, 0, "GET", "/__ws/websocket", "room_id=", {}, "", "page", True),
        Responded(1, 0, 400, "text/plain", "Missing room_id query parameter", 31, 2.0),
        RequestReceived(2, 0, "GET", "/api/thing", "", {}, "", "page", False),
        Responded(2, 0, 404, "text/plain", "Not found", 9, 1.0),
    )
    assert (
        lines[0]
        == "GET /__ws/websocket?room_id= 400 room_id is present but empty (?room_id=) 2.0ms"
    )
    assert lines[1].strip().startswith("→ ")  # the read-back fix, as for an emulated refusal
    assert lines[2] == "GET /api/thing 404 1.0ms"


def _construct(ts: float, socket: int = 1) -> PageSocket:
    frame = StackFrame("useStableSocket", "http://h/assets/app.js", 3, 9, "src/App.tsx", 118)
    return PageSocket(
        0,
        ts,
        "s1",
        socket,
        "construct",
        "ws://h/__ws/websocket?room_id",
        "http://h/",
        "http://h",
        frames=(frame,),
        opened_by="src/App.tsx:118 useStableSocket",
    )


def _handshake(flow: int, ts: float) -> RequestReceived:
    headers = {"origin": "http://h"}
    return RequestReceived(flow, ts, "GET", "/__ws/websocket", "room_id", headers, "", "page", True)


def test_opened_by_joins_the_line_in_either_order() -> None:
    log = ConsoleLog(io.StringIO(), colour=False)
    lines = _lines(
        log,
        _construct(10.0),  # the page's report first: the line carries it
        _handshake(1, 10.01),
        Responded(1, 10.02, 400, "text/plain", "", 0, 0.2, "room_id query parameter is missing"),
        _handshake(2, 11.0),  # the handshake first: a line of its own follows
        Responded(2, 11.01, 400, "text/plain", "", 0, 0.2, "room_id query parameter is missing"),
        _construct(11.0, socket=2),
        _construct(30.0, socket=3),  # no handshake near it: nothing said
    )
    assert lines == [
        "GET /__ws/websocket?room_id 400 room_id query parameter is missing 0.2ms "
        "opened by src/App.tsx:118 in useStableSocket",
        "GET /__ws/websocket?room_id 400 room_id query parameter is missing 0.2ms",
        "  ↳ #2 opened by src/App.tsx:118 in useStableSocket",
    ]
