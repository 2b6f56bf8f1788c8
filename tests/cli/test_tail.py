"""`nanodev tail`: a filter that could never match is refused and --help names the fields; and
against a real `nanodev up`, it stops on Ctrl-C even when started with SIGINT ignored, as a
script's background job is."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from nanodev.cli import main
from tests.conftest import Proc


def test_bad_filters_are_refused_before_connecting(tmp_path: Path) -> None:
    for expression in ("status=abc", "colour=red", "outcome=maybe"):
        result = CliRunner().invoke(
            main, ["tail", "--filter", expression, "--state-dir", str(tmp_path), "--json"]
        )
        assert result.exit_code == 1
        assert json.loads(result.stdout)["code"] == "bad_filter", result.stdout


def test_help_lists_the_fields() -> None:
    out = CliRunner().invoke(main, ["tail", "--help"]).stdout
    for field in ("status=", "path=", "room=", "outcome=", "q=", "ws"):
        assert field in out


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_tail_stops_on_sigint_even_when_started_ignoring_it(
    nanodev_proc: Callable[..., Proc],
) -> None:
    proc = nanodev_proc()
    tail = subprocess.Popen(
        [sys.executable, "-m", "nanodev", "tail", "--state-dir", str(proc.state_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_ignore_sigint,  # noqa: PLW1509 - the state a shell gives `cmd &`
    )
    assert tail.stdout is not None
    try:
        first = tail.stdout.readline()
        assert first.startswith("following ") and "Ctrl-C to stop" in first, first
        tail.send_signal(signal.SIGINT)
        started = time.monotonic()
        code = tail.wait(timeout=10)
        assert code == 0 and time.monotonic() - started < 5
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait()
        tail.stdout.close()
