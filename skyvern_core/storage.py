"""The store's protocols, one per concern, and the typed updates they take.

A store keeps eight kinds of records. Each concern has its own protocol, so that code needing
only part of a store says which part (the runner needs tasks, steps and artifact records;
the webhook notifier tasks and deliveries; the one-time code resolver codes and tasks; the
API's key check organizations):

* :class:`TaskStore` — tasks and the queue: create, read, list, update; claim, renew and
  expire leases, finish, release, recover, cancel; the finished tasks missing a delivery.
* :class:`StepStore` — the steps of a task.
* :class:`OrganizationStore` — organizations and their hashed API keys.
* :class:`TotpStore` — pushed one-time codes.
* :class:`DeliveryStore` — webhook deliveries and their attempts.
* :class:`ArtifactRecordStore` — the records of artifact files (the files themselves are
  kept by an :class:`~skyvern_core.protocols.ArtifactStore`).
* :class:`ReplayStore` — recorded steps of flows, to replay without the model (one
  organization's entries are never another's).
* :class:`ProfileStore` — named browser profiles of an organization (sealed cookies and
  local storage), each held by one task at a time.

:class:`Store` is all of them, with ``open`` and ``close``: what a ``store`` plugin's
factory returns. Changes go in as :class:`TaskUpdate` and :class:`StepUpdate`, which name
every field a caller may change; a field left out stays as it is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

from pydantic import BaseModel, ConfigDict, model_validator

from skyvern_core.models import (
    Action,
    ActionResult,
    Artifact,
    BrowserProfile,
    DecidedBy,
    DeliveryStatus,
    Organization,
    ReplayEntry,
    Step,
    StepStatus,
    Task,
    TaskStatus,
    TotpCode,
    WebhookAttempt,
    WebhookDelivery,
    utcnow,
)

__all__ = [
    "ArtifactRecordStore",
    "DeliveryStore",
    "OrganizationStore",
    "ProfileStore",
    "ReplayStore",
    "StepStore",
    "StepUpdate",
    "Store",
    "TaskStore",
    "TaskUpdate",
    "TotpStore",
    "check_replay_flow",
    "finish_fields",
    "lease_delta",
    "next_modified",
]

# --------------------------------------------------------------------------- updates


class _Update(BaseModel):
    """Fields to change; only those given (even as None) are written."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    record_kind: ClassVar[str] = "record"
    required_values: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        # Say at once which names cannot be changed, rather than pydantic's generic
        # "extra inputs are not permitted" line per name.
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(cls.model_fields))
            if unknown:
                names, allowed = ", ".join(unknown), ", ".join(sorted(cls.model_fields))
                raise ValueError(
                    f"cannot update {cls.record_kind} field(s) {names}: unknown or fixed "
                    f"(one can change {allowed})"
                )
        return data

    @model_validator(mode="after")
    def _no_empty_required(self) -> _Update:
        empty = sorted(
            n
            for n in self.required_values
            if n in self.model_fields_set and getattr(self, n) is None
        )
        if empty:
            raise ValueError(
                f"{', '.join(empty)} of a {self.record_kind} cannot be None: "
                "leave it out to keep it"
            )
        return self

    @classmethod
    def of(cls, update: object, *, doing: str) -> Self:
        """``update`` if it is one of these, else a :class:`TypeError` saying what ``doing``
        takes: for stores checking their input."""
        if not isinstance(update, cls):
            raise TypeError(f"{doing} takes a {cls.__name__}, got {type(update).__name__}")
        return update

    def changes(self) -> dict[str, Any]:
        """The fields given, by name, with their new values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class TaskUpdate(_Update):
    """A change to a stored task: the fields given are written, the others stay.

    ``TaskUpdate(cost=None)`` clears the cost; ``TaskUpdate()`` changes nothing but
    ``modified_at``. A new ``status`` is checked against the lifecycle by the store. The
    task's identity, request and queue fields (claims, leases, attempts) are not here: the
    queue operations of :class:`TaskStore` own them. An unknown or fixed name raises
    :class:`ValueError` naming it.
    """

    record_kind: ClassVar[str] = "task"
    required_values: ClassVar[frozenset[str]] = frozenset(
        {
            "status",
            "action_screenshot_artifact_ids",
            "input_token_count",
            "output_token_count",
            "replayed_steps",
        }
    )

    status: TaskStatus | None = None
    failure_reason: str | None = None
    extracted_information: Any = None
    screenshot_artifact_id: str | None = None
    recording_artifact_id: str | None = None
    action_screenshot_artifact_ids: list[str] | None = None
    proxy_note: str | None = None
    input_token_count: int | None = None
    output_token_count: int | None = None
    cost: float | None = None
    replayed_steps: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class StepUpdate(_Update):
    """A change to a stored step: the fields given are written, the others stay.

    A new ``status`` is checked against the step lifecycle by the store. A step's identity
    and place (task, order, retry index, attempt) are fixed. An unknown or fixed name raises
    :class:`ValueError` naming it.
    """

    record_kind: ClassVar[str] = "step"
    required_values: ClassVar[frozenset[str]] = frozenset(
        {
            "status",
            "input_token_count",
            "output_token_count",
            "actions",
            "action_results",
            "is_last",
        }
    )

    status: StepStatus | None = None
    input_token_count: int | None = None
    output_token_count: int | None = None
    cost: float | None = None
    reasoning: str | None = None
    actions: list[Action] | None = None
    action_results: list[ActionResult] | None = None
    failure_reason: str | None = None
    page_url: str | None = None
    is_last: bool | None = None
    decided_by: DecidedBy | None = None


def finish_fields(
    status: TaskStatus | str, update: TaskUpdate | None
) -> tuple[TaskStatus, dict[str, Any]]:
    """Check the arguments of :meth:`TaskStore.finish_task`: the final status, and the other
    fields to write (ValueError for a status that is not final, or an ``update`` that gives
    ``status`` or ``failure_reason``, which are the method's own arguments)."""
    final = TaskStatus(status)
    if not final.is_final:
        raise ValueError(f"finish_task needs a final status, got {final.value!r}")
    if update is None:
        return final, {}
    fields = TaskUpdate.of(update, doing="finish_task's update").changes()
    doubled = sorted({"status", "failure_reason"} & set(fields))
    if doubled:
        raise ValueError(
            f"finish_task takes {', '.join(doubled)} as its own argument(s), not in the update"
        )
    return final, fields


def check_replay_flow(
    organization_id: str, flow_key: str, entries: list[ReplayEntry]
) -> list[ReplayEntry]:
    """Check the arguments of :meth:`ReplayStore.save_replay_flow`: the entries by position
    (ValueError for an entry of another organization or flow key, or a position given
    twice)."""
    seen: set[int] = set()
    for entry in entries:
        if not isinstance(entry, ReplayEntry):
            raise TypeError(f"save_replay_flow takes ReplayEntry items, got {type(entry).__name__}")
        if entry.organization_id != organization_id or entry.flow_key != flow_key:
            raise ValueError(
                f"replay entry {entry.entry_id!r} belongs to organization "
                f"{entry.organization_id!r}, flow {entry.flow_key!r}; the flow saved is "
                f"{flow_key!r} of {organization_id!r}"
            )
        if entry.position in seen:
            raise ValueError(f"position {entry.position} is given twice in flow {flow_key!r}")
        seen.add(entry.position)
    return sorted(entries, key=lambda e: e.position)


def next_modified(previous: datetime) -> datetime:
    """The ``modified_at`` of a record changed now, after one last changed at ``previous``.

    Two changes within one clock tick must still leave ``modified_at`` increasing.
    """
    now = utcnow()
    return now if now > previous else previous + timedelta(microseconds=1)


def lease_delta(lease_seconds: float) -> timedelta:
    """A lease's length; :class:`ValueError` unless it is positive."""
    if not lease_seconds > 0:
        raise ValueError(f"lease_seconds must be positive, got {lease_seconds!r}")
    return timedelta(seconds=lease_seconds)


# --------------------------------------------------------------------------- protocols


@runtime_checkable
class TaskStore(Protocol):
    """Tasks and the queue of tasks to run.

    Status changes are compare-and-set: the lifecycle is checked against the stored status,
    atomically, and :class:`~skyvern_core.errors.InvalidTransitionError` raised if the
    change is not allowed from it.
    """

    async def create_task(self, task: Task) -> Task:
        """Store a new task of an existing organization."""

    async def get_task(self, task_id: str, organization_id: str | None = None) -> Task:
        """Return a task (of that organization, if given) or raise NotFoundError."""

    async def list_tasks(
        self, organization_id: str, *, page: int = 1, page_size: int = 10
    ) -> list[Task]:
        """Return a page of an organization's tasks, newest first."""

    async def update_task(self, task_id: str, update: TaskUpdate) -> Task:
        """Write the fields ``update`` gives; a status change is checked against the
        lifecycle. NotFoundError for an unknown task."""

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
        update: TaskUpdate | None = None,
    ) -> Task:
        """Record the end of a run in one transaction: the final status (unless the task
        is final already, e.g. canceled meanwhile: then it keeps that status), the fields
        of ``update`` (artifacts, extracted information) either way, ``finished_at``, no
        more lease, and the webhook delivery of a task that has a ``webhook_callback_url``.

        ``update`` must not give ``status`` or ``failure_reason`` (they are arguments here):
        ValueError. With ``worker_id``, nothing is written unless that worker still holds
        the task: :class:`~skyvern_core.errors.LostClaimError` otherwise.
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


@runtime_checkable
class StepStore(Protocol):
    """The steps of tasks."""

    async def create_step(self, step: Step) -> Step:
        """Store a new step of an existing task of the step's organization."""

    async def update_step(self, step_id: str, update: StepUpdate) -> Step:
        """Write the fields ``update`` gives; a status change is checked against the
        lifecycle. NotFoundError for an unknown step."""

    async def list_steps(self, task_id: str, organization_id: str | None = None) -> list[Step]:
        """Return a task's steps by order, then retry_index (NotFoundError if no such task)."""


