import pytest

from nanodev.ids import do_id, parse_duration, random_id


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("90s", 90),
        ("15m", 900),
        ("12h", 43200),
        ("7d", 604800),
        ("2w", 1209600),
        ("1.5h", 5400),
        (" 30d ", 2592000),
    ],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "7y", "-1d", "d7", "1 day"])
def test_bad_durations_name_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"use e\.g\. 90s, 15m, 12h, 7d or 2w"):
        parse_duration(text)


def test_ids() -> None:
    ids = {random_id() for _ in range(100)}
    assert len(ids) == 100 and all(len(i) == 32 and i.isalnum() for i in ids)
    assert len(do_id("room")) == 64 and do_id("room") == do_id("room") != do_id("room2")
