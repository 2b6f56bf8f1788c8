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
# Query parameter names that carry credentials, compared lowercased with `_` and `-` removed
# (`sessionToken`, `session-token` and `SESSION_TOKEN` are one name), plus the endings below.
SECRET_PARAMS = frozenset(
    {
        "key", "apikey", "token", "sessiontoken", "session", "accesstoken", "refreshtoken",
        "idtoken", "authtoken", "secret", "clientsecret", "auth", "authorization", "password",
        "passwd", "pwd", "jwt", "bearer", "credential", "credentials", "signature", "sig",
        "privatekey", "accesskey",
    }
)  # fmt: skip
SECRET_PARAM_ENDINGS = ("token", "secret", "password", "apikey", "accesskey", "privatekey")
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


def secret_param(name: str) -> bool:
    """A query parameter name that carries a credential, however it is spelled."""
    plain = unquote_plus(name).lower().replace("_", "").replace("-", "")
    return plain in SECRET_PARAMS or plain.endswith(SECRET_PARAM_ENDINGS)


def redact_url(value: str) -> str:
    """A URL in a header (`Referer`, `Origin`): its path and its query redacted like the
    request's own."""
    head, sep, query = value.partition("?")
    query, hash_sep, fragment = query.partition("#")
    shown = redact_text(head)
    if sep:
        shown += "?" + redact_query(query)
    return shown + (hash_sep + redact_text(fragment) if hash_sep else "")


# A subprotocol name (`chat`, `graphql-transport-ws`, `v10.stomp`) is kept; anything else
# offered in Sec-WebSocket-Protocol (a token smuggled past the URL) is fingerprinted.
_PROTOCOL_NAME = re.compile(r"[a-z][a-z.\-]*\d{0,2}[a-z.\-]*")


def redact_protocols(value: str) -> str:
    items = [item.strip() for item in value.split(",")]
    return ", ".join(
        item if len(item) <= 40 and _PROTOCOL_NAME.fullmatch(item) else fingerprint(item)
        for item in items
    )


def redact_header(name: str, value: str) -> str:
    lname = name.lower()
    if lname in ("referer", "origin"):
        return redact_url(value)
    if lname == "sec-websocket-protocol":
        return redact_protocols(value)
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


def redact_query(query_string: str, seen: list[str] | None = None) -> str:
    """The query string with secret-bearing parameters fingerprinted; order and blanks kept.
    The secret values are appended to `seen`, so they can be masked wherever else they go."""
    if not query_string:
        return ""
    parts = []
    for raw in query_string.split("&"):
        name, eq, value = raw.partition("=")
        if value and (secret_param(name) or unquote_plus(value).startswith("nk_")):
            decoded = unquote_plus(value)
            if seen is not None:
                seen.append(decoded)
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
