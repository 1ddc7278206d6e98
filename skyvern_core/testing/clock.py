"""A clock for tests that moves forward when slept on, instead of waiting."""

from __future__ import annotations

from datetime import datetime, timedelta

import anyio.lowlevel

from skyvern_core.models import utcnow

__all__ = ["FakeClock"]


class FakeClock:
    """A :class:`~skyvern_core.clock.Clock` whose time moves only when told to or slept on.

    ``sleep(s)`` returns at once, ``s`` seconds later by this clock (it still yields to the
    event loop, so other tasks run and a cancel lands); ``advance(s)`` jumps ahead.
    ``now()`` starts at the real current time (so leases written by a store with the real
    time compare sensibly) and then moves only with this clock.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or utcnow()
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        """The start time plus the time this clock has moved."""
        return self._start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        """Seconds this clock has moved."""
        return self.elapsed

    async def sleep(self, seconds: float) -> None:
        """Move ``seconds`` forward and yield once to the event loop."""
        self.sleeps.append(seconds)
        self.elapsed += max(0.0, seconds)
        await anyio.lowlevel.checkpoint()

    def advance(self, seconds: float) -> None:
        """Jump ``seconds`` forward."""
        self.elapsed += seconds
