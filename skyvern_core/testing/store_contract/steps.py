"""The store contract for steps: round trips, order, updates, isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from skyvern_core import ids
from skyvern_core.errors import InvalidTransitionError, NotFoundError
from skyvern_core.models import (
    ActionResult,
    ClickAction,
    InputTextAction,
    ScrollAction,
    SelectOptionAction,
    StepStatus,
    TerminateAction,
)
from skyvern_core.storage import StepUpdate, Store
from skyvern_core.testing.store_contract.support import (
    T0,
    _assert_utc,
    _org,
    _step,
    _task,
)

__all__ = ["StepContract"]


class StepContract:
    """Steps: round trips, order, updates, isolation.

    Part of :class:`~skyvern_core.testing.store_contract.StoreContract`.
    """

    pytestmark = pytest.mark.asyncio

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
            await store.update_step(step.step_id, StepUpdate(status=StepStatus.completed))
        running = await store.update_step(step.step_id, StepUpdate(status=StepStatus.running))
        assert running.modified_at > step.modified_at
        done = await store.update_step(
            step.step_id,
            StepUpdate(
                status=StepStatus.completed,
                actions=[ClickAction(element_id="e9")],
                action_results=[ActionResult(success=True)],
                input_token_count=5,
                output_token_count=6,
                cost=0.01,
            ),
        )
        for illegal in (StepStatus.running, StepStatus.failed, StepStatus.created):
            with pytest.raises(InvalidTransitionError):
                await store.update_step(step.step_id, StepUpdate(status=illegal))
        (stored,) = await store.list_steps(task.task_id)
        assert stored == done
        assert stored.status == StepStatus.completed
        assert stored.actions == [ClickAction(element_id="e9")]
        assert (stored.input_token_count, stored.output_token_count, stored.cost) == (5, 6, 0.01)

    async def test_update_step_rejects_unknown_fields_and_missing_steps(self, store: Store) -> None:
        task = await store.create_task(_task(await _org(store)))
        step = await store.create_step(_step(task))
        with pytest.raises(ValueError, match="colour"):
            await store.update_step(step.step_id, StepUpdate(colour="blue"))  # type: ignore[call-arg]
        with pytest.raises(ValueError, match="task_id"):
            await store.update_step(step.step_id, StepUpdate(task_id=ids.new_id("task")))  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="StepUpdate"):
            await store.update_step(step.step_id, {"is_last": True})  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="status"):
            await store.update_step(step.step_id, StepUpdate(status=None))
        (stored,) = await store.list_steps(task.task_id)
        assert stored == step
        with pytest.raises(NotFoundError):
            await store.update_step(ids.new_id("step"), StepUpdate(status=StepStatus.running))

    async def test_steps_of_another_organization_are_not_found(self, store: Store) -> None:
        mine, other = await _org(store), await _org(store)
        task = await store.create_task(_task(mine))
        await store.create_step(_step(task))
        with pytest.raises(NotFoundError):
            await store.list_steps(task.task_id, other.organization_id)
        with pytest.raises(NotFoundError):
            await store.create_step(_step(task, organization_id=other.organization_id))
        assert len(await store.list_steps(task.task_id, mine.organization_id)) == 1
