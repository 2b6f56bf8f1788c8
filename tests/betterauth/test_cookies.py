import base64
import hashlib
import hmac

from nanodev.betterauth.cookies import (
    COOKIE_NAME,
    session_cookie_from_header,
    set_cookie_header,
    sign,
    signature,
    verify,
)

SECRET = "test-secret"


def test_signature_is_standard_base64_hmac_sha256():
    expected = base64.b64encode(hmac.new(b"test-secret", b"tok", hashlib.sha256).digest()).decode()
    assert signature("tok", SECRET) == expected
    assert len(expected) == 44 and expected.endswith("=")


def test_value_is_uri_component_encoded():
    value = sign("abc", SECRET)
    assert "." in value
    assert "+" not in value and "/" not in value and "=" not in value
    assert value.endswith("%3D")


def test_roundtrip_and_tampering():
    value = sign("token123", SECRET)
    assert verify(value, SECRET).token == "token123"
    assert verify(value, "other-secret").token is None
    assert "does not match" in verify(value, "other-secret").reason
    assert verify("token123", SECRET).token is None
    assert verify("token123.short=", SECRET).token is None
    tampered = sign("token124", SECRET).replace("token124", "token123")
    assert verify(tampered, SECRET).token is None


def test_token_may_contain_dots_split_at_last():
    value = sign("a.b.c", SECRET)
    assert verify(value, SECRET).token == "a.b.c"


def test_set_cookie_attribute_order():
    header = set_cookie_header("v%3D")
    assert header == f"{COOKIE_NAME}=v%3D; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
    secure = set_cookie_header("v", secure=True, max_age=None)
    assert secure == "__Secure-better-auth.session_token=v; Path=/; HttpOnly; Secure; SameSite=Lax"


def test_cookie_found_among_others():
    header = f"theme=dark; {COOKIE_NAME}=abc.def; other=1"
    assert session_cookie_from_header(header) == (COOKIE_NAME, "abc.def")
    assert session_cookie_from_header("theme=dark") is None
    assert session_cookie_from_header(None) is None
    assert session_cookie_from_header("__Secure-better-auth.session_token=x") == (
        "__Secure-better-auth.session_token",
        "x",
    )
