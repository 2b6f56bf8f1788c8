"""Jinja templates from the top-level `templates/` folder (shipped as `nanodev/templates` in
the wheel). Autoescape is always on: templates only loop and escape.

Jinja is imported on first render, not at start: `nanodev up` accepts its first handshake
sooner, and most processes (the CLI) never render a page.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import Environment


def templates_dir() -> Path:
    installed = Path(__file__).parent / "templates"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "templates"


@cache
def environment(directory: Path | None = None) -> Environment:
    from jinja2 import Environment, FileSystemLoader, select_autoescape  # noqa: PLC0415

    return Environment(
        loader=FileSystemLoader(str(directory or templates_dir())),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=False,
    )


def render(name: str, **context: object) -> str:
    return environment().get_template(name).render(**context)
