"""A socket's lifetime in its room: a room file that cannot open is refused before the 101."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.conftest import Nano, rpc

GARBAGE = {
    "random bytes": bytes(range(256)) * 16,
    "seven bytes of text": b"garbage",
    "a header and nothing else": b"SQLite format 3\x00" + b"\xff" * 84,
}


async def raw_handshake(nano: Nano, target: str) -> bytes:
    """The server's whole answer to an upgrade, as bytes off a plain TCP socket."""
    reader, writer = await asyncio.open_connection("127.0.0.1", nano.server.port)
    writer.write(
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{nano.server.port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode()
    )
    await writer.drain()
    data = await asyncio.wait_for(reader.read(65536), 5)
    writer.close()
    await writer.wait_closed()
    return data


@pytest.mark.parametrize("content", list(GARBAGE.values()), ids=list(GARBAGE))
async def test_corrupt_room_file_is_refused_before_the_101(nano: Nano, content: bytes) -> None:
    key = await nano.key()
    good = await nano.connect("good-room", key=key)
    path = nano.core.rooms.path_for("bad-room")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    answer = await raw_handshake(nano, f"/__ws/websocket?room_id=bad-room&key={key}")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 "), answer
    assert b"101" not in head and b"Upgrade" not in head
    text = body.decode()
    assert f"room file {path} cannot be opened" in text
    assert "nanodev reset --room bad-room" in text and "nanodev import" in text
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:  # a real client: no socket
        await nano.session.ws_connect(nano.ws_url(room_id="bad-room", key=key))
    assert info.value.status == 503
    assert path.read_bytes() == content  # never overwritten
    assert (await rpc(good, "getUsage"))[0]["type"] == "query_result"  # the other room lives
    other = await nano.connect("other-room", key=key)
    assert (await rpc(other, "getSchema"))[0]["type"] == "rpc_result"
    flows = (await (await nano.get("/__nanodev/api/flows?ws=1")).json())["flows"]
    refused = next(f for f in flows if f["status"] == 503)
    assert f"room file {path} cannot be opened" in refused["explanation"]["cause"]
    assert "nanodev reset --room bad-room" in refused["explanation"]["fix"]
