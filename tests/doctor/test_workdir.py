"""The working-directory heuristics on fixture texts: Vite proxy, HMR path, .dev.vars, room_id."""

from __future__ import annotations

from pathlib import Path

from nanodev.doctor.report import Status
from nanodev.doctor.workdir import (
    dev_vars_verdict,
    hmr_verdict,
    object_after,
    parse_ws_proxy,
    port_of,
    room_id_findings,
    room_id_verdict,
    scan,
    source_files,
    vite_proxy_verdict,
)

GOOD = """
export default defineConfig({
  plugins: [react()],
  server: {
    port: 3000,
    proxy: {
      '/api': { target: 'http://localhost:8787', changeOrigin: true },
      "/__ws": {
        target: "ws://localhost:8787",
        ws: true,
        rewrite: (path) => path.replace(/^\\/__ws/, ""),
      },
    },
  },
});
"""
NO_WS = GOOD.replace("ws: true,", "")
NO_REWRITE = GOOD.replace('rewrite: (path) => path.replace(/^\\/__ws/, ""),', "")
WRONG_PORT = GOOD.replace("ws://localhost:8787", "ws://localhost:8788")
SHORTHAND = "server: { proxy: { '/__ws': 'ws://localhost:8787' } }"
HMR_CLASH = "server: { hmr: { protocol: 'ws', path: '/__ws/hmr' }, proxy: {} }"


def test_object_after_balances_braces_and_ignores_strings() -> None:
    text = "key: { a: '}', b: { c: 1 } } rest"
    assert object_after(text, 4) == "{ a: '}', b: { c: 1 } }"
    assert object_after("key: 'x' { }", 4) is None


def test_parse_ws_proxy_entries() -> None:
    good = parse_ws_proxy(GOOD)
    assert (good.found, good.target, good.ws, good.rewrite) == (
        True,
        "ws://localhost:8787",
        True,
        True,
    )
    assert parse_ws_proxy(NO_WS).ws is False
    assert parse_ws_proxy(NO_REWRITE).rewrite is False
    short = parse_ws_proxy(SHORTHAND)
    assert (short.found, short.target, short.ws, short.rewrite) == (
        True,
        "ws://localhost:8787",
        False,
        False,
    )
    assert parse_ws_proxy("export default {}").found is False


def test_vite_proxy_verdicts() -> None:
    assert vite_proxy_verdict(parse_ws_proxy(GOOD), 8787, "vite.config.ts").status is Status.PASS
    wrong = vite_proxy_verdict(parse_ws_proxy(WRONG_PORT), 8787, "vite.config.ts")
    assert wrong.status is Status.WARN and "not the worker's port 8787" in wrong.cause
    no_ws = vite_proxy_verdict(parse_ws_proxy(NO_WS), 8787, "vite.config.ts")
    assert "lacks ws: true" in no_ws.cause and "rewrite" not in no_ws.cause.split(";")[0][-20:]
    assert (
        "lacks the rewrite"
        in vite_proxy_verdict(parse_ws_proxy(NO_REWRITE), 8787, "vite.config.ts").cause
    )
    short = vite_proxy_verdict(parse_ws_proxy(SHORTHAND), 8787, "vite.config.js")
    assert "lacks ws: true" in short.cause and "lacks the rewrite" in short.cause
    missing = vite_proxy_verdict(parse_ws_proxy("{}"), 8787, "vite.config.mjs")
    assert missing.status is Status.WARN and "no proxy entry for /__ws" in missing.cause


def test_port_of() -> None:
    assert port_of("ws://localhost:8787") == 8787
    assert port_of("https://example.invalid") == 443
    assert port_of("not a url") is None


def test_hmr_overlap() -> None:
    clash = hmr_verdict(HMR_CLASH, "vite.config.ts")
    assert clash.status is Status.WARN and "/__ws/hmr" in clash.cause
    assert hmr_verdict("hmr: { path: '__ws' }", "v").status is Status.WARN
    assert hmr_verdict("hmr: { path: '/__vite_hmr' }", "v").status is Status.PASS
    assert hmr_verdict(GOOD, "v").status is Status.PASS


def test_dev_vars() -> None:
    prod = dev_vars_verdict('BETTER_AUTH_SECRET=x\nBETTER_AUTH_URL="https://app.example.invalid"\n')
    assert prod.status is Status.WARN and "production origin" in prod.cause
    assert dev_vars_verdict("BETTER_AUTH_URL=http://localhost:8787").status is Status.PASS
    assert dev_vars_verdict("export BETTER_AUTH_URL=http://127.0.0.1:8787").status is Status.PASS
    assert dev_vars_verdict("OTHER=1").status is Status.PASS


def test_room_id_findings() -> None:
    bad = [
        "const url = `${base}/websocket?room_id`;",
        "new WebSocket(base + '/websocket?room_id=');",
        "const u = `${base}/__ws/websocket?room_id=${roomId ?? ''}`;",
        "params.set('room_id', selected || '');",
    ]
    for line in bad:
        assert room_id_findings(line), line
    fine = [
        "const u = `${base}/websocket?room_id=${roomId}`;",
        "new WebSocket(base + '/websocket?room_id=' + roomId);",
        "params.set('room_id', roomId);",
        "const roomIdLabel = 'room_id';",
    ]
    for line in fine:
        assert room_id_findings(line) == [], line
    assert room_id_findings("a\nb\nx = '?room_id='")[0][0] == 3


def test_room_id_verdict() -> None:
    assert room_id_verdict([], 0).status is Status.SKIP
    assert room_id_verdict([], 4).status is Status.PASS
    warn = room_id_verdict([("src/a.ts", 3, "x"), ("b.ts", 1, "y")] * 2, 9)
    assert warn.status is Status.WARN and "src/a.ts:3" in warn.cause and "(+1 more)" in warn.cause


def test_scan_reads_a_project_and_skips_dependencies(tmp_path: Path) -> None:
    (tmp_path / "vite.config.ts").write_text(NO_WS)
    (tmp_path / ".dev.vars").write_text("BETTER_AUTH_URL=https://app.example.invalid\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "socket.ts").write_text("x = '/websocket?room_id';\n")
    (tmp_path / "node_modules" / "lib").mkdir(parents=True)
    (tmp_path / "node_modules" / "lib" / "index.js").write_text("y = '?room_id=';\n")
    results = {r.name: r for r in scan(tmp_path, 8787)}
    assert results["vite proxy /__ws"].status is Status.WARN
    assert results["vite hmr path"].status is Status.PASS
    assert results[".dev.vars"].status is Status.WARN
    room = results["room_id in page code"]
    assert room.status is Status.WARN and "src/socket.ts:1" in room.cause
    assert "node_modules" not in room.cause and room.observed == "2 files"


def test_scan_without_a_project_skips(tmp_path: Path) -> None:
    assert {r.status for r in scan(tmp_path, 8787)} == {Status.SKIP}


def test_source_files_are_bounded(tmp_path: Path) -> None:
    for i in range(30):
        (tmp_path / f"f{i}.ts").write_text("")
    assert len(list(source_files(tmp_path, limit=10))) == 10
