"""Waiting in tests: on a condition, with a deadline, never for a fixed time.

A deadline is a limit on how long a test may hang when something is broken, not a speed target
(those live in ``benchmarks/``): make it generous, and the test as fast as the condition.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout_s: float, what: str, *,
               interval_s: float = 0.1, detail: Callable[[], str] | None = None) -> T:
    """Call ``predicate`` until it returns a truthy value; return that value.

    Parameters
    ----------
    predicate : callable
        Checked first at once, then every ``interval_s`` seconds.
    timeout_s : float
        How long to keep trying before failing the test.
    what : str
        What is waited for, named in the failure ("fonet serve to answer /healthz").
    interval_s : float
        Pause between two checks.
    detail : callable, optional
        Called on failure; its text (a log tail, the last answer) is added to the message.

    Raises
    ------
    AssertionError
        If ``predicate`` is still falsy after ``timeout_s`` seconds.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            extra = f"\n{detail()}" if detail is not None else ""
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}{extra}")
        time.sleep(interval_s)


async def wait_until_async(predicate: Callable[[], T], timeout_s: float, what: str, *,
                           interval_s: float = 0.1) -> T:
    """Wait for a condition inside an event loop, which keeps running between checks.

    See :func:`wait_until`.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        await asyncio.sleep(interval_s)
