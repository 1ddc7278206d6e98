"""Tasks and the queue on SQL: the :class:`~skyvern_core.storage.TaskStore` of the SQL store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from skyvern_core.db.sqlbase import (
    _FINAL,
    _UNFINISHED_STEP,
    CAS_ATTEMPTS,
    SWEEP_WINDOW,
    SQLBase,
    _deliveries,
    _merge,
    _model,
    _row_values,
    _steps,
    _tasks,
)
from skyvern_core.errors import LostClaimError, StoreError
from skyvern_core.models import (
    StepStatus,
    Task,
    TaskStatus,
    WebhookDelivery,
    check_task_transition,
    utcnow,
)
from skyvern_core.storage import TaskUpdate, finish_fields, lease_delta, next_modified

__all__ = ["SQLTaskStore"]


class SQLTaskStore(SQLBase):
    """Tasks and the queue (see :class:`~skyvern_core.storage.TaskStore`)."""

    async def create_task(self, task: Task) -> Task:
        """Store a new task of an existing organization."""
        async with self._tx("create the task", write=True) as conn:
            await self._require_org(conn, task.organization_id)
            values = _row_values(task, _tasks)
            values["webhook_url"] = task.request.webhook_callback_url
            row = await conn.execute(_tasks.insert().values(values).returning(*_tasks.c))
            return _model(Task, row.one())

    async def get_task(self, task_id: str, organization_id: str | None = None) -> Task:
        """Return a task (of that organization, if given) or raise NotFoundError."""
        async with self._tx("read the task") as conn:
            return await self._select_task(conn, task_id, organization_id)

    async def list_tasks(
        self, organization_id: str, *, page: int = 1, page_size: int = 10
    ) -> list[Task]:
        """Return a page of an organization's tasks, newest first."""
        if page < 1 or page_size < 1:
            raise ValueError(f"page and page_size must be >= 1, got {page} and {page_size}")
        query = (
            sa.select(_tasks)
            .where(_tasks.c.organization_id == organization_id)
            .order_by(_tasks.c.created_at.desc(), _tasks.c.task_id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        return await self._rows("list tasks", Task, query)

    async def update_task(self, task_id: str, update: TaskUpdate) -> Task:
        """Write the fields ``update`` gives; a status change is compare-and-set against the
        lifecycle."""
        fields = TaskUpdate.of(update, doing="update_task").changes()
        status = fields.get("status")
        for _ in range(CAS_ATTEMPTS):
            async with self._tx("update the task", write=True) as conn:
                current = await self._select_task(conn, task_id)
                changes = dict(fields)
                query = _tasks.update().where(_tasks.c.task_id == task_id)
                if status is not None:
                    check_task_transition(current.status, status)
                    query = query.where(_tasks.c.status == current.status.value)
                changes["modified_at"] = next_modified(current.modified_at)
                values = _row_values(_merge(current, changes), _tasks, set(changes))
                row = (await conn.execute(query.values(values).returning(*_tasks.c))).first()
                if row is not None:
                    return _model(Task, row)
            # Another writer changed the status between our read and our write: check again.
        raise StoreError(f"task {task_id!r} kept changing; gave up after {CAS_ATTEMPTS} attempts")

    async def claim_task(
        self, worker_id: str, *, lease_seconds: float, task_id: str | None = None
    ) -> Task | None:
        """Atomically move the oldest queued task (or that one) to running for a worker."""
        now = utcnow()
        expires = now + lease_delta(lease_seconds)
        if task_id is not None:
            # One named task: the UPDATE's own row lock decides. On PostgreSQL a concurrent
            # writer makes it wait, then the status condition is checked again on the row
            # as that writer left it, so only one claimer ever matches.
            target: sa.ColumnElement[bool] = _tasks.c.task_id == task_id
        else:
            queued = _tasks.alias("queued")
            pick = (
                sa.select(queued.c.task_id)
                .where(queued.c.status == TaskStatus.queued.value)
                .order_by(queued.c.created_at, queued.c.task_id)
                .limit(1)
            )
            if self.dialect == "postgresql":
                # Concurrent claimers each lock the row they pick and pass over the rows
                # the others are taking, instead of queueing up behind the oldest one.
                pick = pick.with_for_update(skip_locked=True)
            target = _tasks.c.task_id == pick.scalar_subquery()
        query = (
            _tasks.update()
            .where(target, _tasks.c.status == TaskStatus.queued.value)
            .values(
                status=TaskStatus.running.value,
                worker_id=worker_id,
                lease_expires_at=expires,
                started_at=now,
                modified_at=now,
            )
            .returning(*_tasks.c)
        )
        async with self._tx("claim a task", write=True) as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _model(Task, row)

    async def renew_lease(
        self, task_id: str, worker_id: str, *, lease_seconds: float
    ) -> TaskStatus | None:
        """Extend the lease of an unfinished task the worker holds; its status, or None."""
        query = (
            _tasks.update()
            .where(
                _tasks.c.task_id == task_id,
                _tasks.c.worker_id == worker_id,
                _tasks.c.status.in_([TaskStatus.running.value, TaskStatus.canceled.value]),
                _tasks.c.finished_at.is_(None),
            )
            .values(lease_expires_at=utcnow() + lease_delta(lease_seconds))
            .returning(_tasks.c.status)
        )
        async with self._tx("renew the lease", write=True) as conn:
            status = (await conn.execute(query)).scalar_one_or_none()
        return None if status is None else TaskStatus(status)

    async def expired_leases(self, now: datetime) -> list[Task]:
        """Return unfinished tasks whose lease ran out before ``now``, oldest lease first."""
        query = (
            sa.select(_tasks)
            .where(
                _tasks.c.status.in_([TaskStatus.running.value, TaskStatus.canceled.value]),
                _tasks.c.finished_at.is_(None),
                _tasks.c.lease_expires_at < now,
            )
            .order_by(_tasks.c.lease_expires_at, _tasks.c.task_id)
        )
        return await self._rows("find expired leases", Task, query)

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
        """Record the end of a run and its webhook delivery in one transaction."""
        status, fields = finish_fields(status, update)
        now = now or utcnow()
        async with self._tx("record the end of the task", write=True) as conn:
            current = await self._select_task(conn, task_id, lock=True)
            if worker_id is not None and current.worker_id != worker_id:
                raise LostClaimError(task_id, worker_id)
            changes = dict(fields)
            if not current.status.is_final:
                check_task_transition(current.status, status)
                changes.update(status=status, failure_reason=failure_reason)
            if current.finished_at is None:
                changes["finished_at"] = now
            changes["lease_expires_at"] = None
            return await self._write_task(conn, current, changes, now)

    async def _write_task(
        self, conn: AsyncConnection, current: Task, changes: dict[str, Any], now: datetime
    ) -> Task:
        """Apply ``changes`` to a row read under this transaction's lock; a task that ends
        here gets its webhook delivery in the same transaction."""
        changes.setdefault("modified_at", next_modified(current.modified_at))
        values = _row_values(_merge(current, changes), _tasks, set(changes))
        row = (
            await conn.execute(
                _tasks.update()
                .where(_tasks.c.task_id == current.task_id)
                .values(values)
                .returning(*_tasks.c)
            )
        ).one()
        task = _model(Task, row)
        url = row._mapping["webhook_url"]
        if url and task.status.is_final and task.finished_at is not None:
            await self._insert_delivery(
                conn,
                WebhookDelivery.first_for(task, url, now),
            )
        return task

    async def _end_steps(
        self, conn: AsyncConnection, task_id: str, status: StepStatus, reason: str | None
    ) -> None:
        """End the steps of a task still under way (their worker is gone)."""
        await conn.execute(
            _steps.update()
            .where(_steps.c.task_id == task_id, _steps.c.status.in_(_UNFINISHED_STEP))
            .values(
                status=status.value,
                failure_reason=reason if status == StepStatus.failed else None,
                modified_at=utcnow(),
            )
        )

    async def release_task(self, task_id: str, worker_id: str) -> Task | None:
        """Put a running task the worker holds back in the queue as its next attempt."""
        query = (
            _tasks.update()
            .where(
                _tasks.c.task_id == task_id,
                _tasks.c.worker_id == worker_id,
                _tasks.c.status == TaskStatus.running.value,
            )
            .values(
                status=TaskStatus.queued.value,
                worker_id=None,
                lease_expires_at=None,
                attempt=_tasks.c.attempt + 1,
                modified_at=utcnow(),
            )
            .returning(*_tasks.c)
        )
        async with self._tx("release the task", write=True) as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _model(Task, row)

    async def recover_task(
        self, task_id: str, worker_id: str | None, *, now: datetime, requeue: bool, reason: str
    ) -> Task | None:
        """Requeue, fail or finish (canceled) a task whose lease is still expired."""
        async with self._tx("recover the task", write=True) as conn:
            current = await self._select_task(conn, task_id, lock=True)
            expired = current.lease_expires_at is not None and current.lease_expires_at < now
            if current.worker_id != worker_id or not expired or current.finished_at is not None:
                return None
            changes: dict[str, Any] = {"worker_id": None, "lease_expires_at": None}
            if current.status == TaskStatus.running and requeue:
                await self._end_steps(conn, task_id, StepStatus.failed, reason)
                changes.update(status=TaskStatus.queued, attempt=current.attempt + 1)
            elif current.status == TaskStatus.running:
                await self._end_steps(conn, task_id, StepStatus.failed, reason)
                changes.update(status=TaskStatus.failed, failure_reason=reason, finished_at=now)
            elif current.status == TaskStatus.canceled:
                await self._end_steps(conn, task_id, StepStatus.canceled, None)
                changes["finished_at"] = now
            else:
                return None
            return await self._write_task(conn, current, changes, now)

    async def cancel_task(
        self, task_id: str, organization_id: str | None = None, *, now: datetime
    ) -> Task:
        """Cancel a task; finish it here when nobody runs it (see the protocol)."""
        async with self._tx("cancel the task", write=True) as conn:
            current = await self._select_task(conn, task_id, organization_id, lock=True)
            check_task_transition(current.status, TaskStatus.canceled)
            changes: dict[str, Any] = {"status": TaskStatus.canceled}
            lease = current.lease_expires_at
            if current.status != TaskStatus.running or lease is None or lease < now:
                await self._end_steps(conn, task_id, StepStatus.canceled, None)
                changes.update(finished_at=now, lease_expires_at=None)
            return await self._write_task(conn, current, changes, now)

    async def tasks_missing_delivery(self, now: datetime, limit: int = 100) -> list[Task]:
        """Recent finished tasks with a webhook URL and no delivery for it."""
        delivered = sa.select(_deliveries.c.delivery_id).where(
            _deliveries.c.task_id == _tasks.c.task_id, _deliveries.c.url == _tasks.c.webhook_url
        )
        query = (
            sa.select(_tasks)
            .where(
                _tasks.c.status.in_(_FINAL),
                _tasks.c.created_at >= now - SWEEP_WINDOW,
                _tasks.c.webhook_url.is_not(None),
                _tasks.c.finished_at.is_not(None),
                ~delivered.exists(),
            )
            .order_by(_tasks.c.created_at, _tasks.c.task_id)
            .limit(limit)
        )
        return await self._rows("find tasks without a webhook delivery", Task, query)
