"""A :class:`~skyvern_core.protocols.Store` on SQL, through SQLAlchemy's asyncio engine.

One class serves SQLite (``sqlite+aiosqlite``) and PostgreSQL (``postgresql+psycopg``); only
the dialect details differ:

* SQLite: WAL journal, a busy timeout and foreign keys on every connection; write
  transactions start with ``BEGIN IMMEDIATE`` (so a read-then-write never fails on a stale
  snapshot) and are serialized per store by an :class:`anyio.Lock`, so many concurrent tasks
  of one process never see "database is locked".
* PostgreSQL (psycopg 3): a pool of connections per store, transactions at READ COMMITTED,
  JSON in ``JSONB`` and timestamps in ``timestamptz`` columns. Claiming from the queue locks
  the chosen row with ``FOR UPDATE SKIP LOCKED``, so claimers in many processes each take a
  different task without waiting on one another; the migrations of processes starting
  together run one at a time under an advisory lock (see :mod:`skyvern_core.db.migrate`).

Status changes are compare-and-set: the lifecycle is checked against the stored status and
the ``UPDATE`` only applies while the status is still the one that was checked. On
PostgreSQL an ``UPDATE`` blocked by a concurrent writer re-checks its ``WHERE`` against the
row that writer committed, so the loser matches nothing and checks the lifecycle again.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

import anyio
import anyio.to_thread
import sqlalchemy as sa
from alembic.util import CommandError
from pydantic import BaseModel
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlmodel import SQLModel

from skyvern_core import ids
from skyvern_core.db import migrate
from skyvern_core.db.tables import (
    ApiKeyRow,
    ArtifactRow,
    OrganizationRow,
    StepRow,
    TaskRow,
    TotpCodeRow,
    UTCDateTime,
    WebhookAttemptRow,
    WebhookDeliveryRow,
)
from skyvern_core.errors import (
    ConfigurationError,
    InvalidTransitionError,
    LostClaimError,
    MissingExtraError,
    NotFoundError,
    StoreError,
)
from skyvern_core.models import (
    Artifact,
    DeliveryStatus,
    Organization,
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

__all__ = ["SQLStore", "driver_urls"]

M = TypeVar("M", bound=BaseModel)

SETTING = "SKYVERN_DATABASE_URL"
BUSY_TIMEOUT_MS = 10_000
DEFAULT_POOL_SIZE = 10
CAS_ATTEMPTS = 20


class _NoCallArguments(logging.Filter):
    """Drops aiosqlite's DEBUG lines that print each call with its SQL parameters.

    Those parameters include a task's stored request, secrets of its payload among them;
    a log at DEBUG must not carry them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno <= logging.DEBUG
            and record.msg in ("executing %s", "operation %s completed")
        )


logging.getLogger("aiosqlite").addFilter(_NoCallArguments())


def _table(row: type[SQLModel]) -> sa.Table:
    return cast(sa.Table, sa.inspect(row).local_table)


_orgs = _table(OrganizationRow)
_keys = _table(ApiKeyRow)
_tasks = _table(TaskRow)
_steps = _table(StepRow)
_artifacts = _table(ArtifactRow)
_deliveries = _table(WebhookDeliveryRow)
_attempts = _table(WebhookAttemptRow)
_totp = _table(TotpCodeRow)

_TASK_UPDATABLE = frozenset(_tasks.c.keys()) - {
    "task_id",
    "organization_id",
    "created_at",
    "webhook_url",
}
_FINAL = [s.value for s in TaskStatus if s.is_final]
_UNFINISHED_STEP = [StepStatus.created.value, StepStatus.running.value]
SWEEP_WINDOW = timedelta(days=7)
"""How far back (by creation time) the webhook sweeper looks for tasks without delivery."""
_STEP_UPDATABLE = frozenset(_steps.c.keys()) - {
    "step_id",
    "task_id",
    "organization_id",
    "created_at",
}


