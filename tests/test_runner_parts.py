"""The parts of a run, each on its own: time limits on the clock, the lease keeper, one
step, and the end of a run. Fakes throughout (scripted planner, in-memory driver and
store, a fake clock): a limit of minutes runs out here in no real time."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from skyvern_core.clock import SYSTEM_CLOCK, TimeLimit, time_limit
from skyvern_core.config import Settings
from skyvern_core.errors import BrowserError, StoreError
from skyvern_core.ids import new_id
from skyvern_core.models import (
    ArtifactKind,
    ClickAction,
    CompleteAction,
    InputTextAction,
    Step,
    StepStatus,
    Task,
    TaskRequest,
    TaskStatus,
    Usage,
)
from skyvern_core.protocols import PlanContext, SessionArtifacts
from skyvern_core.run.context import RunContext, RunHandle
from skyvern_core.run.finish import Finisher
from skyvern_core.run.lease import MIN_INTERVAL, LeaseKeeper, renew_interval
from skyvern_core.run.step import StepExecutor
from skyvern_core.runner import TaskRunner
from skyvern_core.storage import StepUpdate
from skyvern_core.testing import (
    FakeClock,
    FakePage,
    InMemoryDriver,
    InMemorySession,
    MemoryArtifactStore,
    MemoryStore,
    RecordingNotifier,
    ScriptedPlanner,
    element,
)
from skyvern_core.totp import TOTP_PLACEHOLDER, TotpResolver

URL = "https://shop.example.com/signup"
PAGE = FakePage(
    url=URL,
    title="Sign up",
    elements=[
        element("e1", "textbox", "Name"),
        element("e2", "button", "Create account"),
    ],
    links={"e2": "https://shop.example.com/welcome"},
)
WELCOME = FakePage(url="https://shop.example.com/welcome", title="Welcome", text="Welcome, Ada")


async def _claimed(store: MemoryStore, worker: str = "w1", **request: Any) -> Task:
    org = await store.get_or_create_organization("parts")
    task = await store.create_task(
        Task(
            task_id=new_id("task"),
            organization_id=org.organization_id,
            status=TaskStatus.queued,
            request=TaskRequest(url=URL, navigation_goal="Create an account", **request),
            max_steps=5,
        )
    )
    claimed = await store.claim_task(worker, lease_seconds=30, task_id=task.task_id)
    assert claimed is not None
    return claimed


def _runner(
    tmp_path: Path,
    store: MemoryStore,
    *,
    planner: ScriptedPlanner | None = None,
    driver: InMemoryDriver | None = None,
    clock: FakeClock | None = None,
    events: list[str] | None = None,
    **settings: Any,
) -> TaskRunner:
    return TaskRunner(
        store=store,
        driver=driver or InMemoryDriver([PAGE, WELCOME]),
        planner=planner or ScriptedPlanner(),
        artifacts=MemoryArtifactStore(),
        notifier=RecordingNotifier(),
        settings=Settings(data_dir=tmp_path, **settings),
        worker_id="w1",
        on_event=None if events is None else (lambda e: events.append(e.kind)),
        clock=clock or FakeClock(),
    )


async def _running_step(ctx: RunContext) -> Step:
    step = await ctx.store.create_step(
        Step(
            step_id=new_id("step"),
            task_id=ctx.task.task_id,
            organization_id=ctx.task.organization_id,
            order=0,
        )
    )
    ctx.step = await ctx.store.update_step(step.step_id, StepUpdate(status=StepStatus.running))
    return ctx.step


# --------------------------------------------------------------------------- time limits


async def test_a_limit_on_the_fake_clock_runs_out_when_the_clock_passes_it() -> None:
    clock = FakeClock()
    started = time.monotonic()
    with time_limit(clock, 300) as limit:
        await clock.sleep(299)
        assert not limit.scope.cancel_called
        await clock.sleep(2)
        pytest.fail("the block went on after its limit")  # pragma: no cover
    assert limit.expired
    assert time.monotonic() - started < 30


async def test_a_paused_limit_gives_back_what_was_left() -> None:
    clock = FakeClock()
    with time_limit(clock, 10) as limit:
        await clock.sleep(6)
        limit.pause()
        await clock.sleep(600)  # a wait with a budget of its own
        limit.resume()
        await clock.sleep(3)  # 9 of the 10 seconds used
    assert not limit.expired
    with time_limit(clock, 10) as limit:
        await clock.sleep(6)
        limit.pause()
        await clock.sleep(600)
        limit.resume()
        await clock.sleep(5)
    assert limit.expired


async def test_a_failing_limit_raises_timeout_naming_its_length() -> None:
    clock = FakeClock()
    with pytest.raises(TimeoutError, match="60 s"):
        with time_limit(clock, 60, fail=True):
            await clock.sleep(61)
    with time_limit(clock, 60, fail=True) as limit:
        await clock.sleep(59)
    assert not limit.expired


async def test_the_system_clock_limits_on_real_time() -> None:
    limit = time_limit(SYSTEM_CLOCK, 0.05)
    assert type(limit) is TimeLimit
    started = time.monotonic()
    with limit:
        await anyio.sleep(5)
    assert limit.expired
    assert time.monotonic() - started < 4


# --------------------------------------------------------------------------- lease keeper


def test_renew_interval_is_a_third_of_the_lease_within_bounds(tmp_path: Path) -> None:
    assert renew_interval(Settings(data_dir=tmp_path, lease_seconds=6, poll_interval=5)) == 2
    assert renew_interval(Settings(data_dir=tmp_path, lease_seconds=60, poll_interval=1)) == 1
    tiny = Settings(data_dir=tmp_path, lease_seconds=0.01, poll_interval=1)
    assert renew_interval(tiny) == MIN_INTERVAL


class _Stop(Exception):
    pass


def _keeper(store: Any, task: Task, calls: list[str], *, rounds: int = 3) -> LeaseKeeper:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) > rounds:
            raise _Stop
        await anyio.lowlevel.checkpoint()

    return LeaseKeeper(
        store,
        task.task_id,
        "w1",
        lease_seconds=30,
        interval=2,
        on_canceled=lambda: calls.append("canceled"),
        on_lost=lambda: calls.append("lost"),
        sleep=sleep,
    )


async def test_the_lease_keeper_extends_the_lease_of_its_task() -> None:
    store = MemoryStore()
    task = await _claimed(store)
    calls: list[str] = []
    keeper = _keeper(store, task, calls)
    assert task.lease_expires_at is not None
    await anyio.sleep(0.002)  # the store's clock must move for the lease to move
    assert await keeper.renew() is True
    renewed = await store.get_task(task.task_id)
    assert renewed.lease_expires_at is not None and renewed.lease_expires_at > task.lease_expires_at
    with pytest.raises(_Stop):
        await keeper.run()
    assert keeper.renewals == 1 + 3
    assert calls == []


async def test_the_lease_keeper_stops_when_another_worker_holds_the_task() -> None:
    store = MemoryStore()
    task = await _claimed(store)
    released = await store.release_task(task.task_id, "w1")
    assert released is not None
    assert await store.claim_task("w2", lease_seconds=30, task_id=task.task_id) is not None
    calls: list[str] = []
    await _keeper(store, task, calls).run()  # returns on its own: no _Stop
    assert calls == ["lost"]


async def test_the_lease_keeper_reports_a_cancel_and_keeps_renewing() -> None:
    store = MemoryStore()
    task = await _claimed(store)
    await store.cancel_task(task.task_id, now=FakeClock().now())  # the lease is live
    calls: list[str] = []
    keeper = _keeper(store, task, calls, rounds=2)
    with pytest.raises(_Stop):
        await keeper.run()
    assert calls == ["canceled", "canceled"]
    assert keeper.renewals == 2


async def test_the_lease_keeper_rides_out_a_failing_store() -> None:
    class Flaky(MemoryStore):
        failures = 2

        async def renew_lease(self, *args: Any, **kwargs: Any) -> TaskStatus | None:
            if self.failures:
                self.failures -= 1
                raise StoreError("the database is restarting")
            return await super().renew_lease(*args, **kwargs)

    store = Flaky()
    task = await _claimed(store)
    calls: list[str] = []
    keeper = _keeper(store, task, calls)
    with pytest.raises(_Stop):
        await keeper.run()
    assert (keeper.renewals, calls) == (1, [])


# --------------------------------------------------------------------------- one step


async def test_a_step_acts_and_records_its_outcome(tmp_path: Path) -> None:
    store = MemoryStore()
    task = await _claimed(store)
    usage = Usage(input_tokens=100, output_tokens=20, cost=0.01)
    planner = ScriptedPlanner(
        [[InputTextAction(element_id="e1", text="Ada"), ClickAction(element_id="e2")]],
        usage=usage,
    )
    ctx = RunContext(_runner(tmp_path, store, planner=planner), task, RunHandle(task.task_id))
    steps = StepExecutor(ctx)
    step = await _running_step(ctx)

    outcome = await steps.attempt(step, [])
    assert outcome.ok and not outcome.complete, outcome.reason
    assert [r.success for r in outcome.results] == [True, True]
    assert ctx.last_page is not None and ctx.last_page.url == URL
    assert len(ctx.action_shots) == 2

    saved = await steps.record(step, outcome)
    assert saved.status == StepStatus.completed and not saved.is_last
    assert (saved.input_token_count, saved.output_token_count, saved.cost) == (100, 20, 0.01)
    assert [a.type for a in saved.actions] == ["input_text", "click"]
    stored = await store.get_task(task.task_id)
    assert (stored.input_token_count, stored.cost) == (100, 0.01)
    assert stored.action_screenshot_artifact_ids == ctx.action_shots
    shots = await store.list_artifacts(task.task_id)
    assert {a.kind for a in shots} == {ArtifactKind.action_screenshot}
    assert {a.step_id for a in shots} == {step.step_id}


async def test_a_step_that_outlasts_its_limit_on_the_clock_fails(tmp_path: Path) -> None:
    clock = FakeClock()

    async def slow(context: PlanContext) -> list[Any]:
        await clock.sleep(181)  # a model that takes three minutes
        return [CompleteAction()]

    store = MemoryStore()
    task = await _claimed(store)
    runner = _runner(
        tmp_path, store, planner=ScriptedPlanner([slow]), clock=clock, step_timeout=180
    )
    ctx = RunContext(runner, task, RunHandle(task.task_id))
    started = time.monotonic()
    outcome = await StepExecutor(ctx).attempt(await _running_step(ctx), [])
    assert time.monotonic() - started < 30
    assert not outcome.ok and not outcome.complete and not outcome.fatal
    assert outcome.reason == "Step timed out after 180 s"


async def test_a_code_wait_stops_the_steps_clock(tmp_path: Path) -> None:
    clock = FakeClock()

    class LateCodes(MemoryStore):
        async def take_totp_code(self, *args: Any, **kwargs: Any) -> str | None:
            return "123456" if clock.elapsed >= 200 else None  # pushed after 200 s

    store = LateCodes()
    task = await _claimed(store, totp_identifier="ada@example.com")
    driver = InMemoryDriver([PAGE])
    planner = ScriptedPlanner([[InputTextAction(element_id="e1", text=TOTP_PLACEHOLDER)]])
    runner = _runner(tmp_path, store, planner=planner, driver=driver, clock=clock, step_timeout=60)
    settings = Settings(data_dir=tmp_path, totp_timeout=300, totp_poll_interval=5)
    runner.totp = TotpResolver(store, settings, clock=clock)
    ctx = RunContext(runner, task, RunHandle(task.task_id))
    outcome = await StepExecutor(ctx).attempt(await _running_step(ctx), [])
    assert outcome.ok, outcome.reason  # 200 s of waiting did not use the step's 60 s
    assert clock.elapsed >= 200
    (typed,) = driver.executed
    assert isinstance(typed, InputTextAction) and typed.text == "123456"


async def test_a_step_failure_is_in_the_outcome_with_secrets_hidden(tmp_path: Path) -> None:
    store = MemoryStore()
    task = await _claimed(store, navigation_payload={"password": "hunter2-secret"})
    planner = ScriptedPlanner([[ClickAction(element_id="e2")]])
    leaky = InMemoryDriver([PAGE], errors={"execute": BrowserError("rejected hunter2-secret")})
    runner = _runner(tmp_path, store, planner=planner, driver=leaky)
    ctx = RunContext(runner, task, RunHandle(task.task_id))
    outcome = await StepExecutor(ctx).attempt(await _running_step(ctx), [])
    assert not outcome.ok and not outcome.fatal
    assert outcome.reason is not None and outcome.reason.startswith("Browser error: rejected")
    assert "hunter2-secret" not in outcome.reason


# --------------------------------------------------------------------------- the end


async def test_the_end_keeps_the_final_artifacts_and_writes_the_outcome(tmp_path: Path) -> None:
    store = MemoryStore()
    task = await _claimed(store, webhook_callback_url="https://hooks.example.com/done")
    events: list[str] = []
    driver = InMemoryDriver([PAGE], recording=True)
    runner = _runner(tmp_path, store, driver=driver, events=events)
    ctx = RunContext(runner, task, RunHandle(task.task_id))
    await StepExecutor(ctx).open_session()
    step = await _running_step(ctx)

    finished, notify = await Finisher(ctx).record_end(
        TaskStatus.completed, None, {"account": "A-1"}, True
    )
    assert notify and events == ["task_finished"]
    assert finished.status == TaskStatus.completed and finished.finished_at is not None
    assert finished.extracted_information == {"account": "A-1"}
    kinds = {a.artifact_id: a.kind for a in await store.list_artifacts(task.task_id)}
    assert kinds[finished.screenshot_artifact_id or ""] == ArtifactKind.final_screenshot
    assert kinds[finished.recording_artifact_id or ""] == ArtifactKind.recording
    assert driver.sessions[0].closed and ctx.session is None
    (closed,) = await store.list_steps(task.task_id)
    assert closed.step_id == step.step_id and closed.status == StepStatus.failed
    (delivery,) = await store.list_deliveries(task.task_id)
    assert delivery.url == "https://hooks.example.com/done"


async def test_the_end_of_a_task_lost_to_another_worker_is_not_written(tmp_path: Path) -> None:
    store = MemoryStore()
    task = await _claimed(store)
    await store.release_task(task.task_id, "w1")
    await store.claim_task("w2", lease_seconds=30, task_id=task.task_id)
    ctx = RunContext(_runner(tmp_path, store), task, RunHandle(task.task_id))
    finished, notify = await Finisher(ctx).record_end(TaskStatus.completed, None, None, False)
    assert not notify
    assert (finished.status, finished.worker_id, finished.finished_at) == (
        TaskStatus.running,
        "w2",
        None,
    )


async def test_a_release_puts_the_task_back_as_its_next_attempt(tmp_path: Path) -> None:
    store = MemoryStore()
    task = await _claimed(store)
    handle = RunHandle(task.task_id)
    handle.release()
    ctx = RunContext(_runner(tmp_path, store), task, handle)
    await StepExecutor(ctx).open_session()
    await _running_step(ctx)
    released = await Finisher(ctx).release()
    assert (released.status, released.attempt, released.worker_id) == (
        TaskStatus.queued,
        task.attempt + 1,
        None,
    )
    (step,) = await store.list_steps(task.task_id)
    assert step.status == StepStatus.canceled and not step.is_last


async def test_closing_a_browser_is_bounded_on_the_clock(tmp_path: Path) -> None:
    clock = FakeClock()

    class HangingSession(InMemorySession):
        async def close(self) -> SessionArtifacts:
            await clock.sleep(3600)  # a browser that takes an hour to close
            recording = tmp_path / "late.webm"
            recording.write_bytes(b"webm")
            return SessionArtifacts(recording=recording)

    store = MemoryStore()
    task = await _claimed(store)
    ctx = RunContext(
        _runner(
            tmp_path,
            store,
            driver=InMemoryDriver([PAGE], session_factory=HangingSession),
            clock=clock,
        ),
        task,
        RunHandle(task.task_id),
    )
    await StepExecutor(ctx).open_session()
    started = time.monotonic()
    fields = await Finisher(ctx).final_artifacts()
    assert time.monotonic() - started < 30
    # Cut at CLOSE_SECONDS by the clock: what the close would have left is not waited for.
    assert set(fields) == {"screenshot_artifact_id"}


async def test_the_task_limit_runs_on_the_runners_clock(tmp_path: Path) -> None:
    clock = FakeClock()

    async def thinking(context: PlanContext) -> list[Any]:
        await clock.sleep(40)
        return [InputTextAction(element_id="e1", text="Ada")]

    store = MemoryStore()
    task = await _claimed(store)
    planner = ScriptedPlanner([thinking] * 5)
    runner = _runner(
        tmp_path, store, planner=planner, clock=clock, task_timeout=100, step_timeout=60
    )
    started = time.monotonic()
    finished = await runner.run(task)
    # 120 s went by on the runner's clock; on the real one a small fraction of the limit
    # (generous: a loaded test machine has stalled this process for seconds at a time).
    assert time.monotonic() - started < 30
    assert finished.status == TaskStatus.failed
    assert finished.failure_reason == "Task exceeded its time limit (100 s)"
    steps = await store.list_steps(task.task_id)
    assert [s.status for s in steps] == [
        StepStatus.completed,
        StepStatus.completed,
        StepStatus.failed,
    ]
    assert steps[-1].is_last


async def test_a_running_tasks_profile_hold_is_renewed_with_its_lease_and_ends_with_it(
    tmp_path: Path,
) -> None:
    calls: list[tuple[str, float]] = []

    class Watched(MemoryStore):
        async def claim_profile(self, *args: Any, now: Any, until: Any, **kw: Any) -> Any:
            calls.append(("claim", (until - now).total_seconds()))
            return await super().claim_profile(*args, now=now, until=until, **kw)

        async def save_profile(self, *args: Any, **kw: Any) -> Any:
            calls.append(("save", 0.0))
            return await super().save_profile(*args, **kw)

    class KeepingSession(InMemorySession):
        async def storage_state(self) -> dict[str, Any]:
            return {"cookies": [], "origins": []}

    store = Watched()
    task = await _claimed(store, browser_profile="bank")
    planner = ScriptedPlanner(
        [[InputTextAction(element_id="e1", text="Ada")], [CompleteAction()]], delay=0.5
    )
    runner = _runner(
        tmp_path,
        store,
        planner=planner,
        driver=InMemoryDriver([PAGE, WELCOME], session_factory=KeepingSession),
        lease_seconds=0.3,
        poll_interval=0.1,
    )
    finished = await runner.run(task)
    assert finished.status == TaskStatus.completed, finished.failure_reason
    claims = [seconds for kind, seconds in calls if kind == "claim"]
    # Taken, then renewed about every 0.1 s through a run of about a second; each hold is
    # the lease plus a minute, not the task's time limit (30 minutes).
    assert len(claims) >= 4 and all(60 < s < 61 for s in claims), calls
    assert calls[-1][0] == "save"  # no renewal lands after the save
    await anyio.sleep(0.3)  # the lease keeper has stopped: nothing claims the profile again
    assert calls[-1][0] == "save"
    profile = await store.get_profile(task.organization_id, "bank")
    assert profile.holder_task_id is None and profile.version == 1
