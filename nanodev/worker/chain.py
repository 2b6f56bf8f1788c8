"""The Worker's auth chain over the auth DB (reference §1.11 steps 2-5): API key, then the Better
Auth session cookie, then the `session_token` query parameter. Each step leaves a line in the
trace, so the inspector can say which sources were present, which one was used, and why.
"""

from __future__ import annotations

from nanodev.authdb import AuthDB, now_ms, now_s
from nanodev.betterauth import verify
from nanodev.record import AuthStep, fingerprint
from nanodev.worker.auth import (
    MSG_EXPIRED_KEY,
    MSG_INVALID_KEY,
    MSG_NO_IDENTITY,
    AuthResult,
    Credentials,
    allowed,
    choose_key,
    judge_key,
    judge_session,
    refused,
)


async def authenticate(db: AuthDB, creds: Credentials, secret: str) -> AuthResult:
    choice = choose_key(creds)
    steps = list(choice.steps)
    if choice.key is not None:
        return await _by_key(db, choice.key, choice.source or "", steps)
    result = await _by_cookie(db, creds, secret, steps)
    if result is not None:
        return result
    result = await _by_session_token(db, creds, steps)
    if result is not None:
        return result
    return refused(
        401,
        MSG_NO_IDENTITY,
        _nothing_cause(creds, steps),
        "Send a key (?key=nk_… or X-Nano-Key), sign in so the browser sends the "
        "better-auth.session_token cookie, or create a key: "
        "nanodev keys create --user you@example.com",
        steps,
    )


async def _by_key(db: AuthDB, key: str, source: str, steps: list[AuthStep]) -> AuthResult:
    row = await db.get_key(key)
    judged = judge_key(row, now_ms())
    steps.append(AuthStep("api_keys lookup", True, judged.verdict, judged.detail))
    for later in ("session cookie", "session_token query"):
        steps.append(AuthStep(later, False, "skipped", "not consulted: a key was presented"))
    if judged.verdict == "invalid" or row is None:
        owner = await _owner_email(db, row.user_id if row else None)
        return refused(
            401,
            MSG_INVALID_KEY,
            f"key {fingerprint(key)} from {source}: {judged.detail}",
            f"Use a key that exists: nanodev keys list, or nanodev keys create --user {owner}",
            steps,
        )
    if judged.verdict == "expired":
        owner = await _owner_email(db, row.user_id)
        return refused(
            401,
            MSG_EXPIRED_KEY,
            f"key {fingerprint(key)}: {judged.detail}",
            f"Create a fresh key: nanodev keys create --user {owner} --expires-in 30d",
            steps,
        )
    return allowed(row.user_id, f"api_key ({source})", steps, f"key {fingerprint(key)} valid", key)


async def _owner_email(db: AuthDB, user_id: str | None) -> str:
    """The refused key's real owner, so the fix can be pasted as is (a refusal path only)."""
    user = await db.get_user(user_id) if user_id else None
    return user.email if user else "you@example.com"


async def _by_cookie(
    db: AuthDB, creds: Credentials, secret: str, steps: list[AuthStep]
) -> AuthResult | None:
    if creds.cookie_value is None:
        steps.append(AuthStep("session cookie", False, "absent", "no better-auth.session_token"))
        return None
    check = verify(creds.cookie_value, secret)
    shown = fingerprint(creds.cookie_value)
    if check.token is None:
        steps.append(AuthStep("session cookie", True, "rejected", f"{shown}: {check.reason}"))
        return None
    row = await db.get_session(check.token)
    judged = judge_session(row, now_s())
    if judged.verdict != "ok" or row is None:
        steps.append(AuthStep("session cookie", True, "rejected", f"{shown}: {judged.detail}"))
        return None
    steps.append(
        AuthStep("session cookie", True, "used", f"{shown}: {check.reason}; {judged.detail}")
    )
    result = allowed(row.user_id, "session cookie", steps, judged.detail)
    result.session_token = row.token
    return result


async def _by_session_token(
    db: AuthDB, creds: Credentials, steps: list[AuthStep]
) -> AuthResult | None:
    raw = creds.session_token_param
    if raw is None:
        steps.append(AuthStep("session_token query", False, "absent", "not sent"))
        return None
    # Dev convenience, more permissive than production: the raw token or `token.sig` is
    # looked up directly, without the signature.
    token = raw.rpartition(".")[0] if raw.count(".") and len(raw.rpartition(".")[2]) == 44 else raw
    row = await db.get_session(token)
    judged = judge_session(row, now_s())
    if judged.verdict != "ok" or row is None:
        steps.append(
            AuthStep(
                "session_token query", True, "rejected", f"{fingerprint(raw)}: {judged.detail}"
            )
        )
        return None
    steps.append(
        AuthStep(
            "session_token query",
            True,
            "used",
            f"{fingerprint(raw)}: {judged.detail} (dev-only lookup)",
        )
    )
    result = allowed(row.user_id, "session_token query", steps, judged.detail)
    result.session_token = row.token
    return result


def _nothing_cause(creds: Credentials, steps: list[AuthStep]) -> str:
    rejected = [s for s in steps if s.outcome in ("rejected", "skipped")]
    if rejected:
        return "no usable credential: " + "; ".join(f"{s.source}: {s.detail}" for s in rejected)
    if creds == Credentials():
        return "no credentials at all: no key, no session cookie, no session_token"
    return "no credential identified a user"
