"""The room registry routes' pure rules, and list ordering over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from nanodev.worker.routes.rooms import NewRoom, parse_create, room_limit


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"roomId": " my-app\x00 "}, NewRoom("my-app", "my-app")),
        ({"roomId": "my-app", "name": "My App"}, NewRoom("my-app", "My App")),
        ({}, "Room ID must be at least 3 characters"),
        ({"roomId": "x" * 51}, "Room ID must be at most 50 characters"),
        ({"roomId": "ok-id", "name": "n" * 101}, "Room name must be at most 100 characters"),
    ],
)
def test_parse_create(body: dict[str, Any], expected: Any) -> None:
    assert parse_create(body) == expected


def test_room_limit_treats_zero_as_missing() -> None:
    assert (room_limit(None, 3), room_limit(0, 3), room_limit(10, 3)) == (3, 3, 10)
