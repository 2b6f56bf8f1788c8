"""Figure S7: fuzzing a real `nanodev up` over live sockets.

Hypothesis generates frames (JSON-ish, arbitrary text and binary, random actions, random
payloads for every RPC method) and HTTP requests to the worker's routes; a fixed raw-socket
corpus sends request-smuggling and path-traversal spellings. Pass: the process never dies,
its output never shows a traceback, every bad frame gets an error frame with a `code` (every
RPC an answer, never INTERNAL_ERROR), every HTTP request gets a status below 500 and a 4xx
has a body, and a liveness probe (`/health` plus a ping on its own socket) keeps answering.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nanodev.rooms.methods import builtin_methods
from nanodev.rooms.methods import cloud as methods_cloud
from nanodev.rooms.protocol import KNOWN_ACTIONS
from tests.conftest import Proc, free_port
from tests.procwatch import keep_reading, stop_and_collect
from tests.reliability import RawWS, close_code, report, scaled

ROOM = "fuzz-room"
SECRET = "FUZZ-SECRET-MARKER-7f3a"
CLOUD_METHODS = [
    "search",
    "chatWithDatabase",
    "subscribeSemantic",
    "streamIntent",
    "getSyncStatus",
    "forceSyncAll",
    "getAuditLog",
]
METHODS = builtin_methods().names() + CLOUD_METHODS
FIELDS = [
    "active", "columns", "description", "events", "field", "id", "key", "limit", "message",
    "offset", "query", "readonly", "rows", "secret", "sql", "table", "tableName", "threshold",
    "title", "topic", "url", "userId", "value", "x", "y", "status", "name", "type", "data",
]  # fmt: skip
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=24)
SPICY = st.sampled_from(
    [
        "tasks", "_nanodev_usage", "sqlite_master", "", " ", "x" * 600, "1; DROP TABLE tasks",
        "SELECT * FROM tasks", "'", '"', "\x00", "../../etc/passwd", "NaN", "-1", "1e309",
        "http://127.0.0.1:1/hook", "javascript:alert(1)", "<script>", "id", "title",
        "ATTACH DATABASE 'x' AS y", "PRAGMA writable_schema=1", "WITH RECURSIVE c(x) AS "
        "(SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c LIMIT 5",
    ]
)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
    | SPICY
)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT | SPICY, inner, max_size=4),
    max_leaves=12,
)
EDGES = st.sampled_from(
    [
        0, 1, -1, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**70, 1e308, -1e308, 0.5, "1",
        "-1", "99999999999999999999999", "1e400", [], {}, [1], {"a": 1}, True,
    ]
)  # fmt: skip
BIG = st.sampled_from([2**63, -(2**63) - 1, 2**70, -(2**70)])  # beyond SQLite's integers
VALUES = BIG | EDGES | SPICY | JSONISH
ROWS = st.lists(
    st.dictionaries(st.sampled_from(["id", "title", "status", "owner_id", "x"]), VALUES),
    max_size=3,
)
COLUMNS = st.lists(
    st.fixed_dictionaries(
        {"name": TEXT | SPICY},
        optional={
            "type": st.sampled_from(["TEXT", "INTEGER", "REAL", "BLOB", "x; DROP"]) | TEXT,
            "default": VALUES,
            "notNull": VALUES,
            "primaryKey": VALUES,
            "unique": VALUES,
            "defaultValue": VALUES,
        },
    )
    | VALUES,
    max_size=3,
)
SHAPES = {"rows": ROWS | VALUES, "columns": COLUMNS | VALUES}
PAYLOADS = st.dictionaries(st.sampled_from(FIELDS) | TEXT, VALUES, max_size=6) | JSONISH


def fields_of(method: str) -> list[str]:
    """The payload fields the method's module reads, so each gets edge values often."""
    handler = builtin_methods().get(method)
    module = inspect.getmodule(handler) if handler is not None else methods_cloud
    return sorted(set(re.findall(r'\.get\("(\w+)"', inspect.getsource(module))))


def payloads_for(method: str) -> st.SearchStrategy[Any]:
    fields = {f: SHAPES.get(f, VALUES) for f in fields_of(method)}
    return st.fixed_dictionaries({}, optional=fields) | PAYLOADS


FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- the live server and its probe ------------------------------------------------------------
class Probe(threading.Thread):
    """GET /health and a ping on its own socket every 0.2 s while the fuzzing runs."""

    def __init__(self, port: int, target: str) -> None:
        super().__init__(name="liveness", daemon=True)
        self.port, self.target = port, target
        self.stop = threading.Event()
        self.checks = 0
        self.worst_ms = 0.0
        self.failures: list[str] = []

    def run(self) -> None:
        ws = RawWS(self.port, self.target)
        ws.recv_json()
        while not self.stop.wait(0.2):
            started = time.perf_counter()
            try:
                status, _ = http(self.port, request("GET", "/health", self.port))
                ws.send_text('{"action":"ping"}')
                pong = ws.recv_json(timeout=5)
                assert status == 200 and pong == {"type": "pong"}, (status, pong)
            except (OSError, AssertionError, ValueError) as exc:
                self.failures.append(repr(exc))
                return
            self.checks += 1
            self.worst_ms = max(self.worst_ms, (time.perf_counter() - started) * 1000)
        ws.close()


@dataclass
class Live:
    proc: Proc
    key: str
    probe: Probe
    counts: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:  # hypothesis prints it with every falsifying example
        return f"Live(port={self.port})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis pretty-prints dataclasses field by field, server output included: past
        # 30 kB that is a warning (an error here) that hides the real failure.
        printer.text(repr(self))

    @property
    def port(self) -> int:
        return self.proc.bound_port

    def ws_target(self, room: str = ROOM) -> str:
        return f"/__ws/websocket?room_id={room}&key={self.key}"

    def check_alive(self) -> None:
        assert self.proc.proc is not None and self.proc.proc.poll() is None, "server died"
        assert not self.probe.failures, self.probe.failures
        log = "".join(self.proc.output)
        assert "Traceback" not in log, log[log.index("Traceback") - 2000 :][:6000]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    base = tmp_path_factory.mktemp("fuzz")
    site, outside = base / "site", base / "outside"
    site.mkdir()
    outside.mkdir()
    (site / "index.html").write_text("<!doctype html><title>fuzz site</title>")
    (outside / "secret.txt").write_text(SECRET)
    env = {"NANODEV_DELIVER_WEBHOOKS": "false"}  # generated webhook URLs must go nowhere
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        proc = Proc(base / "state", free_port(), ["--static", str(site)]).start()
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    reader = keep_reading(proc)
    key = proc.cli("keys", "create", "--user", "fuzz@example.com")["id"]
    probe = Probe(proc.bound_port, f"/__ws/websocket?room_id=probe-room&key={key}")
    probe.start()
    live = Live(proc, key, probe)
    yield live
    probe.stop.set()
    probe.join(timeout=10)
    assert stop_and_collect(proc, reader) == 0
    assert "Traceback" not in "".join(proc.output)


# -- frames -----------------------------------------------------------------------------------
def exchange(live: Live, send: Any, pongs: int = 1) -> tuple[list[dict[str, Any]], int | None]:
    """Send one frame on a fresh socket, then a ping; every frame up to the last pong, and the
    close code if the server closed instead."""
    ws = RawWS(live.port, live.ws_target())
    try:
        ws.recv_json()
        send(ws)
        ws.send_text('{"action":"ping"}')
        frames: list[dict[str, Any]] = []
        while pongs:
            opcode, data = ws.recv_frame(timeout=15)
            if opcode == 8:
                return frames, close_code(data)
            if opcode == 1:
                frame = json.loads(data)
                pongs -= frame == {"type": "pong"}
                frames.append(frame)
        return frames[:-1], None
    finally:
        ws.close()


def expect_error_code(live: Live, frames: list[dict[str, Any]], closed: int | None) -> None:
    assert closed is None, f"socket closed with {closed}"
    codes = [f.get("code") for f in frames if f.get("type") == "error"]
    assert codes and all(codes), frames
    live.counts["bad_frames"] = live.counts.get("bad_frames", 0) + 1


def is_valid_action(value: Any) -> bool:
    return isinstance(value, dict) and value.get("action") in KNOWN_ACTIONS


