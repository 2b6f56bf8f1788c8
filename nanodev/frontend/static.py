"""`--static DIR`: a built frontend with the SPA fallback of the Worker (reference §1.1).

Every path is decoded once, checked, joined under DIR and *then* resolved; the resolved path must
still be inside DIR's real path and must not name a dotfile. The check and the read see the same
string, which is the whole lesson of the Vite `server.fs` advisories. Symlinks are followed only
as far as that containment allows.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import unquote

from aiohttp import web

from nanodev.frontend.livereload import inject_snippet
from nanodev.frontend.pageprobe import inject_probe

NO_CACHE = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
# Types a dev server must get right whatever the system's mime.types says.
CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".cjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".wasm": "application/wasm",
    ".txt": "text/plain",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}
TEXT_TYPES = ("text/", "application/json", "application/manifest+json", "image/svg+xml")
# Characters no legitimate asset path contains, before or after decoding.
FORBIDDEN = ("\\", "\x00", "#", "?", ":")
# Private files a build directory may hold by accident, never served (Vite's `server.fs.deny`
# defaults, plus private keys). A pattern without '/' matches any one path segment, so `.git`
# covers everything under it; one with '/' matches the path from DIR. Case-insensitive.
DENY = (".env", ".env.*", "*.pem", "*.crt", "*.key", "*.p12", ".git")


@dataclass(frozen=True, slots=True)
class Lookup:
    """Where a request path leads inside DIR: a file, the SPA fallback, or nothing."""

    kind: Literal["file", "fallback", "refused", "missing"]
    path: Path | None = None
    reason: str = ""


def decode_path(raw_path: str) -> list[str] | None:
    """Split a raw (percent-encoded) request path into safe segments, or None when refused."""
    if any(ch in raw_path for ch in FORBIDDEN) or "%5c" in raw_path.lower():
        return None
    try:
        decoded = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:  # overlong UTF-8 such as %c0%ae
        return None
    if any(ch in decoded for ch in FORBIDDEN) or any(ord(ch) < 0x20 for ch in decoded):
        return None
    segments = [s for s in decoded.split("/") if s]
    if any(s in (".", "..") or s.startswith(".") for s in segments):
        return None  # traversal and dotfiles alike: nothing under a dot is ever served
    return segments


def contained(root: Path, candidate: Path) -> Path | None:
    """`candidate` resolved, if it stays inside `root` (already resolved) and hides no dotfile."""
    try:
        real = candidate.resolve(strict=False)
    except (OSError, RuntimeError):  # symlink loops, too-long names
        return None
    if real != root and root not in real.parents:
        return None
    if any(part.startswith(".") for part in real.relative_to(root).parts):
        return None  # a symlink inside DIR pointing at a dotfile
    return real


def denied(parts: Sequence[str], patterns: Sequence[str]) -> str | None:
    """The deny pattern that `parts` (a path under DIR, as segments) matches, or None."""
    lowered = [part.lower() for part in parts]
    whole = "/".join(lowered)
    for pattern in patterns:
        wanted = pattern.lower().strip("/")
        if "/" in wanted and fnmatchcase(whole, wanted):
            return pattern
        if "/" not in wanted and any(fnmatchcase(part, wanted) for part in lowered):
            return pattern
    return None


def lookup(root: Path, raw_path: str, *, wants_html: bool, deny: Sequence[str] = DENY) -> Lookup:
    """Decide what `raw_path` serves under `root` (a resolved directory)."""
    segments = decode_path(raw_path)
    if segments is None:
        return Lookup("refused", reason="path refused: traversal, encoding trick or dotfile")
    found = contained(root, root.joinpath(*segments))
    if found is None:
        return Lookup("refused", reason="path resolves outside the static directory")
    # The name asked for and the file it resolves to (a symlink) are both checked.
    pattern = denied(segments, deny) or denied(PurePosixPath(found.relative_to(root)).parts, deny)
    if pattern is not None:
        return Lookup("refused", reason=f"private file: matches the static deny list ({pattern})")
    if found.is_dir():
        found = contained(root, found / "index.html")
    if found is not None and found.is_file():
        return Lookup("file", found)
    last = segments[-1] if segments else ""
    if wants_html or "." not in last:
        index = contained(root, root / "index.html")
        if index is not None and index.is_file():
            return Lookup("fallback", index, "SPA fallback: index.html")
    return Lookup("missing", reason="no such file in the static directory")


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


class StaticSite:
    """Answers frontend requests from one directory; HTML gets the live-reload snippet and
    the page probe."""

    def __init__(
        self,
        root: Path,
        *,
        live_reload: bool = True,
        page_probe: Callable[[], bool] = lambda: True,
        deny: Sequence[str] = (),
    ) -> None:
        self.configured = root
        self.live_reload = live_reload
        self.page_probe = page_probe  # read per page: nanodev.toml may turn it off live
        self.deny = (*DENY, *deny)

    @property
    def root(self) -> Path | None:
        try:
            return self.configured.resolve(strict=True)
        except (OSError, RuntimeError):
            return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        root = self.root
        if root is None or not root.is_dir():
            return web.Response(
                status=503,
                text=f"The static directory {self.configured} does not exist yet. Build your "
                "frontend (e.g. npm run build) or pass --static DIR.\n",
                headers=NO_CACHE,
            )
        if request.method not in ("GET", "HEAD"):
            return web.Response(status=404, text="Not found", headers=NO_CACHE)
        wants_html = "text/html" in request.headers.get("Accept", "")
        found = lookup(root, request.rel_url.raw_path, wants_html=wants_html, deny=self.deny)
        if found.path is None:
            return web.Response(status=404, text="Not found", headers=NO_CACHE)
        return await self._serve(found.path)

    async def _serve(self, path: Path) -> web.StreamResponse:
        ctype = content_type(path)
        if ctype != "text/html":
            response = web.FileResponse(path, headers=NO_CACHE)
            response.content_type = ctype
            if ctype.startswith(TEXT_TYPES):
                response.charset = "utf-8"
            return response
        body = await asyncio.to_thread(path.read_bytes)
        if self.live_reload:
            body = inject_snippet(body)
        if self.page_probe():
            body = inject_probe(body)
        return web.Response(body=body, content_type="text/html", charset="utf-8", headers=NO_CACHE)
