"""An authenticated upgrade becomes a socket in its room (the DO's `/connect`, §3.4).

The first frame is always `{"type":"reset"}`. Each text frame is then handled as one job of the
room's serial actor, in arrival order; the loop ends with one `Closed` record that says who
closed, with which code, and what the code means.
"""

from __future__ import annotations

import time
from functools import partial

from aiohttp import WSMsgType, web

from nanodev.record import FLOW, Closed, Recorder, Upgraded, close_meaning, now
from nanodev.rooms import protocol
from nanodev.rooms.connection import Connection
from nanodev.rooms.dispatch import handle_text
from nanodev.rooms.room import Room, RoomRegistry
from nanodev.settings import Settings


async def serve_socket(
    request: web.Request,
    rooms: RoomRegistry,
    room_id: str,
    user_id: str,
    source: str,
    credential: tuple[str, str] | None = None,
) -> web.StreamResponse:
    settings, recorder, flow = rooms.settings, rooms.recorder, request[FLOW]
    room = rooms.get(room_id)  # opened before the 101: a room that cannot open gets no socket
    ws = _socket_response(settings)
    await ws.prepare(request)
    conn = Connection(
        ws,
        request.transport,
        flow=flow.flow,
        user_id=user_id,
        room_id=room_id,
        source=source,
        recorder=recorder,
        secrets=flow.secrets,
        preview=settings.frame_preview_bytes,
        max_buffer=settings.max_socket_buffer_bytes,
        flusher=rooms.flusher,
    )
    conn.protocol, conn.credential = request.protocol, credential
    room.join(conn)
    elapsed = (time.perf_counter() - flow.started) * 1000
    recorder.record(Upgraded(flow.flow, now(), room_id, user_id, source, round(elapsed, 3)))
    reason, by = "", "client"
    try:
        await conn.send(protocol.RESET)
        reason, by = await _read_loop(ws, conn, room, rooms)
    finally:
        if room.hibernated:  # leave the live room, or the sleeping one without waking it
            room = rooms.rooms.get(room.id, room)
        room.leave(conn)
        _record_close(recorder, ws, conn, reason, by)
    return ws


def _socket_response(settings: Settings) -> web.WebSocketResponse:
    return web.WebSocketResponse(
        compress=False,  # one encoded frame can go to every subscriber unchanged
        max_msg_size=settings.ws_max_msg_size,
        writer_limit=settings.max_socket_buffer_bytes,
    )


def _record_close(
    recorder: Recorder, ws: web.WebSocketResponse, conn: Connection, reason: str, by: str
) -> None:
    """One `Closed` record: who closed, with which code, and what the code means."""
    code = ws.close_code
    if conn.close_by == "server":  # aiohttp reports 1000 once its reader saw the end
        by, reason, code = "server", conn.close_reason or reason, conn.close_code
    recorder.record(
        Closed(
            conn.flow,
            now(),
            code,
            reason,
            by,
            close_meaning(code),
            conn.room_id,
            conn.frames_in,
            conn.frames_out,
        )
    )


async def _read_loop(
    ws: web.WebSocketResponse, conn: Connection, room: Room, rooms: RoomRegistry
) -> tuple[str, str]:
    """Feed frames to the room until the socket closes; return (close reason, who closed)."""
    while True:
        msg = await ws.receive()
        if msg.type is WSMsgType.TEXT:
            conn.frames_in += 1
            conn.record_frame("in", msg.data)
            if room.hibernated:  # the frame wakes it: a fresh Room, then delivery
                room = rooms.current(room)
            await room.run(partial(handle_text, room, conn, msg.data))
        elif msg.type is WSMsgType.BINARY:
            conn.frames_in += 1
            conn.record_frame("in", f"<{len(msg.data)} bytes of binary>", "binary")
            await room.run(
                partial(conn.send, protocol.encode(protocol.binary_frame_error().frame()))
            )
        elif msg.type is WSMsgType.CLOSE:
            return str(msg.extra or ""), "client"
        elif msg.type is WSMsgType.ERROR:
            return f"{type(msg.data).__name__}: {msg.data}", "server"
        else:  # CLOSING / CLOSED: the server side closed it (shutdown, reload, limits)
            return "", "server" if conn.close_by == "server" else "network"
