"""Time as the engine reads it, so that tests can move it instead of waiting.

The engine asks a :class:`Clock` for the current time (lease expiry, cancel), sleeps
through it between polls (waiting for a one-time code), and measures its time limits on it
(a task's and a step's limit, the bounds on closing a browser or sending a webhook): see
:func:`time_limit`. :data:`SYSTEM_CLOCK` is the real one;
:class:`skyvern_core.testing.FakeClock` jumps forward at once when slept on, so a
five-minute wait, or a step running out of time, takes no time in a test.

The renewal of a running task's lease keeps real time whatever the clock: the lease's
expiry is written by the store on its own (real) time, for other processes to read.
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

import anyio

from skyvern_core.models import utcnow

__all__ = ["SYSTEM_CLOCK", "Clock", "LimitingClock", "SystemClock", "TimeLimit", "time_limit"]


@runtime_checkable
class Clock(Protocol):
    """Where the engine gets the time, and how it waits."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for measuring waits."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a cancel still interrupts the wait)."""


class TimeLimit:
    """A time limit around a block: a cancel scope that ends once ``seconds`` have passed.

    Use it as a context manager. After the block, :attr:`expired` says whether the limit
    cut it short; with ``fail``, :class:`TimeoutError` is raised instead (as
    :func:`anyio.fail_after`). :meth:`pause` stops the limit's time and :meth:`resume`
    gives back what was left. This one runs on the event loop's time (the real time);
    a clock measures its limits on its own time by returning another from ``limit``.
    """

    def __init__(self, seconds: float, *, fail: bool = False) -> None:
        self.seconds = seconds
        self.fail = fail
        self.scope = anyio.CancelScope()
        self._left: float | None = None

    def __enter__(self) -> Self:
        self.scope.__enter__()
        self._arm(self.seconds)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self._disarm()
        swallowed = bool(self.scope.__exit__(exc_type, exc, tb))
        if self.fail and self.scope.cancelled_caught:
            raise TimeoutError(f"the time limit ({self.seconds:g} s) ran out")
        return swallowed

    @property
    def expired(self) -> bool:
        """Whether the limit ran out and cut the block short."""
        return self.scope.cancelled_caught

    def pause(self) -> None:
        """Stop the limit's time (a wait that has a budget of its own)."""
        if self._left is None:
            self._left = max(self._remaining(), 0.0)
            self._disarm()

    def resume(self) -> None:
        """Go on with the time that was left when :meth:`pause` stopped it."""
        if self._left is not None:
            left, self._left = self._left, None
            self._arm(left)

    def _arm(self, seconds: float) -> None:
        self.scope.deadline = anyio.current_time() + seconds

    def _disarm(self) -> None:
        self.scope.deadline = math.inf

    def _remaining(self) -> float:
        return self.scope.deadline - anyio.current_time()


@runtime_checkable
class LimitingClock(Clock, Protocol):
    """A clock that measures time limits on its own time, as
    :class:`~skyvern_core.testing.FakeClock` does."""

    def limit(self, seconds: float, *, fail: bool = False) -> TimeLimit:
        """A :class:`TimeLimit` of ``seconds`` by this clock."""


def time_limit(clock: Clock, seconds: float, *, fail: bool = False) -> TimeLimit:
    """A :class:`TimeLimit` of ``seconds`` on ``clock``: by its own ``limit`` where it has
    one (:class:`LimitingClock`), else on the event loop's time, which a clock that reads
    the real time shares."""
    if isinstance(clock, LimitingClock):
        return clock.limit(seconds, fail=fail)
    return TimeLimit(seconds, fail=fail)


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
