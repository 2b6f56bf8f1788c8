"""`nanodev doctor`: the seed report's handshake checklist as a client of the HTTP surface,
against local fixtures or any `--url`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanodev.lazy import exports

if TYPE_CHECKING:
    from nanodev.doctor import run
    from nanodev.doctor.report import render_text

__all__ = [
    "render_text",
    "run",
]
__getattr__ = exports(
    __name__,
    {
        "render_text": "report",
        "run": "",
    },
)
