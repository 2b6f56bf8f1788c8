"""The real Workers runtime (workerd, from `npm ci --prefix tests/workerd`) running
tests/workerd/worker.js on loopback, for tests and benchmarks.

    worker = start_workerd()          # WorkerdMissing when the binary is not installed
    worker.base_url                   # http://127.0.0.1:<port>, the Worker as the reference has it
    worker.url("no-room-id-check")    # the same Worker with a deliberate bug (see VARIANTS)
    worker.port, worker.proc          # that Worker's port; the workerd process (a Popen)
    worker.valid_key, worker.expired_key, worker.revoked_key, worker.cookie, worker.session_token
    worker.stop()                     # SIGTERM, then SIGKILL; reaped; its directory removed

One workerd process serves every variant, each on its own listening socket, which this module
binds on 127.0.0.1 port 0 and hands to workerd as a file descriptor (no port is guessed).
Durable Object storage lives in a temporary directory removed by `stop()`. Only the standard
library is used, so a benchmark can import this file with tests/ on `sys.path`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

HOST = "127.0.0.1"
PACKAGE = Path(__file__).resolve().parent / "workerd"
INSTALL = "npm ci --prefix tests/workerd --no-audit --no-fund"
VARIANTS = {
    "faithful": "",  # the Worker as the reference describes it, with its [REC] fixes
    "no-room-id-check": "no-room-id-check",  # lets any room_id in, even a missing one
    "test-hooks": "test-hooks",  # echoes non-action frames; closes and reports closes on request
}
COMPATIBILITY_DATE = "2025-01-01"
USER_ID = "workerd-user"
KINDS = ("valid", "expired", "revoked")


class WorkerdMissing(RuntimeError):
    """The workerd binary is not installed; the message says how to install it."""


def workerd_binary() -> Path:
    """The platform binary the npm package's optional dependency ships, or its bin link."""
    modules = PACKAGE / "node_modules"
    for found in sorted(modules.glob("@cloudflare/workerd-*/bin/workerd")):
        if os.access(found, os.X_OK):
            return found
    link = modules / ".bin" / "workerd"
    if link.exists():
        return link
    raise WorkerdMissing(f"workerd is not installed in {PACKAGE}: run `{INSTALL}`")


@dataclass
class Workerd:
    """A running workerd; every URL is on 127.0.0.1."""

    proc: subprocess.Popen[bytes]
    ports: dict[str, int]
    workdir: Path
    valid_key: str
    expired_key: str
    revoked_key: str  # deleted, as the app revokes a key: the Worker does not know it
    cookie: str  # the signed value of better-auth.session_token
    session_token: str  # the raw token behind that cookie
    user_id: str = USER_ID
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.workdir / "workerd.log"

    @property
    def port(self) -> int:
        return self.ports["faithful"]

    @property
    def base_url(self) -> str:
        return self.url()

    def url(self, variant: str = "faithful") -> str:
        return f"http://{HOST}:{self.ports[variant]}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 5.0) -> int | None:
        """Stop the process group (SIGTERM, then SIGKILL), reap it, remove the directory."""
        code = self.proc.poll()
        if code is None:
            _signal_group(self.proc, signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc, signal.SIGKILL)
                code = self.proc.wait(timeout=timeout)
        shutil.rmtree(self.workdir, ignore_errors=True)
        return code


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)  # the process leads its own group (start_new_session)


def signed_cookie(token: str, secret: str) -> str:
    """Better Auth's cookie value: encodeURIComponent(token + "." + base64(HMAC-SHA256))."""
    digest = hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()
    return quote(f"{token}.{base64.b64encode(digest).decode()}", safe="-_.!~*'()")


def config(variants: dict[str, str]) -> str:
    """The capnp config: one worker service, one socket and one storage directory per variant."""
    services, sockets, workers = [], [], []
    for i, (name, variant) in enumerate(variants.items()):
        services += [
            f'(name = "{name}", worker = .w{i})',
            f'(name = "{name}-storage", disk = (path = "storage/{name}", writable = true))',
        ]
        sockets.append(f'(name = "{name}", http = (), service = "{name}")')
        workers.append(
            f"const w{i} :Workerd.Worker = (\n"
            '  modules = [(name = "worker.js", esModule = embed "worker.js")],\n'
            f'  compatibilityDate = "{COMPATIBILITY_DATE}",\n'
            f'  durableObjectNamespaces = [(className = "Room", uniqueKey = "room-{name}", '
            "enableSql = true)],\n"
            f'  durableObjectStorage = (localDisk = "{name}-storage"),\n'
            "  bindings = [\n"
            '    (name = "ROOM", durableObjectNamespace = "Room"),\n'
            '    (name = "AUTH", text = embed "auth.json"),\n'
            f'    (name = "VARIANT", text = "{variant}"),\n'
            "  ],\n);"
        )
    joined = ",\n    ".join
    return (
        'using Workerd = import "/workerd/workerd.capnp";\n'
        "const config :Workerd.Config = (\n"
        f"  services = [\n    {joined(services)},\n  ],\n"
        f"  sockets = [\n    {joined(sockets)},\n  ],\n);\n" + "\n".join(workers) + "\n"
    )


