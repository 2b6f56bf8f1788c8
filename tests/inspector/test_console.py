import io

from nanodev.inspector.console import ConsoleLog
from nanodev.record.events import Reloaded, RequestReceived, Responded, Upgraded


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
