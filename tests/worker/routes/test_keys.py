"""The API-key routes' pure input rules."""

from __future__ import annotations

from typing import Any

import pytest

from nanodev.worker.routes.keys import (
    KeySpec,
    ListQuery,
    key_json,
    parse_generate,
    parse_list_query,
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, KeySpec("Unnamed Key", 90, ("read", "write"))),
        ({"name": " \x01 "}, KeySpec("Unnamed Key", 90, ("read", "write"))),
        ({"name": 5, "expiresInDays": "2.5", "scopes": []}, KeySpec("5", 2.5, ())),
        ({"scopes": "admin"}, KeySpec("Unnamed Key", 90, ("read", "write"))),
        ({"expiresInDays": 0}, "expiresInDays must be a positive number"),
        ({"expiresInDays": "x"}, "expiresInDays must be a positive number"),
        ({"expiresInDays": 365.5}, "expiresInDays cannot exceed 365 days"),
        ({"scopes": ["read", 1]}, "Invalid scopes: 1. Valid scopes are: read, write, admin"),
    ],
)
def test_parse_generate(body: dict[str, Any], expected: Any) -> None:
    assert parse_generate(body) == expected


def test_parse_list_query() -> None:
    assert parse_list_query({}) == ListQuery(False, 100, 0)
    assert parse_list_query(
        {"limit": "500", "offset": "-3", "includeExpired": "true"}
    ) == ListQuery(True, 100, 0)
    assert parse_list_query({"offset": "x"}) == "offset must be a whole number, got 'x'"


def test_key_json_scopes_and_expiry() -> None:
    row = {
        "id": "nk_1",
        "name": "n",
        "created_at": 1,
        "last_used_at": None,
        "expires_at": 5,
        "scopes": None,
    }
    assert key_json(row, 10)["scopes"] == ["read", "write"]
    assert key_json(row, 10)["is_expired"] is True
    assert key_json({**row, "expires_at": None, "scopes": "read,write"}, 10)["is_expired"] is None