@settings(FUZZ, max_examples=scaled(150, 1500))
@given(text=TEXT | st.text(max_size=300) | JSONISH.map(json.dumps))
def test_fuzz_text_frames(live: Live, text: str) -> None:
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    pongs = 2 if isinstance(parsed, dict) and parsed.get("action") == "ping" else 1
    frames, closed = exchange(live, lambda ws: ws.send_text(text), pongs)
    if not is_valid_action(parsed):
        expect_error_code(live, frames, closed)
    assert closed is None
    live.counts["text"] = live.counts.get("text", 0) + 1
    live.check_alive()


@settings(FUZZ, max_examples=scaled(50, 500))
@given(data=st.binary(max_size=300))
def test_fuzz_binary_frames(live: Live, data: bytes) -> None:
    frames, closed = exchange(live, lambda ws: ws.send_frame(2, data))
    expect_error_code(live, frames, closed)
    assert frames[0]["code"] == "BINARY_FRAME"
    live.check_alive()


ACTION_FRAMES = st.fixed_dictionaries(
    {"action": st.sampled_from(KNOWN_ACTIONS) | TEXT},
    optional={
        k: JSONISH | SPICY
        for k in ("requestId", "updateId", "table", "queryId", "method", "tables", "payload", "sql")
    },
)


# Hypothesis mixes literals from every loaded module into what it generates, so which frames a
# run draws depends on the tests that ran before it in the process. What fuzzing found is
# therefore pinned as explicit examples, which run first in any order.
FOUND_ACTIONS = [
    {"action": "subscribe_query", "queryId": ["a"], "method": "m", "tables": ["t"]},
    {"action": "unsubscribe_query", "queryId": {"a": 1}},
]


def with_found(test: Any) -> Any:
    for frame in FOUND_ACTIONS:
        test = example(frame=frame)(test)
    return test


@with_found
@settings(FUZZ, max_examples=scaled(200, 2000))
@given(frame=ACTION_FRAMES)
def test_fuzz_actions(live: Live, frame: dict[str, Any]) -> None:
    pongs = 2 if frame["action"] == "ping" else 1
    frames, closed = exchange(live, lambda ws: ws.send_text(json.dumps(frame)), pongs)
    assert closed is None, f"{frame} closed the socket with {closed}"
    assert all(f.get("code") != "INTERNAL_ERROR" for f in frames), frames
    live.counts["actions"] = live.counts.get("actions", 0) + 1
    live.check_alive()


@pytest.mark.parametrize("method", METHODS)
@settings(FUZZ, max_examples=scaled(25, 250))
@given(data=st.data(), request_id=st.integers(0, 10**6) | TEXT)
def test_fuzz_rpc_payloads(live: Live, method: str, data: st.DataObject, request_id: Any) -> None:
    expect_rpc_answer(live, method, data.draw(payloads_for(method)), request_id)


@settings(FUZZ, max_examples=scaled(30, 300))
@given(method=TEXT, payload=PAYLOADS)
def test_fuzz_rpc_unknown_methods(live: Live, method: str, payload: Any) -> None:
    expect_rpc_answer(live, method, payload, "u")


def expect_rpc_answer(live: Live, method: str, payload: Any, request_id: Any) -> None:
    frame = {"action": "rpc", "method": method, "payload": payload, "requestId": request_id}
    frames, closed = exchange(live, lambda ws: ws.send_text(json.dumps(frame)))
    assert closed is None
    assert all(f.get("code") != "INTERNAL_ERROR" for f in frames), frames
    assert frames, f"no answer to {frame}"
    if method not in METHODS:
        assert frames[0]["code"] == "UNKNOWN_METHOD"
    live.counts["rpc"] = live.counts.get("rpc", 0) + 1
    live.check_alive()


