"""The store contract for the queue: claims, leases, finishing, releasing, recovering, canceling."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio
import pytest

from skyvern_core import ids
from skyvern_core.errors import InvalidTransitionError, LostClaimError, NotFoundError
from skyvern_core.models import (
    DeliveryStatus,
    Step,
    StepStatus,
    Task,
    TaskRequest,
    TaskStatus,
    utcnow,
)
from skyvern_core.storage import StepUpdate, Store, TaskUpdate
from skyvern_core.testing.store_contract.support import (
    T0,
    _delivery,
    _org,
    _step,
    _task,
)

__all__ = ["QueueContract"]


class QueueContract:
    """The queue: claims, leases, finishing, releasing, recovering, canceling.

    Part of :class:`~skyvern_core.testing.store_contract.StoreContract`.
    """

    pytestmark = pytest.mark.asyncio

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
        await store.update_task(task.task_id, TaskUpdate(status=TaskStatus.completed))
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
        await store.update_task(short.task_id, TaskUpdate(status=TaskStatus.failed))
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
        step = await store.update_step(step.step_id, StepUpdate(status=StepStatus.running))
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
            update=TaskUpdate(extracted_information={"n": 1}, screenshot_artifact_id="art_1"),
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
            update=TaskUpdate(extracted_information={"n": 2}, recording_artifact_id="art_2"),
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
        with pytest.raises(ValueError, match="failure_reason"):
            await store.finish_task(
                task.task_id,
                status=TaskStatus.failed,
                worker_id="holder",
                update=TaskUpdate(failure_reason="belongs in the argument"),
            )
        assert (await store.get_task(task.task_id)).status == TaskStatus.running

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
            await store.update_task(
                each.task_id, TaskUpdate(status=TaskStatus.failed, finished_at=utcnow())
            )
        missing = await store.tasks_missing_delivery(utcnow())
        assert [t.task_id for t in missing] == [task.task_id]
        await store.create_delivery(_delivery(task, url="https://hooks.example.com/x"))
        assert await store.tasks_missing_delivery(utcnow()) == []