def driver_urls(database_url: str) -> tuple[sa.URL, sa.URL]:
    """Return the (async, sync) SQLAlchemy URLs for a user's database URL.

    ``sqlite:///path`` becomes ``sqlite+aiosqlite:///path`` and ``sqlite:///path``;
    ``postgresql://...`` becomes ``postgresql+psycopg://...`` for both (psycopg 3 does both).
    Raises :class:`ConfigurationError` for anything else.
    """
    try:
        url = sa.make_url(database_url)
    except ArgumentError:
        raise ConfigurationError(
            f"{SETTING} is not a database URL: {database_url!r} "
            "(expected sqlite:///path/to.db or postgresql://user:pass@host/db)"
        ) from None
    backend = url.get_backend_name()
    shown = url.render_as_string(hide_password=True)
    if backend == "sqlite":
        if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
            raise ConfigurationError(
                f"{SETTING}={shown!r}: the SQL store needs a database file "
                "(sqlite:///path/to.db); use the 'memory' store for an in-memory one"
            )
        return url.set(drivername="sqlite+aiosqlite"), url.set(drivername="sqlite")
    if backend in ("postgresql", "postgres"):
        pg = url.set(drivername="postgresql+psycopg")
        return pg, pg
    raise ConfigurationError(
        f"{SETTING}={shown!r} is not supported: use sqlite:///path/to.db or postgresql://..."
    )


def _reason(exc: BaseException) -> str:
    # The driver's own message, first line only: SQLAlchemy appends the SQL and a link.
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _row_values(model: BaseModel, table: sa.Table, only: set[str] | None = None) -> dict[str, Any]:
    """The column values of ``model``: JSON-safe data, but real datetimes for timestamps."""
    columns = set(table.c.keys()) if only is None else only
    stamps = {c.name for c in table.c if isinstance(c.type, UTCDateTime)} & columns
    values = model.model_dump(mode="json", include=columns - stamps)
    values.update(model.model_dump(include=stamps))
    return values


def _model(cls: type[M], row: sa.Row[Any]) -> M:
    return cls.model_validate(dict(row._mapping))


def _merge(current: M, changes: Mapping[str, Any]) -> M:
    # Validating the merged record checks each new value the way a new record is checked.
    return type(current).model_validate({**current.model_dump(), **changes})


def _check_fields(kind: str, fields: Mapping[str, Any], updatable: frozenset[str]) -> None:
    unknown = sorted(set(fields) - updatable)
    if unknown:
        raise ValueError(f"cannot update {kind} field(s) {', '.join(unknown)}: unknown or fixed")


def _later(previous: datetime) -> datetime:
    # Two updates within one clock tick must still leave modified_at increasing.
    now = utcnow()
    return now if now > previous else previous + timedelta(microseconds=1)


def _lease_delta(lease_seconds: float) -> timedelta:
    if not lease_seconds > 0:
        raise ValueError(f"lease_seconds must be positive, got {lease_seconds!r}")
    return timedelta(seconds=lease_seconds)


