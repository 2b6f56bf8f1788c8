"""The request inspector and what reads the recorder: the `/__nanodev/` page, its JSON API and
live feed, flow details and filters, explanations in words, replay, copy-as, the room view,
session export/import, HAR in and out with `nanodev explain`, the terminal line per request and
`nanodev tail`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanodev.lazy import exports

if TYPE_CHECKING:
    from nanodev.inspector import views
    from nanodev.inspector.console import ConsoleLog
    from nanodev.inspector.explain import SESSION_COOKIE
    from nanodev.inspector.filters import FIELDS, FilterError, FlowFilter
    from nanodev.inspector.harexplain import explain_har, render_text
    from nanodev.inspector.harimport import HarError
    from nanodev.inspector.tail import follow
    from nanodev.inspector.terminal import TermLine, render

__all__ = [
    "FIELDS",
    "SESSION_COOKIE",
    "ConsoleLog",
    "FilterError",
    "FlowFilter",
    "HarError",
    "TermLine",
    "explain_har",
    "follow",
    "render",
    "render_text",
    "views",
]
__getattr__ = exports(
    __name__,
    {
        "ConsoleLog": "console",
        "FIELDS": "filters",
        "FilterError": "filters",
        "FlowFilter": "filters",
        "HarError": "harimport",
        "explain_har": "harexplain",
        "render_text": "harexplain",
        "SESSION_COOKIE": "explain",
        "TermLine": "terminal",
        "follow": "tail",
        "render": "terminal",
        "views": "",
    },
)
