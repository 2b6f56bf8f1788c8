"""The doctor's hands: real HTTP requests and WebSocket handshakes against one base URL, each
turned into a `Seen` (status, body, first frame) for the pure verdicts; plus the few room
frames the broadcast and reconnect checks need."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from nanodev.doctor.verdicts import Seen
from nanodev.upstream import HandshakeRefused, client_session, describe_failure

Socket = aiohttp.ClientWebSocketResponse
FRAME_WAIT_S = 5.0
TABLE = "nanodev_doctor"


def query_string(params: Mapping[str, str | None]) -> str:
    """`{"room_id": "", "key": "k"}` → `room_id=&key=k`; a None value is sent with no `=`."""
    parts = []
    for name, value in params.items():
        parts.append(name if value is None else f"{name}={quote(value, safe='')}")
    return "&".join(parts)


class Probe:
    def __init__(self, base: str, ws_path: str, timeout: float) -> None:
        self.base = base.rstrip("/")
        self.ws_base = self.base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        self.ws_path = ws_path
        self.timeout = timeout
        self.session = client_session(read_timeout=timeout)
        self.open: list[Socket] = []

    async def close(self) -> None:
        for ws in self.open:
            await ws.close()
        await self.session.close()

    def _failed(self, exc: BaseException) -> Seen:
        return Seen(None, error=describe_failure(self.base, exc, self.timeout).message)

    async def get(self, path: str) -> Seen:
        try:
            async with self.session.get(self.base + path, allow_redirects=False) as resp:
                return Seen(resp.status, (await resp.content.read(4096)).decode("utf-8", "replace"))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return self._failed(exc)

    async def handshake(
        self, params: Mapping[str, str | None], headers: Mapping[str, str] | None = None
    ) -> tuple[Seen, Socket | None]:
        """Upgrade; on 101 wait for the first frame and keep the socket open for the caller."""
        url = f"{self.ws_base}{self.ws_path}?{query_string(params)}"
        try:
            ws = await self.session.ws_connect(url, headers=dict(headers or {}), autoclose=True)
        except HandshakeRefused as refused:
            return Seen(refused.status, refused.text), None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return self._failed(exc), None
        self.open.append(ws)
        try:
            msg = await ws.receive(timeout=FRAME_WAIT_S)
        except TimeoutError:
            return Seen(101, first_frame=None), ws
        first = msg.data if msg.type is aiohttp.WSMsgType.TEXT else None
        return Seen(101, first_frame=first), ws

    async def check(
        self, params: Mapping[str, str | None], headers: Mapping[str, str] | None = None
    ) -> Seen:
        """A handshake whose socket, if any, is closed at once."""
        seen, ws = await self.handshake(params, headers)
        if ws is not None:
            await ws.close()
        return seen

    # -- inspector (local nanodev only) --------------------------------------------------------
    async def close_from_server(self, room: str) -> str:
        """Ask nanodev's inspector to close the room's one open socket; '' when it did."""
        async with self.session.get(
            f"{self.base}/__nanodev/api/flows", params={"room": room, "ws": "1"}
        ) as resp:
            rows = (await resp.json()).get("flows", []) if resp.status == 200 else []
        open_rows = [r for r in rows if r.get("open")]
        if not open_rows:
            return "the inspector lists no open socket in the doctor's room"
        flow = open_rows[0]["id"]
        async with self.session.post(
            f"{self.base}/__nanodev/api/flows/{flow}/close", json={}
        ) as resp:
            return (
                "" if resp.status == 200 else f"the inspector refused to close it ({resp.status})"
            )


# -- room frames ------------------------------------------------------------------------------
async def rpc(ws: Socket, method: str, payload: dict[str, Any], request_id: str) -> dict[str, Any]:
    """Send one RPC and return the reply carrying its requestId (other frames are skipped)."""
    await ws.send_str(
        json.dumps({"action": "rpc", "method": method, "payload": payload, "requestId": request_id})
    )
    return await wait_for_frame(ws, lambda f: f.get("requestId") == request_id)


async def wait_for_frame(ws: Socket, match: Any, timeout: float = FRAME_WAIT_S) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no matching frame")
        msg = await ws.receive(timeout=left)
        if msg.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"socket ended ({ws.close_code})")
        try:
            frame = json.loads(msg.data)
        except ValueError:
            continue
        if isinstance(frame, dict) and match(frame):
            return frame


async def sync(ws: Socket) -> None:
    """A ping round trip: everything sent before it has been handled by the room."""
    await ws.send_str('{"action":"ping"}')
    await wait_for_frame(ws, lambda f: f.get("type") == "pong")


def table_payload() -> dict[str, Any]:
    return {"tableName": TABLE, "columns": [{"name": "note", "type": "TEXT"}]}


async def insert(ws: Socket, note: str) -> dict[str, Any]:
    return await rpc(ws, "batchInsert", {"table": TABLE, "rows": [{"note": note}]}, f"ins-{note}")


async def saw_insert(ws: Socket, note: str) -> bool:
    try:
        await wait_for_frame(
            ws,
            lambda f: f.get("event") == "update" and (f.get("row") or {}).get("note") == note,
        )
    except (TimeoutError, ConnectionError):
        return False
    return True


async def has_note(ws: Socket, note: str) -> bool:
    sql = f"SELECT note FROM {TABLE} WHERE note = '{note}'"  # note is the doctor's own hex
    await ws.send_str(
        json.dumps({"action": "rpc", "method": "executeSQL", "payload": {"sql": sql}})
    )
    frame = await wait_for_frame(ws, lambda f: f.get("originalSql") == sql)
    return bool(frame.get("data"))


async def drop_table(ws: Socket) -> None:
    await asyncio.wait_for(rpc(ws, "deleteTable", {"tableName": TABLE}, "doctor-drop"), 5)
