"""Set-ups in the working directory that break the socket before any code runs.

Heuristics, not parsers: a Vite proxy for `/__ws` aimed at the wrong port or missing the rewrite
or `ws: true`; an HMR path that overlaps `/__ws`; a `.dev.vars` whose `BETTER_AUTH_URL` is a
production origin; source that builds a `room_id` with no value. The text checks are pure
functions over file contents; only `scan` reads files, bounded in count and size.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from nanodev.doctor.report import CheckResult, Status, Verdict

VITE_CONFIGS = ("vite.config.ts", "vite.config.js", "vite.config.mjs", "vite.config.mts")
SOURCE_SUFFIXES = frozenset({".ts", ".tsx", ".js", ".jsx", ".mjs"})
SKIP_DIRS = frozenset(
    {"node_modules", "dist", "build", ".git", ".nanodev", ".wrangler", ".next", "coverage"}
)
MAX_FILES = 2000
MAX_FILE_BYTES = 512 * 1024
MAX_FINDINGS = 3
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})

_WS_KEY = re.compile(r"""['"`]\^?/__ws['"`]\s*:\s*""")
_TARGET = re.compile(r"""\btarget\s*:\s*['"`]([^'"`]+)['"`]""")
_WS_TRUE = re.compile(r"\bws\s*:\s*true\b")
_REWRITE = re.compile(r"\brewrite\s*:")
_HMR_PATH = re.compile(r"""\bhmr\s*:\s*\{[^}]*\bpath\s*:\s*['"`]/?([^'"`]*)['"`]""", re.S)
_DEV_VAR = re.compile(r"""^\s*(?:export\s+)?BETTER_AUTH_URL\s*=\s*['"]?([^'"\s#]+)""", re.M)
# A string literal that ends the URL at `room_id` or `room_id=` with nothing appended.
_ROOM_LITERAL = re.compile(r"""[?&]room_id=?(['"`])(?!\s*\+)""")
# `room_id=${x ?? ''}` / `${x || ""}` and `searchParams.set("room_id", x ?? "")`.
_ROOM_TEMPLATE = re.compile(r"""room_id=\$\{[^}]*(?:\|\||\?\?)\s*(?:''|""|``)\s*\}""")
_ROOM_SET = re.compile(r"""\.set\(\s*['"]room_id['"]\s*,[^)]*(?:\|\||\?\?)\s*(?:''|""|``)\s*\)""")


@dataclass(frozen=True, slots=True)
class ViteProxy:
    """What the `/__ws` proxy entry says, or None fields when it does not say it."""

    found: bool
    target: str | None = None
    ws: bool = False
    rewrite: bool = False


def object_after(text: str, start: int) -> str | None:
    """The `{…}` literal starting at or after `start` (balanced braces, strings ignored)."""
    open_at = text.find("{", start)
    if open_at < 0 or text[start:open_at].strip():
        return None
    depth, quote = 0, ""
    for i in range(open_at, len(text)):
        ch = text[i]
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[open_at : i + 1]
    return None


def parse_ws_proxy(text: str) -> ViteProxy:
    match = _WS_KEY.search(text)
    if match is None:
        return ViteProxy(False)
    body = object_after(text, match.end())
    if body is None:  # shorthand: '/__ws': 'ws://localhost:8787' (no ws, no rewrite)
        target = re.match(r"""['"`]([^'"`]+)['"`]""", text[match.end() :])
        return ViteProxy(True, target.group(1) if target else None)
    target = _TARGET.search(body)
    rw = _REWRITE.search(body)
    rewrite = rw is not None and "__ws" in body[rw.start() :]
    ws = bool(_WS_TRUE.search(body))
    return ViteProxy(True, target.group(1) if target else None, ws, rewrite)


def port_of(url: str) -> int | None:
    try:
        parts = urlsplit(url)
        if parts.port is not None:
            return parts.port
    except ValueError:
        return None
    return {"http": 80, "ws": 80, "https": 443, "wss": 443}.get(parts.scheme)


def vite_proxy_verdict(proxy: ViteProxy, worker_port: int, config: str) -> Verdict:
    fix_entry = (
        f"In {config}: '/__ws': {{ target: 'ws://127.0.0.1:{worker_port}', ws: true, "
        "rewrite: (p) => p.replace(/^\\/__ws/, '') }"
    )
    if not proxy.found:
        return Verdict(
            Status.WARN,
            f"{config} has no proxy entry for /__ws: the page's socket to /__ws/websocket "
            "reaches Vite itself, which answers with its own HMR socket or a 404",
            fix_entry,
        )
    problems = []
    port = port_of(proxy.target) if proxy.target else None
    if port != worker_port:
        problems.append(
            f"its target {proxy.target or '(none)'} is not the worker's port {worker_port}"
        )
    if not proxy.ws:
        problems.append("it lacks ws: true, so the upgrade is forwarded as plain HTTP")
    if not proxy.rewrite:
        problems.append("it lacks the rewrite, so the worker sees /__ws/websocket")
    if problems:
        return Verdict(
            Status.WARN, f"the /__ws proxy in {config}: " + "; ".join(problems), fix_entry
        )
    return Verdict(
        Status.PASS, f"{config} proxies /__ws to port {worker_port} with ws: true and the rewrite"
    )


