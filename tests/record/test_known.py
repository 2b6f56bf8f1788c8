"""Known secrets: masked wherever they appear in a record, whatever the field."""

from __future__ import annotations

from nanodev.record.events import AuthDecided, AuthStep, RequestReceived
from nanodev.record.known import KnownSecrets
from nanodev.record.recorder import Recorder
from nanodev.record.redaction import fingerprint

TOKEN = "Abcdefghijklmnopqrstuvwxyz012345"


def test_mask_replaces_only_known_values() -> None:
    known = KnownSecrets()
    assert known.mask(f"SELECT '{TOKEN}'") == f"SELECT '{TOKEN}'"
    known.add([TOKEN, "short"])
    assert "short" not in known
    assert known.mask(f"SELECT '{TOKEN}', 'Zbcdefghijklmnopqrstuvwxyz012345'") == (
        f"SELECT '{fingerprint(TOKEN)}', 'Zbcdefghijklmnopqrstuvwxyz012345'"
    )
    text = "nothing to see"
    assert known.mask(text) is text


def test_the_set_is_bounded_oldest_first() -> None:
    known = KnownSecrets(limit=2)
    known.add(["a" * 16, "b" * 16, "c" * 16])
    assert "a" * 16 not in known and "c" * 16 in known


def test_recorder_scrubs_every_field_of_a_record() -> None:
    recorder = Recorder(100)
    recorder.known.add([TOKEN])
    recorder.record(
        RequestReceived(
            1, 0.0, "GET", f"/x/{TOKEN}", "", {"referer": f"/?t={TOKEN}"}, "", "page", False
        )
    )
    step = AuthStep("session_token", True, "rejected", f"unknown session {TOKEN}")
    recorder.record(AuthDecided(1, 0.0, "refused", None, None, "r", (step,), 401, f"c {TOKEN}", ""))
    stored = str([event.to_json() for _, event in recorder.events])
    assert TOKEN not in stored and stored.count(fingerprint(TOKEN)) == 4
