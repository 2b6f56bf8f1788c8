"""The room's in-memory sliding-window rate limits (per user and method, 60 s, §3.12)."""

from __future__ import annotations

import time
from collections import deque


class RateLimiter:
    def __init__(self, window_s: float = 60.0) -> None:
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str, limit: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window_s:
            hits.popleft()
        if len(hits) >= limit:
            return False
        hits.append(now)
        return True

    @property
    def active_keys(self) -> int:
        return sum(1 for hits in self._hits.values() if hits)
