import pytest

from nanodev.gateway.rewrite import has_param, route
from nanodev.worker.paths import is_backend_path


@pytest.mark.parametrize(
    ("path", "query", "upgrade", "destination", "target"),
    [
        ("/__ws/websocket", "room_id=a", True, "worker", "/websocket"),
        ("/__ws/websocket", "room_id=a", False, "worker", "/websocket"),
        ("/__ws", "", False, "worker", "/"),
        ("/__ws/", "", True, "worker", "/"),
        ("/__ws/api/schema", "room_id=a", False, "worker", "/api/schema"),
        ("/__wsx/websocket", "room_id=a", False, "frontend", "/__wsx/websocket"),
        ("/api/rooms/list", "", False, "worker", "/api/rooms/list"),
        ("/api/auth/get-session", "", False, "worker", "/api/auth/get-session"),
        ("/websocket", "", True, "worker", "/websocket"),
        ("/health", "", False, "worker", "/health"),
        ("/analytics", "room_id=a", False, "worker", "/analytics"),
        ("/debug-auth", "", False, "worker", "/debug-auth"),
        ("/", "room_id=a", True, "worker", "/"),
        ("/", "", True, "frontend", "/"),
        ("/@vite/client", "", False, "frontend", "/@vite/client"),
        ("/some/page", "room_id=a", False, "frontend", "/some/page"),
        ("/__nanodev/", "", False, "inspector", "/__nanodev/"),
        ("/__nanodev/api/live", "", True, "inspector", "/__nanodev/api/live"),
        ("/__nanodev", "", False, "inspector", "/__nanodev"),
    ],
)
def test_page_listener_routes(path, query, upgrade, destination, target):
    decided = route(path, query, upgrade=upgrade)
    assert (decided.destination, decided.path) == (destination, target)


def test_http_and_upgrade_share_one_rewrite():
    for upgrade in (False, True):
        decided = route("/__ws/websocket", "room_id=r1&key=nk_x", upgrade=upgrade)
        assert decided.target("room_id=r1&key=nk_x") == "/websocket?room_id=r1&key=nk_x"


def test_worker_listener_sends_everything_to_worker_but_nanodev():
    assert route("/websocket", "", upgrade=True, listener="worker").destination == "worker"
    assert route("/index.html", "", upgrade=False, listener="worker").destination == "worker"
    assert route("/__ws/websocket", "", upgrade=True, listener="worker").path == "/websocket"
    assert route("/__nanodev/", "", upgrade=False, listener="worker").destination == "inspector"


def test_target_without_query_has_no_question_mark():
    assert route("/__ws/websocket", "", upgrade=True).target("") == "/websocket"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("room_id", True),
        ("room_id=", True),
        ("a=1&room_id=x", True),
        ("room_idx=1", False),
        ("", False),
        ("xroom_id=1", False),
    ],
)
def test_has_param(query, expected):
    assert has_param(query, "room_id") is expected


def test_backend_path_predicate():
    assert is_backend_path("/connect", False)
    assert is_backend_path("/api/anything", False)
    assert is_backend_path("/whatever", True)
    assert not is_backend_path("/whatever", False)
    assert not is_backend_path("/internal/update-vector-status", False)
