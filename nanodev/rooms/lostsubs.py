"""The table subscriptions hibernation drops, and the first `update` each socket then misses.

On the platform a hibernated Durable Object keeps its sockets but loses its memory, so the
subscriber sets the original keeps in memory are gone on wake (reference §3.1): a client
that subscribed before gets no `update` for that table until it subscribes again. nanodev
does the same and says so in the inspector: when a room hibernates, and on the first update
each such socket misses.
"""

from __future__ import annotations

from collections.abc import Iterable

from nanodev.record import Note, now
from nanodev.rooms.connection import Connection

Lost = dict[Connection, set[str]]


def taken(sockets: Iterable[Connection]) -> Lost:
    """Each socket's subscriptions, cleared (hibernation)."""
    lost: Lost = {}
    for conn in sockets:
        if conn.subscriptions:
            lost[conn] = set(conn.subscriptions)
        conn.subscriptions.clear()
        conn.queries.clear()
    return lost


def hibernated_detail(reason: str, sockets: int, lost: Lost) -> str:
    text = f"{reason}; {sockets} socket(s)"
    if not lost:
        return text
    shown = "; ".join(f"flow #{c.flow}: {', '.join(sorted(t))}" for c, t in lost.items())
    return (
        f"{text}; their table subscriptions were dropped, as on the platform ({shown}): "
        "no update reaches them until the client sends subscribe again"
    )


def missed_update(room_id: str, table: str, action: str) -> str:
    return (
        f"this socket did not get the update to {table} ({action}): it subscribed to {table} "
        f"before room {room_id} hibernated, and hibernation drops a socket's subscriptions, as "
        f'on the platform. Its client must send {{"action":"subscribe","table":"{table}"}} '
        "again (the app's page subscribes only when its socket opens, so it shows stale rows "
        "until a reload)"
    )


def note_missed(
    lost: Lost, room_id: str, table: str, action: str, delivered: Iterable[Connection]
) -> list[Note]:
    """Notes for the sockets that lost `table` and did not get this update; each socket is
    told once per table (and not at all once it subscribed again)."""
    got = set(delivered)
    notes = []
    for conn, tables in list(lost.items()):
        if table in tables:
            tables.discard(table)
            if conn not in got and table not in conn.subscriptions:
                notes.append(
                    Note(conn.flow, now(), "warning", missed_update(room_id, table, action))
                )
        if not tables:
            del lost[conn]
    return notes
