"""Keeping the claim on a running task: its lease renewed until the run ends.

The renewals keep real time whatever the run's clock: the lease's expiry is written by the
store on its own time, for other processes to read, so it must be renewed before that time
runs out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from skyvern_core.config import Settings
from skyvern_core.models import TaskStatus
from skyvern_core.run.context import log
from skyvern_core.storage import TaskStore

__all__ = ["LeaseKeeper", "renew_interval"]

MIN_INTERVAL = 0.05
"""The shortest wait between renewals, in seconds."""


def renew_interval(settings: Settings) -> float:
    """Seconds between renewals: a third of the lease (so two renewals may fail before it
    runs out), no longer than the poll interval, and at least :data:`MIN_INTERVAL`."""
    return max(MIN_INTERVAL, min(settings.lease_seconds / 3, settings.poll_interval))


class LeaseKeeper:
    """Renews the lease of ``task_id`` for ``worker_id`` every ``interval`` seconds.

    When the store says the task was canceled (by another process), ``on_canceled`` is
    called (at each renewal that says so) and the renewals go on: the worker still
    finishes the task. When the worker no longer holds the task (its lease ran out and
    another worker recovered it), ``on_lost`` is called and the keeper stops: the run must
    not act for a task that is no longer its own. A renewal that fails (the store is
    briefly unreachable) is logged and tried again at the next interval. ``sleep`` is what
    waits between renewals; ``on_renewed`` runs after each renewal that kept the claim
    (what the task holds besides its lease, its browser profile, is renewed there).
    """

    def __init__(
        self,
        store: TaskStore,
        task_id: str,
        worker_id: str,
        *,
        lease_seconds: float,
        interval: float,
        on_canceled: Callable[[], None],
        on_lost: Callable[[], None],
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        on_renewed: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.task_id = task_id
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.interval = interval
        self.on_canceled = on_canceled
        self.on_lost = on_lost
        self.sleep = sleep
        self.on_renewed = on_renewed
        self.renewals = 0

    async def renew(self) -> bool:
        """Renew once; False when the worker no longer holds the task (and ``on_lost`` was
        called), True otherwise (a failed renewal included)."""
        try:
            status = await self.store.renew_lease(
                self.task_id, self.worker_id, lease_seconds=self.lease_seconds
            )
        except Exception:
            log.warning("could not renew the lease of %s", self.task_id, exc_info=True)
            return True
        if status is None:
            self.on_lost()
            return False
        self.renewals += 1
        if status == TaskStatus.canceled:
            self.on_canceled()
        return True

    async def run(self) -> None:
        """Renew every ``interval`` until the claim is lost (or the caller cancels this)."""
        while True:
            await self.sleep(self.interval)
            if not await self.renew():
                return
            if self.on_renewed is not None:
                await self.on_renewed()
