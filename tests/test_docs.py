"""Docs that cannot drift: the README names every setting and command, the architecture page
names every module, and the README opens with the two fresh-machine commands."""

from __future__ import annotations

import re
from pathlib import Path

import click

from nanodev.cli import main
from nanodev.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()


def test_readme_opens_with_the_two_commands() -> None:
    block = README.split("```", 2)[1]
    assert "pip install" in block and "nanodev up" in block
    assert "./scripts/test" in block
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test" in ci


def test_every_setting_is_in_the_readme_table() -> None:
    for name in Settings.model_fields:
        assert f"`{name}`" in README, f"README does not document setting {name}"


def subcommands(group: click.Group) -> dict[str, click.Command]:
    """A group's commands, loading lazily registered ones (`nanodev.cli.COMMANDS`)."""
    ctx = click.Context(group)
    found = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    return {name: cmd for name, cmd in found.items() if cmd is not None}


def test_every_up_flag_is_in_the_readme() -> None:
    up = subcommands(main)["up"]
    for param in up.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert f"`{opt}`" in README, f"README does not document {opt}"


def test_every_command_is_in_the_readme() -> None:
    def walk(group: click.Group, prefix: str) -> list[str]:
        names = []
        for name, cmd in subcommands(group).items():
            full = f"{prefix} {name}"
            if isinstance(cmd, click.Group):
                names += walk(cmd, full)
            else:
                names.append(full)
        return names

    for command in walk(main, "nanodev"):
        assert command in README, f"README does not document `{command}`"


def architecture_tree() -> dict[str, str]:
    """docs/architecture.md's ```tree block: relative path → the job it names. Two spaces of
    indent per level; a folder ends in `/`."""
    block = ARCHITECTURE.split("```tree\n", 1)[1].split("```", 1)[0]
    lines = block.splitlines()
    assert lines[0] == "nanodev/"
    entries: dict[str, str] = {}
    parents: list[str] = []
    for line in lines[1:]:
        depth = (len(line) - len(line.lstrip(" "))) // 2
        name, _, job = line.strip().partition(" ")
        assert 1 <= depth <= len(parents) + 1, f"bad indent: {line!r}"
        assert job.strip(), f"docs/architecture.md gives {name} no job"
        del parents[depth - 1 :]
        path = "/".join([*parents, name.rstrip("/")])
        entries[path] = job.strip()
        if name.endswith("/"):
            parents.append(name.rstrip("/"))
    return entries


def source_tree() -> set[str]:
    """Every package folder and module of nanodev/ (a package's `__init__.py` is told by its
    folder's line; demo/'s assets belong to demo/)."""
    package = ROOT / "nanodev"
    found = set()
    for path in package.rglob("*"):
        rel = path.relative_to(package)
        if "__pycache__" in rel.parts or "demo" in rel.parts[:-1] or rel.parts[0] == "templates":
            continue
        if path.is_dir() or (path.suffix in (".py", ".js") and path.name != "__init__.py"):
            found.add(str(rel))
    found.discard("__init__.py")
    return found


def test_the_architecture_tree_is_the_source_tree() -> None:
    drawn = set(architecture_tree())
    actual = source_tree()
    assert actual - drawn == set(), "in nanodev/ but not on docs/architecture.md's tree"
    assert drawn - actual == set(), "on docs/architecture.md's tree but not in nanodev/"


def test_doc_links_resolve() -> None:
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(((?!https?:)[^)#]+)\)", doc.read_text()):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


def named_commands(markdown: str) -> list[list[str]]:
    """Every `nanodev …` written as code (inline spans and fenced blocks): its words."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", markdown, re.S)
    code = [re.sub(r"\s#.*", "", line) for block in blocks for line in block.splitlines()]
    code += re.findall(r"(?<!`)`([^`]+)`(?!`)", re.sub(r"```.*?```", "", markdown, flags=re.S))
    found = []
    for chunk in code:
        for match in re.finditer(r"(?:^|[\s(])nanodev((?: +[^\s`#|]+)*)", chunk, re.M):
            if match.group(1).split():  # the bare name is the program, not a command line
                found.append(match.group(1).split())
    return found


def check_named(words: list[str]) -> list[str]:
    """Problems with one named command line: unknown subcommands or flags."""
    command: click.Command = main
    path = ["nanodev"]
    rest = list(words)
    while isinstance(command, click.Group) and rest:
        found = command.get_command(click.Context(command), rest[0])  # lazily loaded too
        if found is None:
            break
        path.append(rest.pop(0))
        command = found
    if isinstance(command, click.Group):
        return [f"`{' '.join(path + rest[:1])}` is not a command"]
    flags = {opt for p in command.params for opt in getattr(p, "opts", [])}
    return [
        f"`{' '.join(path)}` has no {word}"
        for word in (w.split("=")[0] for w in rest)
        if word.startswith("--") and word not in flags
    ]


def test_every_command_and_flag_nano_type_db_md_names_exists() -> None:
    doc = (ROOT / "docs" / "nano-type-db.md").read_text()
    named = named_commands(doc)
    assert len(named) >= 10  # the parser sees the page's commands
    assert ["migrations", "mark-applied", "0002_api_keys.sql"] in [n[:3] for n in named]
    problems = [p for words in named for p in check_named(words)]
    assert problems == []
    assert check_named(["migrations", "apply", "--no-such-flag"]) == [
        "`nanodev migrations apply` has no --no-such-flag"
    ]
    assert check_named(["migration", "list"]) == ["`nanodev migration` is not a command"]
