"""Users by email: the inspector names people as the app's users know them, not by random ids.

Ids are looked up once each in the auth database and kept; the JSON the page gets carries
both, so a script can still match on the id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nanodev.authdb import AuthDB

MAX_LOOKUPS = 200  # per answer: a store full of distinct ids must not stall one request


async def emails_of(
    db: AuthDB, user_ids: Iterable[str | None], known: dict[str, str | None]
) -> dict[str, str | None]:
    """`known`, completed with the ids it lacks (None for ids with no user row)."""
    missing = {uid for uid in user_ids if uid and uid not in known}
    for uid in list(missing)[:MAX_LOOKUPS]:
        user = await db.get_user(uid)
        known[uid] = user.email if user else None
    return known


def name_users(rows: Iterable[dict[str, Any]], emails: dict[str, str | None]) -> None:
    """Add `user` (the email, else the id) beside each row's `user_id`, in place."""
    for row in rows:
        uid = row.get("user_id")
        row["user"] = (emails.get(uid) or uid) if uid else None


def with_emails(text: str, emails: dict[str, str | None]) -> str:
    """Free text (a cause, a trace line) with each known user id replaced by its email."""
    for uid, email in emails.items():
        if email and uid in text:
            text = text.replace(uid, email)
    return text


async def name_people(
    db: AuthDB,
    known: dict[str, str | None],
    rows: list[dict[str, Any]],
    detail: dict[str, Any] | None = None,
) -> None:
    """Users by email in list rows, and in a detail's causes, fixes and auth trace."""
    await emails_of(db, (r.get("user_id") for r in rows), known)
    name_users(rows, known)
    parts = [r["explanation"] for r in rows if "explanation" in r]
    if detail is not None:
        parts += [detail["explanation"], *(detail.get("auth") or {}).get("trace", ())]
    for part in parts:
        for name in ("cause", "fix", "detail"):
            if isinstance(part.get(name), str):
                part[name] = with_emails(part[name], known)
