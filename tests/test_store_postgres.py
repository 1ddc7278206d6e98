"""The SQL store on PostgreSQL: the store contract, plus what only a real server can show.

Needs the throwaway server of ``tests/pg.py`` (loaded as a pytest plugin); every test gets
a database of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from skyvern_core import ids
from skyvern_core.config import Settings
from skyvern_core.db import migrate
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.errors import ConfigurationError, InvalidTransitionError
from skyvern_core.models import (
    ActionResult,
    ClickAction,
    InputTextAction,
    Organization,
    Step,
    Task,
    TaskRequest,
    TaskStatus,
    WebhookDelivery,
    utcnow,
)
from skyvern_core.plugins import BackendContext, PluginRegistry
from skyvern_core.storage import TaskUpdate
from skyvern_core.testing.store_contract import StoreContract

if TYPE_CHECKING:
    from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}

# Run by each process of the multi-process tests. It signals "ready" by creating a file,
# waits for the "go" file so that all processes start the contested part together, then
# prints its findings as JSON.
SCRIPT = """
import json, sys, time
from pathlib import Path

import anyio
import psycopg
import sqlalchemy as sa

from skyvern_core.db import migrate
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.models import TaskStatus
from skyvern_core.storage import TaskUpdate

mode, url, name, ready, go = sys.argv[1:]


async def wait_for_go():
    Path(ready).touch()
    while not Path(go).exists():
        await anyio.sleep(0.002)


async def queued_left(conn):
    cursor = await conn.execute("SELECT count(*) FROM tasks WHERE status = 'queued'")
    return (await cursor.fetchone())[0]


async def claim():
    claimed, claim_starts, none_ends = [], [], []
    async with SQLStore(url, pool_size=3) as store:
        await wait_for_go()
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:

            async def worker(n):
                worker_id = f"{name}-{n}"
                while True:
                    started = time.time()
                    task = await store.claim_task(worker_id, lease_seconds=60)
                    if task is None:
                        none_ends.append(time.time())
                        # Tasks still queued may be held by claims in flight: look again.
                        if await queued_left(conn) == 0:
                            return
                        await anyio.sleep(0.005)
                        continue
                    claim_starts.append(started)
                    claimed.append([task.task_id, worker_id])
                    await anyio.sleep(0.02)  # the work, long enough for the others to start
                    await store.update_task(task.task_id, TaskUpdate(status=TaskStatus.completed))

            async with anyio.create_task_group() as group:
                for n in range(3):
                    group.start_soon(worker, n)
    print(json.dumps({"claimed": claimed, "claim_starts": claim_starts, "none_ends": none_ends}))


async def open_store():
    creates = []

    @sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("CREATE TABLE"):
            if not creates:
                # Hold the first table uncommitted for a while: any process not kept out
                # by the migration lock would now collide with this one.
                time.sleep(0.5)
            creates.append(statement.split("(")[0].split()[-1])

    await wait_for_go()
    async with SQLStore(url) as store:
        await store.get_or_create_organization("Started together")
    print(json.dumps({"creates": creates, "revision": migrate.current_revision(store.sync_url)}))


anyio.run({"claim": claim, "migrate": open_store}[mode])
"""


@pytest.fixture
async def pg_store(postgres_database_url: str) -> AsyncIterator[SQLStore]:
    store = SQLStore(postgres_database_url)
    await store.open()
    yield store
    await store.close()


class TestPostgresStore(StoreContract):
    """The whole contract, on a fresh PostgreSQL database per test."""

    @pytest.fixture
    async def store(self, pg_store: SQLStore) -> SQLStore:
        return pg_store


def _query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` read with psycopg itself, bypassing the store."""
    with psycopg.connect(url) as conn:
        return conn.execute(sql.encode(), params).fetchall()


def _task(org: Organization, **fields: Any) -> Task:
    values: dict[str, Any] = {
        "task_id": ids.new_id("task"),
        "organization_id": org.organization_id,
        "request": TaskRequest(url="https://example.com/", navigation_goal="Go"),
        "max_steps": 5,
    }
    return Task(**(values | fields))


