"""Defaults `nanodev up` finds in the working directory, the way wrangler would.

Kept free of heavy imports: the CLI calls it before anything else is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def default_static_dir(cwd: Path) -> Path | None:
    """`./dist` when present, else the `[site] bucket` of `./wrangler.toml` when it exists."""
    if (cwd / "dist").is_dir():
        return cwd / "dist"
    wrangler = cwd / "wrangler.toml"
    if not wrangler.is_file():
        return None
    import tomllib  # noqa: PLC0415 - only with a wrangler.toml (see the module's note)

    try:
        site = tomllib.loads(wrangler.read_text(encoding="utf-8")).get("site")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    bucket = site.get("bucket") if isinstance(site, dict) else None
    if isinstance(bucket, str) and (cwd / bucket).is_dir():
        return cwd / bucket
    return None


def discover_defaults(values: dict[str, Any], cwd: Path) -> dict[str, Any]:
    """Settings to add when neither flags nor nanodev.toml chose them."""
    found: dict[str, Any] = {}
    if values.get("static_dir") is None and values.get("frontend_url") is None:
        static = default_static_dir(cwd)
        if static is not None:
            found["static_dir"] = static
    if values.get("migrations_dir") is None and (cwd / "migrations").is_dir():
        found["migrations_dir"] = cwd / "migrations"
    return found
