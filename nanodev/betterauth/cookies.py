"""Better Auth's signed session cookie, byte-compatible with better-call (reference §2.3).

Value: encodeURIComponent(`<token>.<base64(HMAC-SHA256(secret, token))>`). The signature is
standard base64 with padding: always 44 characters ending in `=`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote, unquote

COOKIE_NAME = "better-auth.session_token"
SECURE_COOKIE_NAME = "__Secure-better-auth.session_token"
MAX_AGE = 7 * 24 * 3600
# encodeURIComponent leaves these unescaped.
_URI_COMPONENT_SAFE = "-_.!~*'()"


def signature(token: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sign(token: str, secret: str) -> str:
    """The cookie value as sent in `Set-Cookie`/`Cookie` (already percent-encoded)."""
    return quote(f"{token}.{signature(token, secret)}", safe=_URI_COMPONENT_SAFE)


@dataclass(frozen=True, slots=True)
class CookieCheck:
    token: str | None
    reason: str  # why it failed, or "signature valid"


def verify(raw_value: str, secret: str) -> CookieCheck:
    """Better Auth's verification steps: decode, split at the last '.', check, compare."""
    value = unquote(raw_value)
    token, dot, sig = value.rpartition(".")
    if not dot or not token:
        return CookieCheck(None, "cookie value is not <token>.<signature>")
    if len(sig) != 44 or not sig.endswith("="):
        return CookieCheck(None, "signature is not a 44-character base64 HMAC")
    if not hmac.compare_digest(sig, signature(token, secret)):
        return CookieCheck(None, "signature does not match this server's secret")
    return CookieCheck(token, "signature valid")


def set_cookie_header(value: str, *, secure: bool = False, max_age: int | None = MAX_AGE) -> str:
    """`Set-Cookie` in better-call's attribute order: Max-Age, Path, HttpOnly, Secure, SameSite."""
    name = SECURE_COOKIE_NAME if secure else COOKIE_NAME
    parts = [f"{name}={value}"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    parts += ["Path=/", "HttpOnly"]
    if secure:
        parts.append("Secure")
    parts.append("SameSite=Lax")
    return "; ".join(parts)


def session_cookie_from_header(cookie_header: str | None) -> tuple[str, str] | None:
    """(cookie name, raw value) of the Better Auth session cookie, if the header carries one."""
    if not cookie_header:
        return None
    for name in (COOKIE_NAME, SECURE_COOKIE_NAME):
        value = _cookie_value(cookie_header, name)
        if value:
            return name, value
    return None


def _cookie_value(header: str, name: str) -> str | None:
    # SimpleCookie rejects some cookies browsers do send; a plain split is what servers see.
    for part in header.split(";"):
        key, eq, value = part.strip().partition("=")
        if eq and key == name:
            return value.strip().strip('"')
    return None
