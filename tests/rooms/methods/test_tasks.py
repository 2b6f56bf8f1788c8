"""Task RPC rules: paging like parseInt, titles like sanitizeString, the listTasks filter."""

from __future__ import annotations

from typing import Any

import pytest

from nanodev.rooms.methods.tasks import page_args, title_of, visible
from tests.conftest import Nano, rpc


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, (100, 0)),
        ({"limit": "abc", "offset": "x"}, (100, 0)),
        ({"limit": 5000, "offset": -2}, (1000, 0)),
        ({"limit": "20", "offset": 40}, (20, 40)),
        ({"limit": 0}, (100, 0)),
    ],
)
def test_page_args(payload: dict[str, Any], expected: tuple[int, int]) -> None:
    assert page_args(payload) == expected


def test_title_and_visibility() -> None:
    assert title_of({"title": 42}) == "42"
    with pytest.raises(ValueError, match="Required field is missing"):
        title_of({"title": " \x00 "})
    assert visible({"owner_id": None}, "u") and visible({"owner_id": "u"}, "u")
    assert not visible({"owner_id": "v"}, "u")


async def test_list_tasks_shows_only_the_callers_rows(nano: Nano) -> None:
    ada = await nano.connect("shared")
    bob = await nano.connect("shared", await nano.key("bob@example.com"))
    await rpc(ada, "createTask", {"title": "ada's"}, "a")
    await rpc(bob, "createTask", {"title": "bob's"}, "b")
    reply, _ = await rpc(ada, "listTasks", {"limit": 10}, "l")
    assert [t["title"] for t in reply["data"]] == ["ada's"] and reply["total"] == 1
    assert reply["pagination"] == {"limit": 10, "offset": 0, "total": 1}
