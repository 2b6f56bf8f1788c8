from __future__ import annotations

from nanodev.inspector.people import emails_of, name_users, with_emails
from tests.conftest import Nano


async def test_ids_become_emails_in_rows_and_text(nano: Nano) -> None:
    await nano.key("ada@example.com")
    user = await nano.core.db.get_user_by_email("ada@example.com")
    assert user is not None
    known = await emails_of(nano.core.db, [user.id, "no-such-id", None], {})
    assert known == {user.id: "ada@example.com", "no-such-id": None}
    rows = [{"user_id": user.id}, {"user_id": "no-such-id"}, {"user_id": None}]
    name_users(rows, known)
    assert [r["user"] for r in rows] == ["ada@example.com", "no-such-id", None]
    assert with_emails(f"found, owner {user.id}", known) == "found, owner ada@example.com"