class SQLStore:
    """The SQL store: SQLite for one machine, PostgreSQL (same class) for a fleet of workers.

    ``database_url`` is in the user form (``sqlite:///path/to.db``, ``postgresql://...``).
    Call :meth:`open` before use (or use ``async with``); it creates the SQLite file's folder
    and runs the migrations. ``pool_size`` is the number of PostgreSQL connections kept open
    (as many again may be opened for bursts); SQLite ignores it.
    """

    def __init__(
        self, database_url: str, *, echo: bool = False, pool_size: int = DEFAULT_POOL_SIZE
    ) -> None:
        if pool_size < 1:
            raise ValueError(f"pool_size must be >= 1, got {pool_size}")
        self._async_url, self._sync_url = driver_urls(database_url)
        self.dialect = self._async_url.get_backend_name()
        self._echo = echo
        self.pool_size = pool_size
        self._engine: AsyncEngine | None = None
        self._read_engine: sa.Engine | None = None
        self._write_lock: anyio.Lock | None = None

    @property
    def sync_url(self) -> str:
        """The synchronous SQLAlchemy URL of the database (used for migrations)."""
        return self._sync_url.render_as_string(hide_password=False)

    def __repr__(self) -> str:
        return f"SQLStore({self._sync_url.render_as_string(hide_password=True)!r})"

    async def __aenter__(self) -> SQLStore:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Create the database folder, migrate to the latest schema and connect (idempotent)."""
        if self._engine is not None:
            return
        if self.dialect == "postgresql" and importlib.util.find_spec("psycopg") is None:
            raise MissingExtraError("psycopg", "postgres")
        try:
            await anyio.to_thread.run_sync(self._prepare)
        except (SQLAlchemyError, CommandError, OSError) as exc:
            raise StoreError(f"could not migrate the database of {self!r}: {_reason(exc)}") from exc
        if self.dialect == "sqlite":
            engine = create_async_engine(self._async_url, echo=self._echo)
            _configure_sqlite(engine.sync_engine)
            self._write_lock = anyio.Lock()
            # Short reads run inline on the event loop: in WAL mode a reader never waits
            # for a writer, and a ~0.1 ms query costs less than the hops to a driver thread.
            self._read_engine = sa.create_engine(
                self._sync_url,
                echo=self._echo,
                connect_args={"check_same_thread": False},
            )
            _configure_sqlite(self._read_engine)
        else:
            engine = create_async_engine(
                self._async_url,
                echo=self._echo,
                pool_size=self.pool_size,
                # Bursts (a worker pool finishing tasks together) borrow extra connections
                # rather than wait; they are closed again when returned.
                max_overflow=self.pool_size,
                # A server restart or an idle timeout on the way leaves dead connections
                # in the pool: test each one when it is taken out.
                pool_pre_ping=True,
                # The compare-and-set updates rely on READ COMMITTED (a blocked UPDATE
                # re-checks its WHERE on the committed row instead of failing), whatever
                # default the server was given.
                isolation_level="READ COMMITTED",
            )
        self._engine = engine

    def _prepare(self) -> None:
        """Create the SQLite file's folder and migrate (blocking: run in a thread)."""
        if self.dialect == "sqlite":
            Path(self._sync_url.database or "").expanduser().parent.mkdir(
                parents=True, exist_ok=True
            )
        migrate.upgrade(self.sync_url)

    async def close(self) -> None:
        """Release every connection (the store can be opened again)."""
        if self._read_engine is not None:
            read_engine, self._read_engine = self._read_engine, None
            read_engine.dispose()
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()

    @contextlib.asynccontextmanager
    async def _tx(self, doing: str, *, write: bool = False) -> AsyncIterator[AsyncConnection]:
        """One transaction; driver errors come out as StoreError saying what failed."""
        if self._engine is None:
            raise StoreError(f"{self!r} is not open: call open() first")
        if not write and self._read_engine is not None:
            try:
                with self._read_engine.connect() as sync_conn, sync_conn.begin():
                    yield _InlineConnection(sync_conn)  # type: ignore[misc]
            except SQLAlchemyError as exc:
                raise StoreError(f"could not {doing}: {_reason(exc)}") from exc
            return
        lock = self._write_lock if write and self._write_lock is not None else None
        try:
            async with lock or contextlib.nullcontext(), self._engine.connect() as conn:
                if write:
                    await conn.execution_options(skyvern_write=True)
                async with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"could not {doing}: {_reason(exc)}") from exc

    # ------------------------------------------------------------------ organizations

    async def create_organization(self, organization: Organization) -> Organization:
        """Store a new organization (its id and name must be unused)."""
        async with self._tx("create the organization", write=True) as conn:
            row = await conn.execute(
                _orgs.insert().values(_row_values(organization, _orgs)).returning(*_orgs.c)
            )
            return _model(Organization, row.one())

    async def get_organization(self, organization_id: str) -> Organization:
        """Return an organization or raise NotFoundError."""
        async with self._tx("read the organization") as conn:
            row = await conn.execute(
                sa.select(_orgs).where(_orgs.c.organization_id == organization_id)
            )
            found = row.first()
        if found is None:
            raise NotFoundError(f"organization {organization_id!r} not found")
        return _model(Organization, found)

    async def get_or_create_organization(self, name: str) -> Organization:
        """Return the organization named ``name``, creating it if needed (race-safe)."""
        by_name = sa.select(_orgs).where(_orgs.c.name == name)
        async with self._tx("get or create the organization", write=True) as conn:
            found = (await conn.execute(by_name)).first()
            if found is not None:
                return _model(Organization, found)
            organization = Organization(organization_id=ids.new_id("organization"), name=name)
            try:
                # A savepoint, so that losing the race to another writer leaves the
                # transaction usable for reading the winner's row.
                async with conn.begin_nested():
                    await conn.execute(_orgs.insert().values(_row_values(organization, _orgs)))
                return organization
            except IntegrityError:
                found = (await conn.execute(by_name)).first()
                if found is None:
                    raise
                return _model(Organization, found)

    async def add_api_key(self, organization_id: str, key_hash: str) -> str:
        """Store a hashed API key of an existing organization; return the key record's id."""
        key_id = ids.new_id("api_key")
        async with self._tx("add the API key", write=True) as conn:
            await self._require_org(conn, organization_id)
            await conn.execute(
                _keys.insert().values(
                    key_id=key_id,
                    organization_id=organization_id,
                    key_hash=key_hash,
                    created_at=utcnow(),
                )
            )
        return key_id

    async def find_api_key(self, key_hash: str) -> str | None:
        """Return the organization id owning that hashed key, or None."""
        async with self._tx("look up the API key") as conn:
            result = await conn.execute(
                sa.select(_keys.c.organization_id).where(_keys.c.key_hash == key_hash)
            )
            return result.scalar_one_or_none()

    async def _require_org(self, conn: AsyncConnection, organization_id: str) -> None:
        found = await conn.execute(
            sa.select(_orgs.c.organization_id).where(_orgs.c.organization_id == organization_id)
        )
        if found.first() is None:
            raise NotFoundError(f"organization {organization_id!r} not found")

    # ------------------------------------------------------------------ tasks

    async def create_task(self, task: Task) -> Task:
        """Store a new task of an existing organization."""
        async with self._tx("create the task", write=True) as conn:
            await self._require_org(conn, task.organization_id)
            values = _row_values(task, _tasks)
            values["webhook_url"] = task.request.webhook_callback_url
            row = await conn.execute(_tasks.insert().values(values).returning(*_tasks.c))
            return _model(Task, row.one())

    async def _rows(self, doing: str, model: type[M], query: sa.Select[Any]) -> list[M]:
        """Every row of a read-only query, as models."""
        async with self._tx(doing) as conn:
            return [_model(model, row) for row in await conn.execute(query)]

    async def _select_task(
        self,
        conn: AsyncConnection,
        task_id: str,
        organization_id: str | None = None,
        *,
        lock: bool = False,
    ) -> Task:
        query = sa.select(_tasks).where(_tasks.c.task_id == task_id)
        if organization_id is not None:
            query = query.where(_tasks.c.organization_id == organization_id)
        if lock and self.dialect == "postgresql":
            # Decisions read-then-write the row; SQLite's BEGIN IMMEDIATE serializes them.
            query = query.with_for_update()
        found = (await conn.execute(query)).first()
        if found is None:
            # The same answer whether it is missing or another organization's.
            raise NotFoundError(f"task {task_id!r} not found")
        return _model(Task, found)

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

    async def update_task(
        self, task_id: str, *, status: TaskStatus | None = None, **fields: Any
    ) -> Task:
        """Change fields of a task; a status change is compare-and-set against the lifecycle."""
        _check_fields("task", fields, _TASK_UPDATABLE)
        for _ in range(CAS_ATTEMPTS):
            async with self._tx("update the task", write=True) as conn:
                current = await self._select_task(conn, task_id)
                changes = dict(fields)
                query = _tasks.update().where(_tasks.c.task_id == task_id)
                if status is not None:
                    check_task_transition(current.status, status)
                    changes["status"] = status
                    query = query.where(_tasks.c.status == current.status.value)
                changes.setdefault("modified_at", _later(current.modified_at))
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
        expires = now + _lease_delta(lease_seconds)
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
            .values(lease_expires_at=utcnow() + _lease_delta(lease_seconds))
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
        **fields: Any,
    ) -> Task:
        """Record the end of a run and its webhook delivery in one transaction."""
        status = TaskStatus(status)
        if not status.is_final:
            raise ValueError(f"finish_task needs a final status, got {status.value!r}")
        _check_fields("task", fields, _TASK_UPDATABLE - {"status", "failure_reason"})
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
        changes.setdefault("modified_at", _later(current.modified_at))
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
                WebhookDelivery(
                    delivery_id=ids.new_id("delivery"),
                    task_id=task.task_id,
                    organization_id=task.organization_id,
                    url=url,
                    next_attempt_at=now,
                    created_at=now,
                    modified_at=now,
                ),
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

    # ------------------------------------------------------------------ steps

    async def create_step(self, step: Step) -> Step:
        """Store a new step of an existing task of the step's organization."""
        async with self._tx("create the step", write=True) as conn:
            await self._select_task(conn, step.task_id, step.organization_id)
            row = await conn.execute(
                _steps.insert().values(_row_values(step, _steps)).returning(*_steps.c)
            )
            return _model(Step, row.one())

    async def update_step(self, step_id: str, **fields: Any) -> Step:
        """Change fields of a step; a status change is compare-and-set against the lifecycle."""
        _check_fields("step", fields, _STEP_UPDATABLE)
        for _ in range(CAS_ATTEMPTS):
            async with self._tx("update the step", write=True) as conn:
                found = (
                    await conn.execute(sa.select(_steps).where(_steps.c.step_id == step_id))
                ).first()
                if found is None:
                    raise NotFoundError(f"step {step_id!r} not found")
                current = _model(Step, found)
                changes = dict(fields)
                query = _steps.update().where(_steps.c.step_id == step_id)
                if changes.get("status") is not None:
                    check_step_transition(current.status, changes["status"])
                    query = query.where(_steps.c.status == current.status.value)
                changes.setdefault("modified_at", _later(current.modified_at))
                values = _row_values(_merge(current, changes), _steps, set(changes))
                row = (await conn.execute(query.values(values).returning(*_steps.c))).first()
                if row is not None:
                    return _model(Step, row)
        raise StoreError(f"step {step_id!r} kept changing; gave up after {CAS_ATTEMPTS} attempts")

    async def list_steps(self, task_id: str, organization_id: str | None = None) -> list[Step]:
        """Return a task's steps by order, then retry_index (NotFoundError if no such task)."""
        query = (
            sa.select(_steps)
            .where(_steps.c.task_id == task_id)
            .order_by(_steps.c.attempt, _steps.c.order, _steps.c.retry_index, _steps.c.created_at)
        )
        async with self._tx("list steps") as conn:
            await self._select_task(conn, task_id, organization_id)
            return [_model(Step, row) for row in await conn.execute(query)]

    # ------------------------------------------------------------------ artifacts

    async def add_artifact(self, artifact: Artifact) -> Artifact:
        """Record an artifact of an existing task of the artifact's organization."""
        async with self._tx("record the artifact", write=True) as conn:
            await self._select_task(conn, artifact.task_id, artifact.organization_id)
            row = await conn.execute(
                _artifacts.insert()
                .values(_row_values(artifact, _artifacts))
                .returning(*_artifacts.c)
            )
            return _model(Artifact, row.one())

    async def get_artifact(self, artifact_id: str) -> Artifact:
        """Return an artifact record or raise NotFoundError."""
        async with self._tx("read the artifact") as conn:
            found = (
                await conn.execute(
                    sa.select(_artifacts).where(_artifacts.c.artifact_id == artifact_id)
                )
            ).first()
        if found is None:
            raise NotFoundError(f"artifact {artifact_id!r} not found")
        return _model(Artifact, found)

    async def list_artifacts(self, task_id: str) -> list[Artifact]:
        """Return a task's artifacts in creation order."""
        query = (
            sa.select(_artifacts)
            .where(_artifacts.c.task_id == task_id)
            .order_by(_artifacts.c.created_at, _artifacts.c.artifact_id)
        )
        return await self._rows("list artifacts", Artifact, query)

    # ------------------------------------------------------------------ webhook deliveries

    async def create_delivery(self, delivery: WebhookDelivery) -> WebhookDelivery:
        """Store a new delivery, or return the task's existing one for the same URL."""
        async with self._tx("create the webhook delivery", write=True) as conn:
            await self._select_task(conn, delivery.task_id, delivery.organization_id)
            return await self._insert_delivery(conn, delivery)

    async def _insert_delivery(
        self, conn: AsyncConnection, delivery: WebhookDelivery
    ) -> WebhookDelivery:
        same = sa.select(_deliveries).where(
            _deliveries.c.task_id == delivery.task_id, _deliveries.c.url == delivery.url
        )
        found = (await conn.execute(same)).first()
        if found is not None:
            return _model(WebhookDelivery, found)
        try:
            # A savepoint: losing the race to another process leaves the transaction
            # usable for reading the winner's row.
            async with conn.begin_nested():
                row = await conn.execute(
                    _deliveries.insert()
                    .values(_row_values(delivery, _deliveries))
                    .returning(*_deliveries.c)
                )
                return _model(WebhookDelivery, row.one())
        except IntegrityError:
            found = (await conn.execute(same)).first()
            if found is None:
                raise
            return _model(WebhookDelivery, found)

    async def claim_delivery(
        self, delivery_id: str, *, now: datetime, until: datetime
    ) -> WebhookDelivery | None:
        """Take a due pending delivery by moving its next attempt to ``until``; None if not
        due (or taken by another sender)."""
        query = (
            _deliveries.update()
            .where(
                _deliveries.c.delivery_id == delivery_id,
                _deliveries.c.status == DeliveryStatus.pending.value,
                _deliveries.c.next_attempt_at <= now,
            )
            .values(next_attempt_at=until)
            .returning(*_deliveries.c)
        )
        async with self._tx("claim the webhook delivery", write=True) as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _model(WebhookDelivery, row)

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
        """Log the next attempt of a pending delivery and set its outcome, atomically."""
        status = DeliveryStatus(status)
        status.check_next_attempt(next_attempt_at)
        by_id = sa.select(_deliveries).where(_deliveries.c.delivery_id == delivery_id)
        for _ in range(CAS_ATTEMPTS):
            async with self._tx("record the webhook attempt", write=True) as conn:
                found = (await conn.execute(by_id)).first()
                if found is None:
                    raise NotFoundError(f"webhook delivery {delivery_id!r} not found")
                current = _model(WebhookDelivery, found)
                if current.status.is_final:
                    raise InvalidTransitionError(
                        "webhook delivery", current.status.value, status.value
                    )
                number = current.attempts + 1
                attempt = WebhookAttempt(
                    delivery_id=delivery_id,
                    attempt=number,
                    at=at,
                    http_status=http_status,
                    error=error,
                    duration_ms=duration_ms,
                )
                changes = {
                    "status": status.value,
                    "attempts": number,
                    "last_error": error,
                    "next_attempt_at": next_attempt_at if not status.is_final else None,
                    "modified_at": _later(current.modified_at),
                }
                if payload is not None:
                    changes["payload"] = payload
                # Compare-and-set on the attempt count: a concurrent recorder makes us retry
                # with the next number instead of overwriting its outcome.
                row = (
                    await conn.execute(
                        _deliveries.update()
                        .where(
                            _deliveries.c.delivery_id == delivery_id,
                            _deliveries.c.attempts == current.attempts,
                            _deliveries.c.status == DeliveryStatus.pending.value,
                        )
                        .values(changes)
                        .returning(*_deliveries.c)
                    )
                ).first()
                if row is None:
                    continue
                await conn.execute(_attempts.insert().values(_row_values(attempt, _attempts)))
                return _model(WebhookDelivery, row)
        raise StoreError(
            f"webhook delivery {delivery_id!r} kept changing; gave up after {CAS_ATTEMPTS} attempts"
        )

    async def due_deliveries(self, now: datetime, limit: int = 100) -> list[WebhookDelivery]:
        """Return pending deliveries due at ``now``, the most overdue first."""
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        query = (
            sa.select(_deliveries)
            .where(
                _deliveries.c.status == DeliveryStatus.pending.value,
                _deliveries.c.next_attempt_at <= now,
            )
            .order_by(_deliveries.c.next_attempt_at, _deliveries.c.delivery_id)
            .limit(limit)
        )
        return await self._rows("find due webhook deliveries", WebhookDelivery, query)

    async def list_deliveries(self, task_id: str) -> list[WebhookDelivery]:
        """Return a task's deliveries in creation order."""
        query = (
            sa.select(_deliveries)
            .where(_deliveries.c.task_id == task_id)
            .order_by(_deliveries.c.created_at, _deliveries.c.delivery_id)
        )
        return await self._rows("list webhook deliveries", WebhookDelivery, query)

    async def list_attempts(self, delivery_id: str) -> list[WebhookAttempt]:
        """Return a delivery's attempts, first attempt first."""
        query = (
            sa.select(_attempts)
            .where(_attempts.c.delivery_id == delivery_id)
            .order_by(_attempts.c.attempt)
        )
        return await self._rows("list webhook attempts", WebhookAttempt, query)

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
        record = TotpCode(
            totp_id=ids.new_id("totp"),
            organization_id=organization_id,
            totp_identifier=totp_identifier,
            task_id=task_id,
            code=code,
            expires_at=expires_at,
            source_text_hash=source_text_hash,
        )
        async with self._tx("store the one-time code", write=True) as conn:
            await self._require_org(conn, organization_id)
            row = await conn.execute(
                _totp.insert().values(_row_values(record, _totp)).returning(*_totp.c)
            )
            return _model(TotpCode, row.one())

    async def take_totp_code(
        self,
        organization_id: str,
        totp_identifier: str,
        now: datetime,
        not_before: datetime | None = None,
        task_id: str | None = None,
    ) -> str | None:
        """Mark the newest usable code of the identifier used and return it (once)."""
        candidates = _totp.alias("candidates")
        unbound = candidates.c.task_id.is_(None)
        pick = sa.select(candidates.c.totp_id).where(
            candidates.c.organization_id == organization_id,
            candidates.c.totp_identifier == totp_identifier,
            candidates.c.used_at.is_(None),
            candidates.c.expires_at > now,
            unbound if task_id is None else sa.or_(unbound, candidates.c.task_id == task_id),
        )
        if not_before is not None:
            pick = pick.where(candidates.c.created_at >= not_before)
        pick = pick.order_by(candidates.c.created_at.desc(), candidates.c.totp_id.desc()).limit(1)
        if self.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        query = (
            _totp.update()
            .where(_totp.c.totp_id == pick.scalar_subquery(), _totp.c.used_at.is_(None))
            .values(used_at=now)
            .returning(_totp.c.code)
        )
        async with self._tx("take a one-time code", write=True) as conn:
            return (await conn.execute(query)).scalar_one_or_none()


class _InlineConnection:
    """A synchronous SQLite connection behind the awaitable ``execute`` the store uses."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        """Run the statement now, on the calling thread."""
        return self._conn.execute(statement, *args, **kwargs)


def _configure_sqlite(engine: sa.Engine) -> None:
    """Set the per-connection pragmas and take over BEGIN on a SQLite engine."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit BEGIN would defeat BEGIN IMMEDIATE and savepoints.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL's recommended durability: a commit survives the process crashing; only a
        # power loss may roll back the last commits. It spares an fsync per commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        # A write takes the database lock up front: a deferred transaction that reads and
        # then writes fails at once, without waiting, if another connection wrote meanwhile.
        write = connection.get_execution_options().get("skyvern_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
