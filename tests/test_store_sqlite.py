"""The SQL store on SQLite: the store contract, plus what only a database file can show."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import anyio
import pytest

from skyvern_core import ids
from skyvern_core.config import Settings
from skyvern_core.db import migrate
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.errors import ConfigurationError
from skyvern_core.models import (
    ActionResult,
    ClickAction,
    DeliveryStatus,
    InputTextAction,
    Organization,
    Step,
    StepStatus,
    Task,
    TaskRequest,
    TaskStatus,
    WebhookDelivery,
    utcnow,
)
from skyvern_core.plugins import BackendContext, PluginRegistry
from skyvern_core.storage import StepUpdate, TaskUpdate
from skyvern_core.testing.store_contract import StoreContract

ROOT = Path(__file__).resolve().parents[1]


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
async def sql_store(tmp_path: Path) -> AsyncIterator[SQLStore]:
    store = SQLStore(_url(tmp_path / "data" / "skyvern.db"))
    await store.open()
    yield store
    await store.close()


class TestSQLiteStore(StoreContract):
    """The whole contract, on a fresh SQLite file per test."""

    @pytest.fixture
    async def store(self, sql_store: SQLStore) -> SQLStore:
        return sql_store


async def _org_and_task(store: SQLStore) -> tuple[Organization, Task]:
    org = await store.get_or_create_organization("Acme")
    task = await store.create_task(
        Task(
            task_id=ids.new_id("task"),
            organization_id=org.organization_id,
            request=TaskRequest(
                url="https://example.com/",
                navigation_goal="Sign up",
                navigation_payload={"name": "Ada", "langs": ["en", "fr"]},
            ),
            max_steps=5,
            extracted_information={"ref": "A-1", "n": 2.5},
        )
    )
    return org, task


async def test_database_uses_wal(tmp_path: Path, sql_store: SQLStore) -> None:
    await _org_and_task(sql_store)
    with sqlite3.connect(tmp_path / "data" / "skyvern.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_another_process_reads_what_was_written(sql_store: SQLStore) -> None:
    org, task = await _org_and_task(sql_store)
    task = await sql_store.update_task(task.task_id, TaskUpdate(status=TaskStatus.queued))
    for order in range(2):
        step = Step(
            step_id=ids.new_id("step"),
            task_id=task.task_id,
            organization_id=org.organization_id,
            order=order,
            actions=[ClickAction(element_id="e1"), InputTextAction(element_id="e2", text="Ada")],
            action_results=[ActionResult(success=True, data={"x": [1, 2]})],
            input_token_count=100 + order,
            cost=0.01,
        )
        await sql_store.create_step(step)
        await sql_store.update_step(step.step_id, StepUpdate(status=StepStatus.running))
    script = """
import json, sys, anyio
from skyvern_core.db.sqlstore import SQLStore

async def main():
    async with SQLStore(sys.argv[1]) as store:
        task = await store.get_task(sys.argv[2])
        steps = await store.list_steps(task.task_id)
        print(json.dumps({
            "task": task.model_dump(mode="json"),
            "steps": [s.model_dump(mode="json") for s in steps],
        }))

