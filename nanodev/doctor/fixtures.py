"""The doctor's own fixtures in a local state directory: a separate doctor user with the named
keys `nk_test_valid`, `nk_test_expired`, `nk_test_revoked` and a session, created before the
checks and removed (user included) afterwards, whatever the checks found."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nanodev.authdb import AuthDB, SeedError, create_key, create_session, ensure_user, now_ms

DOCTOR_EMAIL = "doctor@nanodev.invalid"
VALID, EXPIRED, REVOKED = "nk_test_valid", "nk_test_expired", "nk_test_revoked"
KEY_IDS = (VALID, EXPIRED, REVOKED)
TTL_S = 3600
# Every table that points at a user; deleted child first so it works without foreign keys too.
USER_TABLES = (
    ("api_keys", "user_id"),
    ("session", "userId"),
    ("account", "userId"),
    ("rooms", "user_id"),
    ("plan_limits", "user_id"),
    ("permissions", "user_id"),
)


@dataclass(frozen=True, slots=True)
class Fixtures:
    user_id: str
    key: str
    expired_key: str
    revoked_key: str
    cookie: str  # the whole `better-auth.session_token=…` pair
    session_token: str


async def seed(db: AuthDB, state_dir: Path) -> Fixtures:
    """Create the fixtures; leftovers of an interrupted run are removed first. A key with one
    of the fixture names that belongs to someone else is never touched: that is an error."""
    await remove(db)
    for key_id in KEY_IDS:
        if await db.get_key(key_id) is not None:
            raise SeedError(
                f"key {key_id} already exists and belongs to another user; the doctor will not "
                f"touch it (revoke and delete it, or run the doctor on another --state-dir)"
            )
    user, _ = await ensure_user(db, DOCTOR_EMAIL, "nanodev doctor")
    for key_id in KEY_IDS:
        await create_key(
            db,
            state_dir,
            DOCTOR_EMAIL,
            name="nanodev doctor",
            ttl_s=TTL_S,
            expired=key_id == EXPIRED,
            key_id=key_id,
            room="doctor",
        )
    await db.revoke_key(REVOKED, now_ms())
    session = await create_session(db, state_dir, DOCTOR_EMAIL, TTL_S)
    return Fixtures(user.id, VALID, EXPIRED, REVOKED, session.cookie, session.token)


async def remove(db: AuthDB) -> int:
    """Delete the doctor user and everything that points at it; the number of rows removed."""
    user = await db.get_user_by_email(DOCTOR_EMAIL)
    if user is None:
        return 0
    removed = 0
    for table, column in USER_TABLES:
        cur = await db.conn.execute(f'DELETE FROM "{table}" WHERE "{column}" = ?', (user.id,))
        removed += max(cur.rowcount, 0)
    cur = await db.conn.execute('DELETE FROM "user" WHERE id = ?', (user.id,))
    removed += max(cur.rowcount, 0)
    await db.conn.commit()
    return removed


async def leftovers(db: AuthDB) -> list[str]:
    """What of the fixtures still exists (empty after `remove`): for tests and the report."""
    found = [k for k in KEY_IDS if await db.get_key(k) is not None]
    if await db.get_user_by_email(DOCTOR_EMAIL) is not None:
        found.append(DOCTOR_EMAIL)
    return found
