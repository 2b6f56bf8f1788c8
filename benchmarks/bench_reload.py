"""Hot-reload latency: time from a file write to the reload message at an open page.

Starts nanodev in-process with `--static` over a temporary build, opens the live-reload socket
exactly as the injected page script does (`/__nanodev/reload/ws`, same Origin), then edits a file
N times and measures write → message received. With `--browser`, the open page is real
Chromium and the clock stops when the page has swapped the edited stylesheet.

    python benchmarks/bench_reload.py            # 50 edits, WebSocket client as the page
    python benchmarks/bench_reload.py --browser  # 50 CSS edits observed inside Chromium
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from perfdoc import update_section

from nanodev.app import create_app
from nanodev.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

PAUSE_S = 0.15  # between edits, so each edit is its own burst (not debounced together)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def start(root: Path) -> tuple[web.AppRunner, str]:
    dist = root / "dist"
    dist.mkdir()
    (dist / "style.css").write_text("h1 { color: black; }")
    (dist / "index.html").write_text(
        '<html><head><link rel="stylesheet" href="/style.css"></head><body><h1>bench</h1></body>'
    )
    settings = Settings(
        state_dir=root / "state", static_dir=dist, port=0, worker_port=0, log_requests=False
    )
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def with_socket(base: str, dist: Path, edits: int) -> list[float]:
    samples: list[float] = []
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(
            base.replace("http", "ws") + "/__nanodev/reload/ws", headers={"Origin": base}
        )
        await asyncio.sleep(0.3)
        for i in range(edits):
            target = dist / ("style.css" if i % 2 else "index.html")
            started = time.perf_counter()
            target.write_text(target.read_text() + f"\n/* {i} */" if i % 2 else _html(i))
            msg = await ws.receive(timeout=5)
            samples.append((time.perf_counter() - started) * 1000)
            json.loads(msg.data)
            await asyncio.sleep(PAUSE_S)
        await ws.close()
    return samples


def _html(i: int) -> str:
    return (
        '<html><head><link rel="stylesheet" href="/style.css"></head>'
        f"<body><h1>bench {i}</h1></body>"
    )


async def with_browser(base: str, dist: Path, edits: int) -> list[float]:
    from playwright.async_api import async_playwright  # noqa: PLC0415 - optional

    samples: list[float] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await browser.new_page()
        await page.goto(base + "/")
        await page.wait_for_function("window.__nanodevReload && window.__nanodevReload.wasOpen")
        for i in range(edits):
            before = await page.evaluate("window.__nanodevReload.css")
            started = time.perf_counter()
            (dist / "style.css").write_text(f"h1 {{ color: rgb({i % 256}, 0, 0); }}")
            await page.wait_for_function(
                f"window.__nanodevReload.css > {before}", polling="raf", timeout=5000
            )
            samples.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(PAUSE_S)
        await browser.close()
    return samples


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--browser", action="store_true", help="measure inside real Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nanodev-bench-") as tmp:
        runner, base = await start(Path(tmp))
        try:
            run = with_browser if args.browser else with_socket
            samples = await run(base, Path(tmp) / "dist", args.edits)
        finally:
            await runner.cleanup()
    where = "Chromium page (CSS swapped)" if args.browser else "reload socket (message received)"
    p50, p95 = statistics.median(samples), percentile(samples, 95)
    print(f"file write → {where}, {len(samples)} edits")
    print(
        f"  p50 {p50:.1f} ms   p95 {p95:.1f} ms   min {min(samples):.1f} ms   "
        f"max {max(samples):.1f} ms"
    )
    section = "reload-browser" if args.browser else "reload"
    update_section(
        ROOT / "docs" / "performance.md",
        section,
        (
            f"Hot reload, measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC: "
            "time from a "
            f"file write under `--static` to the reload message at an open page ({where}), "
            f"{len(samples)} edits. `python benchmarks/bench_reload.py"
            f"{' --browser' if args.browser else ''}` reruns it.\n\n"
            "| figure | measured | goal | met |\n|---|---|---|---|\n"
            f"| p50 | {p50:.1f} ms | ≤ 100 ms | {'yes' if p50 <= 100 else '**no**'} |\n"
            f"| p95 | {p95:.1f} ms | | |"
        ),
    )


if __name__ == "__main__":
    asyncio.run(main())
