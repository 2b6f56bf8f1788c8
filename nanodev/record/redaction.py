"""Secrets are fingerprinted at capture time, so no store, feed, export or log ever holds them.

A fingerprint keeps enough to correlate (a short prefix and the last four characters) and
nothing that can be replayed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote_plus

SECRET_HEADERS = frozenset(
    {"cookie", "set-cookie", "authorization", "proxy-authorization", "x-nano-key", "x-api-key"}
)
SECRET_PARAMS = frozenset(
    {"key", "api_key", "apikey", "token", "session_token", "session", "access_token", "secret"}
)
# Headers the inspector shows; anything else is summarised by name only.
SHOWN_HEADERS = (
    "host",
    "origin",
    "upgrade",
    "connection",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
    "user-agent",
    "referer",
    "content-type",
    "content-length",
    "x-nano-key",
    "cookie",
    "authorization",
    "x-user-id",
    "x-room-id",
    "x-forwarded-for",
)
_API_KEY_RE = re.compile(r"nk_[A-Za-z0-9_\-]{4,}")
_COOKIE_PAIR_RE = re.compile(r"([^=;\s]+)=([^;]*)")
# Secret-named JSON string fields (a token in a frame or a sign-in response body).
_JSON_SECRET_RE = re.compile(
    r'("(?:token|session_token|access_token|refresh_token|api_key|apikey|password|secret|'
    r'authorization)"\s*:\s*")([^"\\]{8,})"',
    re.IGNORECASE,
)
# Cheap substring checks first, so frames without such a field skip the regex entirely.
_JSON_SECRET_WORDS = (
    "oken",
    "OKEN",
    "assword",
    "ASSWORD",
    "ecret",
    "ECRET",
    "pi_key",
    "piKey",
    "PI_KEY",
    "pikey",
    "uthorization",
    "UTHORIZATION",
)


def fingerprint(secret: str) -> str:
    """`nk_live_…1a2b`: a recognisable prefix and the last four characters, never the middle."""
    if not secret:
        return ""
    if len(secret) <= 8:
        return "…" * min(len(secret), 3)
    if secret.startswith("nk_"):
        head = secret[: secret.index("_", 3) + 1] if secret.count("_") >= 2 else "nk_"
        head = head[:12]
    else:
        head = secret[:4]
    return f"{head}…{secret[-4:]}"


def redact_cookie_header(value: str) -> str:
    return _COOKIE_PAIR_RE.sub(lambda m: f"{m.group(1)}={fingerprint(m.group(2))}", value)


def redact_header(name: str, value: str) -> str:
    lname = name.lower()
    if lname in ("cookie", "set-cookie"):
        return redact_cookie_header(value)
    if lname in ("authorization", "proxy-authorization"):
        scheme, _, cred = value.partition(" ")
        return f"{scheme} {fingerprint(cred)}" if cred else fingerprint(value)
    if lname in SECRET_HEADERS:
        return fingerprint(value)
    if lname == "referer":  # the page's URL, with whatever ?token= the page was opened with
        head, sep, query = value.partition("?")
        return redact_text(head) + sep + redact_query(query)
    return redact_text(value)


def redact_headers(
    headers: Mapping[str, str], shown: Iterable[str] = SHOWN_HEADERS
) -> dict[str, str]:
    """The headers that matter for a handshake, secrets fingerprinted."""
    lowered = {k.lower(): v for k, v in headers.items()}
    out: dict[str, str] = {}
    for name in shown:
        value = lowered.get(name)
        if value is not None:
            out[name] = redact_header(name, value)
    return out


def redact_query(query_string: str) -> str:
    """The query string with secret-bearing parameters fingerprinted; order and blanks kept."""
    if not query_string:
        return ""
    parts = []
    for raw in query_string.split("&"):
        name, eq, value = raw.partition("=")
        if unquote_plus(name).lower() in SECRET_PARAMS and value:
            decoded = unquote_plus(value)
            shown = "…".join(quote(piece, safe="") for piece in fingerprint(decoded).split("…"))
            parts.append(f"{name}={shown}")
        else:
            parts.append(f"{name}{eq}{redact_text(value)}")
    return "&".join(parts)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask API-key-shaped values and any known secret of this flow inside free text."""
    for secret in secrets:
        if len(secret) >= 8 and secret in text:
            text = text.replace(secret, fingerprint(secret))
    if "nk_" in text:
        text = _API_KEY_RE.sub(lambda m: fingerprint(m.group(0)), text)
    for word in _JSON_SECRET_WORDS:  # a plain loop: this runs for every recorded frame
        if word in text:
            return _JSON_SECRET_RE.sub(lambda m: f'{m.group(1)}{fingerprint(m.group(2))}"', text)
    return text
