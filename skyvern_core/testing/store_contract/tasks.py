"""The store contract for tasks: round trips, reads, pages, the lifecycle, updates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import pytest

from skyvern_core import ids
from skyvern_core.errors import InvalidTransitionError, NotFoundError, StoreError
from skyvern_core.models import (
    TASK_TRANSITIONS,
    Organization,
    ProxyLocation,
    TaskRequest,
    TaskStatus,
)
from skyvern_core.storage import Store, TaskUpdate
from skyvern_core.testing.store_contract.support import (
    FINAL,
    T0,
    _assert_utc,
    _org,
    _task,
)

__all__ = ["TaskContract"]


class TaskContract:
    """Tasks: round trips, reads, pages, the lifecycle, updates.

    Part of :class:`~skyvern_core.testing.store_contract.StoreContract`.
    """

    pytestmark = pytest.mark.asyncio

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

    async def test_cost_and_token_limits_round_trip(self, store: Store) -> None:
        """An organization's limits and a task's are kept as given (None: no limit)."""
        org = Organization(
            organization_id=ids.new_id("organization"),
            name="Capped",
            max_cost_usd=0.75,
            max_tokens=120_000,
        )
        assert await store.create_organization(org) == org
        assert await store.get_organization(org.organization_id) == org
        limited = await store.create_task(_task(org, max_cost_usd=0.5, max_tokens=90_000))
        got = await store.get_task(limited.task_id)
        assert (got.max_cost_usd, got.max_tokens) == (0.5, 90_000)
        free = await store.create_task(_task(org))
        got = await store.get_task(free.task_id)
        assert (got.max_cost_usd, got.max_tokens) == (None, None)

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
                updated = await store.update_task(task.task_id, TaskUpdate(status=new))
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
                await store.update_task(
                    task.task_id, TaskUpdate(status=new, failure_reason="not stored")
                )
            stored = await store.get_task(task.task_id)
            assert (stored.status, stored.failure_reason) == (current, None), (current, new)

    async def test_racing_final_transitions_have_one_winner(self, store: Store) -> None:
        org = await _org(store)
        task = await store.create_task(_task(org, status=TaskStatus.running))
        wins: list[TaskStatus] = []
        losses: list[InvalidTransitionError] = []

        async def finish(status: TaskStatus) -> None:
            try:
                await store.update_task(task.task_id, TaskUpdate(status=status))
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
            TaskUpdate(
                status=TaskStatus.completed,
                extracted_information={"ref": "A-1"},
                input_token_count=10,
                output_token_count=2,
                cost=0.5,
                screenshot_artifact_id="art_final",
                action_screenshot_artifact_ids=["art_b", "art_a"],
                finished_at=T0,
            ),
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
        again = await store.update_task(task.task_id, TaskUpdate(proxy_note="checked"))
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
            await store.update_task(task.task_id, TaskUpdate(**change))
        # The store itself refuses anything but a TaskUpdate, naming what it takes.
        with pytest.raises(TypeError, match="TaskUpdate"):
            await store.update_task(task.task_id, change)  # type: ignore[arg-type]
        assert await store.get_task(task.task_id) == task

    async def test_update_missing_task_is_not_found(self, store: Store) -> None:
        with pytest.raises(NotFoundError):
            await store.update_task(ids.new_id("task"), TaskUpdate(status=TaskStatus.queued))

    async def test_returned_tasks_are_copies(self, store: Store) -> None:
        org = await _org(store)
        task = await store.create_task(_task(org, extracted_information={"a": [1]}))
        got = await store.get_task(task.task_id)
        got.extracted_information["a"].append(2)
        got.action_screenshot_artifact_ids.append("art_x")
        got.request.navigation_goal = "changed"
        assert await store.get_task(task.task_id) == task
