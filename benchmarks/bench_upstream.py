"""Upstream mode's cost: a ping round trip through `nanodev up --upstream` against the same
round trip straight to that upstream, in one run.

    python benchmarks/bench_upstream.py            # 3,000 pings each way
    python benchmarks/bench_upstream.py --quick    # CI size

The upstream is benchmarks/bare_server.py (reset, ping → pong) standing in for the Worker.
nanodev relays through `/__ws/websocket` with recording on. Pings alternate between the two
paths in blocks so drift on a shared machine hits both alike. Results go to
benchmarks/results/upstream.json and the "upstream" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from typing import Any

from harness import (
    ROOT,
    Server,
    environment,
    first_handshake_ms,
    handshake_latency,
    ping_rtt,
    start_bare,
    start_nanodev,
    summary,
    write_json,
)
from perfdoc import update_section

TARGET_RATIO = 1.3


async def measure(direct: Server, relayed: Server, pings: int, blocks: int) -> dict[str, Any]:
    await first_handshake_ms(direct)
    await first_handshake_ms(relayed)
    rtt: dict[str, list[float]] = {"direct": [], "relayed": []}
    for _ in range(blocks):
        rtt["direct"] += await ping_rtt(direct, pings // blocks)
        rtt["relayed"] += await ping_rtt(relayed, pings // blocks)
    return {
        "rtt_ms": {name: summary(values) for name, values in rtt.items()},
        "handshake_ms": {
            "direct": summary(await handshake_latency(direct, 100)),
            "relayed": summary(await handshake_latency(relayed, 100)),
        },
    }


def render(result: dict[str, Any], quick: bool) -> str:
    rtt, hs = result["rtt_ms"], result["handshake_ms"]
    ratio = rtt["relayed"]["p50"] / rtt["direct"]["p50"]

    def row(label: str, data: dict[str, Any], q: str) -> str:
        a, b = data["relayed"][q], data["direct"][q]
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
            "",
            "| target | measured | goal | met |",
            "|---|---|---|---|",
            f"| ping round trip p50 vs direct | {ratio:.2f}× | ≤ {TARGET_RATIO}× | "
            f"{'yes' if ratio <= TARGET_RATIO else '**no**'} |",
            "",
            f"The relay adds {rtt['relayed']['p50'] - rtt['direct']['p50']:.3f} ms per round "
            "trip at p50: one more process that reads, records and re-sends each frame both "
            "ways. The stand-in upstream does almost nothing per ping, so that hop costs about "
            "as much as the whole direct path and the ratio lands near 2×, above the target; "
            "against `wrangler dev` or a deployment, whose own round trip is larger, the same "
            "absolute cost is a smaller share.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI size")
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/performance.md")
    args = parser.parse_args()
    pings, blocks = (500, 5) if args.quick else (3000, 10)
    direct = start_bare()
    relayed = start_nanodev(("--upstream", f"http://127.0.0.1:{direct.extra['port']}"))
    try:
        result = asyncio.run(measure(direct, relayed, pings, blocks))
    finally:
        relayed.stop()
        direct.stop()
    result |= {"env": environment(), "pings": pings}
    write_json(ROOT / "benchmarks" / "results" / "upstream.json", result)
    text = render(result, args.quick)
    print(text)
    if not args.no_doc:
        update_section(ROOT / "docs" / "performance.md", "upstream", text)


if __name__ == "__main__":
    main()
