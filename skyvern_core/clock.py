"""Time as the engine reads it, so that tests can move it instead of waiting.

The engine asks a :class:`Clock` for the current time (lease expiry, cancel), and sleeps
through it between polls (waiting for a one-time code). :data:`SYSTEM_CLOCK` is the real
one; :class:`skyvern_core.testing.FakeClock` jumps forward at once when slept on, so a
five-minute wait takes no time in a test. Time limits enforced by the event loop (a step's
or a task's limit) keep real time.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Protocol, runtime_checkable

import anyio

from skyvern_core.models import utcnow

__all__ = ["SYSTEM_CLOCK", "Clock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Where the engine gets the time, and how it waits."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for measuring waits."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a cancel still interrupts the wait)."""


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return utcnow()

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """``anyio.sleep(seconds)``."""
        await anyio.sleep(seconds)


SYSTEM_CLOCK = SystemClock()
"""The clock used unless another is given."""