def hmr_verdict(text: str, config: str) -> Verdict:
    match = _HMR_PATH.search(text)
    if match is None:
        return Verdict(Status.PASS, f"{config} leaves Vite's HMR socket on its own path")
    path = "/" + match.group(1).lstrip("/")
    if path == "/__ws" or path.startswith("/__ws/"):
        return Verdict(
            Status.WARN,
            f"{config} puts Vite's HMR socket at {path}, inside /__ws: HMR and the app's socket "
            "collide (HMR pings reach the Worker, or the proxy swallows the app's upgrade)",
            "Remove server.hmr.path, or move it outside /__ws (e.g. /__vite_hmr)",
        )
    return Verdict(Status.PASS, f"{config}'s HMR path {path} does not overlap /__ws")


def dev_vars_verdict(text: str) -> Verdict:
    match = _DEV_VAR.search(text)
    if match is None:
        return Verdict(Status.PASS, ".dev.vars sets no BETTER_AUTH_URL")
    url = match.group(1)
    host = (urlsplit(url).hostname or "").lower()
    if host in LOOPBACK:
        return Verdict(Status.PASS, f".dev.vars points BETTER_AUTH_URL at {url} (local)")
    return Verdict(
        Status.WARN,
        f".dev.vars sets BETTER_AUTH_URL to {url}, a production origin: local sign-in gets "
        "__Secure- cookies and production's trusted origins, so the local socket sees no session",
        "Set BETTER_AUTH_URL=http://localhost:8787 in .dev.vars (nanodev itself never reads it)",
    )


def room_id_findings(text: str) -> list[tuple[int, str]]:
    """(line number, line) for each place that builds a room_id that can be empty."""
    found = []
    for pattern in (_ROOM_LITERAL, _ROOM_TEMPLATE, _ROOM_SET):
        for match in pattern.finditer(text):
            line_no = text.count("\n", 0, match.start()) + 1
            line = text.splitlines()[line_no - 1].strip()
            found.append((line_no, line[:120]))
    return sorted(set(found))


def room_id_verdict(findings: list[tuple[str, int, str]], scanned: int) -> Verdict:
    if scanned == 0:
        return Verdict(Status.SKIP, "no .ts/.tsx/.js source files in this directory")
    if not findings:
        return Verdict(Status.PASS, f"no room_id built without a value in {scanned} source files")
    where = "; ".join(f"{path}:{line} {text}" for path, line, text in findings[:MAX_FINDINGS])
    more = f" (+{len(findings) - MAX_FINDINGS} more)" if len(findings) > MAX_FINDINGS else ""
    return Verdict(
        Status.WARN,
        f"source builds a room_id that can be empty: {where}{more}",
        "Create the socket only once the room is known (enabled: Boolean(roomId)) and never "
        "fall back to an empty string",
    )


# -- I/O: the working directory -----------------------------------------------------------------
def scan(cwd: Path, worker_port: int) -> list[CheckResult]:
    """The working-directory checks, in order; each says what it read."""
    return [*_vite_checks(cwd, worker_port), _dev_vars_check(cwd), _room_id_check(cwd)]


def _timed(name: str, started: float, verdict: Verdict, observed: str) -> CheckResult:
    return CheckResult.of(name, verdict, observed, (time.perf_counter() - started) * 1000)


def _vite_checks(cwd: Path, worker_port: int) -> list[CheckResult]:
    started = time.perf_counter()
    config = next((cwd / n for n in VITE_CONFIGS if (cwd / n).is_file()), None)
    if config is None:
        reason = f"no vite.config.{{ts,js,mjs}} in {cwd}"
        return [
            _timed("vite proxy /__ws", started, Verdict(Status.SKIP, reason), ""),
            _timed("vite hmr path", started, Verdict(Status.SKIP, reason), ""),
        ]
    text = _read(config) or ""
    proxy = parse_ws_proxy(text)
    seen = f"target {proxy.target}" if proxy.target else ("entry" if proxy.found else "no entry")
    return [
        _timed(
            "vite proxy /__ws", started, vite_proxy_verdict(proxy, worker_port, config.name), seen
        ),
        _timed("vite hmr path", started, hmr_verdict(text, config.name), config.name),
    ]


def _dev_vars_check(cwd: Path) -> CheckResult:
    started = time.perf_counter()
    text = _read(cwd / ".dev.vars")
    if text is None:
        return _timed(".dev.vars", started, Verdict(Status.SKIP, f"no .dev.vars in {cwd}"), "")
    return _timed(".dev.vars", started, dev_vars_verdict(text), ".dev.vars")


def _room_id_check(cwd: Path) -> CheckResult:
    started = time.perf_counter()
    findings: list[tuple[str, int, str]] = []
    scanned = 0
    for path in source_files(cwd):
        text = _read(path)
        if text is None:
            continue
        scanned += 1
        if "room_id" in text:
            rel = str(path.relative_to(cwd))
            findings += [(rel, line, code) for line, code in room_id_findings(text)]
    verdict = room_id_verdict(findings, scanned)
    return _timed("room_id in page code", started, verdict, f"{scanned} files")


def source_files(cwd: Path, limit: int = MAX_FILES) -> Iterator[Path]:
    """Source files under `cwd`, dependency and build folders skipped, at most `limit`."""
    count = 0
    stack = [cwd]
    while stack and count < limit:
        folder = stack.pop()
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir() and entry.name not in SKIP_DIRS:
                stack.append(entry)
            elif entry.suffix in SOURCE_SUFFIXES and count < limit:
                count += 1
                yield entry


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
