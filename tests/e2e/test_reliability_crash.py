"""Figure R2: kill -9 during a write burst. Every acknowledged write is on disk after the
restart, no broadcast describes a row that is not, no batch is half applied, and
`PRAGMA integrity_check` says ok, in every trial (real `nanodev up` processes, SIGKILL)."""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from nanodev.ids import room_file_name
from tests.conftest import Proc, free_port
from tests.reliability import report, scaled

ROOM = "crash-room"
BATCH = 3


@dataclass
class Trial:
    acked: set[str] = field(default_factory=set)  # batch ids whose ACK arrived
    broadcast: set[str] = field(default_factory=set)  # row titles seen by subscribers


async def writer(url: str, name: str, trial: Trial, stop: asyncio.Event) -> None:
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(url)
            await ws.receive_json(timeout=5)
            n = 0
            while not stop.is_set():
                batch = f"{name}-{n}"
                rows = [{"title": f"{batch}/{i}", "status": batch} for i in range(BATCH)]
                await ws.send_json(
                    {
                        "action": "rpc",
                        "method": "batchInsert",
                        "requestId": batch,
                        "payload": {"table": "tasks", "rows": rows},
                    }
                )
                while True:
                    frame = await ws.receive_json(timeout=5)
                    if frame.get("requestId") == batch:
                        break
                if frame.get("type") == "mutation_success":
                    trial.acked.add(batch)
                n += 1
        except (aiohttp.ClientError, TypeError, TimeoutError, ConnectionError):
            return  # the server was killed under us


async def subscriber(url: str, trial: Trial, ready: asyncio.Event) -> None:
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(url)
            await ws.receive_json(timeout=5)
            await ws.send_json({"action": "subscribe", "table": "tasks"})
            ready.set()
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    frame = msg.json()
                    if frame.get("event") == "update":
                        trial.broadcast.add(frame["row"]["title"])
        except (aiohttp.ClientError, ConnectionError):
            return


async def burst(proc: Proc, key: str, rng: random.Random, k: int) -> Trial:
    trial = Trial()
    url = proc.ws_url(room_id=ROOM, key=key)
    stop = asyncio.Event()
    ready = [asyncio.Event() for _ in range(4)]
    subs = [asyncio.create_task(subscriber(url, trial, r)) for r in ready]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 10)
    writers = [asyncio.create_task(writer(url, f"t{k}w{i}", trial, stop)) for i in range(8)]
    await asyncio.sleep(rng.uniform(0.2, 1.0))
    assert proc.proc is not None
    proc.proc.send_signal(signal.SIGKILL)
    proc.proc.wait()
    stop.set()
    await asyncio.wait_for(asyncio.gather(*writers, *subs), 15)
    return trial


def verify(db_path: Path, trial: Trial) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db, db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = db.execute("SELECT title, status FROM tasks").fetchall()
    stored = {title for title, _ in rows}
    per_batch: dict[str, int] = {}
    for _, batch in rows:
        per_batch[batch] = per_batch.get(batch, 0) + 1
    lost = {b for b in trial.acked if per_batch.get(b, 0) != BATCH}
    phantom = trial.broadcast - stored
    torn = {b for b, n in per_batch.items() if n != BATCH}
    assert not lost, f"acknowledged batches missing after restart: {sorted(lost)[:5]}"
    assert not phantom, f"broadcast rows not on disk: {sorted(phantom)[:5]}"
    assert not torn, f"half-applied batches: {sorted(torn)[:5]}"
    return {"acked": len(trial.acked), "stored_batches": len(per_batch)}


@pytest.mark.timeout(600)
async def test_kill_9_during_a_write_burst(tmp_path: Path) -> None:
    trials = scaled(20, 200)
    rng = random.Random(7)
    state = tmp_path / "state"
    proc = Proc(state, free_port(), [], port=free_port()).start()
    key = proc.cli("keys", "create", "--user", "crash@example.com", "--never-expires")["id"]
    db_path = state / "rooms" / room_file_name(ROOM)
    cumulative = Trial()
    totals = {"acked": 0, "ok": 0}
    restart_ms: list[float] = []
    try:
        for k in range(trials):
            trial = await burst(proc, key, rng, k)
            cumulative.acked |= trial.acked
            cumulative.broadcast |= trial.broadcast
            proc.stop()
            proc.start()  # the restart: WAL recovery, migrations, then ready
            restart_ms.append(proc.spawn_to_ready_ms)
            counts = verify(db_path, cumulative)
            totals["acked"] = counts["acked"]
            totals["ok"] += 1
    finally:
        proc.stop()
    assert totals["ok"] == trials
    report(
        "R2",
        trials=trials,
        integrity_ok=totals["ok"],
        acked_batches=totals["acked"],
        acked_lost=0,
        phantom=0,
        torn=0,
        restart_to_ready_ms_max=round(max(restart_ms)),
    )


def test_verify_can_fail(tmp_path: Path) -> None:
    """The checker itself: a missing acknowledged batch and a torn batch are both caught."""
    db_path = tmp_path / "t.sqlite"
    with closing(sqlite3.connect(db_path)) as db, db:
        db.execute("CREATE TABLE tasks (title TEXT, status TEXT)")
        db.executemany("INSERT INTO tasks VALUES (?, ?)", [("b/0", "b"), ("b/1", "b")])
    with pytest.raises(AssertionError, match="missing"):
        verify(db_path, Trial(acked={"b"}))
    with pytest.raises(AssertionError, match="half-applied"):
        verify(db_path, Trial())
    with pytest.raises(AssertionError, match="not on disk"):
        verify(db_path, Trial(broadcast={"zzz"}))
