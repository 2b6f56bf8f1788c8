"""`nanodev doctor`: the seed report's testing checklist as one command, against nanodev or any
deployment of the Worker, each line PASS / FAIL / WARN / SKIP with a cause and a fix.

`run_doctor(options)` runs the checks against a base URL with whatever credentials it is given
(a check without its input is SKIP, with the reason); `run_local(state_dir, …)` finds the
nanodev running on a state directory, seeds the doctor's own fixtures there, runs, and removes
them even when a check fails. Verdicts are pure (`doctor_verdicts`); this module only sequences
the probes.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from nanodev.authdb import open_auth_db
from nanodev.doctor import probe as room
from nanodev.doctor import verdicts as v
from nanodev.doctor.fixtures import remove, seed
from nanodev.doctor.probe import Probe
from nanodev.doctor.report import CheckResult, Report, Status, Verdict, skipped
from nanodev.doctor.workdir import port_of, scan
from nanodev.inspector import SESSION_COOKIE
from nanodev.state import read_server_info

DEFAULT_WS_PATH = "/__ws/websocket"


class DoctorError(Exception):
    """The doctor cannot start (no server to check); the message says what to run."""


@dataclass(frozen=True, slots=True)
class DoctorOptions:
    url: str
    key: str | None = None
    expired_key: str | None = None
    revoked_key: str | None = None
    cookie: str | None = None  # `name=value`, or only the value of better-auth.session_token
    session_token: str | None = None
    room: str | None = None
    ws_path: str = DEFAULT_WS_PATH
    inspector: bool = False  # nanodev's inspector can close a socket from the server side
    workdir: Path | None = None
    worker_port: int | None = None
    timeout: float = 10.0


def cookie_header(value: str) -> str:
    """A whole `name=value` pair stays; a bare value becomes Better Auth's session cookie."""
    name = value.split("=", 1)[0]
    if "=" in value and "session" in name and "." not in name.replace("better-auth.", ""):
        return value
    return f"{SESSION_COOKIE}={value}"


def expected_worker_port(options: DoctorOptions) -> int:
    if options.worker_port is not None:
        return options.worker_port
    return port_of(options.url) or 8787


async def run_doctor(options: DoctorOptions) -> Report:
    probe = Probe(options.url, options.ws_path, options.timeout)
    try:
        results = await Checks(probe, options).run()
    finally:
        await probe.close()
    if options.workdir is not None:
        results += scan(options.workdir, expected_worker_port(options))
    return Report(options.url, tuple(results))


def local_target(state_dir: Path) -> tuple[str, int | None]:
    """The page URL and worker port of the nanodev running on `state_dir`."""
    info = read_server_info(state_dir)
    if info is None:
        raise DoctorError(
            f"no nanodev is running on {state_dir.resolve()}: start one with nanodev up, pass "
            "--state-dir, or check another server with --url"
        )
    worker = info.get("worker_url")
    return str(info["page_url"]), (port_of(worker) if isinstance(worker, str) else None)


async def run_local(state_dir: Path, options: DoctorOptions) -> Report:
    """Seed the doctor's fixtures on `state_dir`, run against `options.url`, remove them."""
    db_path = state_dir / "d1" / "AUTH_DB.sqlite"
    async with open_auth_db(db_path) as db:
        fixtures = await seed(db, state_dir)
    try:
        return await run_doctor(
            replace(
                options,
                key=fixtures.key,
                expired_key=fixtures.expired_key,
                revoked_key=fixtures.revoked_key,
                cookie=fixtures.cookie,
                session_token=fixtures.session_token,
                room=options.room or f"doctor-{secrets.token_hex(3)}",
                inspector=True,
            )
        )
    finally:
        async with open_auth_db(db_path) as db:
            await remove(db)


Step = Callable[[], Awaitable[tuple[Verdict, str]]]
Params = dict[str, str | None]


