"""Host allow-list and same-origin checks: pure vectors, then the middleware on a real server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from nanodev.gateway.guard import host_allowed, is_loopback_client
from nanodev.origins import origin_allowed, same_origin, split_host
from tests.conftest import Nano

ALLOWED = ["localhost", "localhost:3000", "127.0.0.1", "127.0.0.1:8787", "[::1]", "[::1]:3000"]
REFUSED = [
    "",
    "evil.example",
    "evil.example:3000",
    "localhost.evil.example",
    "localhost6",
    "localhost.",
    "127.1",
    "127.1:3000",
    "0x7f000001",
    "2130706433",
    "0177.0.0.1",
    "127.0.0.1.nip.io",
    "a@127.0.0.1",
    "user:pw@localhost:3000",
    "127.0.0.2",
    "[::2]",
    "::1",
    "localhost:",
    "localhost:99999",
    "localhost:3000:1",
    "localhost/x",
]


@pytest.mark.parametrize("host", ALLOWED)
def test_loopback_names_are_allowed_on_any_port(host: str) -> None:
    assert host_allowed(host)


@pytest.mark.parametrize("host", REFUSED)
def test_foreign_and_ambiguous_hosts_are_refused(host: str) -> None:
    assert not host_allowed(host)


def test_extra_hosts_are_exact_names() -> None:
    assert host_allowed("dev.test:3000", ("dev.test",))
    assert not host_allowed("sub.dev.test:3000", ("dev.test",))


def test_split_host() -> None:
    assert split_host("LocalHost:3000") == ("localhost", "3000")
    assert split_host("[::1]") == ("[::1]", "")
    assert split_host("[::1") is None


def test_same_origin_and_loopback_client() -> None:
    assert same_origin("http://127.0.0.1:3000", "127.0.0.1:3000")
    assert not same_origin("http://evil.example", "127.0.0.1:3000")
    assert not same_origin("null", "127.0.0.1:3000")
    assert not same_origin("https://127.0.0.1:3000", "127.0.0.1:3000")
    assert is_loopback_client("127.0.0.1") and is_loopback_client("::1")
    assert not is_loopback_client("192.0.2.1") and not is_loopback_client(None)


async def _raw_get(port: int, host: str, path: str = "/health") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data.split(b" ", 2)[1])
    return status, data


@pytest.mark.parametrize("path", ["/health", "/__nanodev/", "/__nanodev/api/flows", "/"])
async def test_foreign_host_refused_on_every_route(nano: Nano, path: str) -> None:
    port = nano.server.port
    assert port is not None
    status, body = await _raw_get(port, f"evil.example:{port}", path)
    assert status == 403
    assert b"DNS rebinding" in body
    status, _ = await _raw_get(port, f"127.1:{port}", path)
    assert status == 403
    status, body = await _raw_get(port, f"localhost:{port}", path)
    assert status in (200, 404)
    assert b"Cross-Origin-Resource-Policy: same-origin" in body


async def test_allowed_hosts_setting(make_nano: Callable[..., Awaitable[Nano]]) -> None:
    nano = await make_nano(allowed_hosts=("dev.test",))
    port = nano.server.port
    assert port is not None
    assert (await _raw_get(port, f"dev.test:{port}"))[0] == 200
    assert (await _raw_get(port, f"other.test:{port}"))[0] == 403


@pytest.mark.parametrize(
    ("origin", "host", "ok"),
    [
        ("http://127.0.0.1:3000", "127.0.0.1:8787", True),
        ("http://localhost:5173", "127.0.0.1:3000", True),
        ("http://[::1]:3000", "localhost:8787", True),
        ("http://devbox.lan:3000", "devbox.lan:8787", True),
        ("https://evil.example", "127.0.0.1:3000", False),
        ("http://127.0.0.1.evil.example", "127.0.0.1:3000", False),
        ("null", "127.0.0.1:3000", False),
        ("javascript://127.0.0.1", "127.0.0.1:3000", False),
    ],
)
def test_origin_allowed_any_port_of_the_same_host(origin: str, host: str, ok: bool) -> None:
    assert origin_allowed(origin, host) is ok


def test_extra_trusted_origins() -> None:
    assert origin_allowed("https://app.example", "127.0.0.1:3000", ("https://app.example/",))
