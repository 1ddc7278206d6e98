"""The behaviour every :class:`~skyvern_core.protocols.Store` must have, as a pytest suite.

Subclass :class:`StoreContract` in a test module and provide a ``store`` fixture that yields
an opened, empty store::

    from skyvern_core.testing.store_contract import StoreContract

    class TestMyStore(StoreContract):
        @pytest.fixture
        async def store(self, tmp_path):
            store = MyStore(tmp_path / "db")
            await store.open()
            yield store
            await store.close()

The tests are ``async``: run them with pytest-asyncio (``asyncio_mode = "auto"``, or decorate
the fixture with ``pytest_asyncio.fixture`` in strict mode).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import anyio
import pytest

from skyvern_core import ids
from skyvern_core.errors import InvalidTransitionError, LostClaimError, NotFoundError, StoreError
from skyvern_core.models import (
    TASK_TRANSITIONS,
    ActionResult,
    Artifact,
    ArtifactKind,
    ClickAction,
    DeliveryStatus,
    InputTextAction,
    Organization,
    ProxyLocation,
    ScrollAction,
    SelectOptionAction,
    Step,
    StepStatus,
    Task,
    TaskRequest,
    TaskStatus,
    TerminateAction,
    WebhookDelivery,
    utcnow,
)
from skyvern_core.protocols import Store

__all__ = ["StoreContract"]

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
FINAL = [TaskStatus.completed, TaskStatus.failed, TaskStatus.terminated, TaskStatus.canceled]


async def _org(store: Store, name: str | None = None) -> Organization:
    org_id = ids.new_id("organization")
    return await store.create_organization(
        Organization(organization_id=org_id, name=name or f"org {org_id}")
    )


def _task(org: Organization, **fields: Any) -> Task:
    values: dict[str, Any] = {
        "task_id": ids.new_id("task"),
        "organization_id": org.organization_id,
        "request": TaskRequest(url="https://example.com/", navigation_goal="Sign up"),
        "max_steps": 5,
    }
    return Task(**(values | fields))


def _step(task: Task, order: int = 0, retry_index: int = 0, **fields: Any) -> Step:
    values: dict[str, Any] = {
        "step_id": ids.new_id("step"),
        "task_id": task.task_id,
        "organization_id": task.organization_id,
        "order": order,
        "retry_index": retry_index,
    }
    return Step(**(values | fields))


def _artifact(task: Task, created_at: datetime, **fields: Any) -> Artifact:
    values: dict[str, Any] = {
        "artifact_id": ids.new_id("artifact"),
        "task_id": task.task_id,
        "organization_id": task.organization_id,
        "kind": ArtifactKind.action_screenshot,
        "uri": f"file:///artifacts/{task.task_id}/{created_at.timestamp()}.png",
        "created_at": created_at,
    }
    return Artifact(**(values | fields))


def _delivery(task: Task, url: str = "https://hooks.example.com/done", **fields: Any) -> Any:
    values: dict[str, Any] = {
        "delivery_id": ids.new_id("delivery"),
        "task_id": task.task_id,
        "organization_id": task.organization_id,
        "url": url,
        "payload": json.dumps({"task_id": task.task_id, "status": "completed"}),
    }
    return WebhookDelivery(**(values | fields))


def _assert_utc(record: Any) -> None:
    for name, value in record:
        if isinstance(value, datetime):
            assert value.utcoffset() == timedelta(0), f"{name} is not timezone-aware UTC: {value!r}"


class StoreContract:
    """Tests every store must pass; subclasses provide the ``store`` fixture."""

    pytestmark = pytest.mark.asyncio

    # ------------------------------------------------------------------ tasks

    @pytest.mark.parametrize(
        "extracted",
        [
            {"ref": "A-1", "items": [1, 2.5, None, True], "nested": {"deep": ["x"]}},
            [{"a": 1}, "x", 3],
            "plain text",
            42,
            0.25,
            False,
            None,
        ],
    )
    async def test_task_round_trip_keeps_every_field(self, store: Store, extracted: Any) -> None:
        org = await _org(store)
        paris = timezone(timedelta(hours=2))
        request = TaskRequest(
            url="https://example.com/form?q=1",
            navigation_goal="Fill the form",
            data_extraction_goal="Get the reference number",
            navigation_payload={"name": "Ada", "tags": ["a", "b"], "address": {"zip": None}},
            webhook_callback_url="https://hooks.example.com/done",
            proxy_location=ProxyLocation.RESIDENTIAL_GB,
            extracted_information_schema={
                "type": "object",
                "properties": {"ref": {"type": "string"}},
            },
            totp_verification_url="https://otp.example.com/code",
            totp_identifier="ada@example.com",
            max_steps=7,
        )
        task = _task(
            org,
            status=TaskStatus.running,
            request=request,
            max_steps=7,
            extracted_information=extracted,
            failure_reason="nothing yet",
            screenshot_artifact_id="art_final",
            recording_artifact_id="art_video",
            action_screenshot_artifact_ids=["art_2", "art_1"],
            proxy_note="served directly",
            input_token_count=1234,
            output_token_count=56,
            cost=0.0125,
            worker_id="worker-1",
            lease_expires_at=T0 + timedelta(minutes=5),
            created_at=datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=paris),
            modified_at=T0 + timedelta(seconds=1),
            started_at=T0 + timedelta(seconds=2),
            finished_at=T0 + timedelta(seconds=3),
        )
        created = await store.create_task(task)
        got = await store.get_task(task.task_id)
        assert created == task
        assert got == task
        assert got.request.navigation_payload == {
            "name": "Ada",
            "tags": ["a", "b"],
            "address": {"zip": None},
        }
        assert got.extracted_information == extracted
        assert type(got.extracted_information) is type(extracted)
        assert got.created_at == T0 + timedelta(microseconds=123456)
        _assert_utc(got)

    async def test_create_task_needs_an_existing_organization(self, store: Store) -> None:
        ghost = Organization(organization_id=ids.new_id("organization"), name="ghost")
        with pytest.raises(NotFoundError):
            await store.create_task(_task(ghost))

    async def test_create_task_twice_fails(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        with pytest.raises(StoreError):
            await store.create_task(task)

    async def test_get_task_of_another_organization_is_not_found(self, store: Store) -> None:
        mine, other = await _org(store), await _org(store)
        task = await store.create_task(_task(mine))
        with pytest.raises(NotFoundError, match="not found") as info:
            await store.get_task(task.task_id, other.organization_id)
        assert other.organization_id not in str(info.value)
        assert (await store.get_task(task.task_id, mine.organization_id)).task_id == task.task_id

    async def test_get_missing_task_is_not_found(self, store: Store) -> None:
        with pytest.raises(NotFoundError):
            await store.get_task(ids.new_id("task"))

    async def test_list_tasks_pages_newest_first(self, store: Store) -> None:
        org, other = await _org(store), await _org(store)
        tasks = [_task(org, created_at=T0 + timedelta(minutes=i)) for i in range(5)]
        for i in (2, 0, 4, 1, 3):
            await store.create_task(tasks[i])
        await store.create_task(_task(other, created_at=T0 + timedelta(hours=1)))
        newest_first = [t.task_id for t in reversed(tasks)]

        pages = [
            [t.task_id for t in await store.list_tasks(org.organization_id, page=p, page_size=2)]
            for p in (1, 2, 3, 4)
        ]
        assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:], []]
        everything = await store.list_tasks(org.organization_id, page_size=100)
        assert [t.task_id for t in everything] == newest_first

    async def test_list_tasks_breaks_timestamp_ties_by_id(self, store: Store) -> None:
        org = await _org(store)
        first, second = _task(org, created_at=T0), _task(org, created_at=T0)
        await store.create_task(first)
        await store.create_task(second)
        listed = await store.list_tasks(org.organization_id)
        assert [t.task_id for t in listed] == [second.task_id, first.task_id]

    @pytest.mark.parametrize(("page", "page_size"), [(0, 10), (-1, 10), (1, 0)])
    async def test_list_tasks_rejects_bad_pages(
        self, store: Store, page: int, page_size: int
    ) -> None:
        org = await _org(store)
        with pytest.raises(ValueError):
            await store.list_tasks(org.organization_id, page=page, page_size=page_size)

    async def test_every_legal_task_transition(self, store: Store) -> None:
        org = await _org(store)
        for current, allowed in TASK_TRANSITIONS.items():
            for new in allowed:
                task = await store.create_task(_task(org, status=current))
                updated = await store.update_task(task.task_id, status=new)
                assert updated.status == new, (current, new)
                assert (await store.get_task(task.task_id)).status == new, (current, new)

    async def test_illegal_task_transitions_raise_and_change_nothing(self, store: Store) -> None:
        org = await _org(store)
        illegal = [(c, n) for c in TaskStatus for n in TaskStatus if n not in TASK_TRANSITIONS[c]]
        assert (TaskStatus.created, TaskStatus.running) in illegal
        assert (TaskStatus.queued, TaskStatus.completed) in illegal
        for current, new in illegal:
            task = await store.create_task(_task(org, status=current))
            with pytest.raises(InvalidTransitionError):
                await store.update_task(task.task_id, status=new, failure_reason="not stored")
            stored = await store.get_task(task.task_id)
            assert (stored.status, stored.failure_reason) == (current, None), (current, new)

    async def test_racing_final_transitions_have_one_winner(self, store: Store) -> None:
        org = await _org(store)
        task = await store.create_task(_task(org, status=TaskStatus.running))
        wins: list[TaskStatus] = []
        losses: list[InvalidTransitionError] = []

        async def finish(status: TaskStatus) -> None:
            try:
                await store.update_task(task.task_id, status=status)
            except InvalidTransitionError as exc:
                losses.append(exc)
            else:
                wins.append(status)

        async with anyio.create_task_group() as group:
            for status in FINAL * 2:
                group.start_soon(finish, status)
        assert len(wins) == 1
        assert len(losses) == len(FINAL) * 2 - 1
        assert (await store.get_task(task.task_id)).status == wins[0]

    async def test_update_task_changes_fields_and_modified_at(self, store: Store) -> None:
        org = await _org(store)
        task = await store.create_task(_task(org, status=TaskStatus.running))
        updated = await store.update_task(
            task.task_id,
            status=TaskStatus.completed,
            extracted_information={"ref": "A-1"},
            input_token_count=10,
            output_token_count=2,
            cost=0.5,
            screenshot_artifact_id="art_final",
            action_screenshot_artifact_ids=["art_b", "art_a"],
            finished_at=T0,
        )
        stored = await store.get_task(task.task_id)
        assert stored == updated
        assert stored.status == TaskStatus.completed
        assert stored.extracted_information == {"ref": "A-1"}
        assert (stored.input_token_count, stored.output_token_count, stored.cost) == (10, 2, 0.5)
        assert stored.action_screenshot_artifact_ids == ["art_b", "art_a"]
        assert stored.finished_at == T0
        assert stored.request == task.request
        assert stored.modified_at > task.modified_at
        again = await store.update_task(task.task_id, proxy_note="checked")
        assert again.modified_at > stored.modified_at

    @pytest.mark.parametrize(
        "field", ["no_such_field", "organization_id", "created_at", "steps", "screenshot_url"]
    )
    async def test_update_task_rejects_unknown_or_fixed_fields(
        self, store: Store, field: str
    ) -> None:
        task = await store.create_task(_task(await _org(store)))
        change: dict[str, Any] = {field: "x"}
        with pytest.raises(ValueError, match=field):
            await store.update_task(task.task_id, **change)
        assert await store.get_task(task.task_id) == task

    async def test_update_missing_task_is_not_found(self, store: Store) -> None:
        with pytest.raises(NotFoundError):
            await store.update_task(ids.new_id("task"), status=TaskStatus.queued)

    async def test_returned_tasks_are_copies(self, store: Store) -> None:
        org = await _org(store)
        task = await store.create_task(_task(org, extracted_information={"a": [1]}))
        got = await store.get_task(task.task_id)
        got.extracted_information["a"].append(2)
        got.action_screenshot_artifact_ids.append("art_x")
        got.request.navigation_goal = "changed"
        assert await store.get_task(task.task_id) == task

    # ------------------------------------------------------------------ steps

    async def test_step_round_trip(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        step = _step(
            task,
            order=3,
            retry_index=1,
            status=StepStatus.completed,
            input_token_count=900,
            output_token_count=80,
            cost=0.003,
            reasoning="The form is visible; fill it.",
            actions=[
                ClickAction(element_id="e1", reasoning="open the form"),
                InputTextAction(element_id="e2", text="Ada Lovelace"),
                SelectOptionAction(element_id="e3", option="France"),
                ScrollAction(direction="up"),
                TerminateAction(reason="captcha"),
            ],
            action_results=[
                ActionResult(success=True, data={"clicked": "e1", "n": [1, 2]}),
                ActionResult(success=False, error="no such option", screenshot_artifact_id="a"),
            ],
            failure_reason="captcha",
            page_url="https://example.com/form",
            is_last=True,
            created_at=T0,
            modified_at=T0 + timedelta(seconds=1),
        )
        assert await store.create_step(step) == step
        (got,) = await store.list_steps(task.task_id)
        assert got == step
        assert [type(a) for a in got.actions] == [type(a) for a in step.actions]
        _assert_utc(got)

    async def test_steps_are_listed_by_order_then_retry(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        for order, retry in [(2, 0), (1, 1), (0, 0), (1, 0)]:
            await store.create_step(_step(task, order, retry))
        listed = await store.list_steps(task.task_id)
        assert [(s.order, s.retry_index) for s in listed] == [(0, 0), (1, 0), (1, 1), (2, 0)]

    async def test_update_step_checks_transitions(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        step = await store.create_step(_step(task))
        with pytest.raises(InvalidTransitionError):
            await store.update_step(step.step_id, status=StepStatus.completed)
        running = await store.update_step(step.step_id, status=StepStatus.running)
        assert running.modified_at > step.modified_at
        done = await store.update_step(
            step.step_id,
            status=StepStatus.completed,
            actions=[ClickAction(element_id="e9")],
            action_results=[ActionResult(success=True)],
            input_token_count=5,
            output_token_count=6,
            cost=0.01,
        )
        for illegal in (StepStatus.running, StepStatus.failed, StepStatus.created):
            with pytest.raises(InvalidTransitionError):
                await store.update_step(step.step_id, status=illegal)
        (stored,) = await store.list_steps(task.task_id)
        assert stored == done
        assert stored.status == StepStatus.completed
        assert stored.actions == [ClickAction(element_id="e9")]
        assert (stored.input_token_count, stored.output_token_count, stored.cost) == (5, 6, 0.01)

    async def test_update_step_rejects_unknown_fields_and_missing_steps(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        step = await store.create_step(_step(task))
        with pytest.raises(ValueError, match="colour"):
            await store.update_step(step.step_id, colour="blue")
        with pytest.raises(ValueError, match="task_id"):
            await store.update_step(step.step_id, task_id=ids.new_id("task"))
        with pytest.raises(NotFoundError):
            await store.update_step(ids.new_id("step"), status=StepStatus.running)

    async def test_steps_of_another_organization_are_not_found(self, store: Store) -> None:
        mine, other = await _org(store), await _org(store)
        task = await store.create_task(_task(mine))
        await store.create_step(_step(task))
        with pytest.raises(NotFoundError):
            await store.list_steps(task.task_id, other.organization_id)
        with pytest.raises(NotFoundError):
            await store.create_step(_step(task, organization_id=other.organization_id))
        assert len(await store.list_steps(task.task_id, mine.organization_id)) == 1

    # ------------------------------------------------------------------ queue

    async def test_claim_takes_the_oldest_queued_task(self, store: Store) -> None:
        org = await _org(store)
        await store.create_task(_task(org, status=TaskStatus.created, created_at=T0))
        await store.create_task(_task(org, status=TaskStatus.running, created_at=T0))
        newer = await store.create_task(
            _task(org, status=TaskStatus.queued, created_at=T0 + timedelta(minutes=2))
        )
        older = await store.create_task(
            _task(org, status=TaskStatus.queued, created_at=T0 + timedelta(minutes=1))
        )
        before = utcnow()
        claimed = await store.claim_task("worker-a", lease_seconds=30)
        after = utcnow()
        assert claimed is not None and claimed.task_id == older.task_id
        assert claimed.status == TaskStatus.running
        assert claimed.worker_id == "worker-a"
        assert claimed.lease_expires_at is not None and claimed.started_at is not None
        lease = timedelta(seconds=30)
        assert before + lease <= claimed.lease_expires_at <= after + lease
        assert await store.get_task(older.task_id) == claimed
        second = await store.claim_task("worker-b", lease_seconds=30)
        assert second is not None and second.task_id == newer.task_id
        assert await store.claim_task("worker-c", lease_seconds=30) is None

    async def test_claim_a_given_task(self, store: Store) -> None:
        org = await _org(store)
        first = await store.create_task(_task(org, status=TaskStatus.queued, created_at=T0))
        wanted = await store.create_task(
            _task(org, status=TaskStatus.queued, created_at=T0 + timedelta(minutes=1))
        )
        waiting = await store.create_task(_task(org, status=TaskStatus.created))
        claimed = await store.claim_task("w", lease_seconds=10, task_id=wanted.task_id)
        assert claimed is not None and claimed.task_id == wanted.task_id
        assert await store.claim_task("w", lease_seconds=10, task_id=wanted.task_id) is None
        assert await store.claim_task("w", lease_seconds=10, task_id=waiting.task_id) is None
        assert await store.claim_task("w", lease_seconds=10, task_id=ids.new_id("task")) is None
        assert (await store.get_task(first.task_id)).status == TaskStatus.queued

    async def test_claim_with_nothing_queued_returns_none(self, store: Store) -> None:
        assert await store.claim_task("w", lease_seconds=10) is None

    async def test_concurrent_claimers_of_one_task_have_one_winner(self, store: Store) -> None:
        org = await _org(store)
        task = await store.create_task(_task(org, status=TaskStatus.queued))
        results: list[Task | None] = []

        async def claim(worker: str) -> None:
            results.append(await store.claim_task(worker, lease_seconds=30))

        async with anyio.create_task_group() as group:
            for n in range(8):
                group.start_soon(claim, f"worker-{n}")
        winners = [r for r in results if r is not None]
        assert len(winners) == 1 and winners[0].task_id == task.task_id
        assert (await store.get_task(task.task_id)).worker_id == winners[0].worker_id

    async def test_concurrent_claimers_share_a_queue_without_doubles(self, store: Store) -> None:
        org = await _org(store)
        queued = {
            (await store.create_task(_task(org, status=TaskStatus.queued))).task_id
            for _ in range(5)
        }
        claimed: list[str] = []

        async def claim(worker: str) -> None:
            while (task := await store.claim_task(worker, lease_seconds=30)) is not None:
                claimed.append(task.task_id)

        async with anyio.create_task_group() as group:
            for n in range(4):
                group.start_soon(claim, f"worker-{n}")
        assert sorted(claimed) == sorted(queued)

    async def test_renew_lease_only_for_the_holder(self, store: Store) -> None:
        org = await _org(store)
        await store.create_task(_task(org, status=TaskStatus.queued))
        task = await store.claim_task("holder", lease_seconds=30)
        assert task is not None and task.lease_expires_at is not None
        assert await store.renew_lease(task.task_id, "holder", lease_seconds=600)
        renewed = await store.get_task(task.task_id)
        assert renewed.lease_expires_at is not None
        assert renewed.lease_expires_at > task.lease_expires_at + timedelta(seconds=500)
        assert not await store.renew_lease(task.task_id, "intruder", lease_seconds=600)
        await store.update_task(task.task_id, status=TaskStatus.completed)
        assert not await store.renew_lease(task.task_id, "holder", lease_seconds=600)
        assert not await store.renew_lease(ids.new_id("task"), "holder", lease_seconds=600)

    async def test_expired_leases(self, store: Store) -> None:
        org = await _org(store)
        short = await store.create_task(_task(org, status=TaskStatus.queued, created_at=T0))
        long = await store.create_task(
            _task(org, status=TaskStatus.queued, created_at=T0 + timedelta(seconds=1))
        )
        await store.claim_task("w", lease_seconds=10, task_id=short.task_id)
        await store.claim_task("w", lease_seconds=1000, task_id=long.task_id)
        now = utcnow()
        assert await store.expired_leases(now) == []
        in_a_minute = [t.task_id for t in await store.expired_leases(now + timedelta(minutes=1))]
        assert in_a_minute == [short.task_id]
        later = [t.task_id for t in await store.expired_leases(now + timedelta(hours=1))]
        assert later == [short.task_id, long.task_id]
        await store.update_task(short.task_id, status=TaskStatus.failed)
        later = [t.task_id for t in await store.expired_leases(now + timedelta(hours=1))]
        assert later == [long.task_id]

    async def _running(
        self, store: Store, worker: str = "w", lease: float = 30, **request: Any
    ) -> tuple[Task, Step]:
        """A task claimed by ``worker`` with a running step (``request``: more fields)."""
        org = await _org(store)
        req = TaskRequest(url="https://example.com/", navigation_goal="Sign up", **request)
        task = await store.create_task(_task(org, status=TaskStatus.queued, request=req))
        claimed = await store.claim_task(worker, lease_seconds=lease, task_id=task.task_id)
        assert claimed is not None
        step = await store.create_step(_step(claimed))
        step = await store.update_step(step.step_id, status=StepStatus.running)
        return claimed, step

    async def test_renew_lease_reports_a_cancel_to_the_holder(self, store: Store) -> None:
        task, _ = await self._running(store, "holder")
        assert await store.renew_lease(task.task_id, "holder", lease_seconds=30) == "running"
        canceled = await store.cancel_task(task.task_id, now=utcnow())
        assert canceled.finished_at is None  # a live worker finishes it
        assert await store.renew_lease(task.task_id, "holder", lease_seconds=30) == "canceled"
        await store.finish_task(task.task_id, status=TaskStatus.canceled, worker_id="holder")
        assert await store.renew_lease(task.task_id, "holder", lease_seconds=30) is None

    async def test_finish_task_writes_the_end_and_its_delivery_together(self, store: Store) -> None:
        task, _ = await self._running(store, webhook_callback_url="https://hooks.example.com/x")
        assert await store.list_deliveries(task.task_id) == []
        now = utcnow()
        done = await store.finish_task(
            task.task_id,
            status=TaskStatus.completed,
            worker_id="w",
            now=now,
            extracted_information={"n": 1},
            screenshot_artifact_id="art_1",
        )
        assert done.status == TaskStatus.completed and done.failure_reason is None
        assert done.extracted_information == {"n": 1}
        assert done.screenshot_artifact_id == "art_1"
        assert done.finished_at is not None and done.lease_expires_at is None
        (delivery,) = await store.list_deliveries(task.task_id)
        assert delivery.url == "https://hooks.example.com/x"
        assert delivery.status == DeliveryStatus.pending
        assert [d.delivery_id for d in await store.due_deliveries(utcnow())] == [
            delivery.delivery_id
        ]
        assert await store.tasks_missing_delivery(utcnow()) == []

    async def test_finish_task_keeps_a_cancel_that_landed_first(self, store: Store) -> None:
        task, _ = await self._running(store, webhook_callback_url="https://hooks.example.com/x")
        await store.cancel_task(task.task_id, now=utcnow())
        done = await store.finish_task(
            task.task_id,
            status=TaskStatus.completed,
            worker_id="w",
            extracted_information={"n": 2},
            recording_artifact_id="art_2",
        )
        assert done.status == TaskStatus.canceled
        assert (done.extracted_information, done.recording_artifact_id) == ({"n": 2}, "art_2")
        assert done.finished_at is not None
        assert len(await store.list_deliveries(task.task_id)) == 1

    async def test_finish_task_needs_the_claim(self, store: Store) -> None:
        task, _ = await self._running(store, "holder")
        with pytest.raises(LostClaimError):
            await store.finish_task(task.task_id, status=TaskStatus.failed, worker_id="other")
        assert (await store.get_task(task.task_id)).status == TaskStatus.running
        with pytest.raises(ValueError, match="final status"):
            await store.finish_task(task.task_id, status=TaskStatus.queued, worker_id="holder")

    async def test_release_task_queues_the_next_attempt(self, store: Store) -> None:
        task, _ = await self._running(store, "holder")
        assert await store.release_task(task.task_id, "other") is None
        released = await store.release_task(task.task_id, "holder")
        assert released is not None
        assert (released.status, released.attempt) == (TaskStatus.queued, 2)
        assert released.worker_id is None and released.lease_expires_at is None
        assert await store.release_task(task.task_id, "holder") is None
        again = await store.claim_task("next", lease_seconds=30, task_id=task.task_id)
        assert again is not None and again.attempt == 2
        later = await store.create_step(_step(again, attempt=2))
        first = await store.create_step(_step(again, order=5))
        assert [s.step_id for s in await store.list_steps(task.task_id)][-2:] == [
            first.step_id,
            later.step_id,
        ]

    async def test_recover_task_acts_only_on_an_expired_lease_of_that_worker(
        self, store: Store
    ) -> None:
        task, _ = await self._running(store, "lost", lease=10)
        now = utcnow()
        later = now + timedelta(seconds=20)
        assert (
            await store.recover_task(task.task_id, "lost", now=now, requeue=True, reason="gone")
            is None
        )  # not expired yet
        assert (
            await store.recover_task(
                task.task_id, "someone", now=later, requeue=True, reason="gone"
            )
            is None
        )  # not that worker's
        requeued = await store.recover_task(
            task.task_id, "lost", now=later, requeue=True, reason="gone"
        )
        assert requeued is not None
        assert (requeued.status, requeued.attempt, requeued.worker_id) == (
            TaskStatus.queued,
            2,
            None,
        )
        (closed,) = await store.list_steps(task.task_id)
        assert (closed.status, closed.failure_reason) == (StepStatus.failed, "gone")
        assert (
            await store.recover_task(task.task_id, "lost", now=later, requeue=True, reason="gone")
            is None
        )  # acted on once

    async def test_recover_task_fails_a_task_out_of_attempts(self, store: Store) -> None:
        task, _ = await self._running(
            store, "lost", lease=10, webhook_callback_url="https://hooks.example.com/x"
        )
        later = utcnow() + timedelta(seconds=20)
        failed = await store.recover_task(
            task.task_id, "lost", now=later, requeue=False, reason="gone twice"
        )
        assert failed is not None
        assert (failed.status, failed.failure_reason) == (TaskStatus.failed, "gone twice")
        assert failed.finished_at is not None
        assert len(await store.list_deliveries(task.task_id)) == 1
        assert await store.expired_leases(later) == []

    async def test_cancel_task_finishes_a_task_nobody_runs(self, store: Store) -> None:
        org = await _org(store)
        hook = TaskRequest(
            url="https://example.com/",
            navigation_goal="x",
            webhook_callback_url="https://hooks.example.com/x",
        )
        queued = await store.create_task(_task(org, status=TaskStatus.queued, request=hook))
        done = await store.cancel_task(queued.task_id, org.organization_id, now=utcnow())
        assert done.status == TaskStatus.canceled and done.finished_at is not None
        assert len(await store.list_deliveries(queued.task_id)) == 1
        with pytest.raises(InvalidTransitionError):
            await store.cancel_task(queued.task_id, now=utcnow())
        with pytest.raises(NotFoundError):
            await store.cancel_task(queued.task_id, ids.new_id("organization"), now=utcnow())

        orphan, _ = await self._running(store, "dead", lease=10)
        later = utcnow() + timedelta(seconds=20)
        ended = await store.cancel_task(orphan.task_id, now=later)
        assert ended.status == TaskStatus.canceled and ended.finished_at is not None
        assert [s.status for s in await store.list_steps(orphan.task_id)] == [StepStatus.canceled]

    async def test_a_canceled_task_left_unfinished_is_found_and_finished(
        self, store: Store
    ) -> None:
        task, _ = await self._running(store, "dies", lease=10)
        await store.cancel_task(task.task_id, now=utcnow())
        later = utcnow() + timedelta(seconds=20)
        assert [t.task_id for t in await store.expired_leases(later)] == [task.task_id]
        ended = await store.recover_task(
            task.task_id, "dies", now=later, requeue=True, reason="gone"
        )
        assert ended is not None
        assert ended.status == TaskStatus.canceled and ended.finished_at is not None
        assert [s.status for s in await store.list_steps(task.task_id)] == [StepStatus.canceled]

    async def test_tasks_missing_delivery(self, store: Store) -> None:
        task, _ = await self._running(store, webhook_callback_url="https://hooks.example.com/x")
        plain, _ = await self._running(store)
        for each in (task, plain):
            await store.update_task(each.task_id, status=TaskStatus.failed, finished_at=utcnow())
        missing = await store.tasks_missing_delivery(utcnow())
        assert [t.task_id for t in missing] == [task.task_id]
        await store.create_delivery(_delivery(task, url="https://hooks.example.com/x"))
        assert await store.tasks_missing_delivery(utcnow()) == []

    # ------------------------------------------------------------------ organizations

    async def test_organization_round_trip(self, store: Store) -> None:
        org = Organization(
            organization_id=ids.new_id("organization"),
            name="Acme",
            webhook_signing_secret="s3cret",
            max_steps=25,
            created_at=T0,
        )
        assert await store.create_organization(org) == org
        got = await store.get_organization(org.organization_id)
        assert got == org
        assert got.webhook_signing_secret == "s3cret"
        _assert_utc(got)
        with pytest.raises(NotFoundError):
            await store.get_organization(ids.new_id("organization"))

    async def test_organization_names_are_unique(self, store: Store) -> None:
        await _org(store, "Acme")
        with pytest.raises(StoreError):
            await _org(store, "Acme")

    async def test_get_or_create_organization_is_idempotent(self, store: Store) -> None:
        first = await store.get_or_create_organization("Acme")
        assert await store.get_or_create_organization("Acme") == first
        assert await store.get_organization(first.organization_id) == first
        other = await store.get_or_create_organization("Globex")
        assert other.organization_id != first.organization_id

    async def test_concurrent_get_or_create_makes_one_organization(self, store: Store) -> None:
        found: list[Organization] = []

        async def get_or_create() -> None:
            found.append(await store.get_or_create_organization("Initech"))

        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(get_or_create)
        assert len({o.organization_id for o in found}) == 1

    async def test_api_keys(self, store: Store) -> None:
        acme, globex = await _org(store), await _org(store)
        key_id = await store.add_api_key(acme.organization_id, "hash-acme")
        assert isinstance(key_id, str) and key_id
        await store.add_api_key(globex.organization_id, "hash-globex")
        assert await store.find_api_key("hash-acme") == acme.organization_id
        assert await store.find_api_key("hash-globex") == globex.organization_id
        assert await store.find_api_key("hash-unknown") is None
        with pytest.raises(NotFoundError):
            await store.add_api_key(ids.new_id("organization"), "hash-ghost")

    # ------------------------------------------------------------------ artifacts

    async def test_artifacts(self, store: Store) -> None:
        org = await _org(store)
        task, other = await store.create_task(_task(org)), await store.create_task(_task(org))
        artifacts = [
            _artifact(task, T0 + timedelta(seconds=2), kind=ArtifactKind.recording, size=10),
            _artifact(task, T0, content_type="image/png", size=2048),
            _artifact(task, T0 + timedelta(seconds=1), step_id="stp_x"),
        ]
        for artifact in artifacts:
            assert await store.add_artifact(artifact) == artifact
        assert await store.get_artifact(artifacts[1].artifact_id) == artifacts[1]
        listed = await store.list_artifacts(task.task_id)
        assert listed == [artifacts[1], artifacts[2], artifacts[0]]
        _assert_utc(listed[0])
        assert await store.list_artifacts(other.task_id) == []
        with pytest.raises(NotFoundError):
            await store.get_artifact(ids.new_id("artifact"))
        with pytest.raises(NotFoundError):
            await store.add_artifact(_artifact(_task(org), T0))

    # ------------------------------------------------------------------ webhook deliveries

    async def test_delivery_round_trip(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        delivery = _delivery(
            task,
            payload='{"task_id": "x", "extracted_information": {"price": "$1", "n": [1, 2.5]}}',
            next_attempt_at=T0,
            created_at=T0,
            modified_at=T0,
        )
        assert await store.create_delivery(delivery) == delivery
        (got,) = await store.list_deliveries(task.task_id)
        assert got == delivery
        assert got.status == DeliveryStatus.pending and got.attempts == 0
        assert got.payload == delivery.payload  # the exact text, byte for byte
        _assert_utc(got)
        assert await store.list_attempts(delivery.delivery_id) == []

    async def test_one_delivery_per_task_and_url(self, store: Store) -> None:
        org = await _org(store)
        task, other = await store.create_task(_task(org)), await store.create_task(_task(org))
        first = await store.create_delivery(_delivery(task, created_at=T0))
        again = await store.create_delivery(_delivery(task, payload='{"changed": true}'))
        assert again == first  # the existing one, payload untouched
        elsewhere = await store.create_delivery(
            _delivery(task, url="https://other.example.com/", created_at=T0 + timedelta(1))
        )
        assert elsewhere.delivery_id != first.delivery_id
        assert await store.list_deliveries(task.task_id) == [first, elsewhere]
        same_url_other_task = await store.create_delivery(_delivery(other))
        assert same_url_other_task.delivery_id != first.delivery_id
        assert await store.list_deliveries(other.task_id) == [same_url_other_task]

    async def test_concurrent_create_delivery_makes_one(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        made: list[WebhookDelivery] = []

        async def create() -> None:
            made.append(await store.create_delivery(_delivery(task)))

        async with anyio.create_task_group() as group:
            for _ in range(8):
                group.start_soon(create)
        assert len({d.delivery_id for d in made}) == 1
        assert len(await store.list_deliveries(task.task_id)) == 1

    async def test_create_delivery_needs_a_task_of_its_organization(self, store: Store) -> None:
        mine, other = await _org(store), await _org(store)
        task = await store.create_task(_task(mine))
        with pytest.raises(NotFoundError):
            await store.create_delivery(_delivery(_task(mine)))
        with pytest.raises(NotFoundError):
            await store.create_delivery(_delivery(task, organization_id=other.organization_id))
        assert await store.list_deliveries(task.task_id) == []

    async def test_record_attempts_until_delivered(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        delivery = await store.create_delivery(_delivery(task, next_attempt_at=T0))
        retry_at = T0 + timedelta(seconds=4)
        after_first = await store.record_attempt(
            delivery.delivery_id,
            at=T0,
            http_status=503,
            error="HTTP 503 Service Unavailable",
            duration_ms=12.5,
            status=DeliveryStatus.pending,
            next_attempt_at=retry_at,
        )
        assert after_first.status == DeliveryStatus.pending
        assert after_first.attempts == 1
        assert after_first.last_error == "HTTP 503 Service Unavailable"
        assert after_first.next_attempt_at == retry_at
        assert after_first.modified_at > delivery.modified_at
        after_second = await store.record_attempt(
            delivery.delivery_id,
            at=retry_at,
            http_status=None,
            error="ConnectError: connection refused",
            duration_ms=1.0,
            status=DeliveryStatus.pending,
            next_attempt_at=retry_at + timedelta(seconds=8),
        )
        assert after_second.attempts == 2
        done = await store.record_attempt(
            delivery.delivery_id,
            at=retry_at + timedelta(seconds=8),
            http_status=200,
            error=None,
            duration_ms=3.0,
            status=DeliveryStatus.delivered,
        )
        assert (done.status, done.attempts, done.last_error) == (DeliveryStatus.delivered, 3, None)
        assert done.next_attempt_at is None
        assert await store.list_deliveries(task.task_id) == [done]
        attempts = await store.list_attempts(delivery.delivery_id)
        assert [(a.attempt, a.http_status, a.error) for a in attempts] == [
            (1, 503, "HTTP 503 Service Unavailable"),
            (2, None, "ConnectError: connection refused"),
            (3, 200, None),
        ]
        assert [a.at for a in attempts] == [T0, retry_at, retry_at + timedelta(seconds=8)]
        assert attempts[0].duration_ms == 12.5
        _assert_utc(attempts[0])

    async def test_final_deliveries_take_no_more_attempts(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        delivery = await store.create_delivery(_delivery(task))
        failed = await store.record_attempt(
            delivery.delivery_id,
            at=T0,
            http_status=400,
            error="HTTP 400 Bad Request",
            duration_ms=2.0,
            status=DeliveryStatus.failed,
            next_attempt_at=T0,  # ignored: a final delivery has no next attempt
        )
        assert (failed.status, failed.next_attempt_at) == (DeliveryStatus.failed, None)
        with pytest.raises(InvalidTransitionError):
            await store.record_attempt(
                delivery.delivery_id,
                at=T0,
                http_status=200,
                error=None,
                duration_ms=1.0,
                status=DeliveryStatus.delivered,
            )
        assert len(await store.list_attempts(delivery.delivery_id)) == 1
        assert (await store.list_deliveries(task.task_id)) == [failed]
        with pytest.raises(NotFoundError):
            await store.record_attempt(
                ids.new_id("delivery"),
                at=T0,
                http_status=200,
                error=None,
                duration_ms=1.0,
                status=DeliveryStatus.delivered,
            )
        with pytest.raises(ValueError, match="next_attempt_at"):
            await store.record_attempt(
                (
                    await store.create_delivery(_delivery(task, url="https://b.example/"))
                ).delivery_id,
                at=T0,
                http_status=500,
                error="HTTP 500",
                duration_ms=1.0,
                status=DeliveryStatus.pending,
            )

    async def test_due_deliveries(self, store: Store) -> None:
        org = await _org(store)
        task = await store.create_task(_task(org))
        late = await store.create_delivery(
            _delivery(task, url="https://a.example/", next_attempt_at=T0)
        )
        later = await store.create_delivery(
            _delivery(task, url="https://b.example/", next_attempt_at=T0 + timedelta(minutes=5))
        )
        future = await store.create_delivery(
            _delivery(task, url="https://c.example/", next_attempt_at=T0 + timedelta(hours=1))
        )
        done = await store.create_delivery(
            _delivery(task, url="https://d.example/", next_attempt_at=T0)
        )
        await store.record_attempt(
            done.delivery_id,
            at=T0,
            http_status=200,
            error=None,
            duration_ms=1.0,
            status=DeliveryStatus.delivered,
        )
        now = T0 + timedelta(minutes=10)
        due = await store.due_deliveries(now)
        assert [d.delivery_id for d in due] == [late.delivery_id, later.delivery_id]
        assert [d.delivery_id for d in await store.due_deliveries(now, limit=1)] == [
            late.delivery_id
        ]
        assert await store.due_deliveries(T0 - timedelta(seconds=1)) == []
        at_the_hour = await store.due_deliveries(T0 + timedelta(hours=1))
        assert future.delivery_id in {d.delivery_id for d in at_the_hour}

    async def test_claim_delivery_leases_it_to_one_sender(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        delivery = await store.create_delivery(_delivery(task, next_attempt_at=T0))
        lease_end = T0 + timedelta(seconds=30)
        results: list[WebhookDelivery | None] = []

        async def claim() -> None:
            results.append(
                await store.claim_delivery(delivery.delivery_id, now=T0, until=lease_end)
            )

        async with anyio.create_task_group() as group:
            for _ in range(6):
                group.start_soon(claim)
        winners = [r for r in results if r is not None]
        assert len(winners) == 1
        assert winners[0].next_attempt_at == lease_end
        assert await store.due_deliveries(T0 + timedelta(seconds=29)) == []
        # A sender that died mid-attempt: the delivery is due again once the lease ran out.
        assert await store.claim_delivery(
            delivery.delivery_id, now=lease_end, until=lease_end + timedelta(seconds=30)
        )
        await store.record_attempt(
            delivery.delivery_id,
            at=lease_end,
            http_status=204,
            error=None,
            duration_ms=1.0,
            status=DeliveryStatus.delivered,
        )
        far = T0 + timedelta(days=1)
        assert await store.claim_delivery(delivery.delivery_id, now=far, until=far) is None
        assert await store.claim_delivery(ids.new_id("delivery"), now=far, until=far) is None

    # ------------------------------------------------------------------ one-time codes

    async def test_totp_codes_are_given_newest_first_and_once(self, store: Store) -> None:
        org = await _org(store)
        now = utcnow()
        ttl = now + timedelta(minutes=10)
        older = await store.add_totp_code(org.organization_id, "ada@example.com", "111111", ttl)
        await anyio.sleep(0.002)
        newer = await store.add_totp_code(
            org.organization_id, "ada@example.com", "222222", ttl, source_text_hash="ab" * 32
        )
        assert newer.totp_id != older.totp_id and newer.totp_id.startswith("otp_")
        assert (newer.code, newer.source_text_hash, newer.used_at) == ("222222", "ab" * 32, None)
        assert newer.expires_at == ttl
        assert "222222" not in repr(newer)
        _assert_utc(newer)
        take = store.take_totp_code
        assert await take(org.organization_id, "ada@example.com", now) == "222222"
        assert await take(org.organization_id, "ada@example.com", now) == "111111"
        assert await take(org.organization_id, "ada@example.com", now) is None

    async def test_totp_codes_are_kept_apart(self, store: Store) -> None:
        org, other = await _org(store), await _org(store)
        now = utcnow()
        await store.add_totp_code(
            org.organization_id, "ada@example.com", "123456", now + timedelta(minutes=10)
        )
        assert await store.take_totp_code(other.organization_id, "ada@example.com", now) is None
        assert await store.take_totp_code(org.organization_id, "bob@example.com", now) is None
        assert await store.take_totp_code(org.organization_id, "ada@example.com", now) == "123456"
        with pytest.raises(NotFoundError):
            await store.add_totp_code(ids.new_id("organization"), "x", "1234", now)

    async def test_expired_and_too_old_totp_codes_are_not_given(self, store: Store) -> None:
        org = await _org(store)
        pushed = utcnow()
        expires = pushed + timedelta(minutes=10)
        await store.add_totp_code(org.organization_id, "4155558888", "654321", expires)
        take = store.take_totp_code
        assert await take(org.organization_id, "4155558888", expires) is None
        assert await take(org.organization_id, "4155558888", expires + timedelta(1)) is None
        later = pushed + timedelta(minutes=1)
        assert await take(org.organization_id, "4155558888", later, not_before=later) is None
        before = pushed - timedelta(seconds=1)
        assert await take(org.organization_id, "4155558888", later, not_before=before) == "654321"

    async def test_a_code_pushed_for_a_task_goes_to_that_task_only(self, store: Store) -> None:
        org = await _org(store)
        now = utcnow()
        later = now + timedelta(minutes=10)
        mine = await store.add_totp_code(
            org.organization_id, "ada", "111111", later, task_id="tsk_mine"
        )
        assert mine.task_id == "tsk_mine"
        take = store.take_totp_code
        assert await take(org.organization_id, "ada", now, task_id="tsk_other") is None
        assert await take(org.organization_id, "ada", now) is None
        assert await take(org.organization_id, "ada", now, task_id="tsk_mine") == "111111"
        await store.add_totp_code(org.organization_id, "ada", "222222", later)
        assert await take(org.organization_id, "ada", now, task_id="tsk_other") == "222222"

    async def test_concurrent_takers_get_a_code_once(self, store: Store) -> None:
        org = await _org(store)
        now = utcnow()
        await store.add_totp_code(
            org.organization_id, "ada@example.com", "777777", now + timedelta(minutes=10)
        )
        got: list[str | None] = []

        async def take() -> None:
            got.append(await store.take_totp_code(org.organization_id, "ada@example.com", now))

        async with anyio.create_task_group() as group:
            for _ in range(8):
                group.start_soon(take)
        assert sorted(got, key=str) == ["777777"] + [None] * 7
