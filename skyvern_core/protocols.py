"""The extension points of skyvern-core, as protocols.

A backend is any object with these methods; plugins register factories that build them
(see :mod:`skyvern_core.hookspecs`). All work methods are async. Backends raise the
matching :mod:`skyvern_core.errors` class for their own failures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from skyvern_core.models import (
    Action,
    ActionResult,
    Artifact,
    Decision,
    DeliveryStatus,
    Extraction,
    Organization,
    PageState,
    Step,
    Task,
    TaskStatus,
    TotpCode,
    WebhookAttempt,
    WebhookDelivery,
)

__all__ = [
    "ArtifactStore",
    "BrowserDriver",
    "BrowserSession",
    "DocumentReader",
    "ExtractContext",
    "LLMMessage",
    "LLMProvider",
    "LLMRequest",
    "LLMResponse",
    "Notifier",
    "PlanContext",
    "Planner",
    "ProxySettings",
    "SessionArtifacts",
    "SessionOptions",
    "Store",
]


# --------------------------------------------------------------------------- browser


@dataclass(frozen=True, slots=True)
class ProxySettings:
    """A proxy server for one browser context."""

    server: str
    username: str | None = None
    password: str | None = None
    bypass: str | None = None


@dataclass(slots=True)
class SessionOptions:
    """How to open a browser session for one task."""

    task_id: str
    artifact_dir: Path
    proxy: ProxySettings | None = None
    record_video: bool = True
    record_trace: bool = False
    viewport: tuple[int, int] = (1280, 800)
    user_agent: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class SessionArtifacts:
    """Files a browser session leaves behind when it closes."""

    recording: Path | None = None
    trace: Path | None = None
    downloads: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@runtime_checkable
class BrowserSession(Protocol):
    """One task's isolated browser context (its own cookies, storage and tabs)."""

    async def goto(self, url: str) -> None:
        """Open ``url`` in the current tab and wait for it to load."""

    async def snapshot(self) -> PageState:
        """Return what the page shows now: elements with stable ids, text, a screenshot."""

    async def execute(self, action: Action, page: PageState) -> ActionResult:
        """Carry out a browser action, check its effect and report how it went."""

    async def screenshot(self, *, full_page: bool = False) -> bytes:
        """Return a PNG of the viewport (or of the whole page)."""

    async def close(self) -> SessionArtifacts:
        """Close the context; return the recording, trace and downloads it produced."""


@runtime_checkable
class DocumentReader(Protocol):
    """A browser session that can read its whole page as text, for extraction (optional).

    Sessions that have this method are read with it when a task's information is
    extracted; for others the extraction uses :attr:`PageState.content` (the text in view).
    """

    async def read_document(self, *, links: bool = False) -> str:
        """The whole current page — every frame, open shadow roots, below the fold — as
        compact structured text (the format of :mod:`skyvern_core.perception.document`);
        with ``links``, links as ``[text](url)``."""


@runtime_checkable
class BrowserDriver(Protocol):
    """Starts browser sessions; one browser per process, one context per task."""

    async def start(self) -> None:
        """Launch or connect to the browser (idempotent)."""

    async def new_session(self, options: SessionOptions) -> BrowserSession:
        """Open an isolated session for a task."""

    async def close(self) -> None:
        """Close the browser and everything it opened."""


# --------------------------------------------------------------------------- LLM


@dataclass(slots=True)
class LLMMessage:
    """One chat message; ``images`` are PNG bytes sent beside the text."""

    role: str
    content: str
    images: list[bytes] = field(default_factory=list)


@dataclass(slots=True)
class LLMRequest:
    """A chat completion request."""

    messages: list[LLMMessage]
    response_schema: dict[str, Any] | None = None
    schema_name: str = "decision"
    temperature: float | None = None
    max_output_tokens: int | None = None


@dataclass(slots=True)
class LLMResponse:
    """The model's answer with its own usage figures."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    model: str | None = None


@runtime_checkable
class LLMProvider(Protocol):
    """Talks to one language model (with fallbacks, retries and timeouts of its own)."""

    @property
    def supports_images(self) -> bool:
        """Whether screenshots can be attached."""

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Return one completion with token usage."""


# --------------------------------------------------------------------------- planner


@dataclass(slots=True)
class PlanContext:
    """Everything a planner may use to decide a step."""

    task: Task
    page: PageState
    history: Sequence[Step]
    step: Step
    errors: list[str] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    previous_page: PageState | None = None


@dataclass(slots=True)
class ExtractContext:
    """What an extraction may use; ``errors`` lists schema mismatches to correct.

    ``document`` is the whole page as text (from :meth:`DocumentReader.read_document`), or
    None when the session cannot read it: then ``page`` (the text in view) is all there is.
    """

    task: Task
    page: PageState
    previous: Any = None
    errors: list[str] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    document: str | None = None


