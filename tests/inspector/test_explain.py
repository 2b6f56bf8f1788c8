from __future__ import annotations

from nanodev.inspector.explain import (
    FlowFacts,
    Handshake,
    close_explanation,
    explain_flow,
    frame_explanation,
    header_facts,
    query_params,
    roomless_repeats,
    subscribe_query_explanation,
)


def test_query_params_flag_room_id_missing_empty_and_blank() -> None:
    assert query_params("key=nk_x")[0].flag == "room_id is missing"
    assert query_params("room_id=")[0].flag == "room_id is present but empty"
    assert query_params("room_id")[0].flag.startswith("room_id has no value")
    assert query_params("room_id=%20")[0].flag == "room_id is only whitespace"
    rows = query_params("room_id=my-room&key=nk_live_…abcd")
    assert [(p.name, p.value, p.flag) for p in rows] == [
        ("room_id", "my-room", ""),
        ("key", "nk_live_…abcd", ""),
    ]
    assert query_params("", room_scoped=False) == []


def test_header_facts_name_presence_and_meaning() -> None:
    facts = {
        f.name: f
        for f in header_facts(
            {"Upgrade": "websocket", "Connection": "keep-alive", "Host": "localhost:3000"},
            "room_id=r&key=nk_live_…abcd",
            True,
        )
    }
    assert "plain HTTP" in facts["Connection"].note
    assert facts["Origin"].value is None and "not a browser" in facts["Origin"].note
    assert facts["Cookie"].value is None
    assert facts["API key"].note == "present via ?key="
    # never "(not sent)" beside "present": the query's fingerprint is the value
    assert facts["API key"].value == "nk_live_…abcd"
    cookie = header_facts({"cookie": "better-auth.session_token=ab…cd"}, "", False)
    assert "carries better-auth.session_token" in cookie[4].note
    assert "not a WebSocket handshake" in cookie[0].note


def test_recorded_cause_wins_for_refusals() -> None:
    facts = FlowFacts(
        "GET",
        "/__ws/websocket",
        "room_id=",
        True,
        400,
        "none",
        "room_id is present but empty",
        "Set it",
    )
    assert explain_flow(facts).cause == "room_id is present but empty"
    assert explain_flow(facts).fix == "Set it"
    refused = FlowFacts("GET", "/x", "", True, 401, "refused", "key expired")
    assert explain_flow(refused).fix == "See the auth decision trace below"


def test_accepted_and_closed_sockets() -> None:
    open_ = FlowFacts(
        "GET",
        "/__ws/websocket",
        "",
        True,
        101,
        "allowed",
        "key valid",
        room="r",
        user_id="u",
        open=True,
    )
    assert (
        explain_flow(open_).cause
        == "handshake accepted (key valid): socket open in room 'r' as user 'u'"
    )
    closed = FlowFacts(
        "GET",
        "/__ws/websocket",
        "",
        True,
        101,
        "allowed",
        room="r",
        user_id="u",
        close_code=1008,
        closed_by="server",
        close_reason="API key revoked",
    )
    text = explain_flow(closed)
    assert "closed by nanodev with 1008 (policy violation" in text.cause
    assert "reason: API key revoked" in text.cause
    assert "expired or was revoked" in text.fix


def test_upgrade_to_the_frontend_and_plain_statuses() -> None:
    to_front = FlowFacts("GET", "/socket", "", True, 404, destination="frontend")
    assert "went to the frontend" in explain_flow(to_front).cause
    assert explain_flow(FlowFacts("GET", "/", "", False, 200)).cause == "answered 200"
    assert explain_flow(FlowFacts("GET", "/", "", False, None)).cause == "no response recorded yet"
    assert explain_flow(FlowFacts("GET", "/", "", False, 502)).cause.startswith(
        "the request failed"
    )


def test_close_explanation() -> None:
    assert close_explanation(1006, "network") == (
        "closed by the network with 1006 (" + close_explanation(1006, "x").split("(", 1)[1]
    )
    assert close_explanation(None, "client") == "closed by the client with no code (no close code)"


def _hs(
    flow: int,
    query: str,
    cookie: bool = True,
    path: str = "/__ws/websocket",
    session: str = "",
    user: str = "",
) -> Handshake:
    return Handshake(flow, float(flow), path, query, cookie, 400, session, user)


