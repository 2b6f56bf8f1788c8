"""Recording on vs off, in one run: does the inspector slow the path it watches?

    python benchmarks/bench_recording.py            # full size (1,000,000 recorded frames)
    python benchmarks/bench_recording.py --quick    # CI size

Two `nanodev up` processes (default, and `--no-record`) run side by side on 127.0.0.1; rounds
alternate between them so machine noise lands on both. Measured: single-message round trip
(p50) and pipelined throughput, then the recording server's RSS while 1,000,000 frames are
recorded (500,000 pings in, 500,000 replies out) into its bounded store.
Results go to benchmarks/results/recording.json.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import aiohttp
from harness import (
    ROOT,
    Server,
    environment,
    first_handshake_ms,
    ping_rtt,
    pipelined,
    start_nanodev,
    write_json,
)
from perfdoc import update_section

from nanodev.record.events import Frame, RequestReceived, now
from nanodev.record.recorder import Recorder

MAX_SECONDS = 240.0  # the memory run stops here even if the count is not reached


async def compare(
    on: Server, off: Server, rounds: int, pings: int, messages: int
) -> dict[str, Any]:
    rtt: dict[str, list[float]] = {"on": [], "off": []}
    rate: dict[str, list[float]] = {"on": [], "off": []}
    for index in range(rounds):  # alternate who goes first: a busy machine hits both alike
        order = (("on", on), ("off", off)) if index % 2 == 0 else (("off", off), ("on", on))
        for name, server in order:
            rtt[name].append(statistics.median(await ping_rtt(server, pings)))
            rate[name].append(await pipelined(server, messages))
    out: dict[str, Any] = {}
    for name in ("on", "off"):
        out[name] = {
            "rtt_p50_ms": round(statistics.median(rtt[name]), 4),
            "pipelined_msg_s": round(statistics.median(rate[name])),
        }
    out["rtt_change_pct"] = _pct(out["on"]["rtt_p50_ms"], out["off"]["rtt_p50_ms"])
    out["throughput_change_pct"] = _pct(out["off"]["pipelined_msg_s"], out["on"]["pipelined_msg_s"])
    return out


def _pct(slower: float, faster: float) -> float:
    """How much worse `slower` is than `faster`, in percent (negative: it was better)."""
    return round((slower - faster) / faster * 100, 2)


async def memory_run(server: Server, frames: int, window: int = 64) -> dict[str, Any]:
    """Record `frames` frames (half pings in, half replies out) and sample RSS as they go."""
    pings = frames // 2
    samples: list[tuple[int, int]] = [(0, server.rss())]
    every = max(pings // 10, 1)
    deadline = time.monotonic() + MAX_SECONDS
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(server.ws_url + "mem-room", max_msg_size=0) as ws,
    ):
        await ws.receive(timeout=5)
        sent = received = 0
        while sent < min(window, pings):
            await ws.send_str('{"action":"ping"}')
            sent += 1
        while received < pings and time.monotonic() < deadline:
            await ws.receive(timeout=10)
            received += 1
            if sent < pings:
                await ws.send_str('{"action":"ping"}')
                sent += 1
            if received % every == 0:
                samples.append((received * 2, server.rss()))
    mib = [rss / (1 << 20) for _frames, rss in samples]
    settled = mib[len(mib) // 2 :]
    return {
        "frames_recorded": received * 2,
        "rss_mib": [round(m, 1) for m in mib],
        "rss_growth_second_half_mib": round(max(settled) - min(settled), 1),
        "rss_final_mib": round(mib[-1], 1),
    }


async def measure(size: dict[str, int]) -> dict[str, Any]:
    on = start_nanodev()
    off = start_nanodev(("--no-record",))
    try:
        for server in (on, off):
            await first_handshake_ms(server)
        result = await compare(on, off, size["rounds"], size["pings"], size["messages"])
        result["memory"] = await memory_run(on, size["frames"])
    finally:
        on.stop()
        off.stop()
    return result


def record_cost(n: int = 200_000) -> dict[str, float]:
    """CPU per recorded frame inside one process (building the record included): the part of
    the difference that machine noise cannot blur."""
    out = {}
    for name, store in (("on", True), ("off", False)):
        recorder = Recorder(10_000, store=store)
        recorder.record(RequestReceived(1, now(), "GET", "/", "", {}, "", "page", True))
        start = time.perf_counter()
        for i in range(n):
            recorder.record(
                Frame(1, now(), "in", "text", 20, f'{{"action":"ping","n":{i}}}', False)
            )
        out[name] = round((time.perf_counter() - start) / n * 1e6, 3)
    return out


def render(result: dict[str, Any]) -> str:
    on, off, mem = result["on"], result["off"], result["memory"]
    return "\n".join(
        [
            "| | recording on | recording off | change |",
            "|---|---|---|---|",
            f"| ping round trip p50 | {on['rtt_p50_ms']} ms | {off['rtt_p50_ms']} ms "
            f"| {result['rtt_change_pct']:+.1f}% |",
            f"| pipelined throughput | {on['pipelined_msg_s']:,} msg/s "
            f"| {off['pipelined_msg_s']:,} msg/s | {-result['throughput_change_pct']:+.1f}% |",
            "",
            f"Memory while recording {mem['frames_recorded']:,} frames: RSS "
            f"{mem['rss_mib'][0]} → {mem['rss_final_mib']} MiB, "
            f"{mem['rss_growth_second_half_mib']} MiB growth over the second half.",
            f"In-process cost per recorded frame: {result['record_cost_us']['on']} µs on, "
            f"{result['record_cost_us']['off']} µs off.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI size")
    args = parser.parse_args()
    size = (
        dict(rounds=3, pings=300, messages=5_000, frames=100_000)
        if args.quick
        else dict(rounds=16, pings=600, messages=8_000, frames=1_000_000)
    )
    result = {"env": environment(), "size": size, **asyncio.run(measure(size))}
    result["record_cost_us"] = record_cost()
    write_json(ROOT / "benchmarks" / "results" / "recording.json", result)
    text = render(result)
    print(text)
    update_section(ROOT / "docs" / "performance.md", "recording", text)


if __name__ == "__main__":
    main()
