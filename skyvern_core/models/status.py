"""The lifecycles of tasks and steps, and the one place that checks their changes."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from skyvern_core.errors import InvalidTransitionError

__all__ = [
    "STEP_TRANSITIONS",
    "TASK_TRANSITIONS",
    "StepStatus",
    "TaskStatus",
    "check_step_transition",
    "check_task_transition",
    "task_predecessors",
    "utcnow",
]


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class TaskStatus(StrEnum):
    """The lifecycle of a task: created → queued → running → a final status."""

    created = "created"
    queued = "queued"
    running = "running"
    completed = "completed"
    terminated = "terminated"
    failed = "failed"
    canceled = "canceled"

    @property
    def is_final(self) -> bool:
        """Whether no further change is allowed."""
        return self in _FINAL_TASK

    @property
    def is_cancelable(self) -> bool:
        """Whether a cancel request applies to a task in this status."""
        return self in (TaskStatus.created, TaskStatus.queued, TaskStatus.running)


_FINAL_TASK = frozenset(
    {TaskStatus.completed, TaskStatus.terminated, TaskStatus.failed, TaskStatus.canceled}
)

TASK_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.created: frozenset({TaskStatus.queued, TaskStatus.failed, TaskStatus.canceled}),
    TaskStatus.queued: frozenset({TaskStatus.running, TaskStatus.failed, TaskStatus.canceled}),
    # Back to the queue: its worker shut down, or was lost, before the task ended.
    TaskStatus.running: _FINAL_TASK | {TaskStatus.queued},
    **{final: frozenset() for final in _FINAL_TASK},
}


class StepStatus(StrEnum):
    """The lifecycle of a step: created → running → a final status."""

    created = "created"
    running = "running"
    completed = "completed"
    failed = "failed"
    canceled = "canceled"

    @property
    def is_final(self) -> bool:
        """Whether no further change is allowed."""
        return self in (StepStatus.completed, StepStatus.failed, StepStatus.canceled)


STEP_TRANSITIONS: dict[StepStatus, frozenset[StepStatus]] = {
    StepStatus.created: frozenset({StepStatus.running, StepStatus.failed, StepStatus.canceled}),
    StepStatus.running: frozenset({StepStatus.completed, StepStatus.failed, StepStatus.canceled}),
    StepStatus.completed: frozenset(),
    StepStatus.failed: frozenset(),
    StepStatus.canceled: frozenset(),
}


def check_task_transition(current: TaskStatus | str, new: TaskStatus | str) -> None:
    """Raise :class:`InvalidTransitionError` unless a task may go from ``current`` to ``new``."""
    cur, nxt = TaskStatus(current), TaskStatus(new)
    if nxt not in TASK_TRANSITIONS[cur]:
        raise InvalidTransitionError("task", cur.value, nxt.value)


def check_step_transition(current: StepStatus | str, new: StepStatus | str) -> None:
    """Raise :class:`InvalidTransitionError` unless a step may go from ``current`` to ``new``."""
    cur, nxt = StepStatus(current), StepStatus(new)
    if nxt not in STEP_TRANSITIONS[cur]:
        raise InvalidTransitionError("step", cur.value, nxt.value)


def task_predecessors(new: TaskStatus) -> list[TaskStatus]:
    """The statuses from which a task may move to ``new`` (for compare-and-set updates)."""
    return [cur for cur, allowed in TASK_TRANSITIONS.items() if new in allowed]
