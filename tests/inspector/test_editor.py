from __future__ import annotations

import pytest

from nanodev.inspector.editor import (
    Edit,
    EditError,
    apply_edit,
    edit_from_json,
    form_of,
    join_query,
    split_query,
)
from nanodev.inspector.replay import Replayable

KEY = "nk_live_Secret0123456789abcd"
TOKEN = "tok0123456789abcdef.sig0123456789"
ORIGINAL = Replayable(
    "page",
    "/__ws/websocket",
    f"room_id=&key={KEY}&x=a%20b",
    {"Cookie": f"better-auth.session_token={TOKEN}", "Origin": "http://localhost:3000"},
)


def test_form_lists_every_param_and_header_with_secrets_as_fingerprints() -> None:
    form = form_of(ORIGINAL, ['{"action":"ping"}'])
    params = {p["name"]: p for p in form["params"]}
    assert list(params) == ["room_id", "key", "x"]
    assert params["room_id"]["value"] == ""  # blanks kept: they are often the bug
    assert params["key"]["secret"] and params["key"]["value"] == "nk_live_…abcd"
    assert params["x"]["value"] == "a b"
    headers = {h["name"]: h for h in form["headers"]}
    assert TOKEN not in str(form) and KEY not in str(form)
    assert headers["Cookie"]["secret"] and headers["Cookie"]["sent"]
    assert headers["Origin"]["value"] == "http://localhost:3000"
    assert headers["X-Nano-Key"]["sent"] is False
    assert form["frames"] == ['{"action":"ping"}'] and form["method"] == "GET"


def edit_of(form: dict[str, object], **changes: object) -> Edit:
    body = {**form, **changes}
    return edit_from_json(body)


def test_fingerprints_left_alone_become_the_original_secrets_again() -> None:
    form = form_of(ORIGINAL, [])
    edited = apply_edit(ORIGINAL, edit_of(form))
    assert edited.request.query == join_query(split_query(ORIGINAL.query))
    assert edited.request.headers["Cookie"] == ORIGINAL.headers["Cookie"]
    assert edited.method == "GET" and edited.frames == ()


def test_changed_values_are_sent_as_typed_and_emptied_headers_are_dropped() -> None:
    form = form_of(ORIGINAL, [])
    headers = [
        {"name": "Origin", "value": "https://evil.example"},
        {"name": "Cookie", "value": ""},
    ]
    params = [{"name": "room_id", "value": "r1"}, {"name": "key", "value": "nk_pasted_1234"}]
    edited = apply_edit(ORIGINAL, edit_of(form, headers=headers, params=params, frames=["hi"]))
    assert edited.request.headers == {"Origin": "https://evil.example"}
    assert edited.request.query == "room_id=r1&key=nk_pasted_1234"
    assert edited.frames == ("hi",)


def test_a_picked_key_replaces_every_key_source() -> None:
    with_header = Replayable("page", "/__ws/websocket", f"key={KEY}", {"X-Nano-Key": KEY})
    edited = apply_edit(with_header, edit_of(form_of(with_header, [])), picked="nk_other_9999")
    assert edited.request.query == "key=nk_other_9999"
    assert "X-Nano-Key" not in edited.request.headers


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"method": "GE T"}, "not an HTTP method"),
        ({"path": "no-slash"}, "must start with /"),
        ({"path": "/a?b=1"}, "hold no query"),
        ({"frames": ["x"] * 11}, "at most 10 frames"),
    ],
)
def test_bad_edits_say_what_and_why(changes: dict[str, object], message: str) -> None:
    with pytest.raises(EditError, match=message):
        apply_edit(ORIGINAL, edit_of(form_of(ORIGINAL, []), **changes))


def test_headers_with_newlines_are_never_sent() -> None:
    edit = edit_of(form_of(ORIGINAL, []), headers=[{"name": "Origin", "value": "a\r\nX: y"}])
    assert apply_edit(ORIGINAL, edit).request.headers == {}


def test_malformed_json_is_an_edit_error() -> None:
    with pytest.raises(EditError, match="lists of"):
        edit_from_json({"params": [1, 2]})
