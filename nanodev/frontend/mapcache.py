"""Fetching the scripts of a page's stack and their source maps, for `stacks.resolve`.

A script is fetched over HTTP from where the page loaded it: nanodev's own listener in
`--static` and demo modes, the dev server (Vite) behind `--frontend`, or the server of a page
that loads `/__nanodev/probe.js` itself. Only loopback URLs are fetched (a report names them,
and a report must never make nanodev reach another machine), each script and map at most
`MAX_BYTES`, with a short timeout; results are cached briefly, so a reconnect loop costs one
fetch per script, and a rebuilt bundle is read again after `TTL_S`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections import OrderedDict
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

import aiohttp

from nanodev.frontend.sourcemaps import (
    MapError,
    Original,
    SourceMap,
    inline_map,
    map_reference,
    map_url,
)
from nanodev.frontend.stacks import Resolver

MAX_BYTES = 20 * 1024 * 1024
TTL_S = 5.0
MAX_ENTRIES = 64
TIMEOUT_S = 3.0
MAX_SCRIPTS = 8  # distinct scripts fetched for one stack
OWN = "/__nanodev/"  # nanodev's own scripts (the probe) have no map to find
HEADERS = {"User-Agent": "nanodev source maps"}  # so these fetches are plain in the inspector


def fetchable(url: str) -> bool:
    """http(s) on a loopback host: the only scripts nanodev reads for a page."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class MapCache:
    """Script URL → its decoded map (or None), fetched on demand and kept `TTL_S` seconds."""

    def __init__(self) -> None:
        self._maps: OrderedDict[str, tuple[float, SourceMap | None]] = OrderedDict()
        self._session: aiohttp.ClientSession | None = None

    async def resolver(self, urls: Iterable[str]) -> Resolver:
        """A lookup over the maps of `urls`, loaded first (concurrently, unknown ones only)."""
        wanted = [u for u in dict.fromkeys(urls) if fetchable(u) and OWN not in u][:MAX_SCRIPTS]
        maps = await asyncio.gather(*(self.get(u) for u in wanted))
        loaded = dict(zip(wanted, maps, strict=True))

        def lookup(url: str, line: int, column: int) -> Original | None:
            found = loaded.get(url)
            return found.lookup(line, column) if found is not None else None

        return lookup

    async def get(self, url: str) -> SourceMap | None:
        cached = self._maps.get(url)
        if cached is not None and time.monotonic() - cached[0] < TTL_S:
            return cached[1]
        found = await self._load(url)
        self._maps[url] = (time.monotonic(), found)
        self._maps.move_to_end(url)
        while len(self._maps) > MAX_ENTRIES:
            self._maps.popitem(last=False)
        return found

    async def _load(self, url: str) -> SourceMap | None:
        script = await self._fetch(url)
        if script is None:
            return None
        # No sourceMappingURL (Vite's `sourcemap: "hidden"`): a .map beside the bundle.
        reference = map_reference(script.decode("utf-8", "replace"))
        if reference is None:
            reference = urlsplit(url).path.rsplit("/", 1)[-1] + ".map"
        try:
            data = inline_map(reference)
            where = url
            if data is None:
                where = map_url(url, reference)
                data = await self._fetch(where) if fetchable(where) else None
            if data is None:
                return None
            found = SourceMap.from_json(data)
        except MapError:
            return None
        # Sources relative to the map (`../../src/App.tsx`) become paths on the page's origin.
        found.sources = [urlsplit(urljoin(where, s)).path or s for s in found.sources]
        return found

    async def _fetch(self, url: str) -> bytes | None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers=HEADERS,
            )
        try:
            async with self._session.get(url, allow_redirects=False) as response:
                if response.status != 200:
                    return None
                body = await response.content.read(MAX_BYTES + 1)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
            return None
        return body if len(body) <= MAX_BYTES else None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
