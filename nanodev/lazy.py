"""Package faces that load on first use.

Each package's `__init__.py` names what other packages may import from it, and resolves each
name only when it is first imported (PEP 562 `__getattr__`). A face therefore costs nothing at
start-up and never pulls a package's heavier modules (the inspector's views, snapshots, seeding)
into a path that does not use them; `nanodev up` keeps loading only what a handshake needs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def exports(package: str, names: Mapping[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` for `package`: each public name → the submodule defining it
    ("" for a submodule exported by its own name)."""

    def __getattr__(name: str) -> object:
        where = names.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if not where:
            return importlib.import_module(f"{package}.{name}")
        return getattr(importlib.import_module(f"{package}.{where}"), name)

    return __getattr__
