"""The source tree keeps the shape docs/architecture.md describes: no import circle between any
two modules (type-checking imports included), packages that reach each other only through their
faces, and modules and functions of a readable size. The layer rules themselves are
import-linter contracts in pyproject.toml, which scripts/test runs; one test here proves that a
contract does fail when a forbidden import appears."""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "nanodev"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 40


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in graph.get(node, ()):
                    groups.append(sorted(group))
    return groups


def import_graph() -> dict[str, set[str]]:
    built = grimp.build_graph("nanodev", exclude_type_checking_imports=False)
    return {m: set(built.find_modules_directly_imported_by(m)) for m in built.modules}


def test_circle_finder_finds_circles() -> None:
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"a"}}) == [["a"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_import_circles() -> None:
    assert strongly_connected(import_graph()) == []


def top_package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (PACKAGE / parts[-1]).is_dir() else None


def face_violations() -> list[str]:
    """`from nanodev.<pkg>.<inside> import …` written outside <pkg>."""
    found = []
    for path in modules():
        mine = top_package(module_name(path))
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.module):
                continue
            parts = node.module.split(".")
            if parts[0] != "nanodev" or len(parts) < 3 or parts[1] == mine:
                continue
            found.append(f"{module_name(path)}:{node.lineno} imports {node.module}")
    return found


def test_packages_import_each_other_through_their_faces() -> None:
    assert face_violations() == []


def test_every_face_name_resolves_and_is_declared() -> None:
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        face = importlib.import_module(module_name(init))
        assert face.__doc__, f"{init} says nothing about its package's job"
        for name in getattr(face, "__all__", []):
            assert getattr(face, name) is not None, f"{face.__name__}.{name}"


def test_no_module_is_longer_than_the_limit() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in modules()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_longer_than_the_limit() -> None:
    long = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.name} {length}")
    assert long == []


def test_a_forbidden_import_breaks_a_contract(tmp_path: Path) -> None:
    """The contracts are not vacuous: the auth database importing the Worker is refused."""
    shutil.copytree(PACKAGE, tmp_path / "nanodev")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    rows = tmp_path / "nanodev" / "authdb" / "rows.py"
    rows.write_text(rows.read_text() + "\nfrom nanodev.worker import auth  # noqa\n")
    run = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        check=False,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "BROKEN" in run.stdout
    assert "nanodev.authdb.rows -> nanodev.worker" in run.stdout
