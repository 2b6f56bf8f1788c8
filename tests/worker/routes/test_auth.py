"""Better Auth endpoints: pure origin/body rules, and the session lifecycle over real HTTP."""

from __future__ import annotations

import aiohttp
import pytest

from nanodev.authdb import accounts
from nanodev.authdb.db import now_s
from nanodev.betterauth.cookies import sign, verify
from nanodev.worker.routes.auth import AuthError, callback_allowed, check_fields
from tests.conftest import Nano

SIGN_UP = {"email": "ada@example.com", "password": "password123", "name": "Ada"}


def test_callbacks_relative_or_on_a_trusted_origin() -> None:
    assert callback_allowed("https://app.example/", "127.0.0.1:3000", ("https://app.example",))
    assert callback_allowed("/rooms", "127.0.0.1:3000")
    assert not callback_allowed("//evil.example/x", "127.0.0.1:3000")
    assert callback_allowed("http://localhost:3000/", "127.0.0.1:3000")


def test_check_fields_names_the_field() -> None:
    with pytest.raises(AuthError) as err:
        check_fields({"email": 5}, ("email",), {})
    assert err.value.body() == {
        "code": "VALIDATION_ERROR",
        "message": "[body.email] Invalid input: expected string, received number",
    }
    with pytest.raises(AuthError):
        check_fields({"email": "a", "rememberMe": "no"}, ("email",), {"rememberMe": bool})


async def test_foreign_origin_is_403_invalid_origin(nano: Nano) -> None:
    resp = await nano.session.post(
        nano.base + "/api/auth/sign-up/email",
        json=SIGN_UP,
        headers={"Origin": "https://evil.example"},
    )
    assert (resp.status, await resp.json()) == (403, {"message": "Invalid origin"})
    assert await nano.core.db.get_user_by_email("ada@example.com") is None


async def test_ok_and_unknown_paths(nano: Nano) -> None:
    assert await (await nano.get("/api/auth/ok")).json() == {"ok": True}
    assert (await nano.get("/api/authfoo")).status == 404


async def test_remember_me_false_sets_a_session_cookie(nano: Nano) -> None:
    body = {**SIGN_UP, "rememberMe": False}
    resp = await nano.session.post(nano.base + "/api/auth/sign-up/email", json=body)
    cookies = resp.headers.getall("Set-Cookie")
    assert "Max-Age" not in cookies[0]
    assert cookies[1].startswith("better-auth.dont_remember=true.")


async def test_password_hash_is_better_auths_format(nano: Nano) -> None:
    await nano.session.post(nano.base + "/api/auth/sign-up/email", json=SIGN_UP)
    user = await accounts.user_by_email(nano.core.db, "ada@example.com")
    assert user is not None
    stored = await accounts.credential_hash(nano.core.db, user.id)
    salt, key = (stored or "").split(":")
    assert len(salt) == 32 and len(key) == 128


async def test_get_session_extends_a_day_old_session(nano: Nano) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(base_url=nano.base, cookie_jar=jar) as page:
        token = (await (await page.post("/api/auth/sign-up/email", json=SIGN_UP)).json())["token"]
        old = now_s() + 5 * 86400  # as if issued two days ago
        await nano.core.db.conn.execute(
            "UPDATE session SET expiresAt = ? WHERE token = ?", (old, token)
        )
        await nano.core.db.conn.commit()
        resp = await page.get("/api/auth/get-session")
        assert resp.headers["Set-Cookie"].startswith("better-auth.session_token=")
        session = await accounts.session_by_token(nano.core.db, token)
        assert session is not None and session.expires_at >= now_s() + 7 * 86400 - 5
        fresh = await page.get("/api/auth/get-session")
        assert "Set-Cookie" not in fresh.headers  # fresh again: no re-set


async def test_expired_session_is_deleted_and_reads_as_null(nano: Nano) -> None:
    resp = await nano.session.post(nano.base + "/api/auth/sign-up/email", json=SIGN_UP)
    token = (await resp.json())["token"]
    await nano.core.db.conn.execute("UPDATE session SET expiresAt = 1 WHERE token = ?", (token,))
    await nano.core.db.conn.commit()
    cookie = f"better-auth.session_token={sign(token, nano.core.secret)}"
    got = await nano.session.get(nano.base + "/api/auth/get-session", headers={"Cookie": cookie})
    assert await got.json() is None and "Max-Age=0" in got.headers["Set-Cookie"]
    assert await accounts.session_by_token(nano.core.db, token) is None
    assert verify(sign(token, "other-secret"), nano.core.secret).token is None
