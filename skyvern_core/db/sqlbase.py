"""The groundwork of the SQL store: the engine, transactions, the tables, row conversions.

:class:`SQLBase` opens and closes the database and runs transactions; the store's concerns
are written on it in :mod:`~skyvern_core.db.sql_tasks` (tasks and the queue),
:mod:`~skyvern_core.db.sql_records` (organizations and keys, steps, artifact records,
one-time codes), :mod:`~skyvern_core.db.sql_deliveries` (webhook deliveries) and
:mod:`~skyvern_core.db.sql_replays` (recorded steps of flows) and
:mod:`~skyvern_core.db.sql_profiles` (browser profiles), and put
together as :class:`~skyvern_core.db.sqlstore.SQLStore`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Self, TypeVar, cast

import anyio
import anyio.to_thread
import sqlalchemy as sa
from alembic.util import CommandError
from pydantic import BaseModel
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlmodel import SQLModel

from skyvern_core.db import migrate
from skyvern_core.db.tables import (
    ApiKeyRow,
    ArtifactRow,
    BrowserProfileRow,
    OrganizationRow,
    ReplayEntryRow,
    StepRow,
    TaskRow,
    TotpCodeRow,
    UTCDateTime,
    WebhookAttemptRow,
    WebhookDeliveryRow,
)
from skyvern_core.errors import ConfigurationError, MissingExtraError, NotFoundError, StoreError
from skyvern_core.models import StepStatus, Task, TaskStatus, WebhookDelivery

__all__ = ["SQLBase", "driver_urls"]

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
_replays = _table(ReplayEntryRow)
_profiles = _table(BrowserProfileRow)

_FINAL = [s.value for s in TaskStatus if s.is_final]
_UNFINISHED_STEP = [StepStatus.created.value, StepStatus.running.value]
SWEEP_WINDOW = timedelta(days=7)
"""How far back (by creation time) the webhook sweeper looks for tasks without delivery."""


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


class SQLBase:
    """The connection of a SQL store: SQLite for one machine, PostgreSQL for a fleet.

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
        return f"{type(self).__name__}({self._sync_url.render_as_string(hide_password=True)!r})"

    async def __aenter__(self) -> Self:
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

    async def _require_org(self, conn: AsyncConnection, organization_id: str) -> None:
        found = await conn.execute(
            sa.select(_orgs.c.organization_id).where(_orgs.c.organization_id == organization_id)
        )
        if found.first() is None:
            raise NotFoundError(f"organization {organization_id!r} not found")

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
