"""Every doctor verdict from plain observed answers, no sockets."""

from __future__ import annotations

import pytest

from nanodev.doctor.report import Status
from nanodev.doctor.verdicts import (
    RESET_FRAME,
    Seen,
    accepted,
    broadcast,
    cross_site,
    data_intact,
    health,
    hidden_key,
    no_credentials,
    reconnect,
    refused_key,
    room_id_refused,
    session_token,
)

OPEN = Seen(101, first_frame=RESET_FRAME)
DOWN = Seen(None, error="cannot connect to upstream http://127.0.0.1:9: Connection refused")


def test_seen_observed() -> None:
    assert OPEN.observed() == f"101, first frame {RESET_FRAME}"
    assert Seen(401, "API key expired\n").observed() == "401 API key expired"
    assert DOWN.observed().startswith("no answer: cannot connect")


def test_health() -> None:
    assert health(Seen(200, "{}")).status is Status.PASS
    worker = health(Seen(400, "Missing room_id query parameter"))
    assert worker.status is Status.WARN and "no health route" in worker.cause
    assert health(DOWN).status is Status.FAIL
    assert health(Seen(503, "unhealthy")).status is Status.FAIL


def test_accepted() -> None:
    assert accepted(OPEN, "a valid key").status is Status.PASS
    refused = accepted(Seen(401, "Invalid API key"), "a valid key")
    assert refused.status is Status.FAIL and "401 'Invalid API key'" in refused.cause
    quiet = accepted(Seen(101, first_frame=None), "a valid key")
    assert quiet.status is Status.WARN and "never sent" in quiet.cause
    assert accepted(DOWN, "x").status is Status.FAIL


@pytest.mark.parametrize("variant", ["empty", "missing", "whitespace"])
def test_room_id_refused(variant: str) -> None:
    assert room_id_refused(Seen(400, "Missing room_id"), variant).status is Status.PASS
    opened = room_id_refused(OPEN, variant)
    assert opened.status is (Status.WARN if variant == "whitespace" else Status.FAIL)
    assert "shared, nameless room" in opened.cause
    late = room_id_refused(Seen(401, "Unauthorized"), variant)
    assert late.status is Status.WARN and "does not run first" in late.cause
    assert room_id_refused(Seen(500, "boom"), variant).status is Status.FAIL


def test_refused_keys() -> None:
    assert refused_key(Seen(401, "API key expired"), "expired").status is Status.PASS
    unknown_expired = refused_key(Seen(401, "Invalid API key"), "expired")
    assert unknown_expired.status is Status.WARN and "may not exist" in unknown_expired.cause
    assert "expires_at is not checked" in refused_key(OPEN, "expired").cause
    assert "revocation is ignored" in refused_key(OPEN, "revoked").cause
    assert refused_key(OPEN, "unknown").status is Status.FAIL
    assert refused_key(Seen(401, "Invalid API key"), "unknown").status is Status.PASS
    assert refused_key(Seen(403, "x"), "revoked").status is Status.WARN


def test_hidden_key_and_no_credentials() -> None:
    assert hidden_key(Seen(401, "Unauthorized")).status is Status.PASS
    assert "production does not" in hidden_key(OPEN).cause
    assert no_credentials(Seen(401, "Unauthorized")).status is Status.PASS
    assert no_credentials(OPEN).status is Status.FAIL
    assert no_credentials(Seen(400, "x")).status is Status.WARN


def test_session_token_and_cross_site() -> None:
    assert session_token(OPEN).status is Status.PASS
    assert session_token(Seen(401, "Unauthorized")).status is Status.WARN
    assert cross_site(Seen(403, "Forbidden")).status is Status.PASS
    assert "hijacking" in cross_site(OPEN).cause
    assert cross_site(Seen(401, "Unauthorized")).status is Status.WARN


def test_room_checks() -> None:
    assert broadcast(True, True).status is Status.PASS
    one_way = broadcast(True, False)
    assert one_way.status is Status.FAIL and "the second socket" in one_way.cause
    assert "could not run: refused" in broadcast(False, False, "refused").cause
    assert reconnect(1000, OPEN).status is Status.PASS
    assert reconnect(None, OPEN).status is Status.FAIL
    again = reconnect(1000, Seen(429, "Too many"))
    assert again.status is Status.FAIL and "429" in again.cause
    assert data_intact(True, OPEN).status is Status.PASS
    assert data_intact(False, OPEN).status is Status.FAIL
    assert data_intact(True, Seen(401, "x")).status is Status.FAIL