anyio.run(main)
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}
    result = await anyio.run_process(
        [sys.executable, "-c", script, sql_store.sync_url, task.task_id], env=env, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    seen = json.loads(result.stdout)
    assert seen["task"] == task.model_dump(mode="json")
    steps = await sql_store.list_steps(task.task_id)
    assert seen["steps"] == [s.model_dump(mode="json") for s in steps]
    assert [s["status"] for s in seen["steps"]] == ["running", "running"]


async def test_open_migrates_to_head_and_reopening_keeps_data(tmp_path: Path) -> None:
    url = _url(tmp_path / "nested" / "folder" / "skyvern.db")
    store = SQLStore(url)
    await store.open()
    await store.open()  # a second open of the same object does nothing
    assert migrate.current_revision(store.sync_url) == migrate.head_revision() is not None
    _, task = await _org_and_task(store)
    await store.close()

    async with SQLStore(url) as again:
        assert migrate.current_revision(again.sync_url) == migrate.head_revision()
        assert await again.get_task(task.task_id) == task


async def test_older_database_is_upgraded_without_data_loss(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    migrate.upgrade(_url(path), "0001")
    # Rows as an older version left them, written without skyvern-core's own code.
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO organizations (organization_id, name, created_at) "
            "VALUES ('o_old', 'Old Org', '2024-01-02 03:04:05.000000')"
        )
        conn.execute(
            "INSERT INTO tasks (task_id, organization_id, status, request, max_steps, "
            "action_screenshot_artifact_ids, input_token_count, output_token_count, "
            "created_at, modified_at) VALUES ('tsk_old', 'o_old', 'completed', ?, 3, '[]', "
            "7, 8, '2024-01-02 03:04:05.000000', '2024-01-02 03:04:06.000000')",
            (json.dumps({"url": "https://old.example.com/", "navigation_goal": "Go"}),),
        )
    async with SQLStore(_url(path)) as store:
        assert migrate.current_revision(store.sync_url) == migrate.head_revision()
        task = await store.get_task("tsk_old", "o_old")
        assert task.status == TaskStatus.completed
        assert task.request.url == "https://old.example.com/"
        assert (task.input_token_count, task.output_token_count) == (7, 8)
        assert task.created_at.isoformat() == "2024-01-02T03:04:05+00:00"
        assert [o.name for o in [await store.get_organization("o_old")]] == ["Old Org"]


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


async def test_0001_database_gains_webhooks_and_totp_with_its_task_intact(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    url = _url(path)
    migrate.upgrade(url, "0001")
    assert migrate.current_revision(url) == "0001"
    # A database as version 0001 of skyvern-core left it: a task with a step.
    async with SQLStore(_url(tmp_path / "scratch.db")) as scratch:
        org, task = await _org_and_task(scratch)
        task = await scratch.update_task(
            task.task_id, TaskUpdate(status=TaskStatus.queued, failure_reason=None, cost=0.25)
        )
    with sqlite3.connect(path) as conn, sqlite3.connect(tmp_path / "scratch.db") as old:
        for table in ("organizations", "tasks"):
            # The columns version 0001 had (later versions added some).
            names = ",".join(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
            rows = old.execute(f"SELECT {names} FROM {table}").fetchall()
            marks = ",".join("?" * len(rows[0]))
            conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    assert "webhook_deliveries" not in _tables(path)

    migrate.upgrade(url)
    assert migrate.current_revision(url) == migrate.head_revision()
    assert {"webhook_deliveries", "webhook_attempts", "totp_codes"} <= _tables(path)
    async with SQLStore(url) as store:
        assert await store.get_task(task.task_id, org.organization_id) == task
        assert await store.get_organization(org.organization_id) == org
        # The new records work with the rows that were already there.
        delivery = await store.create_delivery(
            WebhookDelivery(
                delivery_id=ids.new_id("delivery"),
                task_id=task.task_id,
                organization_id=org.organization_id,
                url="https://hooks.example.com/",
                payload="{}",
            )
        )
        await store.record_attempt(
            delivery.delivery_id,
            at=utcnow(),
            http_status=200,
            error=None,
            duration_ms=1.0,
            status=DeliveryStatus.delivered,
        )
        now = utcnow()
        await store.add_totp_code(
            org.organization_id, "ada@example.com", "123456", now + timedelta(minutes=10)
        )
        assert await store.take_totp_code(org.organization_id, "ada@example.com", now) == "123456"

    # And the revisions can be undone, leaving the older data as it was.
    migrate.upgrade(url)  # already at head: nothing to do
    from alembic import command

    command.downgrade(migrate.alembic_config(url), "0001")
    assert migrate.current_revision(url) == "0001"
    assert "webhook_deliveries" not in _tables(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT task_id FROM tasks").fetchall() == [(task.task_id,)]


async def test_two_stores_on_one_file_write_concurrently(sql_store: SQLStore) -> None:
    # Two stores stand in for two processes: only SQLite's own locking keeps them apart.
    other = SQLStore(sql_store.sync_url)
    await other.open()
    try:
        org = await sql_store.get_or_create_organization("Busy")

        async def work(store: SQLStore, n: int) -> None:
            task = await store.create_task(
                Task(
                    task_id=ids.new_id("task"),
                    organization_id=org.organization_id,
                    request=TaskRequest(url="https://example.com/", navigation_goal="Go"),
                    max_steps=3,
                    status=TaskStatus.queued,
                )
            )
            claimed = await store.claim_task(f"w{n}", lease_seconds=30, task_id=task.task_id)
            assert claimed is not None
            await store.update_task(task.task_id, TaskUpdate(status=TaskStatus.completed, cost=n))

        async with anyio.create_task_group() as group:
            for n in range(40):
                group.start_soon(work, (sql_store, other)[n % 2], n)
        tasks = await sql_store.list_tasks(org.organization_id, page_size=100)
        assert len(tasks) == 40
        assert {t.status for t in tasks} == {TaskStatus.completed}
    finally:
        await other.close()


@pytest.mark.parametrize(
    "url", ["not a url", "mysql://user@host/db", "sqlite://", "sqlite:///:memory:"]
)
def test_unusable_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError, match="SKYVERN_DATABASE_URL"):
        SQLStore(url)


def test_sqlite_plugin_builds_the_store_and_refuses_other_databases(tmp_path: Path) -> None:
    import skyvern_plugins.sqlite

    registry = PluginRegistry(entry_points=False)
    registry.register(skyvern_plugins.sqlite, name="sqlite")
    factory = registry.store_factory("sqlite")

    def context(database_url: str | None) -> BackendContext:
        return BackendContext(Settings(data_dir=tmp_path, database_url=database_url), registry)

    store = factory(context(None))
    assert isinstance(store, SQLStore)
    assert store.sync_url == _url(tmp_path / "skyvern.db")
    with pytest.raises(ConfigurationError, match="SKYVERN_DATABASE_URL") as info:
        factory(context("postgresql://admin:hunter2@db/skyvern"))
    assert "hunter2" not in str(info.value)


async def test_debug_logs_do_not_carry_a_stored_payload(
    sql_store: SQLStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    org = await sql_store.get_or_create_organization("Acme")
    secret = "correct-horse-battery-staple"
    task = await sql_store.create_task(
        Task(
            task_id=ids.new_id("task"),
            organization_id=org.organization_id,
            request=TaskRequest(
                url="https://example.com/",
                navigation_goal="Sign in",
                navigation_payload={"username": "ada", "password": secret},
            ),
            max_steps=5,
        )
    )
    assert (await sql_store.get_task(task.task_id)).request.navigation_payload["password"] == secret
    assert logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
    assert secret not in caplog.text


async def test_0002_database_gains_attempts_and_its_finished_tasks_reach_the_sweeper(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v2.db"
    url = _url(path)
    migrate.upgrade(url, "0002")
    # A task as version 0002 left it: finished, with a webhook URL in its request only.
    request = {
        "url": "https://example.com/",
        "navigation_goal": "Sign up",
        "webhook_callback_url": "https://hooks.example.com/done",
        "proxy_location": "NONE",
    }
    now = utcnow().replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO organizations (organization_id, name, created_at) VALUES (?, ?, ?)",
            ("o_1", "Acme", now),
        )
        conn.execute(
            "INSERT INTO tasks (task_id, organization_id, status, request, max_steps,"
            " action_screenshot_artifact_ids, input_token_count, output_token_count,"
            " created_at, modified_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            ("tsk_1", "o_1", "completed", json.dumps(request), 5, "[]", 0, 0, now, now, now),
        )
    migrate.upgrade(url)
    async with SQLStore(url) as store:
        task = await store.get_task("tsk_1")
        assert (task.status, task.attempt) == (TaskStatus.completed, 1)
        # Its webhook URL became a column: the sweeper finds it has no delivery.
        missing = await store.tasks_missing_delivery(utcnow())
        assert [t.task_id for t in missing] == ["tsk_1"]


async def test_0003_database_gains_replays_and_keeps_its_steps(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    url = _url(path)
    migrate.upgrade(url, "0003")
    request = {"url": "https://example.com/", "navigation_goal": "Sign up"}
    now = utcnow().replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO organizations (organization_id, name, created_at) VALUES (?, ?, ?)",
            ("o_1", "Acme", now),
        )
        conn.execute(
            "INSERT INTO tasks (task_id, organization_id, status, request, max_steps,"
            " action_screenshot_artifact_ids, input_token_count, output_token_count,"
            " created_at, modified_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            ("tsk_1", "o_1", "completed", json.dumps(request), 5, "[]", 900, 60, now, now),
        )
        conn.execute(
            'INSERT INTO steps (step_id, task_id, organization_id, status, "order",'
            " retry_index, input_token_count, output_token_count, actions, action_results,"
            " is_last, created_at, modified_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            ("stp_1", "tsk_1", "o_1", "completed", 0, 0, 900, 60, "[]", "[]", 1, now, now),
        )
    assert "replay_entries" not in _tables(path)
    migrate.upgrade(url)
    assert "replay_entries" in _tables(path)
    async with SQLStore(url) as store:
        task = await store.get_task("tsk_1")
        assert (task.replayed_steps, task.input_token_count) == (0, 900)
        (step,) = await store.list_steps("tsk_1")
        assert step.decided_by is None and step.input_token_count == 900
        assert await store.list_replay_entries("o_1") == []