def test_roomless_cookie_handshakes_repeating_on_one_url_are_one_pattern() -> None:
    patterns = roomless_repeats([_hs(3, ""), _hs(1, ""), _hs(2, "room_id=r"), _hs(4, "", False)])
    assert len(patterns) == 1
    pattern = patterns[0]
    assert pattern.flows == (1, 3)
    assert pattern.url == "/__ws/websocket"
    assert "2 cookie-carrying handshakes from one page to /__ws/websocket carried no room_id" in (
        pattern.explanation.cause
    )
    assert "The cookie was never checked: room_id comes first" in pattern.explanation.cause
    assert "before the room was known" in pattern.explanation.cause
    assert "partysocket" in pattern.explanation.cause


def test_roomless_pattern_needs_repeats_a_cookie_and_no_room_id_at_all() -> None:
    assert roomless_repeats([_hs(1, "")]) == []
    assert roomless_repeats([_hs(1, "", False), _hs(2, "", False)]) == []
    assert roomless_repeats([_hs(1, "room_id="), _hs(2, "room_id=")]) == []
    assert len(roomless_repeats([_hs(1, "x=1"), _hs(2, ""), _hs(3, "x=1")])) == 1


def test_roomless_pattern_is_one_per_page_session_and_names_its_user() -> None:
    ada = {"session": "better-auth.session_token=…a1b2", "user": "ada@example.com"}
    bob = {"session": "better-auth.session_token=…c3d4", "user": "bob@example.com"}
    patterns = roomless_repeats(
        [_hs(1, "", **ada), _hs(2, "", **bob), _hs(3, "", **ada), _hs(4, "", **bob),
         _hs(5, "", **ada)]
    )  # fmt: skip
    assert [(p.user, p.flows) for p in patterns] == [
        ("ada@example.com", (1, 3, 5)), ("bob@example.com", (2, 4)),
    ]  # fmt: skip
    cause = patterns[0].explanation.cause
    assert cause.startswith("3 cookie-carrying handshakes from ada@example.com's page (session ")
    assert "…a1b2" in cause and "bob" not in cause
    assert patterns[0].to_json()["user"] == "ada@example.com"
    # A key-carrying page (no cookie) is a session of its own, named by its key's fingerprint.
    keyed = roomless_repeats([_hs(7, "key=nk_…9f", False, session="nk_…9f"),
                              _hs(8, "key=nk_…9f", False, session="nk_…9f")])  # fmt: skip
    assert len(keyed) == 1 and "2 key-carrying handshakes" in keyed[0].explanation.cause
    assert "The key was never checked" in keyed[0].explanation.cause


def test_subscribe_query_error_is_explained_from_the_frame_the_sql_runner_sent() -> None:
    runner = {"action": "subscribe_query", "sql": "SELECT * FROM customers", "table": "customers"}
    note = frame_explanation(
        '{"type":"error","error":"subscribe_query requires queryId, method, and tables"}', runner
    )
    assert note is not None
    assert note.cause.startswith(
        "the client sent subscribe_query without queryId, method, tables (it sent sql, table)"
    )
    assert "The real Worker answers the same" in note.cause
    assert '"queryId":"q1","method":"executeSQL","tables":["customers"]' in note.fix
    assert "query_subscribed" in note.fix
    partial = subscribe_query_explanation({"queryId": "q", "method": "m", "tables": "t"})
    assert "without tables (as a list)" in partial.cause
    assert frame_explanation('{"type":"pong"}', runner) is None


def test_the_roomless_pattern_names_the_lines_that_created_the_sockets() -> None:
    from nanodev.inspector.explain import with_creating_lines  # noqa: PLC0415

    pattern = {
        "cause": "3 handshakes carried no room_id",
        "fix": "Build the URL later",
        "flows": [1],
    }
    named = with_creating_lines(pattern, ["src/App.tsx:118 useStableSocket"])
    assert named["cause"] == (
        "3 handshakes carried no room_id; the socket was created at src/App.tsx:118 in "
        "useStableSocket"
    )
    assert named["fix"] == "In src/App.tsx:118: Build the URL later"
    assert named["created_at"] == ["src/App.tsx:118 useStableSocket"]
    assert with_creating_lines(pattern, []) is pattern
