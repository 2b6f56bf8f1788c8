"""How long the everyday commands take, beside the floor any Python CLI pays, in one run.

    python benchmarks/bench_cli.py              # 21 alternating rounds
    python benchmarks/bench_cli.py --rounds 41

Each round spawns, in turn: `python -c pass` (the interpreter alone), a bare click command's
`--help` (the interpreter and click), then `nanodev --help`, `nanodev --version` and
`nanodev keys create` (a fresh user and key in a temporary state directory) through the
installed `nanodev` script. Figures are wall-clock medians (p50) from spawn to exit; ratios are
against the two floors measured in the same rounds, so a slow machine moves all of them
together. Results go to benchmarks/results/cli.json and the "CLI start" section of
docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from harness import ROOT, compile_bytecode, environment, write_json
from perfdoc import update_section

BARE_CLICK = (
    "import click\n"
    "@click.command()\n"
    "@click.option('--name', default='x', help='A name.')\n"
    "def hello(name):\n"
    "    'Say hello.'\n"
    "hello()\n"
)
GOALS_MS = {"nanodev --help": 150.0, "nanodev --version": 150.0, "nanodev keys create": 200.0}


def nanodev_script() -> list[str]:
    script = Path(sys.executable).parent / "nanodev"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nanodev"]


def commands(state: Path) -> dict[str, Callable[[], list[str]]]:
    nanodev = nanodev_script()
    counter = iter(range(1_000_000))
    return {
        "python -c pass": lambda: [sys.executable, "-c", "pass"],
        "bare click --help": lambda: [sys.executable, "-c", BARE_CLICK, "--help"],
        "nanodev --help": lambda: [*nanodev, "--help"],
        "nanodev --version": lambda: [*nanodev, "--version"],
        "nanodev keys create": lambda: [
            *nanodev,
            "keys",
            "create",
            "--user",
            f"bench{next(counter)}@example.com",
            "--state-dir",
            str(state),
        ],
    }


def timed(argv: Sequence[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def measure(rounds: int, state: Path) -> dict[str, list[float]]:
    cases = commands(state)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for make in cases.values():  # one warm-up each: bytecode and the page cache
        timed(make())
    for _ in range(rounds):
        for name, make in cases.items():
            samples[name].append(timed(make()))
    return samples


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def report(p50: dict[str, float], rounds: int) -> str:
    floor, click_floor = p50["python -c pass"], p50["bare click --help"]
    lines = [
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `benchmarks/bench_cli.py` "
        f"({rounds} alternating rounds, p50 of spawn → exit, through the installed `nanodev` "
        "script, bytecode written).",
        "",
        "| command | p50 | × python -c pass | × bare click --help | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for name, value in p50.items():
        goal = GOALS_MS.get(name)
        met = "" if goal is None else ("yes" if value <= goal else "no")
        lines.append(
            f"| `{name}` | {value:.0f} ms | ×{value / floor:.2f} | ×{value / click_floor:.2f} "
            f"| {'' if goal is None else f'≤ {goal:.0f} ms'} | {met} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/performance.md")
    args = parser.parse_args()
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="nanodev-bench-cli-") as tmp:
        samples = measure(args.rounds, Path(tmp) / "state")
    p50 = {name: round(median(values), 1) for name, values in samples.items()}
    write_json(
        ROOT / "benchmarks" / "results" / "cli.json",
        {"environment": environment(), "samples": samples, "p50": p50},
    )
    body = report(p50, args.rounds)
    print(body)
    if not args.no_doc:
        update_section(ROOT / "docs" / "performance.md", "cli", body)


if __name__ == "__main__":
    main()
