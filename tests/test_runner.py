"""The step loop on the fakes: every final status, every limit, every backend failing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from skyvern_core import Agent, TaskRequest, TaskStatus
from skyvern_core.errors import (
    ArtifactError,
    BrowserError,
    InvalidTransitionError,
    LLMError,
    NotifierError,
    StoreError,
)
from skyvern_core.models import (
    ClickAction,
    CompleteAction,
    Decision,
    ElementOption,
    Extraction,
    InputTextAction,
    SelectOptionAction,
    StepStatus,
    TerminateAction,
    Usage,
)
from skyvern_core.testing import (
    FakePage,
    InMemoryDriver,
    MemoryArtifactStore,
    RecordingNotifier,
    ScriptedPlanner,
    element,
)
from skyvern_core.testing.memory_store import MemoryStore

START = "https://jobs.example.test/apply"
DONE = "https://jobs.example.test/thanks"


def job_site() -> list[FakePage]:
    """A two-page job application: a form, then a confirmation with a number."""
    return [
        FakePage(
            url=START,
            title="Apply: Backend Engineer",
            elements=[
                element("e1", "textbox", "Full name", required=True),
                element("e2", "textbox", "Email", required=True),
                element(
                    "e3",
                    "combobox",
                    "Years of experience",
                    options=[
                        ElementOption(value="0-2", label="0-2"),
                        ElementOption(value="3-5", label="3-5"),
                    ],
                ),
                element("e4", "button", "Submit application"),
            ],
            text="Backend Engineer — apply",
            submit={"e4": DONE},
        ),
        FakePage(url=DONE, title="Thanks", text="Application received. Confirmation: JA-4821"),
    ]


def fill_and_submit() -> list[Any]:
    return [
        InputTextAction(element_id="e1", text="Chris P. Bacon"),
        InputTextAction(element_id="e2", text="chris@example.test"),
        SelectOptionAction(element_id="e3", option="3-5"),
        ClickAction(element_id="e4"),
    ]


REQUEST = TaskRequest(
    url=START,
    navigation_goal="Apply for the job",
    data_extraction_goal="What is the confirmation number?",
    navigation_payload={"name": "Chris P. Bacon", "email": "chris@example.test"},
)


async def test_completes_with_extraction_tokens_and_artifacts(make_agent: Callable[..., Agent]):
    notifier = RecordingNotifier()
    planner = ScriptedPlanner(
        [
            Decision(
                actions=fill_and_submit(),
                usage=Usage(input_tokens=1200, output_tokens=80, cost=0.01),
            ),
            Decision(
                actions=[CompleteAction()],
                usage=Usage(input_tokens=900, output_tokens=30, cost=0.005),
            ),
        ],
        extractions=[
            Extraction(
                data={"confirmation": "JA-4821"},
                usage=Usage(input_tokens=500, output_tokens=10, cost=0.001),
            )
        ],
    )
    agent = make_agent(driver=InMemoryDriver(job_site()), planner=planner, notifier=notifier)
    task = await agent.run(REQUEST)
    await agent.aclose()

    assert task.status == TaskStatus.completed
    assert task.failure_reason is None
    assert task.extracted_information == {"confirmation": "JA-4821"}
    assert [(s.order, s.retry_index, s.status) for s in task.steps] == [
        (0, 0, StepStatus.completed),
        (1, 0, StepStatus.completed),
    ]
    assert task.steps[0].input_token_count == 1200
    assert task.steps[1].input_token_count == 900 + 500  # extraction counts in its step
    assert task.input_token_count == 2600 and task.output_token_count == 120
    assert task.cost == pytest.approx(0.016)
    assert [a.type for a in task.steps[0].actions] == [
        "input_text",
        "input_text",
        "select_option",
        "click",
    ]
    assert all(r.success for r in task.steps[0].action_results)
    assert task.steps[-1].is_last and not task.steps[0].is_last
    assert len(task.action_screenshot_urls) == 3
    assert task.screenshot_url and task.screenshot_url.endswith("screenshot_final.png")
    assert task.steps[1].page_url == DONE
    # The planner saw the page, and the history of the earlier step on the second one.
    assert planner.contexts[0].page.url == START
    assert [s.order for s in planner.contexts[1].history] == [0]
    assert [t.status for t in notifier.tasks] == [TaskStatus.completed]


async def test_max_steps_fails_with_the_spec_text(make_agent: Callable[..., Agent]):
    planner = ScriptedPlanner([[InputTextAction(element_id="e1", text="x")]] * 10)
    agent = make_agent(driver=InMemoryDriver(job_site()), planner=planner, max_steps=3)
    task = await agent.run(REQUEST)
    await agent.aclose()
    assert task.status == TaskStatus.failed
    assert task.failure_reason.startswith("Max steps per task (3) exceeded")
    assert [s.order for s in task.steps] == [0, 1, 2]


async def test_max_steps_override_per_task(make_agent: Callable[..., Agent]):
    planner = ScriptedPlanner([[InputTextAction(element_id="e1", text="x")]] * 10)
    agent = make_agent(driver=InMemoryDriver(job_site()), planner=planner, max_steps=5)
    task = await agent.run(REQUEST.model_copy(update={"max_steps": 2}))
    assert task.failure_reason.startswith("Max steps per task (2) exceeded")
    assert task.max_steps == 2 and len(task.steps) == 2
    await agent.aclose()


async def test_retries_keep_order_and_raise_retry_index(make_agent: Callable[..., Agent]):
    bad = [ClickAction(element_id="e99")]
    planner = ScriptedPlanner([bad] * 10)
    agent = make_agent(driver=InMemoryDriver(job_site()), planner=planner, max_retries=3)
    task = await agent.run(REQUEST)
    await agent.aclose()
    assert task.status == TaskStatus.failed
    assert task.failure_reason.startswith("Max retries per step (3) exceeded")
    assert "no element e99" in task.failure_reason
    assert [(s.order, s.retry_index, s.status) for s in task.steps] == [
        (0, i, StepStatus.failed) for i in range(4)
    ]
    assert all(s.failure_reason for s in task.steps)
    # Each retry was told why the previous attempt failed.
    assert planner.contexts[1].errors == [task.steps[0].failure_reason]


async def test_a_retry_that_succeeds_then_counts_steps_from_there(
    make_agent: Callable[..., Agent],
):
    planner = ScriptedPlanner(
        [[ClickAction(element_id="e4")], fill_and_submit(), [CompleteAction()]],
        extractions=[{"confirmation": "JA-4821"}],
    )
    agent = make_agent(driver=InMemoryDriver(job_site()), planner=planner, max_steps=2)
    task = await agent.run(REQUEST)
    await agent.aclose()
    # Submitting with empty required fields fails; the retry fills them. Retries do not
    # count as steps, so two steps (orders 0 and 1) are enough.
    assert task.status == TaskStatus.completed, task.failure_reason
    assert [(s.order, s.retry_index, s.status) for s in task.steps] == [
        (0, 0, StepStatus.failed),
        (0, 1, StepStatus.completed),
        (1, 0, StepStatus.completed),
    ]
    assert "required fields are empty" in task.steps[0].failure_reason


async def test_terminate_records_the_reason(make_agent: Callable[..., Agent]):
    notifier = RecordingNotifier()
    reason = "Failed to pass this page - missing information: date of birth"
    planner = ScriptedPlanner([[TerminateAction(reason=reason)]])
    agent = make_agent(driver=InMemoryDriver(job_site()), planner=planner, notifier=notifier)
    task = await agent.run(REQUEST)
    await agent.aclose()
    assert task.status == TaskStatus.terminated
    assert task.failure_reason == reason
    assert task.steps[-1].is_last
    assert notifier.tasks[-1].status == TaskStatus.terminated


async def test_extraction_only_task_extracts_at_once(make_agent: Callable[..., Agent]):
    planner = ScriptedPlanner([], extractions=[{"title": "Backend Engineer"}])
    agent = make_agent(driver=InMemoryDriver(job_site()), planner=planner)
    task = await agent.run(url=START, data_extraction_goal="the job title")
    await agent.aclose()
    assert task.status == TaskStatus.completed
    assert task.extracted_information == {"title": "Backend Engineer"}
    assert len(task.steps) == 1 and planner.contexts == []


SCHEMA = {
    "type": "object",
    "properties": {"confirmation": {"type": "string", "pattern": "^JA-[0-9]+$"}},
    "required": ["confirmation"],
}


async def test_extraction_mismatch_gets_one_correction_round(make_agent: Callable[..., Agent]):
    planner = ScriptedPlanner(
        [[CompleteAction()]], extractions=[{"confirmation": 4821}, {"confirmation": "JA-4821"}]
    )
    agent = make_agent(driver=InMemoryDriver(job_site()), planner=planner)
    task = await agent.run(REQUEST.model_copy(update={"extracted_information_schema": SCHEMA}))
    await agent.aclose()
    assert task.status == TaskStatus.completed
    assert task.extracted_information == {"confirmation": "JA-4821"}
    assert planner.extract_contexts[1].previous == {"confirmation": 4821}
    assert "is not of type 'string'" in planner.extract_contexts[1].errors[0]


async def test_extraction_that_never_matches_fails_clearly(make_agent: Callable[..., Agent]):
    planner = ScriptedPlanner([[CompleteAction()]], extractions=[{"x": 1}, {"y": 2}])
    agent = make_agent(driver=InMemoryDriver(job_site()), planner=planner)
    task = await agent.run(REQUEST.model_copy(update={"extracted_information_schema": SCHEMA}))
    await agent.aclose()
    assert task.status == TaskStatus.failed
    assert "does not match extracted_information_schema" in task.failure_reason
    assert "'confirmation' is a required property" in task.failure_reason
    assert len(planner.extract_contexts) == 2


async def test_step_timeout_is_a_failed_step(make_agent: Callable[..., Agent]):
    planner = ScriptedPlanner([[CompleteAction()]] * 5, delay=1.0)
    agent = make_agent(
        driver=InMemoryDriver(job_site()), planner=planner, step_timeout=0.1, max_retries=1
    )
    task = await agent.run(REQUEST)
    await agent.aclose()
    assert task.status == TaskStatus.failed
    assert task.failure_reason == ("Max retries per step (1) exceeded: Step timed out after 0.1 s")
    assert [s.retry_index for s in task.steps] == [0, 1]


async def test_wall_clock_limit_per_task(make_agent: Callable[..., Agent]):
    planner = ScriptedPlanner([[InputTextAction(element_id="e1", text="x")]] * 100, delay=0.1)
    agent = make_agent(
        driver=InMemoryDriver(job_site()), planner=planner, task_timeout=0.5, max_steps=100
    )
    started = time.monotonic()
    task = await agent.run(REQUEST)
    await agent.aclose()
    assert time.monotonic() - started < 6
    assert task.status == TaskStatus.failed
    assert task.failure_reason == "Task exceeded its time limit (0.5 s)"
    assert task.steps[-1].status == StepStatus.failed and task.steps[-1].is_last


async def wait_for(agent: Agent, task_id: str, status: TaskStatus) -> None:
    with anyio.fail_after(5):
        while (await agent.get_task(task_id)).status != status:
            await anyio.sleep(0.02)


async def test_cancel_while_running_stops_before_the_next_action(
    make_agent: Callable[..., Agent],
):
    notifier = RecordingNotifier()
    driver = InMemoryDriver(job_site(), action_delay=0.5)
    planner = ScriptedPlanner([fill_and_submit(), [CompleteAction()]])
    agent = make_agent(driver=driver, planner=planner, notifier=notifier)
    async with agent:
        task_id = await agent.submit(REQUEST)
        await wait_for(agent, task_id, TaskStatus.running)
        with anyio.fail_after(5):
            while not driver.executed:
                await anyio.sleep(0.01)
        started = time.monotonic()
        canceled = await agent.cancel(task_id)
        assert canceled.status == TaskStatus.canceled
        with anyio.fail_after(5):
            while not notifier.tasks:
                await anyio.sleep(0.01)
        elapsed = time.monotonic() - started
        task = await agent.get_task(task_id, steps=True)
    assert elapsed < 1.0
    assert task.status == TaskStatus.canceled and task.failure_reason is None
    # The first action was under way; none of the three after it ran.
    assert len(driver.executed) == 1
    assert task.steps[-1].status == StepStatus.canceled
    assert driver.sessions[0].closed
    assert [t.status for t in notifier.tasks] == [TaskStatus.canceled]


async def test_cancel_queued_task_and_final_task(make_agent: Callable[..., Agent]):
    notifier = RecordingNotifier()
    agent = make_agent(notifier=notifier)
    await agent.start(workers=False)
    task = await agent.create_task(REQUEST)
    assert task.status == TaskStatus.queued
    canceled = await agent.cancel(task.task_id)
    assert canceled.status == TaskStatus.canceled
    assert [t.status for t in notifier.tasks] == [TaskStatus.canceled]
    with pytest.raises(InvalidTransitionError, match="'canceled' to 'canceled'"):
        await agent.cancel(task.task_id)
    await agent.aclose()


class FlakyStore(MemoryStore):
    """A store whose create_step fails the first ``failures`` times."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def create_step(self, step):  # type: ignore[no-untyped-def]
        if self.failures:
            self.failures -= 1
            raise StoreError("database is locked")
        return await super().create_step(step)


