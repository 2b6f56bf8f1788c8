"""Better Auth's formats, which the Worker (checking) and the auth database's seeding (writing)
both use: the signed session cookie and the scrypt password hash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanodev.lazy import exports

if TYPE_CHECKING:
    from nanodev.betterauth.cookies import (
        COOKIE_NAME,
        MAX_AGE,
        SECURE_COOKIE_NAME,
        session_cookie_from_header,
        set_cookie_header,
        sign,
        verify,
    )
    from nanodev.betterauth.passwords import hash_password, verify_password

__all__ = [
    "COOKIE_NAME",
    "MAX_AGE",
    "SECURE_COOKIE_NAME",
    "hash_password",
    "session_cookie_from_header",
    "set_cookie_header",
    "sign",
    "verify",
    "verify_password",
]
__getattr__ = exports(
    __name__,
    {
        "COOKIE_NAME": "cookies",
        "MAX_AGE": "cookies",
        "SECURE_COOKIE_NAME": "cookies",
        "hash_password": "passwords",
        "session_cookie_from_header": "cookies",
        "set_cookie_header": "cookies",
        "sign": "cookies",
        "verify": "cookies",
        "verify_password": "passwords",
    },
)
