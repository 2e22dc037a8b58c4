"""Exponential back-off for devices that do not answer.

After ``n`` consecutive failures a device is left alone for
``min(base_s * factor**(n-1), max_s)`` seconds; polls that fall inside that
window are skipped. One success clears the record.

For scheduled polling, :meth:`Backoff.for_interval` bounds the pause so that a device
that answers again is polled within two intervals: the first failure skips nothing (one
lost answer is common on a radio link), later ones skip every other poll at most. That
halves the time a dead device costs the cycle without hiding a recovery.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Backoff"]


@dataclass
class Backoff:
    """Per-device failure memory.

    Parameters
    ----------
    base_s : float
        Pause after the first failure.
    factor : float
        Growth of the pause per further failure.
    max_s : float
        Longest pause.
    clock : callable
        Monotonic clock in seconds (replaceable in tests).
    """

    base_s: float = 30.0
    factor: float = 2.0
    max_s: float = 900.0
    clock: Callable[[], float] = time.monotonic
    _state: dict[str, tuple[int, float]] = field(default_factory=dict, repr=False)

    @classmethod
    def for_interval(cls, interval_s: float) -> Backoff:
        """Back-off for devices polled every ``interval_s`` seconds.

        The first pause is half an interval, so one failed poll skips nothing; the longest
        is one interval, so at most one scheduled poll is skipped in a row and a device that
        answers again is polled within two intervals (plus the scheduler's jitter).

        Parameters
        ----------
        interval_s : float
            Polling interval.

        Returns
        -------
        Backoff
            The back-off.
        """
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s}")
        return cls(base_s=interval_s / 2, factor=2.0, max_s=interval_s)

    def failures(self, name: str) -> int:
        """Return the number of consecutive failures of a device."""
        return self._state.get(name, (0, 0.0))[0]

    def remaining_s(self, name: str) -> float:
        """Return how long a device is still to be skipped (0 when due)."""
        count, until = self._state.get(name, (0, 0.0))
        return max(0.0, until - self.clock()) if count else 0.0

    def due(self, name: str) -> bool:
        """Tell whether a device may be polled now."""
        return self.remaining_s(name) <= 0.0

    def record(self, name: str, ok: bool) -> None:
        """Record the outcome of a poll.

        Parameters
        ----------
        name : str
            Device name.
        ok : bool
            True when the device answered.
        """
        if ok:
            self._state.pop(name, None)
            return
        count = self.failures(name) + 1
        pause = min(self.base_s * self.factor ** (count - 1), self.max_s)
        self._state[name] = (count, self.clock() + pause)
