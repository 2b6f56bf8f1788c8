import hashlib
import unicodedata

from nanodev.betterauth.passwords import hash_password, verify_password


def test_format_is_better_auths_salt_colon_key() -> None:
    stored = hash_password("correct horse")
    salt, key = stored.split(":")
    assert len(salt) == 32 and len(key) == 128
    expected = hashlib.scrypt(
        b"correct horse", salt=salt.encode(), n=16384, r=16, p=1, dklen=64, maxmem=64 << 20
    ).hex()
    assert key == expected


def test_verify() -> None:
    stored = hash_password("correct horse")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "Correct horse")
    assert not verify_password("garbage", "correct horse")
    assert not verify_password(":", "x")


def test_passwords_are_nfkc_normalised() -> None:
    composed = unicodedata.normalize("NFC", "café pass")
    decomposed = unicodedata.normalize("NFD", "café pass")
    assert verify_password(hash_password(composed), decomposed)
