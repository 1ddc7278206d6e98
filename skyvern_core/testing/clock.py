"""A clock for tests that moves forward when slept on, instead of waiting."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import anyio.lowlevel

from skyvern_core.clock import TimeLimit
from skyvern_core.models import utcnow

__all__ = ["FakeClock"]


class FakeClock:
    """A :class:`~skyvern_core.clock.Clock` whose time moves only when told to or slept on.

    ``sleep(s)`` returns at once, ``s`` seconds later by this clock (it still yields to the
    event loop, so other tasks run and a cancel lands); ``advance(s)`` jumps ahead.
    ``now()`` starts at the real current time (so leases written by a store with the real
    time compare sensibly) and then moves only with this clock. Time limits taken on it
    (``limit()``, which the runner uses through :func:`skyvern_core.clock.time_limit`)
    run out when this clock passes them, however little real time went by.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or utcnow()
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        self._limits: set[_FakeLimit] = set()

    def now(self) -> datetime:
        """The start time plus the time this clock has moved."""
        return self._start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        """Seconds this clock has moved."""
        return self.elapsed

    async def sleep(self, seconds: float) -> None:
        """Move ``seconds`` forward and yield once to the event loop."""
        self.sleeps.append(seconds)
        self._move(max(0.0, seconds))
        await anyio.lowlevel.checkpoint()

    def advance(self, seconds: float) -> None:
        """Jump ``seconds`` forward."""
        self._move(seconds)

    def limit(self, seconds: float, *, fail: bool = False) -> TimeLimit:
        """A :class:`~skyvern_core.clock.TimeLimit` that runs out when this clock has moved
        ``seconds`` (its block is then interrupted at its next checkpoint)."""
        return _FakeLimit(self, seconds, fail=fail)

    def _move(self, seconds: float) -> None:
        self.elapsed += seconds
        for limit in list(self._limits):
            limit.check()


class _FakeLimit(TimeLimit):
    """A time limit measured on a :class:`FakeClock`."""

    def __init__(self, clock: FakeClock, seconds: float, *, fail: bool) -> None:
        super().__init__(seconds, fail=fail)
        self._clock = clock
        self._due = math.inf

    def check(self) -> None:
        """Cancel the block once the clock has reached the limit."""
        if self._clock.elapsed >= self._due:
            self._disarm()
            self.scope.cancel()

    def _arm(self, seconds: float) -> None:
        self._due = self._clock.elapsed + seconds
        self._clock._limits.add(self)
        self.check()

    def _disarm(self) -> None:
        self._due = math.inf
        self._clock._limits.discard(self)

    def _remaining(self) -> float:
        return self._due - self._clock.elapsed
