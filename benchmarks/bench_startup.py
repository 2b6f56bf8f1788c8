"""Spawn → first handshake for this tree and for another revision, in one run.

    python benchmarks/bench_startup.py --against e97eda2     # a revision before a change
    python benchmarks/bench_startup.py --against e97eda2 --rounds 21
    python benchmarks/bench_startup.py --this 524a87b --against e97eda2   # two revisions

The figure is bench_websocket.py's own (`spawn_ms`: `python -m nanodev up` spawned, then the
first accepted handshake with an API key, `reset` frame received), measured in alternating rounds
so that both trees see the same machine. The other revision is checked out into a temporary git
worktree and put first on the child's PYTHONPATH; both trees get their bytecode written first, as
`pip install` does. Results go to benchmarks/results/startup.json and the "Start-up before and
after" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import tempfile
from pathlib import Path

from bench_websocket import spawn_ms
from harness import ROOT, compile_bytecode, environment, start_nanodev, write_json
from perfdoc import update_section


def worktree(rev: str, where: Path) -> Path:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), rev],
        check=True,
        capture_output=True,
    )
    import compileall  # noqa: PLC0415

    compileall.compile_dir(where / "nanodev", quiet=1)
    return where


def measure(rounds: int, other: Path, this: Path | None) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"this": [], "other": []}
    for _ in range(rounds):
        samples["this"].append(spawn_ms(lambda: start_nanodev(pythonpath=this)))
        samples["other"].append(spawn_ms(lambda: start_nanodev(pythonpath=other)))
    return samples


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def quartile(values: list[float]) -> float:
    """The lower quartile: on a busy machine the least disturbed rounds tell the floor."""
    return sorted(values)[len(values) // 4]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--against", required=True, help="the revision to compare with")
    parser.add_argument("--this", default=None, help="a revision instead of this checkout")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/performance.md")
    args = parser.parse_args()
    compile_bytecode()
    head = (
        args.this
        or subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            check=False,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    with tempfile.TemporaryDirectory(prefix="nanodev-startup-") as tmp:
        trees = [worktree(args.against, Path(tmp) / "other")]
        if args.this:
            trees.append(worktree(args.this, Path(tmp) / "this"))
        try:
            samples = measure(args.rounds, trees[0], trees[1] if args.this else None)
        finally:
            for tree in trees:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                    check=False,
                )
    this, before = median(samples["this"]), median(samples["other"])
    q_this, q_before = quartile(samples["this"]), quartile(samples["other"])
    result = {
        "this": this,
        "against": before,
        "ratio": round(this / before, 3),
        "p25_ratio": round(q_this / q_before, 3),
    }
    write_json(
        ROOT / "benchmarks" / "results" / "startup.json",
        {"environment": environment(), "samples": samples, **result},
    )
    print(
        f"spawn → first handshake: this tree {this:.0f} ms, {args.against} {before:.0f} ms "
        f"(×{this / before:.2f}, median of {args.rounds} alternating rounds)"
    )
    if not args.no_doc:
        body = (
            f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by "
            f"`benchmarks/bench_startup.py{' --this ' + args.this if args.this else ''} "
            f"--against {args.against}` ({args.rounds} alternating "
            "rounds, medians, bytecode written for both trees).\n\n"
            "| tree | spawn → first handshake, median | lower quartile |\n|---|---|---|\n"
            f"| {args.against} (before) | {before:.0f} ms | {q_before:.0f} ms |\n"
            f"| {head or 'this tree'} (after) | {this:.0f} ms (×{this / before:.2f}) "
            f"| {q_this:.0f} ms (×{q_this / q_before:.2f}) |\n"
        )
        update_section(ROOT / "docs" / "performance.md", "startup-before-after", body)


if __name__ == "__main__":
    main()
