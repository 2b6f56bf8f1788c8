"""The floor: a bare aiohttp WebSocket server speaking the same minimal protocol as a nanodev room
(reset on connect, ping → pong, subscribe, a write broadcast to subscribers) with no auth, no
rewrite, no rooms, no storage and no recording.

    python benchmarks/bare_server.py PORT
"""

from __future__ import annotations

import json
import sys

from aiohttp import WSMsgType, web

SUBSCRIBERS: web.AppKey[dict[str, set[web.WebSocketResponse]]] = web.AppKey("subs", dict)


async def socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(compress=False)
    await ws.prepare(request)
    subs = request.app[SUBSCRIBERS]
    await ws.send_str('{"type":"reset"}')
    async for msg in ws:
        if msg.type is not WSMsgType.TEXT:
            continue
        data = json.loads(msg.data)
        action = data.get("action")
        if action == "ping":
            await ws.send_str('{"type":"pong"}')
        elif action == "subscribe":
            subs.setdefault(data["table"], set()).add(ws)
        elif action == "rpc":  # a write: broadcast the row, then acknowledge
            payload = data.get("payload") or {}
            table = payload.get("table", "")
            frame = json.dumps(
                {
                    "event": "update",
                    "table": table,
                    "action": "added",
                    "row": (payload.get("rows") or [{}])[0],
                }
            )
            for peer in list(subs.get(table, ())):
                await peer.send_str(frame)
            await ws.send_str(
                json.dumps(
                    {
                        "type": "mutation_success",
                        "action": "batchInsert",
                        "requestId": data.get("requestId"),
                    }
                )
            )
    for peers in subs.values():
        peers.discard(ws)
    return ws


def main() -> None:
    app = web.Application()
    app[SUBSCRIBERS] = {}
    app.router.add_get("/{tail:.*}", socket)
    print("ready", flush=True)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
