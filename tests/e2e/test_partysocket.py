"""The real `partysocket` client from npm, under Node, against a real `nanodev up`."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import Proc, free_port

NODE_DIR = Path(__file__).parent.parent / "node"
pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
    pytest.mark.skipif(
        not (NODE_DIR / "node_modules" / "partysocket").exists(),
        reason="run: npm ci --prefix tests/node",
    ),
]


class NodeClient:
    def __init__(self, url: str, seconds: int = 40) -> None:
        self.proc = subprocess.Popen(
            ["node", str(NODE_DIR / "partysocket_client.mjs"), url, str(seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.put(json.loads(line))

    def wait_for(self, pred: Any, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
            if pred(event):
                return event
        raise AssertionError("partysocket never produced the expected event")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


def message(kind: str) -> Any:
    return lambda e: (
        e["event"] == "message"
        and (e["data"].get("type") == kind or e["data"].get("event") == kind)
    )


async def test_partysocket_connects_subscribes_sees_updates_and_reconnects(tmp_path: Path) -> None:
    port = free_port()
    proc = Proc(tmp_path / "state", free_port(), [], port=port).start()
    client: NodeClient | None = None
    try:
        key = proc.cli("keys", "create", "--user", "ps@example.com")["id"]
        url = f"ws://127.0.0.1:{port}/__ws/websocket?room_id=party-room&key={key}"
        client = NodeClient(url)
        client.wait_for(message("reset"))
        client.wait_for(message("pong"))  # subscribe and getSchema were handled before it
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as other:
            assert (await other.receive_json(timeout=5))["type"] == "reset"
            await other.send_json(
                {
                    "action": "rpc",
                    "method": "batchInsert",
                    "requestId": "b",
                    "payload": {"table": "tasks", "rows": [{"title": "hi"}]},
                }
            )
            update = client.wait_for(message("update"))
            assert update["data"]["row"]["title"] == "hi"
        proc.stop()
        closed = client.wait_for(lambda e: e["event"] == "close")
        assert closed["code"] == 1001
        proc.start()  # same port, same state: partysocket reconnects by itself
        reopened = client.wait_for(lambda e: e["event"] == "open", timeout=20)
        assert reopened["retryCount"] >= 1
        client.wait_for(message("reset"))
        client.wait_for(message("pong"))
    finally:
        if client is not None:
            client.stop()
        proc.stop()