class BrokenArtifacts(MemoryArtifactStore):
    async def put(self, key: str, data: Any, *, content_type: str) -> str:
        raise ArtifactError("disk full")


@pytest.mark.parametrize(
    ("backends", "status", "reason"),
    [
        pytest.param(
            {"driver": InMemoryDriver(job_site(), errors={"start": BrowserError("no Chromium")})},
            TaskStatus.failed,
            "Max retries per step (3) exceeded: Browser error: no Chromium",
            id="driver-start",
        ),
        pytest.param(
            {"driver": InMemoryDriver(job_site(), errors={"snapshot": [BrowserError("crash")]})},
            TaskStatus.completed,
            None,
            id="driver-snapshot-once",
        ),
        pytest.param(
            {"driver": InMemoryDriver(job_site(), errors={"execute": RuntimeError("boom")})},
            TaskStatus.failed,
            "Max retries per step (3) exceeded: Internal error (RuntimeError): boom",
            id="driver-execute-bug",
        ),
        pytest.param(
            {"planner": ScriptedPlanner([LLMError("rate limited")] * 4)},
            TaskStatus.failed,
            "Max retries per step (3) exceeded: Planner error: rate limited",
            id="planner",
        ),
        pytest.param(
            {"store": FlakyStore(failures=1)},
            TaskStatus.failed,
            "Store error: database is locked",
            id="store",
        ),
        pytest.param(
            {"artifact_store": BrokenArtifacts()},
            TaskStatus.failed,
            "Max retries per step (3) exceeded: Artifact store error: disk full",
            id="artifact-store",
        ),
        pytest.param(
            {"notifier": RecordingNotifier(error=NotifierError("receiver down"))},
            TaskStatus.completed,
            None,
            id="notifier",
        ),
    ],
)
async def test_an_exception_in_any_backend_ends_the_task_readably(
    make_agent: Callable[..., Agent],
    backends: dict[str, Any],
    status: TaskStatus,
    reason: str | None,
):
    backends.setdefault("driver", InMemoryDriver(job_site()))
    backends.setdefault(
        "planner",
        ScriptedPlanner(
            [fill_and_submit()] * 4 + [[CompleteAction()]],
            extractions=[{"confirmation": "JA-4821"}],
        ),
    )
    agent = make_agent(**backends)
    task = await agent.run(REQUEST)
    await agent.aclose()
    assert task.status == status
    assert task.failure_reason == reason
    assert all(s.status.is_final for s in task.steps)


