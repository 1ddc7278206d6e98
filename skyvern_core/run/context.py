"""What one run of a task shares between its parts, and what the outside sees of it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import anyio

from skyvern_core.captcha.guard import CaptchaGuard
from skyvern_core.clock import Clock
from skyvern_core.config import Settings
from skyvern_core.errors import (
    ArtifactError,
    BrowserError,
    LLMError,
    NotifierError,
    SkyvernError,
    StoreError,
)
from skyvern_core.ids import new_id
from skyvern_core.limits import TaskBudget
from skyvern_core.models import Artifact, ArtifactKind, PageState, Step, Task, Usage
from skyvern_core.protocols import ArtifactStore, BrowserDriver, BrowserSession, Notifier, Planner
from skyvern_core.secrets import split_secrets
from skyvern_core.storage import ArtifactRecordStore, StepStore, TaskStore
from skyvern_core.totp import TotpResolver
from skyvern_core.uploads import UploadResolver, split_files

if TYPE_CHECKING:
    from skyvern_core.profiles import ProfileHold
    from skyvern_core.replay import FlowReplay, NoReplay

__all__ = [
    "Backends",
    "EventCallback",
    "Released",
    "RunContext",
    "RunEvent",
    "RunHandle",
    "RunStore",
    "TaskFailure",
    "describe_error",
]

log = logging.getLogger("skyvern_core.runner")


class RunStore(TaskStore, StepStore, ArtifactRecordStore, Protocol):
    """The parts of a store a run writes to: its task, its steps and its artifact records."""


@dataclass(slots=True)
class RunEvent:
    """Progress of a run, for live display: ``kind`` is step_started, step_finished or
    task_finished."""

    kind: str
    task: Task
    step: Step | None = None


EventCallback = Callable[[RunEvent], Any]


class RunHandle:
    """Lets the outside stop a running task; a stop reaches the runner at once."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.canceled = False
        self.stopping = False
        self.releasing = False
        self.lost = False
        self._scope: anyio.CancelScope | None = None

    def _interrupt(self) -> None:
        if self._scope is not None:
            self._scope.cancel()

    def cancel(self) -> None:
        """Stop the run before its next action (an action or model call under way is
        interrupted)."""
        self.canceled = True
        self._interrupt()

    def stop(self) -> None:
        """Stop the run because this process is shutting down: the task fails, saying so
        (it is not a user's cancel). For flows that must never run twice."""
        self.stopping = True
        self._interrupt()

    def release(self, *, now: bool = False) -> None:
        """Give the task back to the queue because this process is shutting down: at the
        next step boundary, or at once with ``now`` (the step under way is abandoned). It
        then runs again, from its start URL, as its next attempt."""
        self.releasing = True
        if now:
            self._interrupt()

    def lose(self) -> None:
        """The worker no longer holds the task (its lease ran out and it was recovered):
        stop at once and write nothing more for it."""
        self.lost = True
        self._interrupt()


class TaskFailure(Exception):
    """Ends the task at once with ``failed`` (not a retryable step failure)."""


class Released(Exception):
    """The run gives its task back to the queue at a step boundary (shutting down)."""


def describe_error(exc: BaseException) -> str:
    """A readable one-line reason for an exception raised by a backend."""
    kinds = [
        (BrowserError, "Browser error"),
        (LLMError, "Planner error"),
        (StoreError, "Store error"),
        (NotifierError, "Notifier error"),
        (ArtifactError, "Artifact store error"),
    ]
    text = str(exc).strip() or type(exc).__name__
    for cls, label in kinds:
        if isinstance(exc, cls):
            return f"{label}: {text}"
    if isinstance(exc, SkyvernError):
        return text
    return f"Internal error ({type(exc).__name__}): {text}"


class Backends(Protocol):
    """What a run is given to work with (a :class:`~skyvern_core.runner.TaskRunner`)."""

    store: RunStore
    driver: BrowserDriver
    planner: Planner
    artifacts: ArtifactStore
    notifier: Notifier | None
    settings: Settings
    worker_id: str
    describe: Callable[[Task], Awaitable[Task]] | None
    totp: TotpResolver | None
    clock: Clock

    async def emit(self, event: RunEvent) -> None:
        """Call the progress callback; its errors never affect the run."""


class RunContext:
    """The state of one task's run, shared by its parts: the task as last stored, the
    browser session, the step under way and those done, the tokens spent, the action
    screenshots kept, and the secrets to hide."""

    def __init__(self, backends: Backends, task: Task, handle: RunHandle) -> None:
        self.r = backends
        self.s = backends.settings
        self.store = backends.store
        self.clock = backends.clock
        self.task = task
        self.handle = handle
        self.session: BrowserSession | None = None
        self.navigated = False
        self.step: Step | None = None
        self.history: list[Step] = []
        self.usage = Usage(
            input_tokens=task.input_token_count,
            output_tokens=task.output_token_count,
            cost=task.cost,
        )
        self.action_shots: list[str] = list(task.action_screenshot_artifact_ids)
        self.artifact_dir = Path(self.s.resolved_artifact_dir) / task.task_id
        self.last_page: PageState | None = None
        payload = task.request.navigation_payload
        self.uploads = UploadResolver(self.s, payload)
        self.secrets = split_secrets(_files_as_placeholders(payload))[1]
        # The run's replay (skyvern_core.replay: a FlowReplay, or a NoReplay for mode off),
        # opened at the first step.
        self.replay: FlowReplay | NoReplay | None = None
        # The run's hold on its browser profile (skyvern_core.profiles), once taken.
        self.profile: ProfileHold | None = None
        # None when the task has no cost or token limit.
        self.budget = TaskBudget.for_task(task)
        self.captcha = CaptchaGuard(getattr(backends, "captcha_solver", None))

    async def save(
        self,
        kind: ArtifactKind,
        name: str,
        data: bytes | Path,
        content_type: str,
        *,
        step_id: str | None = None,
        artifact_id: str | None = None,
    ) -> Artifact:
        """Keep ``data`` in the artifact store under the task's folder and record it (as
        ``artifact_id``, when the caller chose the id beforehand)."""
        key = f"{self.task.task_id}/{name}"
        uri = await self.r.artifacts.put(key, data, content_type=content_type)
        size = len(data) if isinstance(data, bytes) else _size(uri, data)
        return await self.store.add_artifact(
            Artifact(
                artifact_id=artifact_id or new_id("artifact"),
                task_id=self.task.task_id,
                organization_id=self.task.organization_id,
                step_id=step_id,
                kind=kind,
                uri=uri,
                content_type=content_type,
                size=size,
            )
        )


def _files_as_placeholders(payload: Any) -> Any:
    """The payload with inline files as their placeholders (as the model sees it)."""
    try:
        return split_files(payload)[0]
    except ValueError:  # checked when the task was created; a stored one is kept as is
        return payload


def _size(uri: str, original: Path) -> int:
    for candidate in (original, Path(uri.removeprefix("file://"))):
        try:
            return candidate.stat().st_size
        except OSError:
            continue
    return 0
