"""What a store keeps: organizations, tasks, steps, artifacts, webhook deliveries and codes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from skyvern_core import ids
from skyvern_core.models.actions import Action, ActionResult
from skyvern_core.models.request import TaskRequest
from skyvern_core.models.status import StepStatus, TaskStatus, utcnow

__all__ = [
    "Artifact",
    "ArtifactKind",
    "DecidedBy",
    "DeliveryStatus",
    "Organization",
    "Step",
    "Task",
    "TotpCode",
    "WebhookAttempt",
    "WebhookDelivery",
]


# --------------------------------------------------------------------------- records


class Organization(BaseModel):
    """A tenant: owns tasks, API keys and a webhook signing secret."""

    organization_id: str
    name: str
    webhook_signing_secret: str | None = Field(default=None, repr=False)
    max_steps: int | None = Field(default=None, description="Per-organization step limit.")
    created_at: datetime = Field(default_factory=utcnow)
    max_cost_usd: float | None = Field(
        default=None, gt=0, description="Per-organization cost limit per task (US dollars)."
    )
    max_tokens: int | None = Field(
        default=None, gt=0, description="Per-organization token limit per task."
    )


class ArtifactKind(StrEnum):
    """What an artifact holds."""

    action_screenshot = "action_screenshot"
    final_screenshot = "final_screenshot"
    recording = "recording"
    trace = "trace"
    download = "download"
    other = "other"


class Artifact(BaseModel):
    """A file kept for a task: a screenshot, a recording, a download..."""

    artifact_id: str
    task_id: str
    organization_id: str
    step_id: str | None = None
    kind: ArtifactKind
    uri: str = Field(description="Where the artifact store keeps it.")
    content_type: str = "application/octet-stream"
    size: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class DecidedBy(StrEnum):
    """How a step's actions were decided: by the planner (``model``), from a recorded
    replay entry without the model (``replay``), or by the planner after the recorded step
    no longer fitted the page (``healed``)."""

    model = "model"
    replay = "replay"
    healed = "healed"


class Step(BaseModel):
    """One round of see → decide → act. A retry is a new step with the same ``order``."""

    step_id: str
    task_id: str
    organization_id: str
    status: StepStatus = StepStatus.created
    order: int
    retry_index: int = 0
    attempt: int = Field(
        default=1, ge=1, description="The run of the task this step belongs to (1, 2, ...)."
    )
    input_token_count: int = 0
    output_token_count: int = 0
    cost: float | None = None
    reasoning: str | None = None
    actions: list[Action] = Field(default_factory=list)
    action_results: list[ActionResult] = Field(default_factory=list)
    failure_reason: str | None = None
    page_url: str | None = None
    is_last: bool = False
    decided_by: DecidedBy | None = Field(
        default=None, description="How the actions were decided; None until the step ran."
    )
    created_at: datetime = Field(default_factory=utcnow)
    modified_at: datetime = Field(default_factory=utcnow)


class Task(BaseModel):
    """A task and everything known about its run.

    The ``*_url`` fields are filled when the task is read through an :class:`~skyvern_core.Agent`
    (they depend on where the artifacts are served); the store keeps artifact IDs.
    """

    task_id: str
    organization_id: str
    status: TaskStatus = TaskStatus.created
    request: TaskRequest
    max_steps: int
    attempt: int = Field(
        default=1,
        ge=1,
        description="Which run of the task this is: a task whose worker was lost or shut "
        "down runs again from its start URL as attempt 2, and so on.",
    )
    extracted_information: Any = None
    failure_reason: str | None = None
    screenshot_artifact_id: str | None = None
    recording_artifact_id: str | None = None
    action_screenshot_artifact_ids: list[str] = Field(
        default_factory=list, description="The latest action screenshots, newest first."
    )
    proxy_note: str | None = Field(default=None, description="How the proxy request was met.")
    input_token_count: int = 0
    output_token_count: int = 0
    cost: float | None = None
    replayed_steps: int = Field(
        default=0, ge=0, description="Steps of this run decided by a replay, without the model."
    )
    worker_id: str | None = None
    lease_expires_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    modified_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    screenshot_url: str | None = None
    recording_url: str | None = None
    action_screenshot_urls: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    max_cost_usd: float | None = Field(
        default=None,
        description="The task's cost limit (US dollars): its request's, else its "
        "organization's, else the deployment's; None: no limit.",
    )
    max_tokens: int | None = Field(
        default=None,
        description="The task's token limit: its request's, else its organization's, else "
        "the deployment's; None: no limit.",
    )

    @property
    def url(self) -> str:
        """The start URL of the request."""
        return self.request.url


# --------------------------------------------------------------------------- webhooks, 2FA


class DeliveryStatus(StrEnum):
    """The lifecycle of a webhook delivery: pending → delivered | failed (final)."""

    pending = "pending"
    delivered = "delivered"
    failed = "failed"

    @property
    def is_final(self) -> bool:
        """Whether no further attempt will be made."""
        return self is not DeliveryStatus.pending

    def check_next_attempt(self, next_attempt_at: datetime | None) -> None:
        """Raise ValueError when a delivery left ``pending`` has no time for its next try."""
        if self is DeliveryStatus.pending and next_attempt_at is None:
            raise ValueError("a delivery left pending needs a next_attempt_at")


class WebhookDelivery(BaseModel):
    """One notification of a finished task to its ``webhook_callback_url``.

    ``payload`` is the JSON body the latest attempt sent (empty until the first attempt):
    each attempt builds it from the task as the store holds it then, and signs it afresh.
    A task has at most one delivery per URL; it is recorded in the same transaction that
    gives the task its final status, so no finished task goes without one.
    """

    delivery_id: str
    task_id: str
    organization_id: str
    url: str
    payload: str = Field(default="", description="The JSON body the latest attempt sent.")
    status: DeliveryStatus = DeliveryStatus.pending
    attempts: int = Field(default=0, ge=0, description="Attempts made so far.")
    next_attempt_at: datetime | None = Field(
        default_factory=utcnow,
        description="When a pending delivery is (re)sent; None once it is final.",
    )
    last_error: str | None = Field(default=None, description="Why the last attempt failed.")
    created_at: datetime = Field(default_factory=utcnow)
    modified_at: datetime = Field(default_factory=utcnow)

    @classmethod
    def first_for(cls, task: Task, url: str, now: datetime) -> WebhookDelivery:
        """A new pending delivery of ``task`` to ``url``, due at once (``now``)."""
        return cls(
            delivery_id=ids.new_id("delivery"),
            task_id=task.task_id,
            organization_id=task.organization_id,
            url=url,
            next_attempt_at=now,
            created_at=now,
            modified_at=now,
        )


class WebhookAttempt(BaseModel):
    """One attempt to send a webhook delivery, as recorded in the store."""

    delivery_id: str
    attempt: int = Field(ge=1, description="1 for the first attempt, then 2, 3...")
    at: datetime = Field(description="When the attempt started.")
    http_status: int | None = Field(default=None, description="None when no answer came.")
    error: str | None = Field(default=None, description="Why it failed; None if delivered.")
    duration_ms: float = Field(default=0.0, ge=0)


class TotpCode(BaseModel):
    """A one-time code pushed for a ``totp_identifier``; given out once, before it expires."""

    totp_id: str
    organization_id: str
    totp_identifier: str
    task_id: str | None = Field(
        default=None, description="The task the code was pushed for; None: any task."
    )
    code: str = Field(repr=False)
    expires_at: datetime
    source_text_hash: str | None = Field(
        default=None, description="SHA-256 of the SMS or e-mail text the code came from."
    )
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = None
