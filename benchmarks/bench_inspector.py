"""The inspector page with a full store, in real Chromium: is it still responsive?

    python benchmarks/bench_inspector.py            # full size (a full 10,000-event store)
    python benchmarks/bench_inspector.py --quick    # CI size

One `nanodev up` on 127.0.0.1 is filled until its bounded store holds its default 10,000
events (HTTP requests, handshakes and socket frames). Chromium (the system binary, through
Playwright) opens the inspector at 1440x900 and measures, inside the page:

- the first load: navigation to the last row of the list drawn;
- opening a flow's detail: click → the detail's heading shows that flow (target ≤ 100 ms);
- a filter over all flows: typing → the list redrawn with the matches (target ≤ 200 ms);
- a live feed of 1,000 events/s (a load client pinging one room) for a few seconds: list
  refreshes per second (batched, not one per event), animation frames per second, the longest
  main-thread task, and opening a detail while it runs.

The baseline, measured in the same run on the same server, is the same page over a store
holding a handful of events: the ratio says what a full store costs.
Results go to benchmarks/results/inspector.json and docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import aiohttp
from harness import ROOT, Server, environment, first_handshake_ms, start_nanodev, write_json
from perfdoc import update_section

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

OPEN_DETAIL = """async (index) => {
  const rows = document.querySelectorAll('#rows .row');
  const row = rows[index % rows.length];
  const id = row.dataset.flow;
  document.getElementById('detail-main').replaceChildren();  // wait for a fresh answer
  const t0 = performance.now();
  row.click();
  const heading = () => (document.querySelector('#detail-main h2') || {}).textContent || '';
  while (!heading().startsWith('#' + id + ' ')) {
    await new Promise((r) => requestAnimationFrame(r));
  }
  return performance.now() - t0;
}"""

FILTER = """async ([field, value]) => {
  // The list redraws by replacing #rows' children: the first redraw after the keystroke is
  // the filtered list (nothing else writes to it while no traffic arrives).
  const redrawn = () => new Promise((resolve) => {
    const seen = new MutationObserver(() => { seen.disconnect(); resolve(); });
    seen.observe(document.getElementById('rows'), { childList: true });
  });
  const input = document.getElementById('f-' + field);
  const t0 = performance.now();
  let next = redrawn();
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  await next;
  await new Promise((r) => requestAnimationFrame(r));  // the drawn frame itself
  const took = performance.now() - t0;
  const shown = document.getElementById('counts').textContent;
  next = redrawn();
  input.value = '';
  input.dispatchEvent(new Event('input', { bubbles: true }));
  await next;
  return [took, shown];
}"""

WATCH = """(seconds) => new Promise((resolve) => {
  let frames = 0, longest = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longest = Math.max(longest, entry.duration);
  });
  try { observer.observe({ type: 'longtask', buffered: false }); } catch (e) {}
  const count = () => { frames += 1; if (performance.now() < end) requestAnimationFrame(count); };
  const end = performance.now() + seconds * 1000;
  requestAnimationFrame(count);
  setTimeout(() => {
    observer.disconnect();
    resolve({ fps: frames / seconds, longest_task_ms: longest });
  }, seconds * 1000 + 50);
})"""


async def fill(server: Server, port: int, events: int) -> int:
    """Requests and socket frames until the store holds `events` events; returns flows made."""
    base = f"http://127.0.0.1:{port}"
    flows = 0
    async with aiohttp.ClientSession() as http:
        stats = await (await http.get(f"{base}/__nanodev/api/flows?since=999999999")).json()
        while stats["last_seq"] < events:
            batch = [http.get(f"{base}/health?n={flows + i}") for i in range(50)]
            for response in await asyncio.gather(*batch):
                await response.read()
            flows += 50
            async with http.ws_connect(server.ws_url + f"fill-{flows % 20}") as ws:
                await ws.receive(timeout=5)
                for _ in range(20):
                    await ws.send_str('{"action":"ping"}')
                    await ws.receive(timeout=5)
            flows += 1
            stats = await (await http.get(f"{base}/__nanodev/api/flows?since=999999999")).json()
    return flows


async def load_feed(server: Server, rate: int, seconds: float) -> int:
    """Pings to one room at `rate`/2 per second: each is a frame in and a frame out."""
    sent = 0
    async with aiohttp.ClientSession() as http, http.ws_connect(server.ws_url + "hammer") as ws:
        await ws.receive(timeout=5)
        start = time.monotonic()
        reader = asyncio.ensure_future(_drain(ws))
        while (elapsed := time.monotonic() - start) < seconds:
            due = int(elapsed * rate / 2)
            while sent < due:
                await ws.send_str('{"action":"ping"}')
                sent += 1
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.2)
        reader.cancel()
    return sent * 2


async def _drain(ws: aiohttp.ClientWebSocketResponse) -> None:
    while True:
        await ws.receive()


async def page_figures(page: Any, base: str, rounds: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    await page.goto(f"{base}/__nanodev/")
    await page.wait_for_function("document.querySelectorAll('#rows .row').length > 0")
    load_ms = (time.perf_counter() - t0) * 1000
    await page.wait_for_timeout(500)
    print("page loaded", round(load_ms), "ms", flush=True)
    detail = [await page.evaluate(OPEN_DETAIL, i * 3) for i in range(rounds)]
    filters: dict[str, Any] = {}
    for field, value in (("path", "/__ws"), ("status", "4xx"), ("q", "pong")):
        runs = [await page.evaluate(FILTER, [field, value]) for _ in range(max(3, rounds // 4))]
        filters[f"{field}={value}"] = {
            "median_ms": round(statistics.median(r[0] for r in runs), 1),
            "max_ms": round(max(r[0] for r in runs), 1),
            "shown": runs[-1][1],
        }
    return {
        "load_ms": round(load_ms, 1),
        "detail_median_ms": round(statistics.median(detail), 1),
        "detail_max_ms": round(max(detail), 1),
        "filters": filters,
        "rows": await page.evaluate("document.getElementById('counts').textContent"),
    }


async def live_figures(page: Any, server: Server, rate: int, seconds: float) -> dict[str, Any]:
    refreshes: list[float] = []
    page.on(
        "request", lambda r: refreshes.append(time.monotonic()) if "/api/flows?" in r.url else None
    )
    watch = asyncio.ensure_future(page.evaluate(WATCH, seconds))
    feed = asyncio.ensure_future(load_feed(server, rate, seconds))
    await asyncio.sleep(seconds / 2)
    during = [await page.evaluate(OPEN_DETAIL, i) for i in range(5)]
    watched, events = await watch, await feed
    return {
        "events_sent": events,
        "events_per_s": round(events / seconds),
        "list_refreshes_per_s": round(len(refreshes) / seconds, 1),
        "fps": round(watched["fps"], 1),
        "longest_task_ms": round(watched["longest_task_ms"], 1),
        "detail_during_feed_median_ms": round(statistics.median(during), 1),
    }


async def measure(size: dict[str, Any]) -> dict[str, Any]:
    from playwright.async_api import async_playwright  # noqa: PLC0415 - optional dependency

    server = start_nanodev()
    port = int(server.extra["port"])
    base = f"http://127.0.0.1:{port}"
    try:
        await first_handshake_ms(server)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            # The harness's own probes are evaluated strings; the page's CSP would refuse them.
            context = await browser.new_context(
                viewport={"width": 1440, "height": 900}, bypass_csp=True
            )
            page = await context.new_page()
            baseline = await page_figures(page, base, size["rounds"])
            flows = await fill(server, port, size["events"])
            print("filled", flows, "flows", flush=True)
            full = await page_figures(page, base, size["rounds"])
            live = await live_figures(page, server, size["rate"], size["seconds"])
            await browser.close()
    finally:
        server.stop()
    return {"baseline": baseline, "full": full, "live": live, "flows_made": flows}


def render(result: dict[str, Any]) -> str:
    base, full, live = result["baseline"], result["full"], result["live"]
    lines = [
        f"Store: {result['size']['events']:,} events ({full['rows']}); Chromium at 1440x900, "
        "timed inside the page (click or keystroke → the frame that shows the answer).",
        "",
        "| | nearly empty store (baseline) | full store | ratio | target |",
        "|---|---|---|---|---|",
        f"| open a flow's detail (median) | {base['detail_median_ms']} ms "
        f"| {full['detail_median_ms']} ms (max {full['detail_max_ms']}) "
        f"| {_ratio(full['detail_median_ms'], base['detail_median_ms'])} | ≤ 100 ms |",
    ]
    for name, figures in full["filters"].items():
        b = base["filters"][name]
        lines.append(
            f"| filter `{name}` over all flows (median) | {b['median_ms']} ms "
            f"| {figures['median_ms']} ms (max {figures['max_ms']}) "
            f"| {_ratio(figures['median_ms'], b['median_ms'])} | ≤ 200 ms |"
        )
    lines += [
        f"| first load | {base['load_ms']} ms | {full['load_ms']} ms "
        f"| {_ratio(full['load_ms'], base['load_ms'])} | |",
        "",
        f"Live feed of {live['events_per_s']:,} events/s for {result['size']['seconds']} s: "
        f"{live['list_refreshes_per_s']} list refreshes/s (batched), {live['fps']} animation "
        f"frames/s, longest main-thread task {live['longest_task_ms']} ms, opening a detail "
        f"meanwhile {live['detail_during_feed_median_ms']} ms (median).",
    ]
    return "\n".join(lines)


def _ratio(value: float, baseline: float) -> str:
    return f"×{value / baseline:.1f}" if baseline else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI size")
    args = parser.parse_args()
    size = (
        dict(events=3_000, rounds=6, rate=1_000, seconds=3.0)
        if args.quick
        else dict(events=10_000, rounds=20, rate=1_000, seconds=6.0)
    )
    result = {"env": environment(), "size": size, **asyncio.run(measure(size))}
    write_json(ROOT / "benchmarks" / "results" / "inspector.json", result)
    text = render(result)
    print(text)
    update_section(ROOT / "docs" / "performance.md", "inspector", text)


if __name__ == "__main__":
    main()
