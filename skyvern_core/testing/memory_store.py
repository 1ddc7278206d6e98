"""An in-memory :class:`~skyvern_core.storage.Store`, for fast unit tests.

It keeps the same rules as the SQL store (lifecycle checks, organization isolation,
NotFoundError / ValueError / StoreError cases) and hands out copies, so a caller that
mutates a returned record does not change what is stored. Nothing survives the process.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import anyio

from skyvern_core import ids
from skyvern_core.errors import InvalidTransitionError, LostClaimError, NotFoundError, StoreError
from skyvern_core.models import (
    Artifact,
    BrowserProfile,
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
    check_step_transition,
    check_task_transition,
    utcnow,
)
from skyvern_core.storage import (
    StepUpdate,
    TaskUpdate,
    finish_fields,
    lease_delta,
    next_modified,
)
from skyvern_core.testing.memory_profiles import MemoryProfiles
from skyvern_core.testing.memory_replays import MemoryReplays

__all__ = ["MemoryStore"]

M = TypeVar(
    "M", bound=Organization | Task | Step | Artifact | WebhookDelivery | WebhookAttempt | TotpCode
)


def _stored(model: M) -> M:
    """A validated deep copy, normalized the way a database round trip would."""
    data = {key: _utc(value) for key, value in model.model_dump().items()}
    if isinstance(model, Task):
        data.update(steps=[], screenshot_url=None, recording_url=None, action_screenshot_urls=[])
    return cast(M, type(model).model_validate(data))


def _utc(value: Any) -> Any:
    # A SQL store hands back UTC whatever offset it was given; so does this one.
    if not isinstance(value, datetime):
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MemoryStore(MemoryReplays, MemoryProfiles):
    """A store in dictionaries, guarded by one lock; see the module docstring."""

    def __init__(self) -> None:
        self._orgs: dict[str, Organization] = {}
        self._keys: dict[str, tuple[str, str]] = {}  # key_hash -> (key_id, organization_id)
        self._tasks: dict[str, Task] = {}
        self._steps: dict[str, Step] = {}
        self._artifacts: dict[str, Artifact] = {}
        self._deliveries: dict[str, WebhookDelivery] = {}
        self._attempts: dict[str, list[WebhookAttempt]] = {}
        self._totp: dict[str, TotpCode] = {}
        self._replays: dict[tuple[str, str, int], ReplayEntry] = {}
        self._profiles: dict[tuple[str, str], BrowserProfile] = {}
        self._lock = anyio.Lock()

    async def open(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Nothing to release; the data stays until the object is dropped."""

    # ------------------------------------------------------------------ organizations

    async def create_organization(self, organization: Organization) -> Organization:
        """Store a new organization (its id and name must be unused)."""
        async with self._lock:
            if organization.organization_id in self._orgs:
                raise StoreError(f"organization {organization.organization_id!r} already exists")
            if any(o.name == organization.name for o in self._orgs.values()):
                raise StoreError(f"an organization named {organization.name!r} already exists")
            self._orgs[organization.organization_id] = _stored(organization)
            return _stored(organization)

    async def get_organization(self, organization_id: str) -> Organization:
        """Return an organization or raise NotFoundError."""
        try:
            return _stored(self._orgs[organization_id])
        except KeyError:
            raise NotFoundError(f"organization {organization_id!r} not found") from None

    async def get_or_create_organization(self, name: str) -> Organization:
        """Return the organization named ``name``, creating it if needed."""
        async with self._lock:
            for org in self._orgs.values():
                if org.name == name:
                    return _stored(org)
            org = Organization(organization_id=ids.new_id("organization"), name=name)
            self._orgs[org.organization_id] = org
            return _stored(org)

    async def add_api_key(self, organization_id: str, key_hash: str) -> str:
        """Store a hashed API key of an existing organization; return the key record's id."""
        async with self._lock:
            await self.get_organization(organization_id)
            if key_hash in self._keys:
                raise StoreError("that API key hash is already stored")
            key_id = ids.new_id("api_key")
            self._keys[key_hash] = (key_id, organization_id)
            return key_id

    async def find_api_key(self, key_hash: str) -> str | None:
        """Return the organization id owning that hashed key, or None."""
        found = self._keys.get(key_hash)
        return None if found is None else found[1]

    # ------------------------------------------------------------------ tasks

    def _task(self, task_id: str, organization_id: str | None = None) -> Task:
        task = self._tasks.get(task_id)
        if task is None or (
            organization_id is not None and task.organization_id != organization_id
        ):
            raise NotFoundError(f"task {task_id!r} not found")
        return task

    async def create_task(self, task: Task) -> Task:
        """Store a new task of an existing organization."""
        async with self._lock:
            await self.get_organization(task.organization_id)
            if task.task_id in self._tasks:
                raise StoreError(f"task {task.task_id!r} already exists")
            self._tasks[task.task_id] = _stored(task)
            return _stored(task)

    async def get_task(self, task_id: str, organization_id: str | None = None) -> Task:
        """Return a task (of that organization, if given) or raise NotFoundError."""
        return _stored(self._task(task_id, organization_id))

    async def list_tasks(
        self, organization_id: str, *, page: int = 1, page_size: int = 10
    ) -> list[Task]:
        """Return a page of an organization's tasks, newest first."""
        if page < 1 or page_size < 1:
            raise ValueError(f"page and page_size must be >= 1, got {page} and {page_size}")
        mine = [t for t in self._tasks.values() if t.organization_id == organization_id]
        mine.sort(key=lambda t: (t.created_at, t.task_id), reverse=True)
        start = (page - 1) * page_size
        return [_stored(t) for t in mine[start : start + page_size]]

    async def update_task(self, task_id: str, update: TaskUpdate) -> Task:
        """Write the fields ``update`` gives; a status change is checked against the lifecycle."""
        changes = TaskUpdate.of(update, doing="update_task").changes()
        async with self._lock:
            current = self._task(task_id)
            if changes.get("status") is not None:
                check_task_transition(current.status, changes["status"])
            changes["modified_at"] = next_modified(current.modified_at)
            updated = Task.model_validate({**current.model_dump(), **changes})
            self._tasks[task_id] = updated = _stored(updated)
            return _stored(updated)

    async def claim_task(
        self, worker_id: str, *, lease_seconds: float, task_id: str | None = None
    ) -> Task | None:
        """Move the oldest queued task (or that one) to running for a worker."""
        now = utcnow()
        expires = now + lease_delta(lease_seconds)
        async with self._lock:
            queued = [
                t
                for t in self._tasks.values()
                if t.status == TaskStatus.queued and task_id in (None, t.task_id)
            ]
            if not queued:
                return None
            oldest = min(queued, key=lambda t: (t.created_at, t.task_id))
            claimed = oldest.model_copy(
                update={
                    "status": TaskStatus.running,
                    "worker_id": worker_id,
                    "lease_expires_at": expires,
                    "started_at": now,
                    "modified_at": now,
                }
            )
            self._tasks[claimed.task_id] = claimed
            return _stored(claimed)

    async def renew_lease(
        self, task_id: str, worker_id: str, *, lease_seconds: float
    ) -> TaskStatus | None:
        """Extend the lease of an unfinished task the worker holds; its status, or None."""
        expires = utcnow() + lease_delta(lease_seconds)
        async with self._lock:
            task = self._tasks.get(task_id)
            if (
                task is None
                or task.status not in (TaskStatus.running, TaskStatus.canceled)
                or task.worker_id != worker_id
                or task.finished_at is not None
            ):
                return None
            self._tasks[task_id] = task.model_copy(update={"lease_expires_at": expires})
            return task.status

    async def expired_leases(self, now: datetime) -> list[Task]:
        """Return unfinished tasks whose lease ran out before ``now``, oldest lease first."""
        now = _utc(now)
        expired = [
            t
            for t in self._tasks.values()
            if t.status in (TaskStatus.running, TaskStatus.canceled)
            and t.finished_at is None
            and t.lease_expires_at is not None
            and t.lease_expires_at < now
        ]
        expired.sort(key=lambda t: (t.lease_expires_at or now, t.task_id))
        return [_stored(t) for t in expired]

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
        """Record the end of a run and its webhook delivery at once."""
        status, fields = finish_fields(status, update)
        now = _utc(now or utcnow())
        async with self._lock:
            current = self._task(task_id)
            if worker_id is not None and current.worker_id != worker_id:
                raise LostClaimError(task_id, worker_id)
            changes = dict(fields)
            if not current.status.is_final:
                check_task_transition(current.status, status)
                changes.update(status=status, failure_reason=failure_reason)
            if current.finished_at is None:
                changes["finished_at"] = now
            changes["lease_expires_at"] = None
            return self._write_task(current, changes, now)

    def _write_task(self, current: Task, changes: dict[str, Any], now: datetime) -> Task:
        # Called under the lock: the change and the delivery it calls for land together.
        changes.setdefault("modified_at", next_modified(current.modified_at))
        updated = _stored(Task.model_validate({**current.model_dump(), **changes}))
        self._tasks[updated.task_id] = updated
        url = updated.request.webhook_callback_url
        if url and updated.status.is_final and updated.finished_at is not None:
            self._add_delivery(WebhookDelivery.first_for(updated, url, now))
        return _stored(updated)

    def _end_steps(self, task_id: str, status: StepStatus, reason: str | None) -> None:
        for step in list(self._steps.values()):
            if step.task_id == task_id and not step.status.is_final:
                self._steps[step.step_id] = step.model_copy(
                    update={
                        "status": status,
                        "failure_reason": reason if status == StepStatus.failed else None,
                        "modified_at": next_modified(step.modified_at),
                    }
                )

    async def release_task(self, task_id: str, worker_id: str) -> Task | None:
        """Put a running task the worker holds back in the queue as its next attempt."""
        async with self._lock:
            current = self._tasks.get(task_id)
            if (
                current is None
                or current.worker_id != worker_id
                or current.status != TaskStatus.running
            ):
                return None
            changes = {
                "status": TaskStatus.queued,
                "worker_id": None,
                "lease_expires_at": None,
                "attempt": current.attempt + 1,
            }
            return self._write_task(current, changes, utcnow())

    async def recover_task(
        self, task_id: str, worker_id: str | None, *, now: datetime, requeue: bool, reason: str
    ) -> Task | None:
        """Requeue, fail or finish (canceled) a task whose lease is still expired."""
        now = _utc(now)
        async with self._lock:
            current = self._task(task_id)
            lease = current.lease_expires_at
            if (
                current.worker_id != worker_id
                or lease is None
                or lease >= now
                or current.finished_at is not None
            ):
                return None
            changes: dict[str, Any] = {"worker_id": None, "lease_expires_at": None}
            if current.status == TaskStatus.running and requeue:
                self._end_steps(task_id, StepStatus.failed, reason)
                changes.update(status=TaskStatus.queued, attempt=current.attempt + 1)
            elif current.status == TaskStatus.running:
                self._end_steps(task_id, StepStatus.failed, reason)
                changes.update(status=TaskStatus.failed, failure_reason=reason, finished_at=now)
            elif current.status == TaskStatus.canceled:
                self._end_steps(task_id, StepStatus.canceled, None)
                changes["finished_at"] = now
            else:
                return None
            return self._write_task(current, changes, now)

    async def cancel_task(
        self, task_id: str, organization_id: str | None = None, *, now: datetime
    ) -> Task:
        """Cancel a task; finish it here when nobody runs it (see the protocol)."""
        now = _utc(now)
        async with self._lock:
            current = self._task(task_id, organization_id)
            check_task_transition(current.status, TaskStatus.canceled)
            changes: dict[str, Any] = {"status": TaskStatus.canceled}
            lease = current.lease_expires_at
            if current.status != TaskStatus.running or lease is None or lease < now:
                self._end_steps(task_id, StepStatus.canceled, None)
                changes.update(finished_at=now, lease_expires_at=None)
            return self._write_task(current, changes, now)

    async def tasks_missing_delivery(self, now: datetime, limit: int = 100) -> list[Task]:
        """Recent finished tasks with a webhook URL and no delivery for it."""
        now = _utc(now)
        since = now - timedelta(days=7)
        found = [
            t
            for t in self._tasks.values()
            if t.status.is_final
            and t.finished_at is not None
            and t.created_at >= since
            and t.request.webhook_callback_url
            and not any(
                d.task_id == t.task_id and d.url == t.request.webhook_callback_url
                for d in self._deliveries.values()
            )
        ]
        found.sort(key=lambda t: (t.created_at, t.task_id))
        return [_stored(t) for t in found[:limit]]

    # ------------------------------------------------------------------ steps

    async def create_step(self, step: Step) -> Step:
        """Store a new step of an existing task of the step's organization."""
        async with self._lock:
            self._task(step.task_id, step.organization_id)
            if step.step_id in self._steps:
                raise StoreError(f"step {step.step_id!r} already exists")
            self._steps[step.step_id] = _stored(step)
            return _stored(step)

    async def update_step(self, step_id: str, update: StepUpdate) -> Step:
        """Write the fields ``update`` gives; a status change is checked against the lifecycle."""
        changes = StepUpdate.of(update, doing="update_step").changes()
        async with self._lock:
            current = self._steps.get(step_id)
            if current is None:
                raise NotFoundError(f"step {step_id!r} not found")
            if changes.get("status") is not None:
                check_step_transition(current.status, changes["status"])
            changes["modified_at"] = next_modified(current.modified_at)
            updated = Step.model_validate({**current.model_dump(), **changes})
            self._steps[step_id] = updated = _stored(updated)
            return _stored(updated)

    async def list_steps(self, task_id: str, organization_id: str | None = None) -> list[Step]:
        """Return a task's steps by order, then retry_index (NotFoundError if no such task)."""
        self._task(task_id, organization_id)
        steps = [s for s in self._steps.values() if s.task_id == task_id]
        steps.sort(key=lambda s: (s.attempt, s.order, s.retry_index, s.created_at))
        return [_stored(s) for s in steps]

    # ------------------------------------------------------------------ artifacts

    async def add_artifact(self, artifact: Artifact) -> Artifact:
        """Record an artifact of an existing task of the artifact's organization."""
        async with self._lock:
            self._task(artifact.task_id, artifact.organization_id)
            if artifact.artifact_id in self._artifacts:
                raise StoreError(f"artifact {artifact.artifact_id!r} already exists")
            self._artifacts[artifact.artifact_id] = _stored(artifact)
            return _stored(artifact)

    async def get_artifact(self, artifact_id: str) -> Artifact:
        """Return an artifact record or raise NotFoundError."""
        try:
            return _stored(self._artifacts[artifact_id])
        except KeyError:
            raise NotFoundError(f"artifact {artifact_id!r} not found") from None

    async def list_artifacts(self, task_id: str) -> list[Artifact]:
        """Return a task's artifacts in creation order."""
        found = [a for a in self._artifacts.values() if a.task_id == task_id]
        found.sort(key=lambda a: (a.created_at, a.artifact_id))
        return [_stored(a) for a in found]

    # ------------------------------------------------------------------ webhook deliveries

    async def create_delivery(self, delivery: WebhookDelivery) -> WebhookDelivery:
        """Store a new delivery, or return the task's existing one for the same URL."""
        async with self._lock:
            self._task(delivery.task_id, delivery.organization_id)
            return self._add_delivery(delivery)

    def _add_delivery(self, delivery: WebhookDelivery) -> WebhookDelivery:
        for existing in self._deliveries.values():
            if existing.task_id == delivery.task_id and existing.url == delivery.url:
                return _stored(existing)
        if delivery.delivery_id in self._deliveries:
            raise StoreError(f"webhook delivery {delivery.delivery_id!r} already exists")
        self._deliveries[delivery.delivery_id] = _stored(delivery)
        self._attempts[delivery.delivery_id] = []
        return _stored(delivery)

    async def claim_delivery(
        self, delivery_id: str, *, now: datetime, until: datetime
    ) -> WebhookDelivery | None:
        """Take a due pending delivery by moving its next attempt to ``until``; None if not
        due (or taken already)."""
        now = _utc(now)
        async with self._lock:
            current = self._deliveries.get(delivery_id)
            if (
                current is None
                or current.status is not DeliveryStatus.pending
                or current.next_attempt_at is None
                or current.next_attempt_at > now
            ):
                return None
            claimed = _stored(current.model_copy(update={"next_attempt_at": until}))
            self._deliveries[delivery_id] = claimed
            return _stored(claimed)

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
        """Log the next attempt of a pending delivery and set its outcome."""
        status = DeliveryStatus(status)
        status.check_next_attempt(next_attempt_at)
        async with self._lock:
            current = self._deliveries.get(delivery_id)
            if current is None:
                raise NotFoundError(f"webhook delivery {delivery_id!r} not found")
            if current.status.is_final:
                raise InvalidTransitionError("webhook delivery", current.status.value, status.value)
            attempt = WebhookAttempt(
                delivery_id=delivery_id,
                attempt=current.attempts + 1,
                at=at,
                http_status=http_status,
                error=error,
                duration_ms=duration_ms,
            )
            updated = WebhookDelivery.model_validate(
                {
                    **current.model_dump(),
                    "status": status,
                    "attempts": attempt.attempt,
                    "last_error": error,
                    "next_attempt_at": None if status.is_final else next_attempt_at,
                    "modified_at": next_modified(current.modified_at),
                    **({} if payload is None else {"payload": payload}),
                }
            )
            self._deliveries[delivery_id] = updated = _stored(updated)
            self._attempts[delivery_id].append(_stored(attempt))
            return _stored(updated)

    async def due_deliveries(self, now: datetime, limit: int = 100) -> list[WebhookDelivery]:
        """Return pending deliveries due at ``now``, the most overdue first."""
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        now = _utc(now)
        due = [
            d
            for d in self._deliveries.values()
            if d.status is DeliveryStatus.pending
            and d.next_attempt_at is not None
            and d.next_attempt_at <= now
        ]
        due.sort(key=lambda d: (d.next_attempt_at or now, d.delivery_id))
        return [_stored(d) for d in due[:limit]]

    async def list_deliveries(self, task_id: str) -> list[WebhookDelivery]:
        """Return a task's deliveries in creation order."""
        found = [d for d in self._deliveries.values() if d.task_id == task_id]
        found.sort(key=lambda d: (d.created_at, d.delivery_id))
        return [_stored(d) for d in found]

    async def list_attempts(self, delivery_id: str) -> list[WebhookAttempt]:
        """Return a delivery's attempts, first attempt first."""
        return [_stored(a) for a in self._attempts.get(delivery_id, [])]

    # ------------------------------------------------------------------ one-time codes

    async def add_totp_code(
        self,
        organization_id: str,
        totp_identifier: str,
        code: str,
        expires_at: datetime,
        source_text_hash: str | None = None,
        task_id: str | None = None,
    ) -> TotpCode:
        """Store a pushed one-time code for an identifier of an existing organization."""
        async with self._lock:
            await self.get_organization(organization_id)
            record = _stored(
                TotpCode(
                    totp_id=ids.new_id("totp"),
                    organization_id=organization_id,
                    totp_identifier=totp_identifier,
                    task_id=task_id,
                    code=code,
                    expires_at=expires_at,
                    source_text_hash=source_text_hash,
                )
            )
            self._totp[record.totp_id] = record
            return _stored(record)

    async def take_totp_code(
        self,
        organization_id: str,
        totp_identifier: str,
        now: datetime,
        not_before: datetime | None = None,
        task_id: str | None = None,
    ) -> str | None:
        """Mark the newest usable code of the identifier used and return it (once)."""
        now = _utc(now)
        since = _utc(not_before)
        async with self._lock:
            usable = [
                c
                for c in self._totp.values()
                if c.organization_id == organization_id
                and c.totp_identifier == totp_identifier
                and c.used_at is None
                and c.expires_at > now
                and (since is None or c.created_at >= since)
                and c.task_id in (None, task_id)
            ]
            if not usable:
                return None
            newest = max(usable, key=lambda c: (c.created_at, c.totp_id))
            self._totp[newest.totp_id] = newest.model_copy(update={"used_at": now})
            return newest.code
