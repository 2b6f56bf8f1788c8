"""`--upstream`: nanodev in front of a stand-in Worker (a second aiohttp app on loopback) with
fault modes; every fault gives its documented status or close and an inspector row."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import hashlib
import ipaddress
import json
import os
import random
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from nanodev.record.events import Closed, Frame, Responded, Rewritten, UpstreamFailed
from nanodev.upstream.relay import describe_failure, forward_headers, upstream_path
from nanodev.upstream.sockets import sendable_close
from tests.compressing_front import FRONT, make_front
from tests.conftest import Nano, free_port, wait_for
from tests.fake_worker import SEEN, Seen, make_app

MakeNano = Callable[..., Awaitable[Nano]]


@pytest.fixture
async def worker() -> AsyncIterator[TestServer]:
    server = TestServer(make_app(), host="127.0.0.1", port=0)
    await server.start_server()
    yield server
    await server.close()


def seen(server: TestServer) -> Seen:
    return server.app[SEEN]  # type: ignore[index]


async def relayed(make_nano: MakeNano, worker: TestServer, **kw: Any) -> Nano:
    return await make_nano(upstream=f"http://127.0.0.1:{worker.port}", **kw)


def events(nano: Nano, kind: type[Any]) -> list[Any]:
    return [e for _, e in nano.core.recorder.since(0) if isinstance(e, kind)]


# -- pure -------------------------------------------------------------------------------------
def test_upstream_path_strips_only_the_ws_prefix() -> None:
    assert upstream_path("/__ws/websocket") == "/websocket"
    assert upstream_path("/__ws") == "/"
    assert upstream_path("/__wsx/websocket") == "/__wsx/websocket"
    assert upstream_path("/api/keys/list") == "/api/keys/list"
    assert upstream_path("/__ws/a%2Fb") == "/a%2Fb"


def test_forward_headers_replace_forwarding_claims_and_drop_hop_by_hop() -> None:
    incoming = {
        "Host": "attacker.invalid",
        "X-Forwarded-Host": "attacker.invalid",
        "Connection": "Upgrade, X-Secret-Hop",
        "X-Secret-Hop": "1",
        "Upgrade": "websocket",
        "Sec-WebSocket-Key": "abc",
        "Origin": "http://127.0.0.1:3000",
        "Cookie": "a=b",
        "Accept-Encoding": "br",
    }
    out = forward_headers(
        incoming, host="127.0.0.1:3000", scheme="http", remote="127.0.0.1", websocket=True
    )
    assert "Host" not in out and "X-Secret-Hop" not in out and "Upgrade" not in out
    assert "Sec-WebSocket-Key" not in out
    assert out["X-Forwarded-Host"] == "127.0.0.1:3000"
    assert out["Origin"] == "http://127.0.0.1:3000"  # never rewritten silently
    assert out["Cookie"] == "a=b"
    assert out["Accept-Encoding"] == "br"  # the client's own, never widened


def test_sendable_close_codes() -> None:
    assert sendable_close(4001, 1000) == 4001
    assert sendable_close(1000, 1011) == 1000
    for missing in (None, 1005, 1006, 1015, 999, 2000):
        assert sendable_close(missing, 1011) == 1011


def test_describe_failure_names_the_upstream_and_status() -> None:
    origin = "http://127.0.0.1:8787"
    slow = describe_failure(origin, TimeoutError(), 2.0)
    assert slow.status == 504 and origin in slow.message and "2 s" in slow.message
    gone = describe_failure(origin, aiohttp.ServerDisconnectedError(), 2.0)
    assert gone.status == 502 and "closed the connection" in gone.message
    reset = describe_failure(origin, ConnectionResetError(104, "Connection reset by peer"), 2.0)
    assert reset.status == 502 and "reset" in reset.message


# -- HTTP -------------------------------------------------------------------------------------
async def test_http_goes_to_the_fixed_upstream_whatever_host_says(
    make_nano: MakeNano, worker: TestServer
) -> None:
    nano = await relayed(make_nano, worker)
    body = os.urandom(200_000)
    async with nano.session.post(
        nano.base + "/__ws/api/echo?x=1",
        data=body,
        headers={"X-Forwarded-Host": "127.0.0.1:9", "Origin": "http://127.0.0.1:3000"},
    ) as resp:
        assert resp.status == 200
        facts = await resp.json()
        assert resp.headers["X-Worker"] == "fake"
        assert "worker=1" in resp.headers.getall("Set-Cookie")[0]
    assert facts["path_qs"] == "/api/echo?x=1"
    assert facts["host"] == f"127.0.0.1:{worker.port}"
    assert facts["x_forwarded_host"] == f"127.0.0.1:{nano.server.port}"
    assert facts["origin"] == "http://127.0.0.1:3000"
    assert facts["body_sha"] == hashlib.sha256(body).hexdigest()
    rewrites = [e for e in events(nano, Rewritten) if e.destination == "upstream"]
    assert rewrites and rewrites[-1].target.startswith(f"http://127.0.0.1:{worker.port}/api/echo")
    responded = events(nano, Responded)[-1]
    assert responded.status == 200 and '"method": "POST"' in responded.body


async def test_absolute_form_request_target_cannot_change_the_upstream(
    make_nano: MakeNano, worker: TestServer
) -> None:
    nano = await relayed(make_nano, worker)
    reader, writer = await asyncio.open_connection("127.0.0.1", nano.server.port)
    writer.write(
        b"GET http://127.0.0.1:9/api/echo HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"
        b"Connection: close\r\n\r\n"
    )
    raw = await reader.read()
    writer.close()
    head = raw.split(b"\r\n", 1)[0]
    if b" 200 " in head:  # answered: it must have been the fixed upstream
        assert seen(worker).requests[-1]["path_qs"] == "/api/echo"
    else:
        assert b" 400 " in head or b" 403 " in head


async def test_redirects_are_passed_back_not_followed(
    make_nano: MakeNano, worker: TestServer
) -> None:
    nano = await relayed(make_nano, worker)
    async with nano.session.get(nano.base + "/api/redirect", allow_redirects=False) as resp:
        assert resp.status == 302
        assert resp.headers["Location"] == "http://127.0.0.1:9/elsewhere"


async def test_large_streamed_body_arrives_whole(make_nano: MakeNano, worker: TestServer) -> None:
    nano = await relayed(make_nano, worker)
    size = 3 * 1024 * 1024 + 17
    async with nano.session.get(nano.base + f"/api/big?size={size}") as resp:
        data = await resp.read()
    assert len(data) == size and data[:256] == bytes(range(256))


async def test_refused_upstream_is_502_naming_it_and_nanodev_keeps_serving(
    make_nano: MakeNano,
) -> None:
    port = free_port()
    nano = await make_nano(upstream=f"http://127.0.0.1:{port}")
    async with nano.session.get(nano.base + "/api/keys/list") as resp:
        assert resp.status == 502
        text = await resp.text()
    assert f"127.0.0.1:{port}" in text and "cannot connect" in text
    failed = events(nano, UpstreamFailed)
    assert failed and failed[-1].upstream == f"http://127.0.0.1:{port}"
    assert events(nano, Responded)[-1].cause.startswith("cannot connect")
    async with nano.session.get(nano.base + "/__nanodev/api/flows") as resp:
        assert resp.status == 200  # nanodev itself still answers
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await nano.session.ws_connect(nano.ws_url(room_id="r"))
    assert info.value.status == 502
    async with nano.session.get(nano.base + "/") as resp:
        assert resp.status == 200  # the frontend is not worker traffic: still served locally


async def test_slow_upstream_is_504(make_nano: MakeNano, worker: TestServer) -> None:
    nano = await relayed(make_nano, worker, upstream_timeout=0.3)
    async with nano.session.get(nano.base + "/api/echo?delay=2") as resp:
        assert resp.status == 504
        assert "did not answer within 0.3 s" in await resp.text()
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await nano.session.ws_connect(nano.ws_url(room_id="r", delay="2"))
    assert info.value.status == 504
    assert len(events(nano, UpstreamFailed)) == 2


async def test_reset_before_answer_is_502(make_nano: MakeNano, worker: TestServer) -> None:
    nano = await relayed(make_nano, worker)
    async with nano.session.get(nano.base + "/api/reset") as resp:
        assert resp.status == 502
        assert f"127.0.0.1:{worker.port}" in await resp.text()
    assert events(nano, UpstreamFailed)


# -- WebSocket --------------------------------------------------------------------------------
async def test_refused_handshake_keeps_the_upstreams_status_and_body(
    make_nano: MakeNano, worker: TestServer
) -> None:
    nano = await relayed(make_nano, worker)
    async with nano.session.get(
        nano.ws_url(room_id=""),
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    ) as resp:
        assert resp.status == 400
        assert await resp.text() == "Missing room_id query parameter"
    responded = events(nano, Responded)[-1]
    assert responded.status == 400 and responded.body == "Missing room_id query parameter"
    assert not events(nano, UpstreamFailed)  # a refusal is the Worker's answer, not a failure


async def test_frames_and_close_codes_both_ways(make_nano: MakeNano, worker: TestServer) -> None:
    nano = await relayed(make_nano, worker)
    ws = await nano.session.ws_connect(nano.ws_url(room_id="room-a", key="nk_live_secretvalue1"))
    await ws.send_str('{"action":"ping"}')
    assert (await ws.receive(timeout=5)).data == '{"action":"ping"}'
    await ws.send_bytes(b"\x00\x01")
    assert (await ws.receive(timeout=5)).data == b"\x00\x01"
    await ws.send_str("close:4001:bye from worker")
    msg = await ws.receive(timeout=5)
    assert msg.type is WSMsgType.CLOSE and msg.data == 4001 and msg.extra == "bye from worker"
    await ws.close()
    await wait_for(lambda: bool(events(nano, Closed)))
    closed = events(nano, Closed)[-1]
    assert (closed.code, closed.by, closed.room) == (4001, "upstream", "room-a")
    frames = events(nano, Frame)
    assert [(f.direction, f.opcode) for f in frames[:4]] == [
        ("in", "text"),
        ("out", "text"),
        ("in", "binary"),
        ("out", "binary"),
    ]
    rows = nano.core.recorder.flows
    assert all("secretvalue1" not in (r.query + r.target) for r in rows.values())

    ws = await nano.session.ws_connect(nano.ws_url(room_id="room-b"))
    await ws.close(code=4002, message=b"bye from client")
    await wait_for(lambda: len(seen(worker).closes) == 2)
    assert seen(worker).closes[1][0] == 4002  # the worker saw the client's own code
    await wait_for(lambda: len(events(nano, Closed)) == 2)
    assert (events(nano, Closed)[-1].code, events(nano, Closed)[-1].by) == (4002, "client")


@pytest.mark.parametrize("fault", ["garbage", "reset"])
async def test_broken_upstream_socket_closes_1011_with_a_row(
    make_nano: MakeNano, worker: TestServer, fault: str
) -> None:
    nano = await relayed(make_nano, worker)
    ws = await nano.session.ws_connect(nano.ws_url(room_id="r"))
    await ws.send_str(fault)
    msg = await ws.receive(timeout=5)
    assert msg.type is WSMsgType.CLOSE and msg.data == 1011
    assert f"upstream http://127.0.0.1:{worker.port}" in msg.extra
    failed = events(nano, UpstreamFailed)
    assert failed and "broke the socket" in failed[-1].error
    await wait_for(lambda: bool(events(nano, Closed)))
    assert events(nano, Closed)[-1].code == 1011
    other = await nano.session.ws_connect(nano.ws_url(room_id="r"))  # everyone else is fine
    await other.send_str("still here")
    assert (await other.receive(timeout=5)).data == "still here"
    await other.close()


async def test_200_random_messages_arrive_byte_identical(
    make_nano: MakeNano, worker: TestServer
) -> None:
    nano = await relayed(make_nano, worker, max_message_bytes=2 << 20)
    rng = random.Random(6)
    sizes = [0, 1 << 20] + [
        rng.choice((rng.randint(0, 4096), rng.randint(0, 1 << 20))) for _ in range(198)
    ]
    async with nano.session.ws_connect(nano.ws_url(room_id="r"), max_msg_size=4 << 20) as ws:
        for i, size in enumerate(sizes):
            if i % 2:
                payload: str | bytes = os.urandom(size)
                await ws.send_bytes(payload)
            else:
                payload = os.urandom(size // 2 + 1).hex()[:size]
                await ws.send_str(payload)
            msg = await ws.receive(timeout=10)
            assert msg.data == payload, f"message {i} ({size} B) changed on the way"
    assert len([f for f in events(nano, Frame) if f.direction == "in"]) == 200


async def test_the_message_size_limit_admits_exactly_the_limit(
    make_nano: MakeNano, worker: TestServer
) -> None:
    nano = await relayed(make_nano, worker, max_message_bytes=4096)
    async with nano.session.ws_connect(nano.ws_url(room_id="r")) as ws:
        await ws.send_str("y" * 4096)  # echoed by the stand-in: passes both legs
        assert (await ws.receive(timeout=5)).data == "y" * 4096
        await ws.send_str("y" * 4097)
        msg = await ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 1009, msg


async def test_slow_reader_applies_back_pressure(make_nano: MakeNano, worker: TestServer) -> None:
    nano = await relayed(make_nano, worker, max_message_bytes=2 << 20)
    count, size = 200, 1 << 20
    async with nano.session.ws_connect(nano.ws_url(room_id="r"), max_msg_size=4 << 20) as ws:
        await ws.send_str(f"flood:{count}:{size}")
        await asyncio.sleep(1.5)  # the client reads nothing meanwhile
        stalled_at = seen(worker).flood_sent
        assert stalled_at < count // 2, f"upstream sent {stalled_at} MiB into a reader that waits"
        for _ in range(count):
            msg = await ws.receive(timeout=10)
            assert len(msg.data) == size
    assert seen(worker).flood_sent == count


# -- TLS --------------------------------------------------------------------------------------
def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, its own CA (cryptography package)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
async def tls_worker(tmp_path: Path) -> AsyncIterator[tuple[int, Path, list[str]]]:
    cert, key = self_signed(tmp_path)
    names: list[str] = []
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    ctx.sni_callback = lambda sock, name, _: names.append(name or "") or None  # type: ignore[func-returns-value]
    runner = web.AppRunner(make_app())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=ctx).start()
    yield port, cert, names
    await runner.cleanup()


async def test_https_upstream_with_sni(
    make_nano: MakeNano,
    tls_worker: tuple[int, Path, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, cert, names = tls_worker
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the stand-in's own CA
    nano = await make_nano(upstream=f"https://localhost:{port}")
    async with nano.session.get(nano.base + "/api/echo") as resp:
        assert resp.status == 200
        assert (await resp.json())["host"] == f"localhost:{port}"
    async with nano.session.ws_connect(nano.ws_url(room_id="r")) as ws:
        await ws.send_str("over tls")
        assert (await ws.receive(timeout=5)).data == "over tls"
    assert names and set(names) == {"localhost"}  # SNI carried the upstream's name


async def test_untrusted_certificate_is_a_502_naming_tls(
    make_nano: MakeNano,
    tls_worker: tuple[int, Path, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    port, _, _ = tls_worker
    (tmp_path / "other").mkdir()
    other, _ = self_signed(tmp_path / "other")
    monkeypatch.setenv("SSL_CERT_FILE", str(other))  # trusts a different certificate
    nano = await make_nano(upstream=f"https://localhost:{port}")
    async with nano.session.get(nano.base + "/api/echo") as resp:
        assert resp.status == 502
        text = await resp.text()
    assert "TLS handshake with upstream https://localhost:" in text
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await nano.session.ws_connect(nano.ws_url(room_id="r"))
    assert info.value.status == 502
    assert all("TLS" in e.error for e in events(nano, UpstreamFailed))


# -- content codings ----------------------------------------------------------------------------
@pytest.fixture
async def gzip_front(worker: TestServer) -> AsyncIterator[TestServer]:
    """The fake Worker behind a front that gzips for clients that accept it (as a CDN does)."""
    server = TestServer(make_front(f"http://127.0.0.1:{worker.port}"), host="127.0.0.1", port=0)
    await server.start_server()
    yield server
    await server.close()


async def inspector_flow(nano: Nano, path: str) -> dict[str, Any]:
    async with nano.session.get(nano.base + "/__nanodev/api/flows") as resp:
        rows = (await resp.json())["flows"]
    row = next(r for r in rows if r["path"] == path)
    async with nano.session.get(nano.base + f"/__nanodev/api/flows/{row['id']}") as resp:
        detail: dict[str, Any] = await resp.json()
    detail["row"] = row
    return detail


async def test_a_client_without_accept_encoding_gets_an_uncompressed_body(
    make_nano: MakeNano, gzip_front: TestServer
) -> None:
    nano = await make_nano(upstream=f"http://127.0.0.1:{gzip_front.port}")
    async with nano.session.get(
        nano.base + "/api/echo", skip_auto_headers=("Accept-Encoding",), auto_decompress=False
    ) as resp:
        assert "Content-Encoding" not in resp.headers
        assert (await resp.json())["path_qs"] == "/api/echo"
    assert gzip_front.app[FRONT].accept_encodings == [None]  # the relay added none of its own


async def test_the_clients_own_accept_encoding_is_forwarded_and_the_record_decoded(
    make_nano: MakeNano, gzip_front: TestServer
) -> None:
    nano = await make_nano(upstream=f"http://127.0.0.1:{gzip_front.port}")
    async with nano.session.get(
        nano.base + "/api/echo", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
    ) as resp:
        assert resp.headers["Content-Encoding"] == "gzip"  # passed on as the client asked
        assert json.loads(gzip.decompress(await resp.read()))["path_qs"] == "/api/echo"
    assert gzip_front.app[FRONT].accept_encodings == ["gzip"]
    responded = events(nano, Responded)[-1]
    assert responded.encoding == "gzip" and json.loads(responded.body)["path_qs"] == "/api/echo"


async def test_a_compressed_refusal_is_readable_and_explained_like_an_emulated_one(
    make_nano: MakeNano, gzip_front: TestServer
) -> None:
    relayed_nano = await make_nano(upstream=f"http://127.0.0.1:{gzip_front.port}")
    emulated = await make_nano()
    for nano in (relayed_nano, emulated):
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await nano.session.ws_connect(
                nano.ws_url(room_id=""), headers={"Accept-Encoding": "gzip, deflate, br"}
            )
        assert info.value.status == 400
    relayed_detail = await inspector_flow(relayed_nano, "/__ws/websocket")
    emulated_detail = await inspector_flow(emulated, "/__ws/websocket")
    assert relayed_detail["response"]["body"] == "Missing room_id query parameter"
    assert relayed_detail["response"]["encoding"] == "gzip"
    assert relayed_detail["explanation"] == emulated_detail["explanation"]
    assert relayed_detail["row"]["explanation"] == emulated_detail["row"]["explanation"]
    assert "room_id is present but empty" in relayed_detail["explanation"]["cause"]


async def test_relayed_401_is_explained_from_the_workers_text(
    make_nano: MakeNano, worker: TestServer
) -> None:
    nano = await relayed(make_nano, worker)
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await nano.session.ws_connect(nano.ws_url(room_id="abc", key="nk_refused"))
    detail = await inspector_flow(nano, "/__ws/websocket")
    assert detail["response"]["body"] == "API key expired"
    assert "the API key has expired" in detail["explanation"]["cause"]
    assert "Create a new key" in detail["explanation"]["fix"]


async def test_a_chunked_gzip_answer_is_recorded_decoded(
    make_nano: MakeNano, worker: TestServer
) -> None:
    nano = await relayed(make_nano, worker)
    async with nano.session.get(
        nano.base + "/api/chunked", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
    ) as resp:
        assert resp.status == 401 and resp.headers["Content-Encoding"] == "gzip"
        raw = await resp.read()
    assert json.loads(gzip.decompress(raw))["error"] == "Unauthorized. Please log in."
    responded = events(nano, Responded)[-1]
    assert responded.encoding == "gzip" and responded.body.startswith('{"error": "Unauthorized.')
    detail = await inspector_flow(nano, "/api/chunked")
    assert "no signed-in session reached the Worker" in detail["explanation"]["cause"]
    async with nano.session.get(
        nano.base + "/api/chunked", skip_auto_headers=("Accept-Encoding",)
    ) as resp:
        assert "Content-Encoding" not in resp.headers and resp.status == 401
    plain = events(nano, Responded)[-1]
    assert plain.encoding == "" and plain.body.startswith('{"error"')


async def test_the_room_less_loop_is_found_in_relayed_handshakes(
    make_nano: MakeNano, worker: TestServer
) -> None:
    nano = await relayed(make_nano, worker)
    for _ in range(3):
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await nano.session.ws_connect(
                nano.ws_url(), headers={"Cookie": "better-auth.session_token=abcdefghijkl.sig"}
            )
    async with nano.session.get(nano.base + "/__nanodev/api/flows") as resp:
        listed = await resp.json()
    (pattern,) = listed["patterns"]
    assert pattern["url"] == "/__ws/websocket" and pattern["count"] == 3
    assert all(
        r["explanation"]["cause"] == "room_id query parameter is missing" for r in listed["flows"]
    )
