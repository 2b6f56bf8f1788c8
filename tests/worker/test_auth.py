import itertools

import pytest

from nanodev.authdb.rows import KeyRow, SessionRow
from nanodev.worker.auth import (
    Credentials,
    choose_key,
    extract_credentials,
    judge_key,
    judge_session,
)

SOURCES = ("header_key", "api_key_param", "key_param")
NAMES = {
    "header_key": "X-Nano-Key header",
    "api_key_param": "api_key query",
    "key_param": "key query",
}


@pytest.mark.parametrize(
    "combo",
    [c for n in range(4) for c in itertools.product(("absent", "nk", "other"), repeat=3)][:27],
)
def test_choose_key_every_combination(combo):
    values = {
        src: (None if kind == "absent" else f"{kind}_value_{src}")
        for src, kind in zip(SOURCES, combo, strict=True)
    }
    values = {k: (v.replace("nk_value", "nk_live_value") if v else v) for k, v in values.items()}
    choice = choose_key(Credentials(**values))
    present = [src for src in SOURCES if values[src] is not None]
    if not present:
        assert choice.key is None
        assert all(step.outcome == "absent" for step in choice.steps)
        return
    first = present[0]
    if values[first].startswith("nk_"):
        assert choice.key == values[first]
        assert choice.source == NAMES[first]
        assert choice.steps[0].outcome == "used"
    else:
        # a non-nk_ first candidate hides every later source, as in production
        assert choice.key is None
        assert choice.steps[0].outcome == "skipped"
        for later in present[1:]:
            assert NAMES[later] in choice.steps[0].detail
    ignored = {s.source for s in choice.steps if s.outcome == "ignored"}
    assert ignored == {NAMES[s] for s in present[1:]}


def test_trace_never_holds_a_full_key():
    key = "nk_live_0123456789abcdef0123456789abcdef"
    choice = choose_key(Credentials(header_key="bogus-header-value", key_param=key))
    text = " ".join(s.detail for s in choice.steps)
    assert key not in text
    assert "nk_live_…cdef" in text


def test_extract_credentials_reads_every_source():
    creds = extract_credentials(
        {"X-Nano-Key": "nk_h", "Cookie": "better-auth.session_token=t.s"},
        {"api_key": "nk_a", "key": "nk_k", "session_token": "tok"},
    )
    assert creds == Credentials("nk_h", "nk_a", "nk_k", "better-auth.session_token", "t.s", "tok")
    assert set(creds.secrets) == {"nk_h", "nk_a", "nk_k", "t.s", "tok"}


def test_empty_values_are_absent():
    assert extract_credentials({"X-Nano-Key": ""}, {"key": ""}) == Credentials()


NOW = 1_800_000_000_000


@pytest.mark.parametrize(
    ("row", "verdict"),
    [
        (None, "invalid"),
        (KeyRow("nk_1", "u", None), "ok"),
        (KeyRow("nk_1", "u", NOW + 1000), "ok"),
        (KeyRow("nk_1", "u", NOW), "ok"),
        (KeyRow("nk_1", "u", NOW - 1), "expired"),
        (KeyRow("nk_1", "u", NOW + 1000, revoked_at=NOW - 5), "invalid"),
    ],
)
def test_judge_key(row, verdict):
    judged = judge_key(row, NOW)
    assert judged.verdict == verdict
    if row is not None and row.revoked_at:
        assert "revoked" in judged.detail


def test_judge_session():
    assert judge_session(None, 100).verdict == "invalid"
    assert judge_session(SessionRow("t", "u", 200), 100).verdict == "ok"
    assert judge_session(SessionRow("t", "u", 99), 100).verdict == "expired"
