"""The doctor's fixtures: seeded with the named keys and a session, removed without a trace."""

from __future__ import annotations

import time

from nanodev.doctor.fixtures import DOCTOR_EMAIL, EXPIRED, REVOKED, VALID, leftovers, remove, seed
from tests.conftest import Nano


async def test_seed_then_remove(nano: Nano) -> None:
    db, state = nano.core.db, nano.core.settings.state_dir
    fixtures = await seed(db, state)
    now = int(time.time() * 1000)
    valid, expired, revoked = [await db.get_key(k) for k in (VALID, EXPIRED, REVOKED)]
    assert valid is not None and valid.expires_at is not None and valid.expires_at > now
    assert expired is not None and expired.expires_at is not None and expired.expires_at < now
    assert revoked is not None and revoked.revoked_at is not None
    assert fixtures.cookie.startswith("better-auth.session_token=")
    assert await db.get_session(fixtures.session_token) is not None
    again = await seed(db, state)  # a leftover run is replaced, not duplicated
    assert again.user_id != fixtures.user_id
    assert await remove(db) >= 5
    assert await leftovers(db) == []
    assert await db.get_session(again.session_token) is None
    assert await db.get_user_by_email(DOCTOR_EMAIL) is None
    assert await remove(db) == 0