async def test_worker_pool_runs_submitted_tasks_within_the_concurrency_limit(
    make_agent: Callable[..., Agent],
):
    running = 0
    peak = 0

    async def decide(ctx: Any) -> Decision:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.05)
        running -= 1
        return Decision(actions=[CompleteAction()])

    planner = ScriptedPlanner([decide] * 6, extractions=[{"n": i} for i in range(6)])
    agent = make_agent(driver=InMemoryDriver(job_site()), planner=planner, concurrency=2)
    async with agent:
        ids = [await agent.submit(REQUEST) for _ in range(6)]
        with anyio.fail_after(10):
            for task_id in ids:
                while not (await agent.get_task(task_id)).status.is_final:
                    await anyio.sleep(0.02)
        tasks = [await agent.get_task(i) for i in ids]
        listed = await agent.list_tasks(page=1, page_size=4)
        second = await agent.list_tasks(page=2, page_size=4)
    assert {t.status for t in tasks} == {TaskStatus.completed}
    assert peak == 2
    assert [t.task_id for t in listed] == list(reversed(ids))[:4]
    assert [t.task_id for t in second] == list(reversed(ids))[4:]


def test_run_sync_from_a_script(make_agent: Callable[..., Agent]):
    planner = ScriptedPlanner([[CompleteAction()]], extractions=[{"ok": True}])
    agent = make_agent(driver=InMemoryDriver(job_site()), planner=planner)
    task = agent.run_sync(REQUEST)
    assert task.status == TaskStatus.completed
    assert task.extracted_information == {"ok": True}


