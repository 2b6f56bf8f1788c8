"""The floor of any relay: a byte-for-byte TCP forwarder on loopback, one process hop with no
WebSocket parsing, no recording and no task per message (asyncio protocol callbacks only).

    python benchmarks/tcp_forward.py LISTEN_PORT TARGET_PORT

bench_upstream.py puts it in front of the same upstream as nanodev, so the cost of the extra
hop itself (two more reads, two more writes and two more wake-ups per round trip) is measured
in the same run as the relay.
"""

from __future__ import annotations

import asyncio
import sys

HOST = "127.0.0.1"


class Half(asyncio.Protocol):
    """One side of a forwarded connection: whatever arrives is written to `peer`."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.peer: Half | None = None
        self.early: list[bytes] = []  # bytes from the client before the upstream connected

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is None or peer.transport is None:
            self.early.append(data)
        else:
            peer.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()


async def serve(listen: int, target: int) -> None:
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[None]] = set()

    async def connect(down: Half) -> None:
        up = Half()
        up.peer, down.peer = down, up
        await loop.create_connection(lambda: up, HOST, target)
        assert up.transport is not None
        for chunk in down.early:
            up.transport.write(chunk)
        down.early.clear()

    def accepted() -> Half:
        down = Half()
        task = loop.create_task(connect(down))
        pending.add(task)
        task.add_done_callback(pending.discard)
        return down

    server = await loop.create_server(accepted, HOST, listen)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), int(sys.argv[2])))
