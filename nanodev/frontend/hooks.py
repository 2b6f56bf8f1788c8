"""A hooks module (`--hooks devhooks.py`): extra RPC methods and seed functions, reloaded live.

    from nanodev.hooks import rpc, seed

    @rpc("hello")
    def hello(call):
        call.reply({"type": "rpc_result", "method": "hello", "data": "hi"})

    @seed
    async def demo_user(ctx):
        await ctx.key("dev@example.com", "nk_test_dev")

The decorators only mark functions; loading the module finds the marks. A new version is
imported beside the old one and swapped in only when it imported cleanly, so a syntax error
leaves the previous methods serving. Methods are registered with origin "hooks" and never
replace a built-in.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import itertools
import sys
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from nanodev.authdb import AuthDB, User, create_key, ensure_user
from nanodev.rooms import Handler, MethodTable

ORIGIN = "hooks"
RPC_MARK = "__nanodev_rpc__"
SEED_MARK = "__nanodev_seed__"
F = TypeVar("F", bound=Callable[..., Any])
SeedFn = Callable[["SeedContext"], Awaitable[None] | None]


def rpc(name: str) -> Callable[[F], F]:
    """Mark `fn(call)` as the RPC method `name` (reached with `{"action":"rpc","method":name}`)."""

    def mark(fn: F) -> F:
        setattr(fn, RPC_MARK, name)
        return fn

    return mark


def seed(fn: F) -> F:
    """Mark `fn(ctx)` to run after every successful (re)load; make it idempotent."""
    setattr(fn, SEED_MARK, True)
    return fn


@dataclass(slots=True)
class SeedContext:
    """What a seed function may use: the auth DB and idempotent helpers over it."""

    db: AuthDB
    state_dir: Path

    async def user(self, email: str, name: str | None = None, password: str | None = None) -> User:
        found, _ = await ensure_user(self.db, email, name, password)
        return found

    async def key(self, email: str, key_id: str, **kw: Any) -> str:
        """The key `key_id` for `email`, created when missing (e.g. "nk_test_dev")."""
        if await self.db.get_key(key_id) is None:
            await create_key(self.db, self.state_dir, email, key_id=key_id, **kw)
        return key_id


@dataclass(slots=True)
class Loaded:
    methods: dict[str, Handler] = field(default_factory=dict)
    seeds: list[SeedFn] = field(default_factory=list)


@dataclass(slots=True)
class LoadResult:
    ok: bool
    methods: list[str] = field(default_factory=list)
    seeds_run: int = 0
    error: str = ""
    warnings: list[str] = field(default_factory=list)


def describe_error(exc: BaseException, path: Path) -> str:
    """One line naming the error and where it is in the user's file."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} ({path.name}, line {exc.lineno})"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
    where = f" ({path.name}, line {frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def collect(module: ModuleType) -> Loaded:
    found = Loaded()
    for value in vars(module).values():
        if not callable(value):
            continue
        name = getattr(value, RPC_MARK, None)
        if isinstance(name, str):
            found.methods[name] = value
        if getattr(value, SEED_MARK, False):
            found.seeds.append(value)
    return found


class HooksModule:
    """One hooks file and the methods it currently contributes to a method table."""

    def __init__(self, path: Path, methods: MethodTable) -> None:
        self.path = path.resolve()
        self.table = methods
        self.module: ModuleType | None = None
        self.generation = itertools.count(1)

    def _import(self) -> ModuleType:
        """Import the file as a fresh module that sys.modules never keeps."""
        name = f"nanodev_hooks_{next(self.generation)}"
        spec = importlib.util.spec_from_file_location(name, self.path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {self.path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses and friends look themselves up here
        try:
            spec.loader.exec_module(module)
        finally:
            sys.modules.pop(name, None)
        return module

    async def load(self, seed_ctx: SeedContext | None) -> LoadResult:
        try:
            module = await asyncio.to_thread(self._import)
        except BaseException as exc:  # SyntaxError, ImportError, anything the module raised
            if isinstance(exc, KeyboardInterrupt | asyncio.CancelledError):
                raise
            return LoadResult(False, error=describe_error(exc, self.path))
        found = collect(module)
        result = LoadResult(True)
        self.table.unregister_origin(ORIGIN)
        for name, handler in sorted(found.methods.items()):
            existing = self.table.origin(name)
            if existing is not None:
                result.warnings.append(f"{name} is a built-in method; the hook was not used")
                continue
            self.table.register(name, handler, ORIGIN)
            result.methods.append(name)
        self.module = module
        if seed_ctx is not None:
            await self._run_seeds(found.seeds, seed_ctx, result)
        return result

    async def _run_seeds(self, seeds: list[SeedFn], ctx: SeedContext, result: LoadResult) -> None:
        for fn in seeds:
            try:
                outcome = fn(ctx)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception as exc:
                result.warnings.append(
                    f"seed {getattr(fn, '__name__', fn)} failed: {describe_error(exc, self.path)}"
                )
                continue
            result.seeds_run += 1

    def unload(self) -> None:
        self.table.unregister_origin(ORIGIN)
        self.module = None