async def test_bad_input_is_refused_before_anything_is_stored(make_agent: Callable[..., Agent]):
    store = MemoryStore()
    agent = make_agent(store=store)
    with pytest.raises(ValueError, match="url must be an absolute http or https URL"):
        await agent.run(url="javascript:alert(1)", navigation_goal="x")
    with pytest.raises(ValueError, match="navigation_goal, a data_extraction_goal"):
        await agent.run(url=START)
    await agent.start(workers=False)
    assert await agent.list_tasks() == []
    await agent.aclose()


async def test_a_backend_that_cannot_be_built_raises_before_storing(
    make_agent: Callable[..., Agent],
):
    from skyvern_core.errors import ConfigurationError, UnknownBackendError

    store = MemoryStore()
    agent = make_agent(store=store, driver="no-such-driver")
    with pytest.raises(UnknownBackendError, match="no driver named 'no-such-driver'"):
        await agent.run(REQUEST)
    agent = make_agent(store=store, planner=None)
    with pytest.raises(ConfigurationError, match="set SKYVERN_LLM_MODEL"):
        await agent.run(REQUEST)
    assert await agent.list_tasks() == []
    await agent.aclose()


async def test_a_submitted_task_whose_backend_cannot_be_built_fails_with_the_reason(
    make_agent: Callable[..., Agent],
):
    agent = make_agent(driver="no-such-driver")
    async with agent:
        task_id = await agent.submit(REQUEST)
        with anyio.fail_after(5):
            while not (task := await agent.get_task(task_id)).status.is_final:
                await anyio.sleep(0.02)
    assert task.status == TaskStatus.failed
    assert "no driver named 'no-such-driver'" in task.failure_reason


