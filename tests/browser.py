"""Real Chromium for the browser tests: the system binary, headless, no downloads."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).resolve().parent / "output"

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")

if TYPE_CHECKING:
    from playwright.async_api import Browser


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright  # noqa: PLC0415 - optional dependency

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def shots(test_name: str) -> Path:
    """`tests/output/<test name>/`, created."""
    folder = OUTPUT / test_name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"


def for_docs(source: Path, name: str) -> None:
    """The docs' screenshots are taken by the browser tests; they are copied into docs/img only
    when asked (NANODEV_DOC_SCREENSHOTS=1), so a test run leaves the tree as it was."""
    if os.environ.get("NANODEV_DOC_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, DOCS_IMG / name)
