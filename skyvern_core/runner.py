"""The step loop: see the page, decide, act, record — until the task ends.

One :class:`TaskRunner` drives one claimed task to a final status. Whatever happens — a
backend raising, a step timing out, the wall-clock limit, a cancel — the task ends in a
final status with a readable reason, its browser session is closed and the notifier is
told. Failure texts follow the Tasks API: ``Max steps per task (N) exceeded`` and
``Max retries per step (N) exceeded``.

The run is made of parts in :mod:`skyvern_core.run`: one step
(:class:`~skyvern_core.run.step.StepExecutor`), the end
(:class:`~skyvern_core.run.finish.Finisher`) and the lease
(:class:`~skyvern_core.run.lease.LeaseKeeper`); here is the loop that joins them. The
task's time limit, like every other, is measured on the runner's clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from skyvern_core.captcha.challenge import CaptchaSolver
from skyvern_core.clock import SYSTEM_CLOCK, Clock, time_limit
from skyvern_core.config import Settings
from skyvern_core.errors import BackendError
from skyvern_core.ids import new_id
from skyvern_core.models import Step, StepStatus, Task, TaskStatus
from skyvern_core.profiles import ProfileUnavailable, take_profile
from skyvern_core.protocols import ArtifactStore, BrowserDriver, Notifier, Planner
from skyvern_core.run.context import (
    EventCallback,
    Released,
    RunContext,
    RunEvent,
    RunHandle,
    RunStore,
    describe_error,
    log,
)
from skyvern_core.run.finish import Finisher
from skyvern_core.run.lease import LeaseKeeper, renew_interval
from skyvern_core.run.step import StepExecutor, failure_reason, goes_on_after_failure
from skyvern_core.storage import ProfileStore, StepUpdate
from skyvern_core.totp import TotpResolver

__all__ = [
    "EventCallback",
    "RunEvent",
    "RunHandle",
    "RunStore",
    "TaskRunner",
    "describe_error",
    "failure_reason",
    "goes_on_after_failure",
]

STOPPED = "The worker running this task was shut down before the task finished"


class TaskRunner:
    """Runs claimed tasks with one set of backends."""

    def __init__(
        self,
        *,
        store: RunStore,
        driver: BrowserDriver,
        planner: Planner,
        artifacts: ArtifactStore,
        notifier: Notifier | None,
        settings: Settings,
        worker_id: str,
        on_event: EventCallback | None = None,
        describe: Callable[[Task], Awaitable[Task]] | None = None,
        totp: TotpResolver | None = None,
        clock: Clock = SYSTEM_CLOCK,
        captcha_solver: CaptchaSolver | None = None,
    ) -> None:
        self.store = store
        self.driver = driver
        self.planner = planner
        self.artifacts = artifacts
        self.notifier = notifier
        self.settings = settings
        self.worker_id = worker_id
        self.on_event = on_event
        self.describe = describe
        self.totp = totp
        self.clock = clock
        self.captcha_solver = captcha_solver

    async def run(self, task: Task, handle: RunHandle | None = None) -> Task:
        """Drive a task already claimed (status ``running``) to a final status, or back to
        the queue when the handle asks for a release."""
        handle = handle or RunHandle(task.task_id)
        run = _Run(self, task, handle)
        return await run.execute()

    async def emit(self, event: RunEvent) -> None:
        """Call the progress callback; its errors never affect the run."""
        if self.on_event is None:
            return
        try:
            result = self.on_event(event)
            if hasattr(result, "__await__"):
                await result
        except Exception:
            log.exception("progress callback failed")


class _Run:
    """One task's run: the loop over its steps, within the task's time limit, under a kept
    lease, ended by the finisher whatever happens."""

    def __init__(self, runner: TaskRunner, task: Task, handle: RunHandle) -> None:
        self.ctx = RunContext(runner, task, handle)
        self.r = runner
        self.s = runner.settings
        self.store = runner.store
        self.handle = handle
        self.steps = StepExecutor(self.ctx)
        self.finisher = Finisher(self.ctx)

    @property
    def task(self) -> Task:
        """The task as last stored."""
        return self.ctx.task

    # ------------------------------------------------------------------ top level

    async def execute(self) -> Task:
        # The lease is kept through the end of the run too: recording the final
        # screenshot and recording takes a while, and a lease that ran out meanwhile
        # would let another worker recover a task that is being finished.
        async with anyio.create_task_group() as lease:
            keeper = LeaseKeeper(
                self.store,
                self.task.task_id,
                self.r.worker_id,
                lease_seconds=self.s.lease_seconds,
                interval=renew_interval(self.s),
                on_canceled=self._canceled_elsewhere,
                on_lost=self.handle.lose,
                on_renewed=self._renew_holds,
            )
            lease.start_soon(keeper.run)
            try:
                finished = await self._execute()
            finally:
                lease.cancel_scope.cancel()
        return finished

    async def _execute(self) -> Task:
        status, reason, extracted, has_extracted = TaskStatus.failed, None, None, False
        timed_out = released = False
        try:
            with anyio.CancelScope() as scope:
                self.handle._scope = scope
                if self.handle.canceled or self.handle.stopping or self.handle.lost:
                    scope.cancel()
                with time_limit(self.r.clock, self.s.task_timeout) as limit:
                    status, reason, extracted, has_extracted = await self._guarded()
                timed_out = limit.expired
            if timed_out:
                status = TaskStatus.failed
                reason = f"Task exceeded its time limit ({self.s.task_timeout:g} s)"
        except Released:
            released = True
        except Exception as exc:  # a bug or a store failure outside a step
            log.exception("task %s failed outside a step", self.task.task_id)
            status, reason = TaskStatus.failed, describe_error(exc)
        except anyio.get_cancelled_exc_class():
            # Cancelled from outside the run (the worker pool is shutting down): still
            # record the end (the webhook is in the store's outbox, sent by whichever
            # process runs the sender next), then let the cancellation go on.
            with anyio.CancelScope(shield=True):
                if self.handle.releasing and not self.handle.canceled:
                    await self.finisher.release()
                else:
                    self.handle.stopping = True
                    await self.finisher.record_end(
                        TaskStatus.canceled if self.handle.canceled else TaskStatus.failed,
                        None if self.handle.canceled else STOPPED,
                        None,
                        False,
                    )
            self.ctx.uploads.cleanup()
            raise
        finally:
            self.handle._scope = None
        if self.handle.canceled:
            status, reason = TaskStatus.canceled, None
        elif self._releases(released or scope.cancelled_caught):
            # At a step boundary, or interrupted, because the process is shutting down.
            with anyio.CancelScope(shield=True):
                released_task = await self.finisher.release()
            self.ctx.uploads.cleanup()
            return released_task
        elif self.handle.stopping:
            status, reason = TaskStatus.failed, STOPPED
        with anyio.CancelScope(shield=True):
            finished, notify = await self.finisher.record_end(
                status, reason, extracted, has_extracted
            )
        self.ctx.uploads.cleanup()  # the session is closed: the browser has read its files
        if notify:
            await self.finisher.notify(finished)
        return finished

    async def _renew_holds(self) -> None:
        """Renew what the task holds with its lease: its browser profile."""
        if self.ctx.profile is not None:
            await self.ctx.profile.renew()

    def _canceled_elsewhere(self) -> None:
        """A cancel recorded by another process stops the run."""
        if not self.handle.canceled:
            self.handle.cancel()

    def _releases(self, stopped_early: bool) -> bool:
        """Whether the run ends by giving its task back to the queue."""
        return self.handle.releasing and stopped_early and not self.handle.lost

    async def _guarded(self) -> tuple[TaskStatus, str | None, Any, bool]:
        # Errors outside a step (the session would not open, the store failed) end the
        # task here, unwrapped, rather than as an exception group from the task group.
        try:
            return await self._drive()
        except Released:
            raise
        except Exception as exc:
            log.warning(
                "task %s failed: %s",
                self.task.task_id,
                exc,
                exc_info=not isinstance(exc, BackendError),
            )
            return TaskStatus.failed, describe_error(exc), None, False

    async def _drive(self) -> tuple[TaskStatus, str | None, Any, bool]:
        max_steps = self.task.max_steps
        max_retries = self.s.max_retries
        order, retry_index = 0, 0
        errors: list[str] = []
        extracted: Any = None
        has_extracted = False
        name = self.task.request.browser_profile
        if name and self.ctx.profile is None:
            # Before the first step, so the wait for a profile in use is not a step's time.
            if not isinstance(self.store, ProfileStore):
                store = type(self.store).__name__
                reason = (
                    f"browser_profile needs a store that keeps browser profiles; {store} does not"
                )
                return TaskStatus.failed, reason, None, False
            try:
                self.ctx.profile = await take_profile(
                    self.store, self.s, self.task.organization_id, name, self.task.task_id
                )
            except ProfileUnavailable as exc:
                return TaskStatus.failed, str(exc), None, False
        while True:
            if self.handle.releasing:
                raise Released()
            if order >= max_steps:
                return (
                    TaskStatus.failed,
                    f"Max steps per task ({max_steps}) exceeded: the goal was not reached "
                    f"in {max_steps} steps",
                    extracted,
                    has_extracted,
                )
            step = await self.store.create_step(
                Step(
                    step_id=new_id("step"),
                    task_id=self.task.task_id,
                    organization_id=self.task.organization_id,
                    order=order,
                    retry_index=retry_index,
                    attempt=self.task.attempt,
                )
            )
            running = await self.store.update_step(
                step.step_id, StepUpdate(status=StepStatus.running)
            )
            self.ctx.step = running
            await self.r.emit(RunEvent("step_started", self.task, running))
            outcome = await self.steps.attempt(running, errors)
            if outcome.extracted_set:
                extracted, has_extracted = outcome.extracted, True
            done = self.ctx.step = await self.steps.record(running, outcome)
            self.ctx.history.append(done)
            await self.r.emit(RunEvent("step_finished", self.task, done))
            self.ctx.step = None
            if outcome.fatal:
                return TaskStatus.failed, outcome.reason, extracted, has_extracted
            if not outcome.ok:
                errors = [outcome.reason or "the step failed"]
                if retry_index >= max_retries:
                    return (
                        TaskStatus.failed,
                        f"Max retries per step ({max_retries}) exceeded: {outcome.reason}",
                        extracted,
                        has_extracted,
                    )
                retry_index += 1
                continue
            if outcome.terminate is not None:
                return TaskStatus.terminated, outcome.terminate, extracted, has_extracted
            if outcome.complete:
                if self.ctx.replay is not None:
                    await self.ctx.replay.completed()
                return TaskStatus.completed, None, extracted, has_extracted
            order, retry_index, errors = order + 1, 0, []