@runtime_checkable
class OrganizationStore(Protocol):
    """Organizations and their hashed API keys."""

    async def create_organization(self, organization: Organization) -> Organization:
        """Store a new organization (its id and name must be unused)."""

    async def get_organization(self, organization_id: str) -> Organization:
        """Return an organization or raise NotFoundError."""

    async def get_or_create_organization(self, name: str) -> Organization:
        """Return the organization with that name, creating it if needed."""

    async def add_api_key(self, organization_id: str, key_hash: str) -> str:
        """Store a hashed API key for an organization; return the key record's id."""

    async def find_api_key(self, key_hash: str) -> str | None:
        """Return the organization id owning that hashed key, or None."""


@runtime_checkable
class ArtifactRecordStore(Protocol):
    """The records of artifact files (screenshots, recordings, traces, downloads)."""

    async def add_artifact(self, artifact: Artifact) -> Artifact:
        """Record an artifact of an existing task of the artifact's organization."""

    async def get_artifact(self, artifact_id: str) -> Artifact:
        """Return an artifact record or raise NotFoundError."""

    async def list_artifacts(self, task_id: str) -> list[Artifact]:
        """Return a task's artifacts in creation order."""


@runtime_checkable
class DeliveryStore(Protocol):
    """Webhook deliveries and the log of their attempts."""

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


