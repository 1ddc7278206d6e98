"""Calls of a synchronous automation library, off the event loop and one at a time.

A driver on a synchronous library (Selenium) runs each call in a worker thread under one
lock per browser, so the event loop never blocks and two calls never interleave on one
browser. A cancel, a timeout or a shutdown does not wait for a call that hangs (a browser
stuck in a script, a remote server that stopped answering): the call is abandoned at once,
and later calls fail fast instead of queueing behind it, until it returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread

from skyvern_core.errors import BrowserError

__all__ = ["STUCK_GRACE", "LockedWorker", "open_abandonable"]

P = ParamSpec("P")
T = TypeVar("T")

STUCK_GRACE = 1.0
"""Seconds a call waits for an abandoned one still running before failing fast."""


class LockedWorker:
    """Runs calls in worker threads holding :attr:`lock`; abandons a call that is cancelled.

    ``what`` names the calls in errors (``"WebDriver"``: "an earlier WebDriver call has
    not returned").
    """

    def __init__(self, what: str = "browser") -> None:
        self.what = what
        self.lock = threading.Lock()
        """Held by every call: the library's objects are not for two threads at once."""
        self._stuck = 0
        """Abandoned calls still running in their threads (they hold :attr:`lock`)."""
        self._stuck_guard = threading.Lock()
        self._unstuck = threading.Event()

    @property
    def stuck(self) -> bool:
        """Whether an abandoned call is still running."""
        return bool(self._stuck)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` in a worker thread, holding :attr:`lock`.

        A cancel (or timeout) abandons the thread at once instead of waiting for the
        library; until that call returns, further calls fail fast (after
        :data:`STUCK_GRACE`) with a :class:`~skyvern_core.errors.BrowserError` instead of
        queueing behind it.
        """
        await self._wait_unstuck()
        state = {"abandoned": False, "done": False}

        def locked() -> T:
            try:
                with self.lock:
                    if state["abandoned"]:
                        raise BrowserError("the call was cancelled before it started")
                    return fn(*args, **kwargs)
            finally:
                with self._stuck_guard:
                    state["done"] = True
                    if state["abandoned"]:
                        self._stuck -= 1
                        if not self._stuck:
                            self._unstuck.set()

        try:
            return await anyio.to_thread.run_sync(locked, abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            with self._stuck_guard:
                if not state["done"]:
                    state["abandoned"] = True
                    self._stuck += 1
                    self._unstuck.clear()
            raise

    async def _wait_unstuck(self) -> None:
        if not self._stuck:
            return
        await anyio.to_thread.run_sync(self._unstuck.wait, STUCK_GRACE, abandon_on_cancel=True)
        if self._stuck:
            raise BrowserError(
                f"the browser is not responding: an earlier {self.what} call has not returned"
            )

    async def take_lock(self, wait: float) -> bool:
        """Hold :attr:`lock`, waiting at most ``wait`` seconds (in a thread); False if busy.
        The caller releases it."""
        # Shielded: a cancel arriving meanwhile must not lose a lock that was taken.
        with anyio.CancelScope(shield=True):
            got = await anyio.to_thread.run_sync(self.lock.acquire, True, wait)
        return bool(got)


async def open_abandonable(open_: Callable[[], T], discard: Callable[[T], None]) -> T:
    """``open_()`` in a worker thread (starting a browser, say); a cancel returns at once.

    What ``open_`` returns after its caller gave up is handed to ``discard`` (in that
    thread, or in a thread of its own when it came just as the cancel did): nobody else
    holds it to close it.
    """
    guard = threading.Lock()
    state: dict[str, Any] = {"abandoned": False, "opened": None}

    def open_or_discard() -> T:
        opened = open_()
        with guard:
            state["opened"] = opened
            abandoned = state["abandoned"]
        if abandoned:
            discard(opened)
        return opened

    try:
        return await anyio.to_thread.run_sync(open_or_discard, abandon_on_cancel=True)
    except BaseException:
        with guard:
            state["abandoned"] = True
            late = state["opened"]
        if late is not None:  # it opened just as the cancel came
            threading.Thread(target=discard, args=(late,), daemon=True).start()
        raise
