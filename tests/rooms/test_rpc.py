"""The method table: built-ins registered on first use, before anything else registers."""

from __future__ import annotations

from nanodev.rooms.methods import builtin_methods
from nanodev.rooms.rpc import Call, MethodTable


def handler(call: Call) -> None:
    call.success("x")


def test_builtins_load_on_first_use_only() -> None:
    loads: list[int] = []

    def register(methods: MethodTable) -> None:
        loads.append(1)
        methods.register("builtin", handler)

    table = MethodTable(register)
    assert loads == []
    assert table.get("builtin") is handler and table.get("missing") is None
    assert table.names() == ["builtin"] and loads == [1]


def test_a_later_registration_sees_the_builtins_first() -> None:
    table = builtin_methods()
    assert table.origin("batchInsert") == "builtin"  # what a hooks module checks before adding
    table.register("extra", handler, "hooks")
    assert "batchInsert" in table.names() and table.origin("extra") == "hooks"


def test_the_cloud_only_methods_need_the_auth_db() -> None:
    assert "search" not in builtin_methods().names()
