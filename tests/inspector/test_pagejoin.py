"""The join of page reports to handshakes: same URL, Origin, within the window, never a guess."""

from __future__ import annotations

from nanodev.inspector.pagejoin import HandshakeSide, PageStory, join, stories
from nanodev.record import PageSocket
from tests.conftest import Nano

ORIGIN = "http://127.0.0.1:3000"
UPGRADE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


def construct(
    session: str,
    socket: int,
    ts: float,
    url: str = "ws://127.0.0.1:3000/__ws/websocket?room_id",
    attempt: int = 1,
    origin: str = ORIGIN,
    since: float | None = None,
) -> PageSocket:
    return PageSocket(
        0,
        ts,
        session,
        socket,
        "construct",
        url,
        "http://127.0.0.1:3000/",
        origin,
        attempt=attempt,
        since_previous_ms=since,
        opened_by="src/App.tsx:118 useStableSocket",
    )


def seen(session: str, socket: int, what: str, ms: float, code: int | None = None) -> PageSocket:
    return PageSocket(0, 0, session, socket, what, "", "", ORIGIN, page_ms=ms, code=code)


def hs(flow: int, ts: float, query: str = "room_id", origin: str = ORIGIN) -> HandshakeSide:
    return HandshakeSide(flow, ts, "/__ws/websocket", query, origin)


def test_each_attempt_joins_its_own_handshake() -> None:
    page = stories(
        [
            construct("s1", 1, 10.00),
            seen("s1", 1, "error", 3),
            seen("s1", 1, "close", 3, 1006),
            construct("s1", 2, 11.00, attempt=2, since=1000.0),
            seen("s1", 2, "close", 4, 1006),
        ]
    )
    joined = join([hs(7, 10.01), hs(8, 11.002)], page)
    assert joined[7].socket == 1 and joined[8].socket == 2
    assert joined[8].sentence() == (
        "opened by src/App.tsx:118 in useStableSocket → reconnect attempt 2 (1.0 s after the "
        "last), saw close 1006 after 4 ms"
    )
    assert joined[7].to_json()["close_code"] == 1006


def test_different_url_origin_or_time_stays_unmatched() -> None:
    page = stories([construct("s1", 1, 10.0)])
    assert join([hs(1, 10.0, query="room_id=r1")], page) == {}
    assert join([hs(1, 10.0, origin="http://evil.example")], page) == {}
    assert join([hs(1, 12.0)], page) == {}


def test_two_tabs_at_once_are_unmatched_rather_than_guessed() -> None:
    page = stories([construct("tab-a", 1, 10.00), construct("tab-b", 1, 10.05)])
    assert join([hs(1, 10.02)], page) == {}


def test_only_mutual_nearest_pairs() -> None:
    page = stories([construct("s1", 1, 10.0), construct("s1", 2, 10.5, attempt=2)])
    joined = join([hs(1, 10.45)], page)
    assert list(joined) == [1] and joined[1].socket == 2  # not socket 1, a second away


def test_fingerprinted_secrets_compare_equal() -> None:
    url = "ws://127.0.0.1:3000/__ws/websocket?room_id=r&key=nk_live_%E2%80%A6abcd"
    page = stories([construct("s1", 1, 5.0, url=url)])
    assert 3 in join([hs(3, 5.0, query="room_id=r&key=nk_live_…abcd")], page)


def test_a_story_without_its_construction_and_nothing_seen() -> None:
    story = PageStory("s", 1)
    assert story.sentence() == "opened by an unknown line → nothing seen by the page yet"
    assert join([hs(1, 0.0)], stories([seen("s", 1, "open", 2)])) == {}


async def test_a_handshake_without_a_page_report_says_unmatched(nano: Nano) -> None:
    refused = await nano.session.get(nano.base + "/__ws/websocket", headers=UPGRADE)
    assert refused.status == 400
    assert (await nano.get("/health")).status == 200
    flows = (await (await nano.get("/__nanodev/api/flows")).json())["flows"]
    by_upgrade = {f["upgrade"]: f["id"] for f in flows}
    detail = await (await nano.get(f"/__nanodev/api/flows/{by_upgrade[True]}")).json()
    assert detail["sides"]["page"] is None
    assert detail["sides"]["page_sentence"].startswith("unmatched: no page report fits")
    assert detail["sides"]["nanodev"] == "400 room_id query parameter is missing"
    plain = await (await nano.get(f"/__nanodev/api/flows/{by_upgrade[False]}")).json()
    assert plain["sides"] is None