# -- HTTP -------------------------------------------------------------------------------------
def request(
    method: str, target: str, port: int, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def raw_exchange(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return out


def statuses(raw: bytes) -> list[int]:
    lines = raw.split(b"\r\n")
    return [int(line[9:12]) for line in lines if line[:7] == b"HTTP/1." and line[8:9] == b" "]


def http(port: int, data: bytes) -> tuple[int, bytes]:
    raw = raw_exchange(port, data)
    if not raw.startswith(b"HTTP/1."):
        raise ValueError(f"no HTTP response: {raw[:200]!r}")
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head[9:12]), body


def worker_paths() -> list[str]:
    from nanodev.worker.routes.auth import POST_ROUTES as AUTH  # noqa: PLC0415

    rooms = ["/health", "/query", "/manifest", "/schema", "/api/schema", "/download-client"]
    rooms += ["/analytics", "/backup", "/backups", "/restore", "/connect", "/websocket"]
    own = ["/api/keys/generate", "/api/keys/list", "/api/keys/delete", "/api/rooms/list"]
    own += ["/api/rooms/create", "/api/rooms/delete", "/api/user-tier", "/debug-auth"]
    own += ["/global-query", "/api/webhooks/x", "/health"]
    own += ["/api/auth/ok", "/api/auth/get-session", "/api/auth/nope"]
    return own + list(AUTH) + ["/__ws" + p for p in rooms] + rooms


CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=zz",
        "multipart/form-data",
        "application/json; charset=utf-16",
    ]
)


@st.composite
def http_requests(draw: st.DrawFn, key: str) -> tuple[str, str, dict[str, str], bytes]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]))
    path = draw(st.sampled_from(worker_paths()))
    if draw(st.booleans()):
        path += "/" + quote(draw(TEXT), safe="")
    query: dict[str, str] = {}
    if draw(st.booleans()):
        query["room_id"] = draw(st.just(ROOM) | TEXT)
    if draw(st.booleans()):
        query["key"] = draw(st.just(key) | TEXT)
    for name in draw(st.lists(st.sampled_from(["limit", "sql", "table", "backupKey"]), max_size=2)):
        query[name] = draw(TEXT | SPICY)
    headers = {}
    if draw(st.booleans()):
        headers["Content-Type"] = draw(CONTENT_TYPES)
    if draw(st.booleans()):
        headers["Origin"] = draw(st.sampled_from(["null", "http://evil.example", "http://x"]))
    if draw(st.booleans()):
        headers["Cookie"] = "better-auth.session_token=" + quote(draw(TEXT), safe="")
    if draw(st.booleans()):
        headers["Authorization"] = "Bearer " + draw(st.just(key) | TEXT.map(quote))
    body = draw(
        st.just(b"")
        | JSONISH.map(lambda v: json.dumps(v).encode())
        | st.binary(max_size=400)
        | st.just(b"--zz\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--zz")
    )
    target = path + ("?" + urlencode(query) if query else "")
    return method, target, headers, body


@settings(FUZZ, max_examples=scaled(300, 3000))
@given(data=st.data())
def test_fuzz_http_requests(live: Live, data: st.DataObject) -> None:
    method, target, headers, body = data.draw(http_requests(live.key))
    status, reply = http(live.port, request(method, target, live.port, headers, body))
    assert status < 500, (method, target, headers, body[:100], reply[:300])
    if status >= 400 and method != "HEAD":
        assert reply.strip(), (method, target, status)
    live.counts["http"] = live.counts.get("http", 0) + 1
    live.check_alive()


# -- raw-socket corpus: smuggling and traversal ------------------------------------------------
def smuggling(port: int, key: str) -> list[tuple[str, bytes]]:
    host = f"Host: 127.0.0.1:{port}\r\n"
    post = "POST /api/auth/sign-in/email HTTP/1.1\r\n" + host
    upgrade = (
        f"GET /__ws/websocket?room_id={ROOM}&key={key} HTTP/1.1\r\n{host}Upgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n"
    )
    then = f"GET /health HTTP/1.1\r\n{host}\r\n"
    cases = {
        "CL+TE": post + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + then,
        "Content-Length: +5": post + "Content-Length: +5\r\n\r\nhello" + then,
        "Content-Length: 1_0": post + "Content-Length: 1_0\r\n\r\n0123456789" + then,
        "two Content-Lengths": post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "obs-fold": post + "X-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n" + then,
        "chunk-ext LF": post + "Transfer-Encoding: chunked\r\n\r\n5;a=b\nhello\r\n0\r\n\r\n" + then,
        "bare LF in chunk size": post + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
        "TE: chunked, chunked": post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
        "TE: xchunked": post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + then,
        "CR in header value": post + "X-A: a\rb\r\nContent-Length: 0\r\n\r\n" + then,
        "space before colon": post + "Content-Length : 5\r\n\r\nhello" + then,
        "two Host headers": f"GET /health HTTP/1.1\r\n{host}Host: evil.example\r\n\r\n",
        "no Host": "GET /health HTTP/1.1\r\n\r\n",
        "absolute-form, foreign": f"GET http://evil.example/health HTTP/1.1\r\n{host}\r\n",
        "huge header": post + "X-Big: " + "a" * 70000 + "\r\n\r\n",
        "upgrade with a body": upgrade + "Content-Length: 5\r\n\r\nhello" + then,
        "upgrade with chunked body": upgrade + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + then,
    }
    ok = {
        "trailers": post + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-T: 1\r\n\r\n",
        # The named host is loopback either way, so there is nothing ambiguous to refuse.
        "absolute-form, loopback": f"GET http://a@127.0.0.1:{port}/health HTTP/1.1\r\n{host}\r\n",
        "upgrade then pipelined": upgrade + "\r\n" + then,
    }
    return [(k, v.encode()) for k, v in {**cases, **ok}.items()]


