"""`nanodev up`'s terminal, as a developer sees it: a real process in a pseudo-terminal or piped,
driven over loopback, its output read as it is written."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pty
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import jsonschema
import pytest

from tests.cli.test_contract import SCHEMAS
from tests.conftest import free_port

ESC = "\x1b["
RED = "\x1b[31m"


class Term:
    """A `nanodev up` subprocess whose stdout is a pseudo-terminal (`tty=True`) or a pipe."""

    def __init__(self, cwd: Path, *args: str, tty: bool, env: dict[str, str] | None = None):
        environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
        environ |= {"PYTHONUNBUFFERED": "1", "TERM": "xterm", **(env or {})}
        cmd = [sys.executable, "-m", "nanodev", "up", "--port", "0", "--worker-port", "0"]
        cmd += ["--state-dir", str(cwd / "state"), *args]
        self.text = ""
        self._closed = False
        self._lock = threading.Lock()
        if tty:
            master, slave = pty.openpty()
            self.proc = subprocess.Popen(
                cmd, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL, cwd=cwd, env=environ
            )
            os.close(slave)
            self._fd = master
        else:
            self.proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd, env=environ
            )
            assert self.proc.stdout is not None
            self._fd = self.proc.stdout.fileno()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for(r"Ctrl-C to stop|\"kind\":\"ready\"", timeout=30)
        found = re.search(r"(?:Page\s+|\"page_url\":\")(http://127\.0\.0\.1:\d+)", self.text)
        assert found, self.text
        self.url = found.group(1)

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:  # the pty's other side closed
                return
            if not chunk:
                return
            with self._lock:
                self.text += chunk.decode("utf-8", "replace")

    def wait_for(self, pattern: str, timeout: float = 10.0, after: int = 0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = re.compile(pattern).search(self.text, after)
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} not in the terminal:\n{self.text}")

    def cli(self, cwd: Path, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "nanodev", *args, "--state-dir", str(cwd / "state")],
            capture_output=True,
            text=True,
            check=True,
            cwd=cwd,
        ).stdout

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        finally:
            self.close()

    def close(self) -> None:
        """Reap the process, let the reader take the last lines, close our end (once: a
        closed descriptor's number may already belong to another file)."""
        if self._closed:
            return
        self._closed = True
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        else:
            with contextlib.suppress(OSError):
                os.close(self._fd)


@pytest.fixture
def term(tmp_path: Path) -> Iterator[list[Term]]:
    made: list[Term] = []
    yield made
    for t in made:
        t.close()


def start(made: list[Term], cwd: Path, *args: str, tty: bool, **env: str) -> Term:
    t = Term(cwd, *args, tty=tty, env=env)
    made.append(t)
    return t


async def _refused_handshake(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url.replace("http://", "ws://") + "/__ws/websocket?room_id=")


async def test_colour_on_a_terminal_with_the_fix_dimmed(tmp_path: Path, term: list[Term]) -> None:
    t = start(term, tmp_path, tty=True)
    await _refused_handshake(t.url)
    line = t.wait_for(r".*room_id is present but empty.*\r?\n.*→.*\r?\n")
    assert RED in line.group(0), repr(line.group(0))  # refused: red
    assert "\x1b[2m→" in line.group(0)  # the fix, dimmed
    assert re.search(r"\d\d:\d\d:\d\d", line.group(0))
    assert t.stop() == 0


async def test_no_colour_with_no_color_even_on_a_terminal(tmp_path: Path, term: list[Term]) -> None:
    t = start(term, tmp_path, tty=True, NO_COLOR="1")
    await _refused_handshake(t.url)
    t.wait_for(r"room_id is present but empty.*\r?\n\s+→ ")
    assert ESC not in t.text
    assert t.stop() == 0


async def test_no_colour_when_piped_unless_forced(tmp_path: Path, term: list[Term]) -> None:
    piped = start(term, tmp_path, tty=False)
    await _refused_handshake(piped.url)
    piped.wait_for(r"\d\d:\d\d:\d\d GET /__ws/websocket\?room_id= 400 .*\n\s+→ ")
    assert ESC not in piped.text
    assert piped.stop() == 0
    forced = start(term, tmp_path, tty=False, FORCE_COLOR="1")
    await _refused_handshake(forced.url)
    forced.wait_for(re.escape(RED) + "GET /__ws")
    assert forced.stop() == 0


async def test_close_line_after_a_revoke(tmp_path: Path, term: list[Term]) -> None:
    t = start(term, tmp_path, tty=False)
    t.cli(tmp_path, "keys", "create", "--user", "r@example.com", "--id", "nk_test_revokeme")
    ws_url = t.url.replace("http://", "ws://") + "/__ws/websocket?room_id=term-room"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(ws_url + "&key=nk_test_revokeme") as ws,
    ):
        await ws.receive_json(timeout=5)
        t.cli(tmp_path, "keys", "revoke", "nk_test_revokeme")
        msg = await ws.receive(timeout=10)
        assert ws.close_code == 1008 or msg.data == 1008
    line = t.wait_for(r"close /__ws/websocket room=term-room 1008 by server \(policy violation")
    rest = t.text[line.start() :].splitlines()
    assert re.search(r"after \d+\.\ds, .*\d+ in / \d+ out", rest[0]), rest[0]
    assert "→ The credential expired or was revoked" in rest[1]
    t.stop()
    assert "1001 by server (going away" not in t.text  # the closed socket is not closed again


