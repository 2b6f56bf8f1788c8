"""The CLI's JSON contract: every command, run with --json against real state and a real
`nanodev up`, success and failure, validated against its schema in docs/cli-json.md."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import click
import jsonschema
import pytest

from nanodev.cli import main
from tests.conftest import ROOT, Proc, free_port

DOC = ROOT / "docs" / "cli-json.md"
SECTION = re.compile(r"^## (.+?)\n(.*?)(?=^## |\Z)", re.S | re.M)
BLOCK = re.compile(r"```json\n(.*?)```", re.S)


def documented() -> dict[str, dict[str, Any]]:
    """Each section's schema by its title (`nanodev keys create` → "keys create")."""
    found: dict[str, dict[str, Any]] = {}
    for title, body in SECTION.findall(DOC.read_text()):
        block = BLOCK.search(body)
        name = title.strip("`").removeprefix("nanodev ")
        found[name] = json.loads(block.group(1)) if block else {}
    defs = found.pop("Shared definitions")["$defs"]
    return {name: {**schema, "$defs": defs} for name, schema in found.items()}


SCHEMAS = documented()
APP_MIGRATIONS = Path(__file__).parent.parent / "fixtures" / "app_migrations"
CHROME_HAR = Path(__file__).parent.parent / "inspector" / "har" / "chrome-deployed.har"


def leaf_commands(group: click.Group, prefix: str = "") -> list[str]:
    ctx = click.Context(group)
    names = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        full = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            names += leaf_commands(cmd, full + " ")
        elif cmd is not None:
            names.append(full)
    return names


@dataclass
class Run:
    args: tuple[str, ...]
    ok: bool
    state: str = "live"  # live: the running server's state dir; idle: one with no server;
    # fresh: a new, empty one; none: a command that reads no state directory
    code: int | None = None  # the exit code, when a run that is not an error exits non-zero


# One success and one failure (at least) per command. `{zip}`, `{key}` are filled in.
RUNS: dict[str, list[Run]] = {
    "users create": [
        Run(("users", "create", "u@example.com", "--password", "longenough"), True),
        Run(("users", "create", "u@example.com", "--password", "anotherone"), False),
    ],
    "users list": [Run(("users", "list"), True), Run(("users", "list", "--nope"), False)],
    "sessions create": [
        Run(("sessions", "create", "--user", "c@example.com"), True),
        Run(("sessions", "create", "--user", "c@example.com", "--expires-in", "soon"), False),
    ],
    "sessions list": [
        Run(("sessions", "list"), True),
        Run(("sessions", "list", "--user", "ghost@example.com"), False),
    ],
    "keys create": [
        Run(("keys", "create", "--user", "c@example.com", "--scopes", "read"), True),
        Run(("keys", "create", "--user", "c@example.com", "--room", "x"), False),
    ],
    "keys list": [Run(("keys", "list"), True), Run(("keys", "list", "--user", "no@x.io"), False)],
    "keys revoke": [
        Run(("keys", "revoke", "nk_test_contract_revoke"), True),
        Run(("keys", "revoke", "nk_test_contract_revoke"), False),
        Run(("keys", "revoke", "nk_nothing"), False),
    ],
    "rooms list": [Run(("rooms", "list"), True), Run(("rooms", "list"), True, "idle")],
    "doctor": [Run(("doctor",), True), Run(("doctor",), False, "idle")],
    "tail": [Run(("tail",), True), Run(("tail", "--filter", "status=abc"), False)],
    "migrations list": [
        Run(("migrations", "list", "--migrations", str(APP_MIGRATIONS)), True),
        Run(("migrations", "list", "--migrations", "{missing}"), False),
    ],
    "migrations apply": [
        Run(("migrations", "apply", "--migrations", str(APP_MIGRATIONS)), True, "fresh"),
        Run(("migrations", "apply", "--migrations", "{missing}"), False, "fresh"),
    ],
    "migrations mark-applied": [
        Run(
            (
                "migrations",
                "mark-applied",
                "0001_replica_placeholder.sql",
                "--migrations",
                str(APP_MIGRATIONS),
            ),
            True,
        ),
        Run(
            ("migrations", "mark-applied", "9999_none.sql", "--migrations", str(APP_MIGRATIONS)),
            False,
        ),
    ],
    "explain": [
        Run(("explain", "{empty_har}"), True, "none"),
        Run(("explain", str(CHROME_HAR)), True, "none", code=1),  # a handshake failed
        Run(("explain", "{zip}"), False, "none"),  # not a HAR
    ],
    "sql": [
        Run(("sql", "--auth", "SELECT id, email FROM user"), True),
        Run(("sql", "--auth", "SELEKT"), False),
    ],
    "export": [
        Run(("export", "{zip}"), True),
        Run(("export", "{missing}/x.zip"), False),
    ],
    "import": [
        Run(("import", "{zip}"), False, "idle"),  # no --yes under --json
        Run(("import", "{zip}", "--yes"), True, "idle"),
    ],
    "reset": [
        Run(("reset", "--all", "--yes"), False),  # refused while nanodev up runs
        Run(("reset", "--all", "--yes"), True, "idle"),
    ],
}


