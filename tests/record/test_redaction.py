import pytest

from nanodev.record.redaction import (
    fingerprint,
    redact_cookie_header,
    redact_header,
    redact_headers,
    redact_protocols,
    redact_query,
    redact_text,
)

KEY = "nk_live_0123456789abcdef0123456789abcdef"


def test_fingerprint_keeps_prefix_and_last_four():
    assert fingerprint(KEY) == "nk_live_…cdef"
    assert fingerprint("abcdefghijklmnop") == "abcd…mnop"
    assert fingerprint("short") == "………"
    assert fingerprint("") == ""


def test_query_secrets_fingerprinted_others_kept():
    shown = redact_query(f"room_id=r1&key={KEY}&session_token=tok_abcdefghijkl&x=")
    assert KEY not in shown and "tok_abcdefghijkl" not in shown
    assert shown.startswith("room_id=r1&key=nk_live_…cdef&session_token=")
    assert shown.endswith("&x=")
    assert redact_query("room_id") == "room_id"


def test_headers_and_cookies():
    cookie = "better-auth.session_token=abcdefgh12345678.sig%3D; theme=dark"
    shown = redact_headers({"Cookie": cookie, "X-Nano-Key": KEY, "Origin": "http://x"})
    assert "abcdefgh12345678" not in shown["cookie"]
    assert shown["x-nano-key"] == "nk_live_…cdef"
    assert shown["origin"] == "http://x"
    assert redact_cookie_header("a=1").startswith("a=")


def test_text_masks_keys_and_known_secrets():
    text = f'{{"key":"{KEY}","token":"sekret-token-value"}}'
    out = redact_text(text, ["sekret-token-value"])
    assert KEY not in out and "sekret-token-value" not in out
    assert "nk_live_…cdef" in out


def test_referer_query_secrets_are_fingerprinted():
    shown = redact_headers(
        {"Referer": "http://127.0.0.1:3000/app?token=CanaryReferer-0123456789&x=1"}
    )
    assert shown["referer"] == "http://127.0.0.1:3000/app?token=Cana…6789&x=1"
    assert redact_headers({"Referer": "http://h/"})["referer"] == "http://h/"


@pytest.mark.parametrize(
    "name", ["sessionToken", "session-token", "AUTH", "token", "access_token", "apikey",
             "X-Api-Key", "refreshToken", "client_secret", "password", "jwt"],
)  # fmt: skip
def test_query_names_outside_the_old_list_are_secret(name: str) -> None:
    seen: list[str] = []
    shown = redact_query(f"room_id=my-room&{name}=CanaryValue0123456789", seen)
    assert "CanaryValue0123456789" not in shown and "room_id=my-room" in shown
    assert seen == ["CanaryValue0123456789"]


def test_key_shaped_values_are_secret_under_any_name() -> None:
    assert redact_query("note=nk_live_0123456789abcdef") == "note=nk_live_…cdef"
    assert redact_query("monkey=banana&room_id=abc") == "monkey=banana&room_id=abc"


def test_referer_query_and_path_are_redacted() -> None:
    shown = redact_header(
        "Referer",
        "http://localhost:3000/k/nk_live_0123456789abcdef?session_token=Tok0123456789xyz&p=2",
    )
    assert shown == "http://localhost:3000/k/nk_live_…cdef?session_token=Tok0…9xyz&p=2"


def test_subprotocol_tokens_are_fingerprinted_and_names_kept() -> None:
    value = "chat, graphql-transport-ws, v10.stomp, eyJhbGciOiJIUzI1NiJ9.e30.sig, Bearer0123456789"
    assert redact_protocols(value) == (
        "chat, graphql-transport-ws, v10.stomp, eyJh….sig, Bear…6789"
    )