async def test_shutdown_closes_are_shown_with_1001(tmp_path: Path, term: list[Term]) -> None:
    t = start(term, tmp_path, tty=False)
    t.cli(tmp_path, "keys", "create", "--user", "s@example.com", "--id", "nk_test_shutdown")
    ws_url = t.url.replace("http://", "ws://") + "/__ws/websocket?room_id=bye-room"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(ws_url + "&key=nk_test_shutdown") as ws,
    ):
        await ws.receive_json(timeout=5)
        assert t.stop() == 0
    assert re.search(r"close /__ws/websocket room=bye-room 1001 by server", t.text), t.text


def test_restart_needed_line_after_a_port_edit(tmp_path: Path, term: list[Term]) -> None:
    config = tmp_path / "nanodev.toml"
    config.write_text("[nanodev]\nroom_idle_seconds = 30\n")
    t = start(term, tmp_path, tty=False)
    time.sleep(0.5)  # the watcher is armed once the server listens
    config.write_text(f"[nanodev]\nroom_idle_seconds = 30\nport = {free_port()}\n")
    t.wait_for(r"\d\d:\d\d:\d\d nanodev\.toml: restart nanodev to apply port", timeout=15)
    assert t.stop() == 0


def test_refused_hook_line(tmp_path: Path, term: list[Term]) -> None:
    hooks = tmp_path / "hooks.py"
    hooks.write_text(
        'from nanodev.frontend.hooks import rpc\n\n@rpc("getSchema")\ndef clash(call):\n    pass\n'
    )
    t = start(term, tmp_path, "--hooks", str(hooks), tty=False)
    assert "--hooks" in t.text and str(hooks) in t.text  # the card says it is in effect
    t.wait_for(r"reload hooks \(hooks\.py\) ok .*getSchema is a built-in method", timeout=15)
    assert t.stop() == 0


async def test_pattern_line_once_then_when_it_changes(tmp_path: Path, term: list[Term]) -> None:
    t = start(term, tmp_path, tty=False)
    cookie = t.cli(tmp_path, "sessions", "create", "--user", "p@example.com", "--json")
    header = {"Cookie": json.loads(cookie)["cookie"]}
    url = t.url.replace("http://", "ws://") + "/__ws/websocket"

    async def roomless(times: int) -> None:
        async with aiohttp.ClientSession() as session:
            for _ in range(times):
                with pytest.raises(aiohttp.WSServerHandshakeError):
                    await session.ws_connect(url, headers=header)

    await roomless(3)
    t.wait_for(r"(?s)(GET /__ws/websocket 400.*){3}")
    await asyncio.sleep(0.3)
    said = re.findall(r"pattern: (\d+) cookie-authenticated handshakes", t.text)
    assert said == ["2"], t.text  # said once, not again for the third
    await roomless(1)
    t.wait_for(r"pattern: 4 cookie-authenticated handshakes to /__ws/websocket")
    assert t.stop() == 0
    assert re.findall(r"pattern: (\d+) cookie", t.text) == ["2", "4"]


async def test_log_format_json_lines(tmp_path: Path, term: list[Term]) -> None:
    t = start(term, tmp_path, "--log-format", "json", tty=False)
    await _refused_handshake(t.url)
    t.wait_for(r'\{"ts":\d+,.*"kind":"request".*\}\n')
    assert t.stop() == 0
    records = [json.loads(line) for line in t.text.splitlines()]  # every line is JSON
    for record in records:  # docs/cli-json.md's schema for `up --log-format json`
        jsonschema.validate(record, SCHEMAS["tail"])
    assert records[0]["kind"] == "ready" and records[0]["page_url"] == t.url
    assert records[-1]["kind"] == "stopping"
    request = next(r for r in records if r["kind"] == "request")
    assert request["status"] == 400 and request["level"] == "refused"
    assert request["fix"] and request["time"].endswith("Z")
    assert abs(request["ts"] - time.time() * 1000) < 60_000


def test_ready_is_measured_from_process_start(tmp_path: Path, term: list[Term]) -> None:
    spawned = time.perf_counter()
    t = start(term, tmp_path, tty=False)
    outside_ms = (time.perf_counter() - spawned) * 1000
    ready_ms = float(t.wait_for(r"ready in (\d+) ms").group(1))
    # the card's figure includes interpreter start and imports: close to what the parent saw
    assert ready_ms <= outside_ms + 50
    assert ready_ms >= outside_ms * 0.6, (ready_ms, outside_ms)
    assert t.stop() == 0
