"""The hooks module: decorators, loading, and live reload into a running nanodev."""

from __future__ import annotations

import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from nanodev.frontend.hooks import ORIGIN, HooksModule, SeedContext, collect, rpc, seed
from nanodev.record.events import Reloaded
from nanodev.rooms.rpc import Call, MethodTable
from tests.conftest import Nano, wait_for
from tests.conftest import rpc as call_rpc

V1 = """
from nanodev.frontend.hooks import rpc

@rpc("hello")
def hello(call):
    call.reply({"type": "rpc_result", "method": "hello", "data": "v1"})
"""

V2 = """
from nanodev.frontend.hooks import rpc, seed

@rpc("hello")
def hello(call):
    call.reply({"type": "rpc_result", "method": "hello", "data": "v2"})

@rpc("shout")
async def shout(call):
    call.reply({"type": "rpc_result", "method": "shout", "data": call.payload["text"].upper()})

@seed
async def demo(ctx):
    await ctx.key("seeded@example.com", "nk_test_seeded")
"""

BROKEN = """
from nanodev.frontend.hooks import rpc

@rpc("hello")
def hello(call)
    pass
"""


def test_decorators_only_mark() -> None:
    @rpc("x")
    def handler(call: Call) -> None:
        pass

    @seed
    def seeder(ctx: SeedContext) -> None:
        pass

    module = type(textwrap)("m")
    module.handler = handler  # type: ignore[attr-defined]
    module.seeder = seeder  # type: ignore[attr-defined]
    module.other = len  # type: ignore[attr-defined]
    found = collect(module)
    assert found.methods == {"x": handler}
    assert found.seeds == [seeder]


async def test_load_swap_and_failed_import_keeps_previous(tmp_path: Path) -> None:
    table = MethodTable()
    table.register("getSchema", lambda call: None)
    path = tmp_path / "devhooks.py"
    hooks = HooksModule(path, table)
    path.write_text(V1 + '\n@rpc("getSchema")\ndef clash(call):\n    pass\n')
    first = await hooks.load(None)
    assert first.ok and first.methods == ["hello"]
    assert table.origin("getSchema") == "builtin"  # a hook never replaces a built-in
    assert "getSchema is a built-in method" in first.warnings[0]
    path.write_text(BROKEN)
    broken = await hooks.load(None)
    assert not broken.ok
    assert broken.error.startswith("SyntaxError") and "devhooks.py, line 5" in broken.error
    assert table.origin("hello") == ORIGIN
    path.write_text("raise RuntimeError('boom')\n")
    failed = await hooks.load(None)
    assert failed.error == "RuntimeError: boom (devhooks.py, line 1)"
    assert table.get("hello") is not None
    hooks.unload()
    assert table.get("hello") is None and table.get("getSchema") is not None


async def wait_reloads(nano: Nano, what: str, count: int) -> Reloaded:
    """The `count`-th reload of kind `what`, once it happened."""
    events: list[Reloaded] = []

    def check() -> bool:
        events[:] = [
            e for _, e in nano.core.recorder.since(0) if isinstance(e, Reloaded) and e.what == what
        ]
        return len(events) >= count

    await wait_for(check, timeout=10)
    return events[count - 1]


async def test_new_method_reaches_an_open_socket_and_errors_keep_the_old_one(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    path = tmp_path / "app" / "devhooks.py"
    path.parent.mkdir()
    path.write_text(V1)
    nano = await make_nano(hooks=path)
    loaded = await wait_reloads(nano, "hooks", 1)
    assert loaded.ok and "hello" in loaded.detail
    ws = await nano.connect()
    reply, _ = await call_rpc(ws, "hello", request_id="a")
    assert reply["data"] == "v1"
    missing, _ = await call_rpc(ws, "shout", {"text": "hi"}, request_id="b")
    assert missing.get("code") == "UNKNOWN_METHOD" or "Unknown" in str(missing)

    path.write_text(V2)
    second = await wait_reloads(nano, "hooks", 2)
    assert second.ok and "shout" in second.detail and "1 seed(s) ran" in second.detail
    reply, _ = await call_rpc(ws, "shout", {"text": "hi"}, request_id="c")
    assert reply["data"] == "HI"
    assert (await call_rpc(ws, "hello", request_id="d"))[0]["data"] == "v2"
    assert await nano.core.db.get_key("nk_test_seeded") is not None

    path.write_text(BROKEN)
    third = await wait_reloads(nano, "hooks", 3)
    assert not third.ok
    assert "SyntaxError" in third.detail and "line 5" in third.detail
    assert "previous version keeps serving" in third.detail
    assert (await call_rpc(ws, "shout", {"text": "still"}, request_id="e"))[0]["data"] == "STILL"
    assert not ws.closed  # the room and its socket survived every reload


async def test_close_policy_closes_sockets_with_1012(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    path = tmp_path / "app" / "devhooks.py"
    path.parent.mkdir()
    path.write_text(V1)
    nano = await make_nano(hooks=path, reload_sockets="close")
    await wait_reloads(nano, "hooks", 1)
    ws = await nano.connect()
    path.write_text(V2)
    msg = await ws.receive(timeout=10)
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert ws.close_code == 1012
    fresh = await nano.connect()  # the app's reconnect path works straight away
    assert (await call_rpc(fresh, "shout", {"text": "x"}))[0]["data"] == "X"