class Checks:
    """The checklist, in the order the seed report's testing checklist gives it."""

    def __init__(self, probe: Probe, options: DoctorOptions) -> None:
        self.probe = probe
        self.o = options
        self.cred: Params = {"key": options.key} if options.key else {}
        self.cred_headers: dict[str, str] = {}
        if not options.key and options.cookie:
            self.cred_headers = {"Cookie": cookie_header(options.cookie)}
        self.wrote_table = False

    async def run(self) -> list[CheckResult]:
        results = []
        for name, missing, step in self.plan():
            if missing:
                results.append(skipped(name, missing))
                continue
            started = time.perf_counter()
            verdict, observed = await step()
            results.append(
                CheckResult.of(name, verdict, observed, (time.perf_counter() - started) * 1000)
            )
        await self.tidy()
        return results

    def needs(self, *inputs: str) -> str:
        """'' when every named input was given, else why the check is skipped."""
        flags = {
            "room": "--room (a room the key or cookie may open)",
            "key": "--key (a valid nk_ key)",
            "expired_key": "--expired-key (a key that has expired)",
            "revoked_key": "--revoked-key (a revoked key)",
            "cookie": "--cookie (a signed-in session cookie)",
            "session_token": "--session-token (a session's token)",
            "cred": "--key or --cookie",
            "inspector": "a local nanodev (only its inspector can close a socket server-side)",
        }
        for name in inputs:
            given = {"cred": self.o.key or self.o.cookie, "inspector": self.o.inspector}
            value = given[name] if name in given else getattr(self.o, name)
            if not value:
                return f"needs {flags[name]}"
        return ""

    def plan(self) -> list[tuple[str, str, Step]]:
        o, room_id = self.o, self.o.room or ""
        room: Params = {"room_id": room_id}
        cookie = {"Cookie": cookie_header(o.cookie or "")}
        return [
            ("health", "", self.health),
            ("room_id valid", self.needs("room", "cred"),
             self.shake("a valid room_id", {**room, **self.cred}, self.cred_headers)),
            ("room_id empty", "", self.room_id("empty", {"room_id": None, **self.cred})),
            ("room_id missing", "", self.room_id("missing", dict(self.cred))),
            ("room_id whitespace", "", self.room_id("whitespace", {"room_id": "  ", **self.cred})),
            ("key in X-Nano-Key", self.needs("room", "key"),
             self.shake("a valid key in X-Nano-Key", room, {"X-Nano-Key": o.key or ""})),
            ("key in ?key=", self.needs("room", "key"),
             self.shake("a valid key in ?key=", {**room, "key": o.key})),
            ("key in ?api_key=", self.needs("room", "key"),
             self.shake("a valid key in ?api_key=", {**room, "api_key": o.key})),
            ("expired key", self.needs("room", "expired_key"),
             self.refused("expired", {**room, "key": o.expired_key})),
            ("revoked key", self.needs("room", "revoked_key"),
             self.refused("revoked", {**room, "key": o.revoked_key})),
            ("unknown key", self.needs("room"),
             self.refused("unknown", {**room, "key": f"nk_doctor_unknown_{secrets.token_hex(8)}"})),
            ("non-nk_ header hides ?key=", self.needs("room", "key"),
             self.judged(v.hidden_key, {**room, "key": o.key}, {"X-Nano-Key": "placeholder"})),
            ("no credentials", self.needs("room"), self.judged(v.no_credentials, room)),
            ("session cookie", self.needs("room", "cookie"),
             self.shake("a valid session cookie", room, cookie)),
            ("?session_token=", self.needs("room", "session_token"),
             self.judged(v.session_token, {**room, "session_token": o.session_token})),
            ("cross-site Origin", self.needs("room", "cookie"),
             self.judged(v.cross_site, room, {**cookie, "Origin": v.CROSS_SITE_ORIGIN})),
            ("broadcast between two sockets", self.needs("room", "cred"), self.broadcast),
            ("reconnect after server close", self.needs("room", "cred", "inspector"),
             self.reconnect),
            ("close, reconnect, data intact", self.needs("room", "cred"), self.data_intact),
        ]  # fmt: skip

    # -- single handshakes ------------------------------------------------------------------------
    async def health(self) -> tuple[Verdict, str]:
        seen = await self.probe.get("/health")
        return v.health(seen), seen.observed()

    def judged(
        self,
        verdict: Callable[[v.Seen], Verdict],
        params: Params,
        headers: dict[str, str] | None = None,
    ) -> Step:
        async def step() -> tuple[Verdict, str]:
            seen = await self.probe.check(params, headers)
            return verdict(seen), seen.observed()

        return step

    def shake(self, what: str, params: Params, headers: dict[str, str] | None = None) -> Step:
        return self.judged(lambda seen: v.accepted(seen, what), params, headers)

    def room_id(self, variant: str, params: Params) -> Step:
        return self.judged(lambda seen: v.room_id_refused(seen, variant), params, self.cred_headers)

    def refused(self, kind: str, params: Params) -> Step:
        return self.judged(lambda seen: v.refused_key(seen, kind), params)

    # -- sockets that talk to the room -------------------------------------------------------------
    async def _open(self) -> tuple[v.Seen, room.Socket | None]:
        params: Params = {"room_id": self.o.room or "", **self.cred}
        return await self.probe.handshake(params, self.cred_headers)

    async def _write(self, ws: room.Socket, note: str) -> str:
        """Create the doctor's table (once) and insert `note`; '' or what went wrong."""
        created = await room.rpc(ws, "createTable", room.table_payload(), "doctor-create")
        self.wrote_table = True
        if created.get("type") == "mutation_error":
            return f"createTable failed: {created.get('error')}"
        inserted = await room.insert(ws, note)
        if inserted.get("type") != "mutation_success":
            return f"batchInsert failed: {inserted.get('error') or inserted}"
        return ""

    async def broadcast(self) -> tuple[Verdict, str]:
        (seen_a, a), (seen_b, b) = await self._open(), await self._open()
        if a is None or b is None:
            refused = seen_a if a is None else seen_b
            return v.broadcast(False, False, f"a socket was refused ({refused.observed()})"), ""
        note_a, note_b = secrets.token_hex(6), secrets.token_hex(6)
        try:
            for ws in (a, b):
                await ws.send_str(f'{{"action":"subscribe","table":"{room.TABLE}"}}')
            problem = await self._write(a, "doctor-setup")
            await room.sync(b)
            if problem:
                return v.broadcast(False, False, problem), ""
            await room.insert(a, note_a)
            b_saw_a = await room.saw_insert(b, note_a)
            await room.insert(b, note_b)
            a_saw_b = await room.saw_insert(a, note_b)
        except (TimeoutError, ConnectionError) as exc:
            return v.broadcast(False, False, f"{type(exc).__name__}: {exc}"), ""
        finally:
            await a.close()
            await b.close()
        observed = f"A saw B: {'yes' if a_saw_b else 'no'}, B saw A: {'yes' if b_saw_a else 'no'}"
        return v.broadcast(a_saw_b, b_saw_a), observed

    async def reconnect(self) -> tuple[Verdict, str]:
        seen, ws = await self._open()
        if ws is None:
            return Verdict(Status.FAIL, f"the first socket was refused: {seen.observed()}"), ""
        problem = await self.probe.close_from_server(self.o.room or "")
        if problem:
            await ws.close()
            return Verdict(Status.FAIL, problem, "Is the inspector reachable at /__nanodev/?"), ""
        with contextlib.suppress(TimeoutError):
            await ws.receive(timeout=room.FRAME_WAIT_S)
        code = ws.close_code if ws.closed else None
        again = await self.probe.check(
            {"room_id": self.o.room or "", **self.cred}, self.cred_headers
        )
        return v.reconnect(code, again), f"close {code}, then {again.observed()}"

    async def data_intact(self) -> tuple[Verdict, str]:
        seen, ws = await self._open()
        if ws is None:
            return Verdict(Status.FAIL, f"the socket was refused: {seen.observed()}"), ""
        note = secrets.token_hex(6)
        try:
            problem = await self._write(ws, note)
        except (TimeoutError, ConnectionError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        await ws.close()
        if problem:
            return Verdict(Status.FAIL, f"could not write a row: {problem}"), ""
        again, ws2 = await self._open()
        if ws2 is None:
            return v.data_intact(False, again), again.observed()
        try:
            found = await room.has_note(ws2, note)
        except (TimeoutError, ConnectionError) as exc:
            return Verdict(Status.FAIL, f"could not read the row back: {exc}"), ""
        finally:
            await ws2.close()
        return v.data_intact(
            found, again
        ), f"close {ws.close_code}, row {'found' if found else 'missing'}"

    async def tidy(self) -> None:
        """Drop the doctor's table from the room (best effort; the room itself stays)."""
        if not self.wrote_table:
            return
        _, ws = await self._open()
        if ws is None:
            return
        try:
            await room.drop_table(ws)
        except (TimeoutError, ConnectionError):
            pass
        finally:
            await ws.close()