async def _run_together(mode: str, url: str, tmp_path: Path, count: int) -> list[Any]:
    """Run ``count`` processes of :data:`SCRIPT` released at once; return their outputs."""
    script = tmp_path / "store_process.py"
    script.write_text(SCRIPT)
    go = tmp_path / f"go-{mode}"
    ready = [tmp_path / f"ready-{mode}-{n}" for n in range(count)]
    done: dict[int, subprocess.CompletedProcess[bytes]] = {}

    async def run(n: int) -> None:
        argv = [sys.executable, str(script), mode, url, f"p{n}", str(ready[n]), str(go)]
        done[n] = await anyio.run_process(argv, env=ENV, check=False)

    with anyio.fail_after(120):
        async with anyio.create_task_group() as group:
            for n in range(count):
                group.start_soon(run, n)
            # A process that died before getting ready must not leave the others waiting.
            while not all(path.exists() for path in ready) and not done:
                await anyio.sleep(0.01)
            go.touch()
    for n in range(count):
        assert done[n].returncode == 0, done[n].stderr.decode()
    return [json.loads(done[n].stdout) for n in range(count)]


# ---------------------------------------------------------------------- several processes


async def test_processes_claiming_one_queue_take_each_task_once(
    pg_store: SQLStore, postgres_database_url: str, tmp_path: Path
) -> None:
    org = await pg_store.get_or_create_organization("Fleet")
    queued = set()
    for _ in range(60):
        task = await pg_store.create_task(_task(org, status=TaskStatus.queued))
        queued.add(task.task_id)

    outputs = await _run_together("claim", postgres_database_url, tmp_path, count=4)

    claims = [(task_id, worker) for output in outputs for task_id, worker in output["claimed"]]
    claimed_ids = [task_id for task_id, _ in claims]
    assert len(claimed_ids) == len(set(claimed_ids)) == 60, "a task was claimed twice"
    assert set(claimed_ids) == queued
    # Claimers pass over the rows others are taking instead of coming back empty-handed:
    # once any claim found nothing, no claim started later finds a task. (Tasks are only
    # ever taken off the queue, and a row locked by a claim in flight is taken by it.)
    first_empty = min(t for o in outputs for t in o["none_ends"])
    last_success_start = max(t for o in outputs for t in o["claim_starts"])
    assert last_success_start < first_empty, "a claim came back empty while tasks were free"
    # Really concurrent: more than one process got work.
    assert sum(1 for output in outputs if output["claimed"]) >= 2
    by_task = dict(claims)
    for task in await pg_store.list_tasks(org.organization_id, page_size=100):
        assert task.status == TaskStatus.completed
        assert task.worker_id == by_task[task.task_id]
    assert await pg_store.claim_task("late", lease_seconds=10) is None


async def test_migrations_run_once_when_processes_open_together(
    postgres_database_url: str, tmp_path: Path
) -> None:
    outputs = await _run_together("migrate", postgres_database_url, tmp_path, count=3)

    head = migrate.head_revision()
    assert [o["revision"] for o in outputs] == [head] * 3
    migrating = [o["creates"] for o in outputs if o["creates"]]
    # One process created every table; the others waited for it and found the schema done.
    assert len(migrating) == 1, outputs
    assert set(migrating[0]) >= {"alembic_version", "tasks", "webhook_deliveries"}
    assert _query(postgres_database_url, "SELECT version_num FROM alembic_version") == [(head,)]
    orgs = _query(postgres_database_url, "SELECT name FROM organizations")
    assert orgs == [("Started together",)]


# ---------------------------------------------------------------------- against another writer
#
# Another connection holds a row lock in an open transaction; the store's statement must
# then wait for it (or pass the row over) and decide on the row that writer commits.


