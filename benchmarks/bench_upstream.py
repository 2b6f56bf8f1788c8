"""Upstream mode's cost: a ping round trip through `nanodev up --upstream` against the same
round trip straight to that upstream, in one run.

    python benchmarks/bench_upstream.py            # 3,000 pings each way
    python benchmarks/bench_upstream.py --quick    # CI size

The upstream is benchmarks/bare_server.py (reset, ping → pong) standing in for the Worker.
nanodev relays through `/__ws/websocket` with recording on. A third path goes through
benchmarks/tcp_forward.py, a byte-for-byte TCP forwarder: the cost of one more process hop on
this machine with nothing done per message, the floor under any relay. Pings alternate between
the paths in blocks so drift on a shared machine hits all alike. Results go to
benchmarks/results/upstream.json and the "upstream" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import subprocess
import sys
import time
from typing import Any

from harness import (
    HOST,
    ROOT,
    Server,
    environment,
    first_handshake_ms,
    free_port,
    handshake_latency,
    ping_rtt,
    start_bare,
    start_nanodev,
    summary,
    write_json,
)
from perfdoc import update_section

TARGET_RATIO = 1.3


def start_forwarder(target: Server) -> Server:
    """benchmarks/tcp_forward.py in front of `target`, reached by the same path as `target`."""
    port = free_port()
    script = ROOT / "benchmarks" / "tcp_forward.py"
    spawned = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(script), str(port), str(target.extra["port"])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = target.ws_url.replace(f":{target.extra['port']}/", f":{port}/", 1)
    assert url.startswith(f"ws://{HOST}:{port}/")
    return Server("tcp forwarder", proc, url, spawned, {"port": port})


async def measure(paths: dict[str, Server], pings: int, blocks: int) -> dict[str, Any]:
    for server in paths.values():
        await first_handshake_ms(server)
    rtt: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(blocks):
        for name, server in paths.items():
            rtt[name] += await ping_rtt(server, pings // blocks)
    direct, relayed = paths["direct"], paths["relayed"]
    return {
        "rtt_ms": {name: summary(values) for name, values in rtt.items()},
        "handshake_ms": {
            "direct": summary(await handshake_latency(direct, 100)),
            "relayed": summary(await handshake_latency(relayed, 100)),
        },
    }


def render(result: dict[str, Any], quick: bool) -> str:
    rtt, hs = result["rtt_ms"], result["handshake_ms"]
    direct, relayed, floor = (rtt[name]["p50"] for name in ("direct", "relayed", "forwarded"))
    ratio = relayed / direct

    def row(label: str, data: dict[str, Any], q: str, path: str = "relayed") -> str:
        a, b = data[path][q], data["direct"][q]
        return f"| {label} | {a:.3f} ms | {b:.3f} ms | {a / b:.2f}× |"

    return "\n".join(
        [
            f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {'CI' if quick else 'full'} "
            f"size, {environment()}. The upstream is `benchmarks/bare_server.py` on 127.0.0.1; "
            "nanodev ran `up --upstream http://127.0.0.1:<port>` with recording on, and the "
            "client used `/__ws/websocket` through it or `/websocket` straight to the upstream, "
            "alternating in blocks. `python benchmarks/bench_upstream.py` reruns it.",
            "",
            "| figure | through nanodev | direct | ratio |",
            "|---|---|---|---|",
            row("ping round trip p50", rtt, "p50"),
            row("ping round trip p95", rtt, "p95"),
            row("handshake p50", hs, "p50"),
            row("ping p50 through a bare TCP forwarder (floor)", rtt, "p50", "forwarded"),
            "",
            "| target | measured | goal | met |",
            "|---|---|---|---|",
            f"| ping round trip p50 vs direct | {ratio:.2f}× | ≤ {TARGET_RATIO}× | "
            f"{'yes' if ratio <= TARGET_RATIO else '**no**'} |",
            "",
            explain(direct, relayed, floor),
        ]
    )


def explain(direct: float, relayed: float, floor: float) -> str:
    """Where the added time goes: the hop itself (the forwarder's figure) and nanodev's share."""
    return (
        f"The relay adds {relayed - direct:.3f} ms per round trip at p50. A TCP forwarder "
        "that only copies bytes (`benchmarks/tcp_forward.py`: no WebSocket parsing, no "
        f"recording, no task per message) adds {floor - direct:.3f} ms "
        f"({floor / direct:.2f}× direct) in the same run: that is the price of one more "
        "process hop on loopback (two more reads, two more writes and two more wake-ups "
        f"per round trip), and nanodev's own share is the remaining {relayed - floor:.3f} "
        "ms: parsing, recording and re-framing each message both ways. The stand-in "
        "upstream does almost nothing per ping, so the hop weighs as much as the whole "
        "direct path; against `wrangler dev` or a deployment, whose own round trip is "
        "larger, the same absolute cost is a smaller share."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI size")
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/performance.md")
    args = parser.parse_args()
    pings, blocks = (500, 5) if args.quick else (3000, 10)
    direct = start_bare()
    paths = {
        "direct": direct,
        "relayed": start_nanodev(("--upstream", f"http://{HOST}:{direct.extra['port']}")),
        "forwarded": start_forwarder(direct),
    }
    try:
        result = asyncio.run(measure(paths, pings, blocks))
    finally:
        for server in reversed(paths.values()):
            server.stop()
    result |= {"env": environment(), "pings": pings}
    write_json(ROOT / "benchmarks" / "results" / "upstream.json", result)
    text = render(result, args.quick)
    print(text)
    if not args.no_doc:
        update_section(ROOT / "docs" / "performance.md", "upstream", text)


if __name__ == "__main__":
    main()
