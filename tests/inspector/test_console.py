import io

from nanodev.inspector.console import ConsoleLog
from nanodev.record.events import (
    PageSocket,
    Reloaded,
    RequestReceived,
    Responded,
    StackFrame,
    Upgraded,
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
    assert out.getvalue().splitlines() == [
        "GET /__ws/websocket?room_id= 400 room_id is present but empty (?room_id=) 1.1ms",
        "GET /__ws/websocket?room_id=r1 101 room=r1 user=u1 via api_key (key query) 0.9ms",
        "reload static (dist/app.css) ok 12ms",
    ]


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
    out = io.StringIO()
    log = ConsoleLog(out)
    log(1, _construct(10.0))  # the page's report first: the line carries it
    log(2, _handshake(1, 10.01))
    log(3, Responded(1, 10.02, 400, "text/plain", "", 0, 0.2, "room_id query parameter is missing"))
    log(4, _handshake(2, 11.0))  # the handshake first: a line of its own follows
    log(5, Responded(2, 11.01, 400, "text/plain", "", 0, 0.2, "room_id query parameter is missing"))
    log(6, _construct(11.0, socket=2))
    log(7, _construct(30.0, socket=3))  # no handshake near it: nothing said
    assert out.getvalue().splitlines() == [
        "GET /__ws/websocket?room_id 400 room_id query parameter is missing 0.2ms "
        "opened by src/App.tsx:118 in useStableSocket",
        "GET /__ws/websocket?room_id 400 room_id query parameter is missing 0.2ms",
        "  ↳ #2 opened by src/App.tsx:118 in useStableSocket",
    ]
