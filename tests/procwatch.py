"""Watching a real `nanodev up` while a figure runs: its output, memory and descriptors.

`Proc.start` reads the child's output only up to the start-up card; a figure that keeps the
server busy must keep reading it, or the pipe fills and the server blocks on its own log.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field

import psutil

from .conftest import Proc


def keep_reading(proc: Proc) -> threading.Thread:
    """Append the child's output to `proc.output` until it exits (join before `proc.stop`)."""
    assert proc.proc is not None and proc.proc.stdout is not None
    stdout = proc.proc.stdout

    def pump() -> None:
        for line in stdout:
            proc.output.append(line)

    thread = threading.Thread(target=pump, name="nanodev-output", daemon=True)
    thread.start()
    return thread


def stop_and_collect(proc: Proc, reader: threading.Thread) -> int:
    """SIGTERM, wait, read the rest of the output; the exit code."""
    assert proc.proc is not None
    proc.proc.terminate()
    code = proc.proc.wait(timeout=15)
    reader.join(timeout=5)
    proc.stop()
    return code


@dataclass
class Usage:
    """RSS (bytes) samples of the server process, one per `every` seconds."""

    pid: int
    samples: list[int] = field(default_factory=list)

    def rss(self) -> int:
        return int(psutil.Process(self.pid).memory_info().rss)

    def fds(self) -> int:
        return int(psutil.Process(self.pid).num_fds())

    async def sample_until(self, stop: asyncio.Event, every: float = 1.0) -> None:
        while not stop.is_set():
            self.samples.append(self.rss())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)


def mib(n: int) -> float:
    return round(n / (1 << 20), 1)