@dataclass(frozen=True)
class Credentials:
    """What the Worker is told about (its AUTH binding) and what a client sends."""

    valid_key: str
    expired_key: str
    revoked_key: str
    cookie: str
    session_token: str

    @classmethod
    def fresh(cls) -> tuple[Credentials, dict[str, object]]:
        """New keys and a session, and the AUTH binding's JSON that knows them."""
        now_ms = int(time.time() * 1000)
        secret, token = secrets.token_hex(32), secrets.token_urlsafe(24)
        key = {kind: f"nk_workerd_{kind}_{secrets.token_hex(8)}" for kind in KINDS}
        made = cls(
            valid_key=key["valid"],
            expired_key=key["expired"],
            revoked_key=key["revoked"],
            cookie=signed_cookie(token, secret),
            session_token=token,
        )
        auth: dict[str, object] = {
            "secret": secret,
            "keys": {
                made.valid_key: {"user_id": USER_ID, "expires_at": now_ms + 3_600_000},
                made.expired_key: {"user_id": USER_ID, "expires_at": now_ms - 60_000},
            },
            "sessions": {token: {"userId": USER_ID, "expiresAt": now_ms // 1000 + 3600}},
        }
        return made, auth


def _listener() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    sock.listen(128)
    return sock


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, always


def _healthy(url: str) -> bool:
    try:
        with _NO_PROXY.open(url + "/health", timeout=1) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _prepare(workdir: Path, variants: dict[str, str], auth: dict[str, object]) -> None:
    (workdir / "auth.json").write_text(json.dumps(auth))
    shutil.copy(PACKAGE / "worker.js", workdir / "worker.js")
    for name in variants:
        (workdir / "storage" / name).mkdir(parents=True)
    (workdir / "config.capnp").write_text(config(variants))


def _spawn(
    binary: Path, workdir: Path, listeners: dict[str, socket.socket]
) -> subprocess.Popen[bytes]:
    args = [str(binary), "serve", "config.capnp"]
    for name, sock in listeners.items():
        args += ["--socket-fd", f"{name}={sock.fileno()}"]
    with (workdir / "workerd.log").open("wb") as log:
        return subprocess.Popen(
            args,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=[s.fileno() for s in listeners.values()],
            start_new_session=True,
        )


def start_workerd(variants: tuple[str, ...] = tuple(VARIANTS), timeout: float = 20.0) -> Workerd:
    """Spawn workerd serving `variants`; return once each answers GET /health with 200."""
    binary = workerd_binary()
    chosen = {name: VARIANTS[name] for name in variants}
    made, auth = Credentials.fresh()
    workdir = Path(tempfile.mkdtemp(prefix="nanodev-workerd-"))
    listeners = {name: _listener() for name in chosen}
    try:
        _prepare(workdir, chosen, auth)
        proc = _spawn(binary, workdir, listeners)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    finally:
        ports = {name: int(sock.getsockname()[1]) for name, sock in listeners.items()}
        for sock in listeners.values():
            sock.close()  # workerd holds its own copies
    worker = Workerd(proc, ports, workdir, **asdict(made))
    try:
        _wait_ready(worker, timeout)
    except Exception as exc:
        output = worker.output()
        worker.stop()
        raise RuntimeError(f"workerd did not become ready ({exc}):\n{output}") from None
    except BaseException:  # interrupted: still reap the process
        worker.stop()
        raise
    return worker


def _wait_ready(worker: Workerd, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    waiting = set(worker.ports)
    while waiting:
        if worker.proc.poll() is not None:
            raise RuntimeError(f"workerd exited with {worker.proc.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no 200 from /health within {timeout} s")
        waiting = {name for name in waiting if not _healthy(worker.url(name))}
        if waiting:
            time.sleep(0.05)
