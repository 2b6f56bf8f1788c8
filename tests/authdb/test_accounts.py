"""Better Auth row helpers: JavaScript ISO dates and the updateAge rule."""

from __future__ import annotations

from nanodev.authdb.accounts import SESSION_TTL_S, SessionRecord, iso, needs_extension


def test_iso_matches_to_iso_string_for_seconds_and_ms() -> None:
    assert iso(0) == "1970-01-01T00:00:00.000Z"
    assert iso(1_700_000_000) == iso(1_700_000_000_000) == "2023-11-14T22:13:20.000Z"
    assert iso(None) is None


def test_extension_after_one_day() -> None:
    created = 1_000_000
    session = SessionRecord("i", "t", "u", created + SESSION_TTL_S, created, created, None, None)
    assert not needs_extension(session, created + 3600)
    assert needs_extension(session, created + 86_400)
