"""Pure pieces of the Worker's auth chain (reference §1.11): which credentials a request carries,
which one the chain uses, and what a looked-up key or session row means at a given time.

The chain itself (lookups in the auth DB) lives in `auth_chain`; everything that decides lives
here and is tested without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from nanodev.authdb import KeyRow, SessionRow
from nanodev.betterauth import session_cookie_from_header
from nanodev.record import AuthStep, fingerprint

KEY_PREFIX = "nk_"
MSG_INVALID_KEY = "Invalid API key"
MSG_EXPIRED_KEY = "API key expired"
MSG_NO_IDENTITY = "Unauthorized: Invalid API Key or Session"


@dataclass(frozen=True, slots=True)
class Credentials:
    """Every credential source the chain looks at, as found on the request."""

    header_key: str | None = None
    api_key_param: str | None = None
    key_param: str | None = None
    cookie_name: str | None = None
    cookie_value: str | None = None
    session_token_param: str | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Raw secret values, so the recorder can mask them wherever they reappear."""
        values = (
            self.header_key,
            self.api_key_param,
            self.key_param,
            self.cookie_value,
            self.session_token_param,
        )
        return tuple(v for v in values if v)


def extract_credentials(headers: Mapping[str, str], query: Mapping[str, str]) -> Credentials:
    cookie = session_cookie_from_header(headers.get("Cookie"))
    return Credentials(
        header_key=headers.get("X-Nano-Key") or None,
        api_key_param=query.get("api_key") or None,
        key_param=query.get("key") or None,
        cookie_name=cookie[0] if cookie else None,
        cookie_value=cookie[1] if cookie else None,
        session_token_param=query.get("session_token") or None,
    )


@dataclass(frozen=True, slots=True)
class KeyChoice:
    """The key the chain will look up (if any) and the trace of how it was picked."""

    key: str | None
    source: str | None
    steps: tuple[AuthStep, ...]


def choose_key(creds: Credentials) -> KeyChoice:
    """Header, then `api_key`, then `key`: the first present is the candidate, and only an
    `nk_` candidate is looked up. A non-`nk_` candidate hides every later source, as in
    production; the trace says so, because that is the surprise."""
    sources = (
        ("X-Nano-Key header", creds.header_key),
        ("api_key query", creds.api_key_param),
        ("key query", creds.key_param),
    )
    candidate, steps = _first_present(sources)
    if candidate is None:
        return KeyChoice(None, None, tuple(steps))
    name, value = candidate
    if not value.startswith(KEY_PREFIX):
        hidden = [s.source for s in steps if s.outcome == "ignored"]
        also = f"; it also hid {', '.join(hidden)}" if hidden else ""
        steps.insert(
            0,
            AuthStep(
                name,
                True,
                "skipped",
                f"{fingerprint(value)} does not start with nk_, so the key path is not taken{also}",
            ),
        )
        return KeyChoice(None, None, tuple(steps))
    steps.insert(0, AuthStep(name, True, "used", f"{fingerprint(value)} is the key candidate"))
    return KeyChoice(value, name, tuple(steps))


def _first_present(
    sources: tuple[tuple[str, str | None], ...],
) -> tuple[tuple[str, str] | None, list[AuthStep]]:
    """The first source that was sent, and a step for each other one (absent, or ignored
    because an earlier source came first)."""
    steps: list[AuthStep] = []
    candidate: tuple[str, str] | None = None
    for name, value in sources:
        if value is None:
            steps.append(AuthStep(name, False, "absent", "not sent"))
        elif candidate is None:
            candidate = (name, value)
        else:
            shown = f"{fingerprint(value)} ignored: {candidate[0]} comes first"
            steps.append(AuthStep(name, True, "ignored", shown))
    return candidate, steps


Verdict = Literal["ok", "invalid", "expired"]


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    detail: str


def judge_key(row: KeyRow | None, now_ms: int) -> Judgement:
    if row is None:
        return Judgement("invalid", "no api_keys row with this id")
    if row.revoked_at is not None:
        return Judgement("invalid", f"key was revoked {_ago(now_ms - row.revoked_at)} ago")
    if row.expires_at is not None and now_ms > row.expires_at:
        return Judgement("expired", f"expires_at is {_ago(now_ms - row.expires_at)} in the past")
    until = (
        "never expires"
        if row.expires_at is None
        else (f"expires in {_ago(row.expires_at - now_ms)}")
    )
    return Judgement("ok", f"found, owner {row.user_id}, {until}")


def judge_session(row: SessionRow | None, now_s: int) -> Judgement:
    if row is None:
        return Judgement("invalid", "no session row with this token (signed out or never issued)")
    if now_s > row.expires_at:
        return Judgement("expired", f"session expired {_ago((now_s - row.expires_at) * 1000)} ago")
    return Judgement(
        "ok", f"session of user {row.user_id}, expires in {_ago((row.expires_at - now_s) * 1000)}"
    )


def _ago(ms: int) -> str:
    seconds = max(ms, 0) / 1000
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.1f}s"


@dataclass(slots=True)
class AuthResult:
    """The chain's verdict: an identity, or the status and plain-text body to refuse with."""

    user_id: str | None
    source: str | None
    status: int
    body: str
    cause: str
    fix: str
    steps: list[AuthStep] = field(default_factory=list)
    outcome: Literal["allowed", "refused", "error"] = "refused"
    key_id: str | None = None  # the API key used, so its last_used_at can be updated
    session_token: str | None = None  # the session used, re-checked while its socket is open

    @property
    def allowed(self) -> bool:
        return self.outcome == "allowed"


def allowed(
    user_id: str, source: str, steps: list[AuthStep], detail: str, key_id: str | None = None
) -> AuthResult:
    return AuthResult(user_id, source, 200, "", detail, "", steps, "allowed", key_id)


def refused(status: int, body: str, cause: str, fix: str, steps: list[AuthStep]) -> AuthResult:
    return AuthResult(None, None, status, body, cause, fix, steps, "refused")
