"""Helpers for the reliability and security figures: scale, a raw WebSocket client, results.

`NANODEV_SCALE=release` runs each figure at the size quoted in docs/reliability.md; the default
is the CI size. Each figure appends one JSON line to tests/output/reliability.jsonl.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOOKS = Path(__file__).resolve().parent / "reliability_hooks.py"
RESULTS = ROOT / "tests" / "output" / "reliability.jsonl"


def release_scale() -> bool:
    return os.environ.get("NANODEV_SCALE", "ci") == "release"


def scaled(ci: int, release: int) -> int:
    return release if release_scale() else ci


def report(figure: str, **values: Any) -> dict[str, Any]:
    line = {"figure": figure, "scale": "release" if release_scale() else "ci", **values}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as fh:
        fh.write(json.dumps(line) + "\n")
    return line


class RawWS:
    """A minimal blocking WebSocket client that can send frames a real client never would."""

    def __init__(
        self, port: int, target: str, headers: dict[str, str] | None = None, rcvbuf: int = 0
    ) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:  # before connect, so the advertised window stays small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(5)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {target} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
        ]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        head = self._until(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed during handshake")
            self.buf += chunk
        head, _, self.buf = self.buf.partition(marker)
        return head

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send_frame(
        self, opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, mask: bool = True
    ) -> None:
        first = (0x80 if fin else 0) | (rsv & 7) << 4 | (opcode & 0xF)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", first, (0x80 if mask else 0) | n)
        elif n < 65536:
            head = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, n)
        else:
            head = struct.pack("!BBQ", first, (0x80 if mask else 0) | 127, n)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            head += key
        self.sock.sendall(head + payload)

    def send_text(self, text: str) -> None:
        self.send_frame(1, text.encode())

    def recv_frame(self, timeout: float = 5.0) -> tuple[int, bytes]:
        self.sock.settimeout(timeout)
        b0, b1 = self._exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._exact(8))[0]
        return b0 & 0xF, self._exact(n)

    def recv_json(self, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            opcode, data = self.recv_frame(max(deadline - time.monotonic(), 0.01))
            if opcode == 1:
                return dict(json.loads(data))
            if opcode == 8:
                raise ConnectionError(f"closed: {close_code(data)}")

    def close(self) -> None:
        self.sock.close()


def close_code(payload: bytes) -> int | None:
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