@runtime_checkable
class Planner(Protocol):
    """Decides what to do next, and extracts information at the end."""

    async def decide(self, context: PlanContext) -> Decision:
        """Return the next actions (or complete / terminate) for the page."""

    async def extract(self, context: ExtractContext) -> Extraction:
        """Return the information the task's data_extraction_goal asks for."""


# --------------------------------------------------------------------------- store


@runtime_checkable
class Store(Protocol):
    """Keeps tasks, steps, organizations, keys, artifacts records, webhook deliveries (with
    their attempts) and pushed one-time codes.

    Status changes are compare-and-set: ``update_task`` checks the lifecycle against the
    stored status, atomically, and raises :class:`~skyvern_core.errors.InvalidTransitionError`
    if the change is not allowed from it.
    """

    async def open(self) -> None:
        """Connect and bring the schema up to date (idempotent)."""

    async def close(self) -> None:
        """Release connections."""

    async def create_organization(self, organization: Organization) -> Organization:
        """Store a new organization."""

    async def get_organization(self, organization_id: str) -> Organization:
        """Return an organization or raise NotFoundError."""

    async def get_or_create_organization(self, name: str) -> Organization:
        """Return the organization with that name, creating it if needed."""

    async def add_api_key(self, organization_id: str, key_hash: str) -> str:
        """Store a hashed API key for an organization; return the key record's id."""

    async def find_api_key(self, key_hash: str) -> str | None:
        """Return the organization id owning that hashed key, or None."""

    async def create_task(self, task: Task) -> Task:
        """Store a new task."""

    async def get_task(self, task_id: str, organization_id: str | None = None) -> Task:
        """Return a task (of that organization, if given) or raise NotFoundError."""

    async def list_tasks(
        self, organization_id: str, *, page: int = 1, page_size: int = 10
    ) -> list[Task]:
        """Return a page of an organization's tasks, newest first."""

    async def update_task(
        self, task_id: str, *, status: TaskStatus | None = None, **fields: Any
    ) -> Task:
        """Change fields of a task; a status change is checked against the lifecycle."""

    async def claim_task(
        self,
        worker_id: str,
        *,
        lease_seconds: float,
        task_id: str | None = None,
    ) -> Task | None:
        """Atomically move the oldest queued task (or that one) to running for a worker."""

    async def renew_lease(
        self, task_id: str, worker_id: str, *, lease_seconds: float
    ) -> TaskStatus | None:
        """Extend the lease of a task the worker holds and has not finished; return its
        status (``running``, or ``canceled`` when a cancel landed and the worker is to
        finish it), or None when the worker no longer holds it."""

    async def expired_leases(self, now: datetime) -> list[Task]:
        """Return unfinished tasks (``running``, or ``canceled`` and not yet finished by
        their worker) whose lease ran out before ``now``."""

    async def finish_task(
        self,
        task_id: str,
        *,
        status: TaskStatus,
        worker_id: str | None,
        failure_reason: str | None = None,
        now: datetime | None = None,
        **fields: Any,
    ) -> Task:
        """Record the end of a run in one transaction: the final status (unless the task
        is final already, e.g. canceled meanwhile: then it keeps that status), the other
        ``fields`` (artifacts, extracted information) either way, ``finished_at``, no more
        lease, and the webhook delivery of a task that has a ``webhook_callback_url``.

        With ``worker_id``, nothing is written unless that worker still holds the task:
        :class:`~skyvern_core.errors.LostClaimError` otherwise.
        """

    async def release_task(self, task_id: str, worker_id: str) -> Task | None:
        """Put a running task that ``worker_id`` holds back in the queue, as its next
        attempt (``attempt + 1``), atomically; None (nothing written) if the worker no
        longer holds it or it is no longer running."""

    async def recover_task(
        self, task_id: str, worker_id: str | None, *, now: datetime, requeue: bool, reason: str
    ) -> Task | None:
        """Act on a task whose worker was lost, only where its lease is still expired at
        ``now`` and still held by ``worker_id``, in one transaction (None, nothing written,
        otherwise: the worker renewed it, or another recovery acted first).

        Its unfinished steps end (``failed`` with ``reason``; ``canceled`` for a canceled
        task). A running task is then put back in the queue as its next attempt when
        ``requeue``, else failed with ``reason``; a canceled one is finished as canceled.
        A task that ends here gets its webhook delivery as in :meth:`finish_task`.
        """

    async def cancel_task(
        self, task_id: str, organization_id: str | None = None, *, now: datetime
    ) -> Task:
        """Cancel a created, queued or running task in one transaction.

        A task nobody runs (queued, or running with its lease expired at ``now``: its
        worker is gone) is finished at once: ``finished_at``, its unfinished steps
        ``canceled``, its webhook delivery. A task running under a live lease only becomes
        ``canceled``; its worker stops and finishes it (``finished_at`` stays None until
        then). InvalidTransitionError if the task is final already.
        """

    async def tasks_missing_delivery(self, now: datetime, limit: int = 100) -> list[Task]:
        """Finished tasks with a ``webhook_callback_url`` and no webhook delivery (written by
        something other than :meth:`finish_task`), for the sweeper to deliver."""

    async def create_step(self, step: Step) -> Step:
        """Store a new step."""

    async def update_step(self, step_id: str, **fields: Any) -> Step:
        """Change fields of a step; a status change is checked against the lifecycle."""

    async def list_steps(self, task_id: str, organization_id: str | None = None) -> list[Step]:
        """Return a task's steps by order, then retry_index."""

    async def add_artifact(self, artifact: Artifact) -> Artifact:
        """Record an artifact."""

    async def get_artifact(self, artifact_id: str) -> Artifact:
        """Return an artifact record or raise NotFoundError."""

    async def list_artifacts(self, task_id: str) -> list[Artifact]:
        """Return a task's artifacts in creation order."""

    async def create_delivery(self, delivery: WebhookDelivery) -> WebhookDelivery:
        """Store a new webhook delivery of an existing task of its organization.

        A task has one delivery per URL: if one exists already for ``delivery.task_id`` and
        ``delivery.url``, it is returned unchanged and nothing is stored, so notifying twice
        for a task never sends twice. NotFoundError if the task is unknown (or another
        organization's).
        """

    async def claim_delivery(
        self, delivery_id: str, *, now: datetime, until: datetime
    ) -> WebhookDelivery | None:
        """Take a due delivery for sending, atomically.

        If the delivery is ``pending`` and its ``next_attempt_at`` is at or before ``now``,
        move ``next_attempt_at`` to ``until`` (a lease: a sender that dies mid-attempt leaves
        it to be taken again after ``until``) and return it; otherwise return None. Of
        concurrent claimers, one wins.
        """

    async def record_attempt(
        self,
        delivery_id: str,
        *,
        at: datetime,
        http_status: int | None,
        error: str | None,
        duration_ms: float,
        status: DeliveryStatus,
        next_attempt_at: datetime | None = None,
        payload: str | None = None,
    ) -> WebhookDelivery:
        """Log one attempt of a pending delivery and set its outcome, atomically.

        The attempt gets the next number (``attempts + 1``); the delivery takes ``status``,
        ``last_error=error``, ``payload`` (the body sent, when given) and, while still
        ``pending``, ``next_attempt_at`` (which must then be given; it is cleared once
        final). Returns the updated delivery.
        NotFoundError for an unknown delivery; InvalidTransitionError if it is final already.
        """

    async def due_deliveries(self, now: datetime, limit: int = 100) -> list[WebhookDelivery]:
        """Return up to ``limit`` pending deliveries whose ``next_attempt_at`` is at or before
        ``now``, the most overdue first."""

    async def list_deliveries(self, task_id: str) -> list[WebhookDelivery]:
        """Return a task's deliveries in creation order."""

    async def list_attempts(self, delivery_id: str) -> list[WebhookAttempt]:
        """Return a delivery's attempts, first attempt first."""

    async def add_totp_code(
        self,
        organization_id: str,
        totp_identifier: str,
        code: str,
        expires_at: datetime,
        source_text_hash: str | None = None,
        task_id: str | None = None,
    ) -> TotpCode:
        """Store a pushed one-time code for an identifier of an existing organization
        (meant for that task only, when ``task_id`` is given)."""

    async def take_totp_code(
        self,
        organization_id: str,
        totp_identifier: str,
        now: datetime,
        not_before: datetime | None = None,
        task_id: str | None = None,
    ) -> str | None:
        """Give out the newest unused code of the identifier that has not expired at ``now``
        (and was pushed at or after ``not_before``, if given), marking it used, atomically:
        a code is given out once. A code pushed for a task goes only to that task: with
        ``task_id``, codes for no task or for that one qualify; without, only codes for no
        task. None if there is no such code."""


# --------------------------------------------------------------------------- notifier


@runtime_checkable
class Notifier(Protocol):
    """Tells the outside world a task reached a final status."""

    async def notify(self, task: Task) -> None:
        """Send (or queue) the notification for a finished task."""


# --------------------------------------------------------------------------- artifacts


@runtime_checkable
class ArtifactStore(Protocol):
    """Keeps artifact files and says where to fetch them."""

    async def put(self, key: str, data: bytes | Path, *, content_type: str) -> str:
        """Store bytes (or move a file) under ``key``; return its URI."""

    async def read(self, uri: str) -> bytes:
        """Return the bytes stored at ``uri``."""

    async def url(self, uri: str) -> str:
        """Return a URL a person can open for ``uri``."""