def test_every_command_has_a_schema_and_runs() -> None:
    commands = set(leaf_commands(main)) - {"up"}  # up: --log-format json, tests/e2e
    assert commands <= set(SCHEMAS), f"no schema in docs/cli-json.md: {commands - set(SCHEMAS)}"
    assert commands == set(RUNS), f"no contract run: {commands ^ set(RUNS)}"
    assert "up" in SCHEMAS and "Errors" in SCHEMAS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    root = tmp_path_factory.mktemp("contract")
    proc = Proc(root / "state", free_port(), []).start()
    try:
        yield proc
    finally:
        proc.stop()


def run_json(args: tuple[str, ...], state_dir: Path | None) -> tuple[int, str, str]:
    state = ("--state-dir", str(state_dir)) if state_dir is not None else ()
    result = subprocess.run(
        [sys.executable, "-m", "nanodev", *args, *state, "--json"],
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
    )
    return result.returncode, result.stdout, result.stderr


def check_document(doc: Any) -> None:
    """The rules every command keeps: times in ms with ISO beside, scopes as lists."""
    if isinstance(doc, list):
        for item in doc:
            check_document(item)
        return
    if not isinstance(doc, dict):
        return
    for key, value in doc.items():
        if key.endswith("_at"):
            assert value is None or (isinstance(value, int) and value > 10**12), (key, value)
            assert f"{key}_iso" in doc, f"{key} has no {key}_iso beside it"
        if key == "scopes":
            assert isinstance(value, list), value
        check_document(value)


async def make_room(proc: Proc) -> None:
    key = proc.cli("keys", "create", "--user", "owner@example.com")["id"]
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(proc.ws_url(room_id="contract-room", key=key))
        await ws.receive_json(timeout=5)
        await ws.close()


async def test_every_command_keeps_its_schema(server: Proc, tmp_path: Path) -> None:
    server.cli("keys", "create", "--user", "c@example.com", "--id", "nk_test_contract_revoke")
    await make_room(server)
    idle = tmp_path / "idle"
    empty_har = tmp_path / "empty.har"
    empty_har.write_text(
        json.dumps(
            {"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": []}}
        )
    )
    fill = {
        "zip": str(tmp_path / "snap.zip"),
        "missing": str(tmp_path / "nope"),
        "empty_har": str(empty_har),
    }
    for command, runs in RUNS.items():
        if command == "tail":
            continue  # follows forever: test_tail_json_lines_keep_the_schema
        for run in runs:
            args = tuple(a.format(**fill) for a in run.args)
            fresh = tmp_path / f"fresh-{command.replace(' ', '-')}-{len(args)}"
            where = {"live": server.state_dir, "idle": idle, "fresh": fresh}.get(run.state)
            code, out, err = run_json(args, where)
            assert "Traceback" not in err, (args, err)
            lines = out.strip().splitlines()
            assert len(lines) == 1, (args, out, err)
            doc = json.loads(lines[0])
            if run.ok:
                assert code == (run.code or 0), (args, out, err)
                jsonschema.validate(doc, SCHEMAS[command])
                check_document(doc)
            else:
                assert code != 0, (args, out)
                jsonschema.validate(doc, SCHEMAS["Errors"])


async def test_tail_json_lines_keep_the_schema(server: Proc) -> None:
    code, out, err = run_json(("tail", "--filter", "status=abc"), server.state_dir)
    assert code == 1 and json.loads(out)["code"] == "bad_filter" and "Traceback" not in err
    tail = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "nanodev",
        "tail",
        "--json",
        "--state-dir",
        str(server.state_dir),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        await asyncio.sleep(1.0)  # connected to the live feed
        async with aiohttp.ClientSession() as session:
            async with session.get(server.page_url + "/health") as resp:
                assert resp.status == 200
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await session.ws_connect(server.ws_url(room_id=""))
        assert tail.stdout is not None
        seen = [json.loads(await asyncio.wait_for(tail.stdout.readline(), 10)) for _ in range(2)]
    finally:
        tail.terminate()
        await tail.wait()
    for doc in seen:
        jsonschema.validate(doc, SCHEMAS["tail"])
    assert [d["status"] for d in seen] == [200, 400]
    assert seen[1]["fix"]


def test_usage_errors_are_json_too(tmp_path: Path) -> None:
    for args in (("keys", "create", "--json"), ("nosuch", "--json"), ("keys", "list", "--bad")):
        result = subprocess.run(
            [sys.executable, "-m", "nanodev", *args, "--json"],
            capture_output=True,
            check=False,
            text=True,
            cwd=tmp_path,
        )
        assert result.returncode == 2, (args, result)
        jsonschema.validate(json.loads(result.stdout), SCHEMAS["Errors"])
        assert result.stderr == ""