async def _shut_down_mid_step(make_agent: Callable[..., Agent], **settings: Any) -> tuple:
    notifier = RecordingNotifier()
    driver = InMemoryDriver(job_site(), action_delay=1)
    store = MemoryStore()
    agent = make_agent(
        driver=driver,
        store=store,
        notifier=notifier,
        planner=ScriptedPlanner([fill_and_submit()]),
        shutdown_grace=0,
        **settings,
    )
    await agent.start()
    task_id = await agent.submit(REQUEST)
    await wait_for(agent, task_id, TaskStatus.running)
    # Shut down once the first action is done: the second one is then under way.
    with anyio.fail_after(10):
        while not driver.executed:
            await anyio.sleep(0.01)
    await agent.aclose()
    return store, notifier, task_id


async def test_shutting_down_fails_running_tasks_that_must_not_run_twice(
    make_agent: Callable[..., Agent],
):
    store, notifier, task_id = await _shut_down_mid_step(make_agent, task_max_attempts=1)
    task = await store.get_task(task_id)
    assert task.status == TaskStatus.failed
    assert task.failure_reason == (
        "The worker running this task was shut down before the task finished"
    )
    assert [t.status for t in notifier.tasks] == [TaskStatus.failed]


async def test_shutting_down_gives_running_tasks_back_to_the_queue(
    make_agent: Callable[..., Agent],
):
    store, notifier, task_id = await _shut_down_mid_step(make_agent)
    task = await store.get_task(task_id)
    # Back in the queue as its next attempt, for whichever worker comes next; nothing
    # final was reported for it.
    assert task.status == TaskStatus.queued
    assert task.attempt == 2
    assert task.worker_id is None and task.finished_at is None
    assert notifier.tasks == []
    steps = await store.list_steps(task_id)
    assert [(s.attempt, s.status) for s in steps] == [(1, StepStatus.canceled)]
