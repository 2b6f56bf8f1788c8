"""Pure origin checks: an Origin trusted for a cookie request parses as exactly
scheme://host[:port], on the scheme nanodev serves, on this host."""

from __future__ import annotations

import pytest

from nanodev.origins import origin_allowed, trusted_origin


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:3000", "http://127.0.0.1:8787", "http://[::1]:5173", "HTTP://LOCALHOST",
     "http://localhost"],
)  # fmt: skip
def test_this_host_on_any_port_is_trusted(origin: str) -> None:
    assert trusted_origin(origin, "127.0.0.1:3000", "http")


@pytest.mark.parametrize(
    "origin",
    [
        "https://localhost:3000",  # the other scheme is another origin
        "http://127.0.0.1:99999",  # no such port
        "http://127.0.0.1:0",
        "http://127.0.0.1:x",
        "http://[::1",  # cannot be parsed
        "http://",
        "null",
        "localhost:3000",
        "http://localhost:3000/app",  # an Origin has no path
        "http://user@localhost:3000",
        "http://evil.example",
        "ftp://localhost",
    ],
)
def test_anything_else_is_not(origin: str) -> None:
    assert not trusted_origin(origin, "127.0.0.1:3000", "http")


def test_configured_origins_are_trusted_as_written() -> None:
    assert trusted_origin("https://app.example", "127.0.0.1:3000", "http", ("https://app.example",))


def test_origin_allowed_refuses_a_bad_port_and_the_other_scheme() -> None:
    assert not origin_allowed("http://localhost:99999/x", "localhost:3000")
    assert not origin_allowed("https://localhost/x", "localhost:3000", scheme="http")
    assert origin_allowed("https://localhost/x", "localhost:3000")  # a callbackURL, any scheme
