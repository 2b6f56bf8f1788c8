from __future__ import annotations

from nanodev.inspector.replay import Replayable, Variant, apply_variant, drop_params, set_param

ORIGINAL = Replayable(
    "page",
    "/__ws/websocket",
    "room_id=a&key=nk_old&x=1",
    {"Cookie": "better-auth.session_token=t", "X-Nano-Key": "nk_h", "Origin": "http://localhost"},
)


def test_same_changes_nothing() -> None:
    assert apply_variant(ORIGINAL, Variant()) == ORIGINAL


def test_another_key_replaces_every_key_source() -> None:
    changed = apply_variant(ORIGINAL, Variant("key", key="nk_new/+"))
    assert changed.query == "room_id=a&x=1&key=nk_new%2F%2B"
    assert "X-Nano-Key" not in changed.headers
    assert changed.headers["Cookie"] == ORIGINAL.headers["Cookie"]


def test_another_room_sets_or_adds_room_id() -> None:
    assert apply_variant(ORIGINAL, Variant("room", room="b")).query == "room_id=b&key=nk_old&x=1"
    roomless = Replayable("page", "/__ws/websocket", "", {})
    assert apply_variant(roomless, Variant("room", room="b")).query == "room_id=b"


def test_no_cookie_drops_only_the_cookie() -> None:
    changed = apply_variant(ORIGINAL, Variant("no_cookie"))
    assert "Cookie" not in changed.headers
    assert changed.headers["X-Nano-Key"] == "nk_h" and changed.query == ORIGINAL.query


def test_param_helpers() -> None:
    assert drop_params("a=1&key=2&api_key=3", ("key", "api_key")) == "a=1"
    assert set_param("room_id", "room_id", "r") == "room_id=r"