@contextlib.asynccontextmanager
async def _other_writer(url: str, sql: str, *params: Any) -> AsyncIterator[psycopg.AsyncConnection]:
    """A connection that ran ``sql`` in a transaction left open until the block ends."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await conn.execute(sql.encode(), params)
        yield conn


async def _wait_until_blocked(url: str) -> None:
    """Wait until some session of the database waits for a lock."""
    query = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        with anyio.fail_after(30):
            while True:
                row = await (await conn.execute(query.encode())).fetchone()
                if row is not None and row[0] > 0:
                    return
                await anyio.sleep(0.01)


@pytest.mark.parametrize("isolation", [None, "repeatable read", "serializable"])
async def test_status_change_waits_for_another_writer_and_checks_again(
    postgres_server: PostgresServer, postgres_database_url: str, isolation: str | None
) -> None:
    if isolation is not None:
        # The server's default must not matter: the store asks for READ COMMITTED.
        name = postgres_database_url.rsplit("/", 1)[1]
        postgres_server.execute(
            f"ALTER DATABASE \"{name}\" SET default_transaction_isolation = '{isolation}'"
        )
    async with SQLStore(postgres_database_url) as store:
        org = await store.get_or_create_organization("Racing")
        task = await store.create_task(_task(org, status=TaskStatus.running))
        outcome: list[BaseException] = []

        async def fail_it() -> None:
            try:
                await store.update_task(task.task_id, TaskUpdate(status=TaskStatus.failed))
            except InvalidTransitionError as exc:
                outcome.append(exc)

        async with (
            _other_writer(
                postgres_database_url,
                "UPDATE tasks SET status = 'completed' WHERE task_id = %s",
                task.task_id,
            ) as other,
            anyio.create_task_group() as group,
        ):
            group.start_soon(fail_it)
            await _wait_until_blocked(postgres_database_url)
            await other.commit()
        assert len(outcome) == 1, "the later writer must see the committed final status"
        assert (await store.get_task(task.task_id)).status == TaskStatus.completed


async def test_queue_claim_passes_over_a_task_being_claimed(
    pg_store: SQLStore, postgres_database_url: str
) -> None:
    org = await pg_store.get_or_create_organization("Queue")
    first = await pg_store.create_task(_task(org, status=TaskStatus.queued, created_at=T0))
    second = await pg_store.create_task(
        _task(org, status=TaskStatus.queued, created_at=T0 + timedelta(seconds=1))
    )
    async with _other_writer(
        postgres_database_url, "SELECT 1 FROM tasks WHERE task_id = %s FOR UPDATE", first.task_id
    ):
        # No waiting on the locked oldest task: the next one is taken at once.
        with anyio.fail_after(5):
            claimed = await pg_store.claim_task("w", lease_seconds=30)
            assert claimed is not None and claimed.task_id == second.task_id
            assert await pg_store.claim_task("w", lease_seconds=30) is None
    claimed = await pg_store.claim_task("w", lease_seconds=30)
    assert claimed is not None and claimed.task_id == first.task_id


async def test_claim_of_a_named_task_waits_for_another_writer(
    pg_store: SQLStore, postgres_database_url: str
) -> None:
    org = await pg_store.get_or_create_organization("Named")
    touched = await pg_store.create_task(_task(org, status=TaskStatus.queued))
    taken = await pg_store.create_task(_task(org, status=TaskStatus.queued))
    results: dict[str, Task | None] = {}

    async def claim(task_id: str) -> None:
        results[task_id] = await pg_store.claim_task("w", lease_seconds=30, task_id=task_id)

    # A writer that leaves the task queued: the claim goes ahead once it commits.
    async with (
        _other_writer(
            postgres_database_url,
            "UPDATE tasks SET proxy_note = 'checked' WHERE task_id = %s",
            touched.task_id,
        ) as other,
        anyio.create_task_group() as group,
    ):
        group.start_soon(claim, touched.task_id)
        await _wait_until_blocked(postgres_database_url)
        await other.commit()
    claimed = results[touched.task_id]
    assert claimed is not None and claimed.status == TaskStatus.running
    assert claimed.proxy_note == "checked"
    # A writer that claims it first: the claim finds it no longer queued.
    async with (
        _other_writer(
            postgres_database_url,
            "UPDATE tasks SET status = 'running', worker_id = 'other' WHERE task_id = %s",
            taken.task_id,
        ) as other,
        anyio.create_task_group() as group,
    ):
        group.start_soon(claim, taken.task_id)
        await _wait_until_blocked(postgres_database_url)
        await other.commit()
    assert results[taken.task_id] is None
    assert (await pg_store.get_task(taken.task_id)).worker_id == "other"


async def test_get_or_create_organization_loses_a_race_gracefully(
    pg_store: SQLStore, postgres_database_url: str
) -> None:
    found: list[Organization] = []

    async def get_or_create() -> None:
        found.append(await pg_store.get_or_create_organization("Initech"))

    async with (
        _other_writer(
            postgres_database_url,
            "INSERT INTO organizations (organization_id, name, created_at) "
            "VALUES ('o_winner', 'Initech', now())",
        ) as other,
        anyio.create_task_group() as group,
    ):
        group.start_soon(get_or_create)
        # Our INSERT waits on the unique name until the other transaction ends.
        await _wait_until_blocked(postgres_database_url)
        await other.commit()
    assert [o.organization_id for o in found] == ["o_winner"]


async def test_a_code_being_taken_is_not_given_again(
    pg_store: SQLStore, postgres_database_url: str
) -> None:
    org = await pg_store.get_or_create_organization("Codes")
    now = utcnow()
    ttl = now + timedelta(minutes=10)
    await pg_store.add_totp_code(org.organization_id, "ada", "111111", ttl)
    await anyio.sleep(0.002)
    newest = await pg_store.add_totp_code(org.organization_id, "ada", "222222", ttl)
    async with _other_writer(
        postgres_database_url,
        "UPDATE totp_codes SET used_at = now() WHERE totp_id = %s",
        newest.totp_id,
    ):
        with anyio.fail_after(5):
            assert await pg_store.take_totp_code(org.organization_id, "ada", now) == "111111"
    assert await pg_store.take_totp_code(org.organization_id, "ada", now) is None


async def test_a_delivery_claimed_meanwhile_is_not_claimed_again(
    pg_store: SQLStore, postgres_database_url: str
) -> None:
    org = await pg_store.get_or_create_organization("Hooks")
    task = await pg_store.create_task(_task(org))
    delivery = await pg_store.create_delivery(
        WebhookDelivery(
            delivery_id=ids.new_id("delivery"),
            task_id=task.task_id,
            organization_id=org.organization_id,
            url="https://hooks.example.com/",
            payload="{}",
            next_attempt_at=T0,
        )
    )
    results: list[WebhookDelivery | None] = []

    async def claim() -> None:
        until = T0 + timedelta(seconds=30)
        results.append(await pg_store.claim_delivery(delivery.delivery_id, now=T0, until=until))

    async with (
        _other_writer(
            postgres_database_url,
            "UPDATE webhook_deliveries SET next_attempt_at = %s WHERE delivery_id = %s",
            T0 + timedelta(seconds=60),
            delivery.delivery_id,
        ) as other,
        anyio.create_task_group() as group,
    ):
        group.start_soon(claim)
        await _wait_until_blocked(postgres_database_url)
        await other.commit()
    assert results == [None]
    (stored,) = await pg_store.list_deliveries(task.task_id)
    assert stored.next_attempt_at == T0 + timedelta(seconds=60)


# ---------------------------------------------------------------------- schema and types


async def test_migrated_schema_is_the_tables_module(
    pg_store: SQLStore, postgres_database_url: str
) -> None:
    engine = sa.create_engine(pg_store.sync_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()
    columns = _query(
        postgres_database_url,
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public'",
    )
    types = {(table, column): kind for table, column, kind in columns}
    json_columns = {
        ("tasks", "request"),
        ("tasks", "extracted_information"),
        ("tasks", "action_screenshot_artifact_ids"),
        ("steps", "actions"),
        ("steps", "action_results"),
        ("replay_entries", "fingerprint"),
        ("replay_entries", "actions"),
        ("replay_entries", "extraction"),
    }
    assert {key for key, kind in types.items() if kind in ("json", "jsonb")} == json_columns
    assert {types[key] for key in json_columns} == {"jsonb"}
    stamps = {key for key in types if key[1].endswith("_at") or key[1] == "at"}
    assert stamps and {types[key] for key in stamps} == {"timestamp with time zone"}


async def test_json_fields_round_trip_as_jsonb(
    pg_store: SQLStore, postgres_database_url: str
) -> None:
    org = await pg_store.get_or_create_organization("Json")
    extracted = {"ref": "A-1", "price": 12.5, "items": [1, None, True, "ü€"], "deep": {"x": []}}
    task = await pg_store.create_task(
        _task(
            org,
            request=TaskRequest(
                url="https://example.com/",
                navigation_goal="Fill",
                navigation_payload={"name": "Ada", "address": {"city": "Zürich", "zip": None}},
            ),
            extracted_information=extracted,
            action_screenshot_artifact_ids=["art_2", "art_1"],
        )
    )
    step = await pg_store.create_step(
        Step(
            step_id=ids.new_id("step"),
            task_id=task.task_id,
            organization_id=org.organization_id,
            order=0,
            actions=[ClickAction(element_id="e1"), InputTextAction(element_id="e2", text="Ada")],
            action_results=[ActionResult(success=True, data={"n": [1, 2]})],
        )
    )
    # The server sees structured values it can query, not text.
    (row,) = _query(
        postgres_database_url,
        "SELECT jsonb_typeof(t.request), t.request #>> '{navigation_payload,address,city}', "
        't.extracted_information @> \'{"ref": "A-1"}\'::jsonb, '
        "t.extracted_information -> 'items' -> 3, "
        "jsonb_array_length(t.action_screenshot_artifact_ids), "
        "jsonb_array_length(s.actions), s.actions -> 1 ->> 'text' "
        "FROM tasks t JOIN steps s ON s.task_id = t.task_id WHERE t.task_id = %s",
        task.task_id,
    )
    assert row == ("object", "Zürich", True, "ü€", 2, 2, "Ada")
    # A JSON null inside a value stays; a missing value is SQL NULL.
    assert _query(
        postgres_database_url,
        "SELECT request -> 'navigation_payload' -> 'address' -> 'zip' FROM tasks",
    ) == [(None,)]
    got = await pg_store.get_task(task.task_id)
    assert got == task and got.extracted_information == extracted
    assert (await pg_store.list_steps(task.task_id)) == [step]
    cleared = await pg_store.update_task(task.task_id, TaskUpdate(extracted_information=None))
    assert cleared.extracted_information is None
    assert _query(postgres_database_url, "SELECT extracted_information IS NULL FROM tasks") == [
        (True,)
    ]


async def test_server_defaults_do_not_change_the_store(
    postgres_server: PostgresServer, postgres_database_url: str
) -> None:
    # A server configured differently from ours: another time zone, a stricter isolation.
    name = postgres_database_url.rsplit("/", 1)[1]
    postgres_server.execute(
        f"ALTER DATABASE \"{name}\" SET default_transaction_isolation = 'serializable'"
    )
    postgres_server.execute(f"ALTER DATABASE \"{name}\" SET timezone = 'Asia/Kolkata'")
    async with SQLStore(postgres_database_url) as store:
        org = await store.get_or_create_organization("Elsewhere")
        paris = timezone(timedelta(hours=2))
        created = datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=paris)
        task = await store.create_task(_task(org, status=TaskStatus.running, created_at=created))
        got = await store.get_task(task.task_id)
        assert got.created_at == datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
        assert got.created_at.utcoffset() == timedelta(0)
        (stored,) = _query(postgres_database_url, "SELECT created_at AT TIME ZONE 'UTC' FROM tasks")
        assert stored == (datetime(2024, 5, 1, 12, 0, 0, 123456),)

        # Racing final transitions still have one winner and no serialization failures.
        outcomes: list[str] = []

        async def finish(status: TaskStatus) -> None:
            try:
                await store.update_task(task.task_id, TaskUpdate(status=status))
            except InvalidTransitionError:
                outcomes.append("lost")
            else:
                outcomes.append("won")

        async with anyio.create_task_group() as group:
            for status in [TaskStatus.completed, TaskStatus.failed, TaskStatus.canceled] * 3:
                group.start_soon(finish, status)
        assert sorted(outcomes) == ["lost"] * 8 + ["won"]


# ---------------------------------------------------------------------- pool


async def test_a_small_pool_serves_many_concurrent_callers(postgres_database_url: str) -> None:
    async with SQLStore(postgres_database_url, pool_size=1) as store:
        org = await store.get_or_create_organization("Busy")
        for _ in range(20):
            await store.create_task(_task(org, status=TaskStatus.queued))
        claimed: list[str] = []

        async def claim(n: int) -> None:
            while (task := await store.claim_task(f"w{n}", lease_seconds=30)) is not None:
                claimed.append(task.task_id)

        async with anyio.create_task_group() as group:
            for n in range(8):
                group.start_soon(claim, n)
        assert len(claimed) == len(set(claimed)) == 20
    with pytest.raises(ValueError, match="pool_size"):
        SQLStore(postgres_database_url, pool_size=0)


# ---------------------------------------------------------------------- plugin


async def test_postgres_plugin_is_found_by_name_and_builds_the_store(
    postgres_database_url: str, tmp_path: Path
) -> None:
    registry = PluginRegistry(only=["postgres"])
    assert registry.errors == []
    factory = registry.store_factory("postgres")

    def context(database_url: str | None) -> BackendContext:
        settings = Settings(data_dir=tmp_path, database_url=database_url, database_pool_size=3)
        return BackendContext(settings, registry)

    store = factory(context(postgres_database_url))
    assert isinstance(store, SQLStore)
    assert (store.dialect, store.pool_size) == ("postgresql", 3)
    async with store:
        org = await store.get_or_create_organization("Plugged")
        assert await store.get_organization(org.organization_id) == org

    for refused in (f"sqlite:///{tmp_path / 'skyvern.db'}", "mysql://root:hunter2@db/x", None):
        with pytest.raises(ConfigurationError, match="SKYVERN_DATABASE_URL") as info:
            factory(context(refused))
        assert "hunter2" not in str(info.value)
