"""Better Auth's password hash: scrypt(N=16384, r=16, p=1, dkLen=64) stored as `salt:key` hex,
the salt being the hex string of 16 random bytes, the password NFKC-normalised (§2.3). A D1
exported from a real deployment therefore signs in unchanged."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

N, R, P, DKLEN = 16384, 16, 1, 64
MAXMEM = 64 * 1024 * 1024


def _derive(password: str, salt_hex: str) -> bytes:
    normalized = unicodedata.normalize("NFKC", password).encode()
    return hashlib.scrypt(
        normalized, salt=salt_hex.encode(), n=N, r=R, p=P, dklen=DKLEN, maxmem=MAXMEM
    )


def hash_password(password: str) -> str:
    salt = secrets.token_hex(16)
    return f"{salt}:{_derive(password, salt).hex()}"


def verify_password(stored: str, password: str) -> bool:
    salt, sep, key = stored.partition(":")
    if not sep or not salt or not key:
        return False
    return hmac.compare_digest(_derive(password, salt).hex(), key)