@runtime_checkable
class TotpStore(Protocol):
    """One-time codes pushed for an identifier, given out once each."""

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


@runtime_checkable
class ReplayStore(Protocol):
    """Recorded steps of flows (:class:`~skyvern_core.models.ReplayEntry`), by organization
    and flow key. An organization only ever reads, replaces or clears its own entries."""

    async def save_replay_flow(
        self, organization_id: str, flow_key: str, entries: list[ReplayEntry]
    ) -> list[ReplayEntry]:
        """Make ``entries`` the whole recorded flow ``flow_key`` of an existing organization,
        in one transaction: the entries stored before under that key are replaced. Each
        entry must name that organization and key, positions once each (ValueError)."""

    async def put_replay_entry(self, entry: ReplayEntry) -> ReplayEntry:
        """Store one entry of an existing organization, replacing the one at its flow key
        and position if there is one."""

    async def list_replay_entries(
        self, organization_id: str, flow_key: str | None = None
    ) -> list[ReplayEntry]:
        """Return an organization's entries (of that flow, if given), by flow key then
        position."""

    async def delete_replay_entries(self, organization_id: str, flow_key: str | None = None) -> int:
        """Delete an organization's entries (of that flow, if given); return how many."""


@runtime_checkable
class ProfileStore(Protocol):
    """Named browser profiles (:class:`~skyvern_core.models.BrowserProfile`) of an
    organization, held by one task at a time.

    A task takes a profile's hold (:meth:`claim_profile`) before it restores it, and gives
    it back when it saves (:meth:`save_profile`) or drops it (:meth:`release_profile`). A
    hold names the task and lapses at ``until``, so a worker that died never keeps a
    profile forever. An organization only ever sees its own profiles.
    """

    async def claim_profile(
        self, organization_id: str, name: str, holder: str, *, now: datetime, until: datetime
    ) -> BrowserProfile:
        """Take the hold of profile ``name`` for task ``holder`` until ``until``, in one
        transaction, creating an empty profile (no state, version 0) if there is none;
        return it with its sealed state. The holder that has it already renews it.
        :class:`~skyvern_core.errors.ProfileInUseError` if another task's hold is live at
        ``now``; NotFoundError for an unknown organization."""

    async def save_profile(
        self, organization_id: str, name: str, holder: str, sealed_state: str, *, now: datetime
    ) -> BrowserProfile:
        """Write the profile's sealed state (``version + 1``, ``saved_by_task_id``) and end
        ``holder``'s hold, in one transaction. Only the holder whose hold is live at ``now``
        may: :class:`~skyvern_core.errors.ProfileInUseError` when another task holds it,
        :class:`~skyvern_core.errors.LostProfileError` when nobody does (the hold lapsed, or
        the profile was deleted); nothing is written then."""

    async def release_profile(self, organization_id: str, name: str, holder: str) -> bool:
        """End ``holder``'s hold without saving; False if it did not hold the profile."""

    async def get_profile(self, organization_id: str, name: str) -> BrowserProfile:
        """Return a profile (with its sealed state) or raise NotFoundError."""

    async def list_profiles(self, organization_id: str) -> list[BrowserProfile]:
        """Return an organization's profiles by name (without their sealed state)."""

    async def delete_profile(
        self, organization_id: str, name: str, *, now: datetime | None = None
    ) -> None:
        """Delete a profile. NotFoundError if there is none;
        :class:`~skyvern_core.errors.ProfileInUseError` while a task's hold is live at
        ``now`` (default: the current time)."""


@runtime_checkable
class Store(
    TaskStore,
    StepStore,
    OrganizationStore,
    ArtifactRecordStore,
    DeliveryStore,
    TotpStore,
    ReplayStore,
    ProfileStore,
    Protocol,
):
    """A whole store: every concern above, and a connection to open and close.

    This is what a ``store`` plugin's factory returns. Code that needs only part of a
    store is typed against the narrower protocol, so a test may hand it a smaller fake.
    """

    async def open(self) -> None:
        """Connect and bring the schema up to date (idempotent)."""

    async def close(self) -> None:
        """Release connections."""
