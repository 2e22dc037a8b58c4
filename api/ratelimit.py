"""A per-token request rate limit: a token bucket for each API token, in memory."""

from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    """Let each key make ``rate_s`` requests per second on average, ``burst`` at once.

    Parameters
    ----------
    rate_s
        Average requests per second (``0`` disables the limit).
    burst
        Size of the bucket: requests that may come at once after a quiet while.
    """

    def __init__(self, rate_s: float, burst: int) -> None:
        self.rate_s = rate_s
        self.burst = max(1, burst)
        self._buckets: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: object, now: float | None = None) -> float:
        """Take one request from ``key``'s bucket; return 0, or seconds to wait if empty."""
        if self.rate_s <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            level, at = self._buckets.get(key, (float(self.burst), now))
            level = min(float(self.burst), level + (now - at) * self.rate_s)
            if level >= 1.0:
                self._buckets[key] = (level - 1.0, now)
                return 0.0
            self._buckets[key] = (level, now)
            if len(self._buckets) > 100_000:
                self._buckets.clear()
            return (1.0 - level) / self.rate_s

    @staticmethod
    def retry_after(wait_s: float) -> str:
        """Return the ``Retry-After`` value (whole seconds, at least 1) for a wait."""
        return str(max(1, math.ceil(wait_s)))
