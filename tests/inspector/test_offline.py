"""Causes read back from a captured request and answer, for traffic nanodev did not judge."""

from __future__ import annotations

from nanodev.inspector.offline import Capture, diagnose
from nanodev.worker.roomids import check_room_id

HOST = "nano-app.example.workers.dev"


def ws(
    query: str,
    status: int,
    body: str = "",
    path: str = "/websocket",
    host: str = HOST,
    **headers: str,
) -> Capture:
    sent = {"host": host, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return Capture("GET", path, query, sent, True, status, body)


def test_a_successful_capture_needs_no_explanation() -> None:
    assert diagnose(ws("room_id=abc", 101)) is None
    assert diagnose(Capture("GET", "/api/x", "", {"host": HOST}, False, 200, "")) is None


def test_empty_and_missing_room_id_give_the_emulated_workers_cause_and_fix() -> None:
    for query in ("room_id=", "", "room_id"):
        found = diagnose(ws(query, 400, "Missing room_id query parameter"))
        problem = check_room_id(query)
        assert found is not None and not hasattr(problem, "room_id")
        assert (found.cause, found.fix) == (problem.error, problem.hint)  # type: ignore[union-attr]


def test_the_apps_401_texts() -> None:
    expired = diagnose(ws("room_id=abc&key=nk_live_…abcd", 401, "API key expired"))
    assert expired is not None and "has expired" in expired.cause
    unknown = diagnose(ws("room_id=abc&key=nk_live_…abcd", 401, "Invalid API key"))
    assert unknown is not None and "no such API key" in unknown.cause
    nothing = diagnose(ws("room_id=abc", 401, "Unauthorized: Invalid API Key or Session"))
    assert nothing is not None and "carried no credential" in nothing.cause
    cookie = diagnose(
        ws("room_id=abc", 401, "Unauthorized: Invalid API Key or Session", cookie="a=b")
    )
    assert cookie is not None and "no valid session" in cookie.cause
    not_nk = diagnose(ws("room_id=abc&key=abc", 401, "Unauthorized: Invalid API Key or Session"))
    assert not_nk is not None and "does not start with nk_" in not_nk.cause


def test_the_apps_403_texts_and_a_cross_site_origin() -> None:
    owner = diagnose(ws("room_id=abc", 403, "Forbidden: room 'abc' belongs to another user"))
    assert owner is not None and "registered to another user" in owner.cause
    cross = diagnose(ws("room_id=abc", 403, "", origin="https://evil.example", cookie="x=y"))
    assert cross is not None and "another site" in cross.cause
    same = diagnose(ws("room_id=abc", 403, "", origin=f"https://{HOST}", cookie="x=y"))
    assert same is not None and "another site" not in same.cause  # status alone, then
    auth = Capture(
        "POST",
        "/api/auth/sign-in/email",
        "",
        {"host": HOST, "origin": "http://localhost:3000"},
        False,
        403,
        '{"message":"Invalid origin"}',
    )
    found = diagnose(auth)
    assert found is not None and "TRUSTED_ORIGINS" in found.fix


def test_room_id_is_blamed_only_for_a_400() -> None:
    found = diagnose(ws("", 200, "<!doctype html>", path="/__ws/websocket"))
    assert found is not None and "/__ws" in found.cause
    plain = Capture("GET", "/api/rooms/list", "", {"host": HOST}, False, 400, "bad json")
    assert diagnose(plain) is None


def test_the_dev_prefix_on_a_production_origin() -> None:
    found = diagnose(ws("room_id=abc", 200, "<!doctype html>", path="/__ws/websocket"))
    assert found is not None and "/__ws" in found.cause and f"wss://{HOST}/websocket" in found.fix
    local = diagnose(
        ws("room_id=abc", 200, "<!doctype html>", path="/__ws/websocket", host="127.0.0.1:3000")
    )
    assert local is None  # the dev server itself: /__ws is right there


def test_status_alone_when_the_browser_kept_no_body() -> None:
    refused = diagnose(ws("room_id=abc", 401))
    assert refused is not None and "holds no body" in refused.cause
    nothing = diagnose(ws("room_id=abc", 0))
    assert nothing is not None and "status 0" in nothing.cause and "1006" in nothing.cause
