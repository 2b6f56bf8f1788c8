import pytest

from nanodev.worker.roomids import RoomIdOk, RoomIdProblem, check_room_id, raw_param


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "ROOM_ID_MISSING"),
        ("key=nk_1", "ROOM_ID_MISSING"),
        ("room_id", "ROOM_ID_NO_VALUE"),
        ("room_id=", "ROOM_ID_EMPTY"),
        ("room_id=&key=x", "ROOM_ID_EMPTY"),
        ("room_id=%20%20", "ROOM_ID_BLANK"),
        ("room_id=+", "ROOM_ID_BLANK"),
        ("room_id=" + "a" * 51, "ROOM_ID_TOO_LONG"),
        ("room_id=ab", "ROOM_ID_TOO_SHORT"),
        ("room_id=a%2Fb%2Fc", "ROOM_ID_BAD_CHARACTERS"),
        ("room_id=room%00x", "ROOM_ID_BAD_CHARACTERS"),
        ("room_id=%3Cscript%3E", "ROOM_ID_BAD_CHARACTERS"),
        ("room_id=caf%C3%A9", "ROOM_ID_BAD_CHARACTERS"),
    ],
)
def test_problems_are_named(query, code):
    result = check_room_id(query)
    assert isinstance(result, RoomIdProblem)
    assert result.code == code
    assert result.error and result.hint


@pytest.mark.parametrize("query", ["room_id=%20ab", "room_id=ab+", "room_id=%09ab%20"])
def test_length_is_measured_after_trimming(query):
    # Untrimmed, " ab" is 3 characters and would pass; the room it names is the 2-character "ab".
    result = check_room_id(query)
    assert isinstance(result, RoomIdProblem)
    assert result.code == "ROOM_ID_TOO_SHORT"
    assert result.error == "room_id 'ab' is shorter than 3 characters"


def test_seed_report_failure_is_named_as_such():
    result = check_room_id("room_id")
    assert isinstance(result, RoomIdProblem)
    assert "present but empty" in result.error and "?room_id" in result.error
    assert "before a room was chosen" in result.hint


@pytest.mark.parametrize(
    ("query", "room"),
    [
        ("room_id=test-room-123", "test-room-123"),
        ("room_id=My_Room", "My_Room"),
        ("room_id=%20abc%20", "abc"),
        ("key=1&room_id=" + "a" * 50, "a" * 50),
        ("room_id=first&room_id=second", "first"),
    ],
)
def test_valid_ids(query, room):
    assert check_room_id(query) == RoomIdOk(room)


def test_raw_param_distinguishes_presence():
    assert raw_param("room_id", "room_id") == (True, False, "")
    assert raw_param("room_id=", "room_id") == (True, True, "")
    assert raw_param("other=1", "room_id") == (False, False, "")
    assert raw_param("room%5Fid=x", "room_id") == (True, True, "x")


@pytest.mark.parametrize(
    ("path", "told"),
    [
        ("/websocket", "/websocket?room_id=my-room"),  # the production build
        ("/__ws/websocket", "/__ws/websocket?room_id=my-room"),  # Vite dev
        ("/connect", "/connect?room_id=my-room"),
    ],
)
def test_the_fix_names_the_path_the_client_used(path, told):
    for query in ("", "room_id", "room_id=", "room_id=%20"):
        result = check_room_id(query, path)
        assert isinstance(result, RoomIdProblem)
        assert told in result.hint, (query, result.hint)
        if path == "/websocket":
            assert "/__ws/" not in result.hint


def test_plain_http_without_room_id_gets_an_http_hint():
    result = check_room_id("", "/api/schema", upgrade=False)
    assert isinstance(result, RoomIdProblem) and result.code == "ROOM_ID_MISSING"
    assert "plain HTTP request, not a socket" in result.hint
    assert "/api/schema?room_id=my-room" in result.hint
    assert "refreshSchema()" in result.hint and "schema_update" in result.hint
    assert "partysocket" not in result.hint and "socket URL" not in result.hint
    other = check_room_id("", "/analytics", upgrade=False)
    assert isinstance(other, RoomIdProblem)
    assert "/analytics?room_id=my-room" in other.hint and "refreshSchema" not in other.hint
