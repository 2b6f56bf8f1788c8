from nanodev.record.events import (
    CLOSE_MEANINGS,
    EVENT_TYPES,
    SCHEMA_VERSION,
    AuthDecided,
    AuthStep,
    close_meaning,
)


def test_to_json_is_plain_and_versioned() -> None:
    event = AuthDecided(
        5,
        1.0,
        "refused",
        None,
        None,
        "room-1",
        (AuthStep("key query", True, "used", "nk_live_…abcd"),),
        401,
        "key expired",
        "make a new key",
    )
    data = event.to_json()
    assert data["kind"] == "auth" and data["v"] == SCHEMA_VERSION
    assert data["trace"] == [
        {"source": "key query", "present": True, "outcome": "used", "detail": "nk_live_…abcd"}
    ]


def test_every_kind_is_registered_once() -> None:
    assert all(cls.kind == kind for kind, cls in EVENT_TYPES.items())


def test_close_meanings() -> None:
    assert "handshake was refused" in close_meaning(1006)
    assert close_meaning(4001) == "application-defined close code"
    assert close_meaning(2999) == "unassigned close code"
    assert close_meaning(None) == "no close code"
    assert {1000, 1001, 1006, 1008, 1011, 1012} <= set(CLOSE_MEANINGS)
