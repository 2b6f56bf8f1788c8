"""The page probe's cost to a page that opens no sockets, in real Chromium.

One nanodev serves, under `--static`, a page that does ordinary work and opens no socket (it
builds 2,000 DOM nodes and sorts 50,000 numbers). Rounds alternate between the probe on and
off (`page_probe`, swapped live as `nanodev.toml` would), each loading the page N times in one
browser and reading the page's own clock: navigation start → load event end, and the script's
work. The probe also watches EventTarget constructions (to find the line that built a library
such as partysocket), so the same page then times 20,000 `new EventTarget()` and 5,000 objects
of an EventTarget subclass: the probe's per-object cost, for pages that build many. Ratios are
against the probe-off rounds of the same run.

    python benchmarks/bench_pageprobe.py           # 8 rounds x 15 loads
    python benchmarks/bench_pageprobe.py --quick   # CI size
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from perfdoc import update_section

from nanodev.app import create_app
from nanodev.core import CORE
from nanodev.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAGE = """<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>no sockets</title></head><body><div id="out"></div><script>
const started = performance.now();
const out = document.getElementById("out");
for (let i = 0; i < 2000; i++) {
  const p = document.createElement("p"); p.textContent = i; out.append(p);
}
Array.from({ length: 50000 }, (_, i) => (i * 7919) % 50000).sort((a, b) => a - b);
window.work = performance.now() - started;
addEventListener("load", () => setTimeout(() => {  // after load: not part of the load figure
  const targets = performance.now();
  class Model extends EventTarget { constructor(n) { super(); this.n = n; } }
  const models = [];
  for (let i = 0; i < 20000; i++) new EventTarget();
  for (let i = 0; i < 5000; i++) models.push(new Model(i));
  window.targets = performance.now() - targets;
}));
</script></body></html>"""


async def start(root: Path) -> tuple[web.AppRunner, web.Application, str]:
    dist = root / "dist"
    dist.mkdir()
    (dist / "index.html").write_text(PAGE)
    settings = Settings(
        state_dir=root / "state", static_dir=dist, port=0, worker_port=0, log_requests=False
    )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, app, f"http://127.0.0.1:{runner.addresses[0][1]}"


FIGURES = ("load", "work", "targets")
TIMING = (
    "() => [performance.getEntriesByType('navigation')[0].loadEventEnd, window.work, "
    "window.targets]"
)


async def one_round(page: Any, base: str, loads: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {figure: [] for figure in FIGURES}
    for _ in range(loads):
        await page.goto(f"{base}/", wait_until="load")
        await page.wait_for_function("window.targets !== undefined")
        for figure, value in zip(FIGURES, await page.evaluate(TIMING), strict=True):
            found[figure].append(float(value))
    return found


async def measure(rounds: int, loads: int) -> dict[str, dict[str, list[float]]]:
    from playwright.async_api import async_playwright  # noqa: PLC0415

    found: dict[str, dict[str, list[float]]] = {
        mode: {figure: [] for figure in FIGURES} for mode in ("on", "off")
    }
    with tempfile.TemporaryDirectory() as tmp:
        runner, app, base = await start(Path(tmp))
        try:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = await browser.new_page()
                await one_round(page, base, loads)  # warm-up: JIT, caches, the first sockets
                for index in range(rounds * 2):
                    # on, off, off, on, …: neither mode always goes first
                    mode = "on" if index % 4 in (0, 3) else "off"
                    core = app[CORE]
                    core.settings = core.settings.model_copy(update={"page_probe": mode == "on"})
                    measured = await one_round(page, base, loads)
                    for figure in FIGURES:  # the first load of a round warms caches
                        found[mode][figure] += measured[figure][1:]
                await browser.close()
        finally:
            await runner.cleanup()
    return found


def report(found: dict[str, dict[str, list[float]]], rounds: int, loads: int) -> str:
    rows = []
    labels = {
        "load": "navigation → load event",
        "work": "the page's script (DOM, sort)",
        "targets": "20,000 EventTargets + 5,000 subclass objects",
    }
    for figure, label in labels.items():
        on = statistics.median(found["on"][figure])
        off = statistics.median(found["off"][figure])
        change = 100 * (on / off - 1)
        rows.append(f"| {label} (median) | {on:.2f} ms | {off:.2f} ms | {change:+.1f}% |")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return "\n".join(
        [
            f"Page probe, measured {when}: a page that opens no sockets, in Chromium, {rounds} "
            f"alternating rounds of {loads} loads per mode from one `--static` nanodev. "
            "`python benchmarks/bench_pageprobe.py` reruns it.",
            "",
            "| figure | probe on | probe off | change |",
            "|---|---|---|---|",
            *rows,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI size: 2 rounds x 5 loads")
    parser.add_argument("--no-doc", action="store_true", help="print only")
    args = parser.parse_args()
    rounds, loads = (2, 5) if args.quick else (8, 15)
    body = report(asyncio.run(measure(rounds, loads)), rounds, loads)
    print(body)
    if not args.quick and not args.no_doc:
        update_section(ROOT / "docs" / "performance.md", "pageprobe", body)


if __name__ == "__main__":
    main()
