"""The doctor's probe: query strings as sent, and a real handshake's refusal body."""

from __future__ import annotations

from nanodev.doctor.probe import Probe, query_string
from tests.conftest import Nano


def test_query_string_keeps_empty_and_valueless_params() -> None:
    assert query_string({"room_id": None, "key": "nk_a b"}) == "room_id&key=nk_a%20b"
    assert query_string({"room_id": ""}) == "room_id="
    assert query_string({}) == ""


async def test_handshake_keeps_the_refusal_body_and_the_first_frame(nano: Nano) -> None:
    probe = Probe(nano.base, "/__ws/websocket", 5.0)
    try:
        seen, ws = await probe.handshake({"room_id": "doctor-room", "key": "nk_nope_1234"})
        assert (seen.status, seen.body, ws) == (401, "Invalid API key", None)
        key = await nano.key()
        seen, ws = await probe.handshake({"room_id": "doctor-room", "key": key})
        assert seen.status == 101 and seen.first_frame == '{"type":"reset"}' and ws is not None
        assert (await probe.get("/health")).status == 200
    finally:
        await probe.close()
