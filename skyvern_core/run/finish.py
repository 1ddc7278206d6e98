"""The end of a run: the step under way closed, the final screenshot, the browser closed
with its recording and files kept, then the final status and the webhook outbox written in
one store transaction, and the notifier told; or, when this process shuts down, the task
given back to the queue. Every bound on this work is measured on the run's clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skyvern_core.clock import time_limit
from skyvern_core.errors import LostClaimError
from skyvern_core.models import ArtifactKind, StepStatus, Task, TaskStatus
from skyvern_core.protocols import BrowserSession, StorageKeeper
from skyvern_core.run.context import RunContext, RunEvent, describe_error, log
from skyvern_core.storage import StepUpdate, TaskUpdate

__all__ = ["Finisher"]

SCREENSHOT_SECONDS = 30.0
"""How long the final screenshot may take."""
CLOSE_SECONDS = 60.0
"""How long closing the browser session (and saving its recording) may take."""
PROFILE_SECONDS = 30.0
"""How long reading and saving the browser profile may take."""


class Finisher:
    """Ends one run, on the run's shared
    :class:`~skyvern_core.run.context.RunContext`."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    async def close_step(self, status: StepStatus, reason: str | None) -> None:
        """End the step under way when the run stopped (cancel, time limit, error, release)."""
        if self.ctx.step is not None:
            try:
                await self.ctx.store.update_step(
                    self.ctx.step.step_id,
                    StepUpdate(
                        status=status,
                        failure_reason=reason if status == StepStatus.failed else None,
                        is_last=status != StepStatus.canceled or self.ctx.handle.canceled,
                    ),
                )
            except Exception:
                log.warning("could not close step %s", self.ctx.step.step_id, exc_info=True)
            self.ctx.step = None
        elif (
            self.ctx.history
            and self.ctx.history[-1].is_last is False
            and not self.ctx.handle.releasing
        ):
            try:
                await self.ctx.store.update_step(
                    self.ctx.history[-1].step_id, StepUpdate(is_last=True)
                )
            except Exception:
                log.warning(
                    "could not mark the last step of %s", self.ctx.task.task_id, exc_info=True
                )

    async def record_end(
        self, status: TaskStatus, reason: str | None, extracted: Any, has_extracted: bool
    ) -> tuple[Task, bool]:
        """Write the end of the run (final artifacts, status, webhook outbox) in one store
        transaction; the task as the store holds it, and whether to notify."""
        task_id = self.ctx.task.task_id
        await self.close_step(
            StepStatus.canceled if status == TaskStatus.canceled else StepStatus.failed, reason
        )
        fields: dict[str, Any] = await self.final_artifacts()
        if has_extracted:
            fields["extracted_information"] = extracted
        try:
            self.ctx.task = await self.ctx.store.finish_task(
                task_id,
                status=status,
                worker_id=self.ctx.r.worker_id,
                failure_reason=reason,
                now=self.ctx.clock.now(),
                update=TaskUpdate(**fields),
            )
        except LostClaimError:
            # Recovered by another worker after our lease ran out: it is theirs now.
            log.warning("task %s: this worker lost its claim; its end is not recorded", task_id)
            self.ctx.task = await self.ctx.store.get_task(task_id)
            return self.ctx.task, False
        except Exception:
            log.exception("could not record the end of task %s", task_id)
            self.ctx.task = self.ctx.task.model_copy(
                update={"status": status, "failure_reason": reason}
            )
        if self.ctx.r.describe is not None:
            try:
                self.ctx.task = await self.ctx.r.describe(self.ctx.task)
            except Exception:
                log.warning("could not fill the artifact URLs of %s", task_id, exc_info=True)
        await self.ctx.r.emit(RunEvent("task_finished", self.ctx.task))
        return self.ctx.task, True

    async def notify(self, task: Task) -> None:
        """Tell the notifier, bounded: a slow receiver must not hold this worker. A webhook
        left unsent here is in the store's outbox and goes out from the retry loop."""
        if self.ctx.r.notifier is None:
            return
        with time_limit(self.ctx.clock, self.ctx.s.webhook_timeout + 5):
            try:
                await self.ctx.r.notifier.notify(task)
            except Exception:
                log.exception("the notifier failed for task %s", task.task_id)

    async def release(self) -> Task:
        """Give the task back to the queue (this process is shutting down): the step under
        way is canceled, the browser session closed, and the task runs again from its start
        URL as its next attempt, on whichever worker claims it."""
        await self.close_step(StepStatus.canceled, None)
        session, self.ctx.session = self.ctx.session, None
        await self.give_back_profile(None)  # the task's next attempt starts from it again
        if session is not None:
            try:
                with time_limit(self.ctx.clock, CLOSE_SECONDS, fail=True):
                    await session.close()
            except Exception as exc:
                log.warning(
                    "closing the browser session of %s failed: %s", self.ctx.task.task_id, exc
                )
        released = await self.ctx.store.release_task(self.ctx.task.task_id, self.ctx.r.worker_id)
        if released is not None:
            log.info(
                "task %s goes back to the queue (attempt %d next)",
                released.task_id,
                released.attempt,
            )
            self.ctx.task = released
            return released
        # Canceled meanwhile (or no longer ours): end it the ordinary way.
        current = await self.ctx.store.get_task(self.ctx.task.task_id)
        if current.status == TaskStatus.canceled and current.finished_at is None:
            self.ctx.handle.canceled = True
            finished, notify = await self.record_end(TaskStatus.canceled, None, None, False)
            if notify:
                await self.notify(finished)
            return finished
        self.ctx.task = current
        return current

    async def give_back_profile(self, session: BrowserSession | None) -> None:
        """Save the browser profile from ``session`` (what its browser holds now) and give
        it back; with no session, or when saving fails, give it back unchanged."""
        hold, self.ctx.profile = self.ctx.profile, None
        if hold is None:
            return
        if isinstance(session, StorageKeeper):
            try:
                with time_limit(self.ctx.clock, PROFILE_SECONDS, fail=True):
                    saved = await hold.save(await session.storage_state())
                log.info(
                    "task %s saved browser profile %r (version %d)",
                    self.ctx.task.task_id,
                    hold.name,
                    saved.version,
                )
                return
            except Exception as exc:
                log.warning(
                    "task %s: browser profile %r not saved: %s",
                    self.ctx.task.task_id,
                    hold.name,
                    describe_error(exc),
                )
        await hold.release()

    async def final_artifacts(self) -> dict[str, Any]:
        """Final screenshot, then close the session and keep its recording and files."""
        fields: dict[str, Any] = {}
        session, self.ctx.session = self.ctx.session, None
        if session is None:
            await self.give_back_profile(None)
            return fields
        try:
            with time_limit(self.ctx.clock, SCREENSHOT_SECONDS, fail=True):
                shot = await session.screenshot(full_page=True)
            art = await self.ctx.save(
                ArtifactKind.final_screenshot, "screenshot_final.png", shot, "image/png"
            )
            fields["screenshot_artifact_id"] = art.artifact_id
        except Exception as exc:
            log.warning(
                "no final screenshot for %s: %s", self.ctx.task.task_id, describe_error(exc)
            )
        await self.give_back_profile(session)
        try:
            with time_limit(self.ctx.clock, CLOSE_SECONDS, fail=True):
                left = await session.close()
        except Exception as exc:
            log.warning(
                "closing the browser session of %s failed: %s",
                self.ctx.task.task_id,
                describe_error(exc),
            )
            return fields
        for warning in left.warnings:
            log.warning("task %s: %s", self.ctx.task.task_id, warning)
        files: list[tuple[ArtifactKind, Path, str, str]] = []
        if left.recording is not None:
            files.append((ArtifactKind.recording, left.recording, "recording.webm", "video/webm"))
        if left.trace is not None:
            files.append((ArtifactKind.trace, left.trace, "trace.zip", "application/zip"))
        for path in left.downloads:
            files.append(
                (ArtifactKind.download, path, f"downloads/{path.name}", "application/octet-stream")
            )
        for kind, path, name, content_type in files:
            try:
                art = await self.ctx.save(kind, name, path, content_type)
            except Exception as exc:
                log.warning(
                    "could not keep %s of %s: %s", name, self.ctx.task.task_id, describe_error(exc)
                )
                continue
            if kind == ArtifactKind.recording:
                fields["recording_artifact_id"] = art.artifact_id
        return fields
