"""The state directory on disk: its layout and secret, snapshots (export/import), `reset` and
`sql` over the exact files the server uses, and defaults discovered in the working directory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanodev.lazy import exports

if TYPE_CHECKING:
    from nanodev.state import files
    from nanodev.state.directory import (
        clear_server_info,
        ensure_layout,
        load_secret,
        make_dir,
        read_server_info,
        write_server_info,
    )
    from nanodev.state.discovery import discover_defaults
    from nanodev.state.files import StateError, format_table, run_sql, sql_target
    from nanodev.state.snapshot import SnapshotError, export_state, import_state

__all__ = [
    "SnapshotError",
    "StateError",
    "clear_server_info",
    "discover_defaults",
    "ensure_layout",
    "export_state",
    "files",
    "format_table",
    "import_state",
    "load_secret",
    "make_dir",
    "read_server_info",
    "run_sql",
    "sql_target",
    "write_server_info",
]
__getattr__ = exports(
    __name__,
    {
        "SnapshotError": "snapshot",
        "StateError": "files",
        "clear_server_info": "directory",
        "discover_defaults": "discovery",
        "ensure_layout": "directory",
        "export_state": "snapshot",
        "files": "",
        "format_table": "files",
        "import_state": "snapshot",
        "load_secret": "directory",
        "make_dir": "directory",
        "read_server_info": "directory",
        "run_sql": "files",
        "sql_target": "files",
        "write_server_info": "directory",
    },
)