TRAVERSAL = [
    "/../outside/secret.txt", "/..%2foutside%2fsecret.txt", "/%2e%2e/outside/secret.txt",
    "/%2e%2e%2foutside%2fsecret.txt", "/%252e%252e%252foutside%252fsecret.txt",
    "/..%5coutside%5csecret.txt", "/..\\outside\\secret.txt", "/%c0%ae%c0%ae/outside/secret.txt",
    "/index.html%00.txt", "/%00", "/#/../outside/secret.txt", "/?/../outside/secret.txt",
    "/./../outside/secret.txt", "//../outside/secret.txt", "/../../../../../../etc/passwd",
    "/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd", "/__ws/..%2f..%2foutside/secret.txt",
    "/__nanodev/..%2f..%2foutside/secret.txt", "/__nanodev/static/../../outside/secret.txt",
    "/api/..%2f..%2foutside/secret.txt", "/C:%5cWindows", "/%5c%5cserver%5cshare",
]  # fmt: skip


def check_smuggling(name: str, raw: bytes) -> tuple[str, list[int]]:
    """Each bad request is refused with one 4xx that has a body, and nothing after it runs."""
    codes = statuses(raw)
    if name in ("trailers", "absolute-form, loopback"):
        assert len(codes) == 1 and codes[0] < 500, (name, raw[:300])
    elif name.startswith("upgrade"):
        # One answer; bytes after the handshake are WebSocket data, never a second request.
        assert len(codes) == 1 and (codes[0] == 101 or 400 <= codes[0] < 500), (name, raw[:300])
    else:
        assert len(codes) == 1 and 400 <= codes[0] < 500, (name, raw[:300])
        assert raw.partition(b"\r\n\r\n")[2].strip(), (name, raw[:300])
    return name, codes


def test_raw_corpus_smuggling_and_traversal(live: Live) -> None:
    answers: dict[str, list[int]] = {}
    for name, data in smuggling(live.port, live.key):
        raw = raw_exchange(live.port, data, timeout=3)
        answers[name] = check_smuggling(name, raw)[1]
        live.check_alive()
    for path in TRAVERSAL:
        data = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nConnection: close\r\n\r\n"
        raw = raw_exchange(live.port, data.encode(), timeout=3)
        codes = statuses(raw)
        assert codes and codes[0] < 500, (path, raw[:300])
        assert SECRET.encode() not in raw and b"root:x:0:0" not in raw, path
        answers[path] = codes
    live.check_alive()
    live.counts["smuggling"] = len(smuggling(live.port, live.key))
    live.counts["traversal"] = len(TRAVERSAL)
    live.counts["raw_answers"] = len(answers)


def test_zz_fuzz_summary(live: Live) -> None:
    """Runs last in this module: the totals, after every part passed."""
    live.check_alive()
    report(
        "S7-fuzz",
        text_frames=live.counts.get("text", 0),
        action_frames=live.counts.get("actions", 0),
        bad_frames_with_code=live.counts.get("bad_frames", 0),
        rpc_calls=live.counts.get("rpc", 0),
        http_requests=live.counts.get("http", 0),
        smuggling_requests=live.counts.get("smuggling", 0),
        traversal_requests=live.counts.get("traversal", 0),
        liveness_checks=live.probe.checks,
        liveness_failures=len(live.probe.failures),
        liveness_worst_ms=round(live.probe.worst_ms, 1),
        tracebacks=0,
        crashes=0,
    )
