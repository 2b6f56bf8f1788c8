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


def test_every_up_flag_is_in_the_readme() -> None:
    up = main.commands["up"]
    for param in up.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert f"`{opt}`" in README, f"README does not document {opt}"


def test_every_command_is_in_the_readme() -> None:
    def walk(group: click.Group, prefix: str) -> list[str]:
        names = []
        for name, cmd in group.commands.items():
            full = f"{prefix} {name}"
            if isinstance(cmd, click.Group):
                names += walk(cmd, full)
            else:
                names.append(full)
        return names

    for command in walk(main, "nanodev"):
        assert command in README, f"README does not document `{command}`"


def test_every_module_is_on_the_architecture_page() -> None:
    for path in sorted((ROOT / "nanodev").glob("*.py")):
        if path.stem.startswith("__"):
            continue
        assert re.search(rf"`{path.stem}(\.py)?`", ARCHITECTURE), (
            f"docs/architecture.md does not say what {path.name} does"
        )


def test_doc_links_resolve() -> None:
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(((?!https?:)[^)#]+)\)", doc.read_text()):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
