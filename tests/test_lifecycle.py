"""The task lifecycle under races and crashes: every decision a conditional write.

Races are played as deterministic interleavings (a store wrapper that holds a call at the
racy point while the test makes the other move), and time is moved with a
:class:`~skyvern_core.testing.FakeClock` rather than waited for, wherever the engine reads
it through its clock.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from skyvern_core import Agent, TaskRequest, TaskStatus
from skyvern_core.asgi import create_app
from skyvern_core.auth import create_organization
from skyvern_core.config import Settings
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.errors import LostClaimError, TOTPError
from skyvern_core.ids import new_id
from skyvern_core.models import (
    ClickAction,
    CompleteAction,
    Decision,
    Extraction,
    InputTextAction,
    Organization,
    Step,
    StepStatus,
    Task,
)
from skyvern_core.protocols import PlanContext
from skyvern_core.storage import StepUpdate, TaskUpdate
from skyvern_core.testing import (
    FakeClock,
    FakePage,
    InMemoryDriver,
    MemoryArtifactStore,
    RecordingNotifier,
    ScriptedPlanner,
    element,
)
from skyvern_core.testing.memory_store import MemoryStore
from skyvern_core.totp import TOTP_PLACEHOLDER, TotpResolver
from skyvern_core.webhooks import WebhookNotifier, verify
from tests.interleave import InterleavingStore, until
from tests.servers import Receiver, UvicornThread

ROOT = Path(__file__).resolve().parents[1]
FORM = "https://shop.example.test/form"
DONE = "https://shop.example.test/done"
VERIFY = "https://bank.example.test/verify"
SIGNED_IN = "https://bank.example.test/account"
SECRET = "whsec-lifecycle"


def pages() -> list[FakePage]:
    return [
        FakePage(
            url=FORM,
            title="Order",
            elements=[element("e1", "textbox", "Name"), element("e2", "button", "Send")],
            links={"e2": DONE},
        ),
        FakePage(url=DONE, title="Thanks", text="Order number SO-1001"),
    ]


class FormPlanner(ScriptedPlanner):
    """Fills and sends the order form, completes on the thanks page (any number of tasks)."""

    async def decide(self, context: PlanContext) -> Decision:
        self.contexts.append(context)
        if context.page.url == FORM:
            return Decision(
                actions=[InputTextAction(element_id="e1", text="Ada"), ClickAction(element_id="e2")]
            )
        return Decision(actions=[CompleteAction()])

    async def extract(self, context: Any) -> Extraction:
        return Extraction(data={"order": "SO-1001"})


def form_planner() -> FormPlanner:
    return FormPlanner()


def request(**fields: Any) -> TaskRequest:
    return TaskRequest(
        url=FORM,
        navigation_goal="Place the order",
        data_extraction_goal="The order number",
        **fields,
    )


async def claimed_task(
    store: Any, worker_id: str, *, lease: float = 60, attempt: int = 1, **fields: Any
) -> Task:
    """A task of a new organization, claimed by ``worker_id``, with a running step."""
    org = await store.get_or_create_organization("default")  # the agent's own
    task = await store.create_task(
        Task(
            task_id=new_id("task"),
            organization_id=org.organization_id,
            request=request(**fields),
            max_steps=5,
            attempt=attempt,
        )
    )
    await store.update_task(task.task_id, TaskUpdate(status=TaskStatus.queued))
    claimed = await store.claim_task(worker_id, lease_seconds=lease, task_id=task.task_id)
    assert claimed is not None
    step = await store.create_step(
        Step(
            step_id=new_id("step"),
            task_id=task.task_id,
            organization_id=org.organization_id,
            order=0,
            attempt=attempt,
        )
    )
    await store.update_step(step.step_id, StepUpdate(status=StepStatus.running))
    return claimed


# --------------------------------------------------------------------------- Agent.run


async def test_run_inside_a_running_pool_returns_only_final_tasks(
    make_agent: Callable[..., Agent],
):
    """The README's pattern: the task is stored already claimed by ``run``, so a pool
    worker polling the queue at that very moment cannot take it."""
    store = InterleavingStore(MemoryStore())
    agent = make_agent(
        driver=InMemoryDriver(pages()), store=store, concurrency=4, planner=form_planner()
    )
    async with agent:
        for _ in range(20):
            created = store.hold("create_task", after=True)
            claims_before = store.calls["claim_task"]
            async with anyio.create_task_group() as group:
                results: list[Task] = []

                async def run(into: list[Task] = results) -> None:
                    into.append(await agent.run(request()))

                group.start_soon(run)
                # Storing a task first checks its URL's addresses, which a loaded machine's
                # resolver may take seconds to answer.
                await created.wait_reached(30)
                # The task is in the store; let the idle pool workers look at the queue.
                agent._wake.set()
                await until(lambda b=claims_before: store.calls["claim_task"] >= b + 3)
                created.open()
            (task,) = results
            assert task.status == TaskStatus.completed, task.failure_reason
            assert task.worker_id == agent.worker_id
            assert [(s.attempt, s.order, s.status) for s in task.steps] == [
                (1, 0, StepStatus.completed),
                (1, 1, StepStatus.completed),
            ]


async def test_run_for_another_organization_returns_its_task(make_agent: Callable[..., Agent]):
    store = MemoryStore()
    agent = make_agent(driver=InMemoryDriver(pages()), store=store, planner=form_planner())
    other = await store.create_organization(
        Organization(organization_id=new_id("organization"), name="Globex")
    )
    async with agent:
        task = await agent.run(request(), organization_id=other.organization_id)
    assert task.organization_id == other.organization_id
    assert task.status == TaskStatus.completed
    assert len(task.steps) == 2


# --------------------------------------------------------------------------- cancel races


async def test_a_cancel_landing_while_the_task_finishes_is_what_the_webhook_says(
    tmp_path: Path,
):
    """The run has decided "completed" and is recording its end when another process's
    cancel lands: the store and the webhook both say canceled, and the final screenshot,
    the recording and the extraction are kept."""
    url = f"sqlite:///{tmp_path / 'tasks.db'}"
    store = InterleavingStore(SQLStore(url))
    with Receiver() as hooks:
        runner = Agent(
            driver=InMemoryDriver(pages(), recording=True),
            store=store,
            planner=form_planner(),
            artifact_store=MemoryArtifactStore(),
            data_dir=tmp_path,
            webhook_secret=SECRET,
            poll_interval=0.05,
        )
        api = Agent(
            driver=InMemoryDriver(),
            store=SQLStore(url),
            planner=ScriptedPlanner(),
            notifier="none",
            data_dir=tmp_path,
        )
        finishing = store.hold("finish_task")
        await api.start(workers=False)  # the API process runs no tasks
        async with runner:
            task_id = await runner.submit(request(webhook_callback_url=hooks.url))
            await finishing.wait_reached()
            canceled = await api.cancel(task_id)
            assert canceled.status == TaskStatus.canceled
            assert canceled.finished_at is None  # its worker is alive: it finishes it
            finishing.open()
            await until(lambda: hooks.requests)
            stored = await runner.store.get_task(task_id)
        await api.aclose()
        (hook,) = hooks.requests
    verify(SECRET, hook.headers, hook.body, now=hook.at)
    body = json.loads(hook.body)
    assert stored.status == TaskStatus.canceled
    assert body["status"] == "canceled" and body["task_id"] == task_id
    assert stored.screenshot_artifact_id is not None
    assert stored.recording_artifact_id is not None
    assert stored.extracted_information == {"order": "SO-1001"}
    assert body["extracted_information"] == {"order": "SO-1001"}
    assert stored.finished_at is not None and stored.lease_expires_at is None


async def test_cancel_of_a_task_whose_worker_died_finishes_it(make_agent: Callable[..., Agent]):
    store = MemoryStore()
    notifier = RecordingNotifier()
    clock = FakeClock()
    agent = make_agent(store=store, notifier=notifier, clock=clock)
    task = await claimed_task(
        store, "dead-worker", lease=30, webhook_callback_url="https://h.test/"
    )
    clock.advance(31)  # its lease ran out: nobody renews it
    await agent.start(workers=False)
    try:
        canceled = await agent.cancel(task.task_id)
    finally:
        await agent.aclose()
    assert canceled.status == TaskStatus.canceled and canceled.finished_at is not None
    (step,) = await store.list_steps(task.task_id)
    assert step.status == StepStatus.canceled
    assert [(t.task_id, t.status) for t in notifier.tasks] == [(task.task_id, TaskStatus.canceled)]
    (delivery,) = await store.list_deliveries(task.task_id)
    assert delivery.url == "https://h.test/"


async def test_a_canceled_task_whose_worker_then_died_is_finished_by_recovery(
    make_agent: Callable[..., Agent],
):
    store = MemoryStore()
    notifier = RecordingNotifier()
    clock = FakeClock()
    agent = make_agent(store=store, notifier=notifier, clock=clock)
    task = await claimed_task(store, "alive-then-dead", lease=30)
    await agent.start(workers=False)
    try:
        canceled = await agent.cancel(task.task_id)
        assert canceled.finished_at is None  # left to its worker, which then dies
        assert notifier.tasks == []
        clock.advance(31)
        await agent._recover_expired()
    finally:
        await agent.aclose()
    ended = await store.get_task(task.task_id)
    assert ended.status == TaskStatus.canceled and ended.finished_at is not None
    assert [s.status for s in await store.list_steps(task.task_id)] == [StepStatus.canceled]
    assert [t.status for t in notifier.tasks] == [TaskStatus.canceled]


# --------------------------------------------------------------------------- lease expiry


async def test_expiry_leaves_a_task_whose_worker_renewed_meanwhile(
    make_agent: Callable[..., Agent],
):
    store = InterleavingStore(MemoryStore())
    clock = FakeClock()
    agent = make_agent(store=store, clock=clock)
    task = await claimed_task(store, "slow-worker", lease=60)
    clock.advance(61)
    deciding = store.hold("recover_task")
    await agent.start(workers=False)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(agent._recover_expired)
            await deciding.wait_reached()
            # The recovery has seen the lease expired; the worker renews it now.
            status = await store.renew_lease(task.task_id, "slow-worker", lease_seconds=120)
            assert status == TaskStatus.running
            deciding.open()
    finally:
        await agent.aclose()
    assert deciding.results == [None]  # nothing written
    kept = await store.get_task(task.task_id)
    assert (kept.status, kept.worker_id, kept.attempt) == (TaskStatus.running, "slow-worker", 1)
    assert [s.status for s in await store.list_steps(task.task_id)] == [StepStatus.running]


async def test_expiry_leaves_a_task_another_worker_took_meanwhile(
    make_agent: Callable[..., Agent],
):
    store = InterleavingStore(MemoryStore())
    clock = FakeClock()
    agent = make_agent(store=store, clock=clock)
    task = await claimed_task(store, "lost-worker", lease=60)
    clock.advance(61)
    deciding = store.hold("recover_task")
    await agent.start(workers=False)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(agent._recover_expired)
            await deciding.wait_reached()
            # Meanwhile another process recovered it and a third worker claimed it.
            again = await store.recover_task(
                task.task_id, "lost-worker", now=clock.now(), requeue=True, reason="lost"
            )
            assert again is not None and again.status == TaskStatus.queued
            assert await store.claim_task("fresh-worker", lease_seconds=1, task_id=task.task_id)
            deciding.open()
    finally:
        await agent.aclose()
    assert deciding.results == [None]
    kept = await store.get_task(task.task_id)
    assert (kept.status, kept.worker_id, kept.attempt) == (TaskStatus.running, "fresh-worker", 2)
    # The old worker cannot record an end for it any more.
    with pytest.raises(LostClaimError):
        await store.finish_task(task.task_id, status=TaskStatus.completed, worker_id="lost-worker")


async def test_a_task_that_lost_its_worker_on_every_attempt_fails_naming_them(
    make_agent: Callable[..., Agent],
):
    store = MemoryStore()
    notifier = RecordingNotifier()
    clock = FakeClock()
    agent = make_agent(store=store, notifier=notifier, clock=clock, task_max_attempts=2)
    first = await claimed_task(store, "w1", lease=10)
    last = await claimed_task(store, "w2", lease=10, attempt=2)
    clock.advance(11)
    await agent.start(workers=False)
    try:
        await agent._recover_expired()
    finally:
        await agent.aclose()
    requeued = await store.get_task(first.task_id)
    assert (requeued.status, requeued.attempt, requeued.worker_id) == (TaskStatus.queued, 2, None)
    failed = await store.get_task(last.task_id)
    assert failed.status == TaskStatus.failed
    assert failed.failure_reason == (
        "The worker running this task stopped responding (its lease expired) on each of its "
        "2 attempts; not run again"
    )
    (step,) = await store.list_steps(last.task_id)
    assert step.status == StepStatus.failed and step.failure_reason == failed.failure_reason
    assert [(t.task_id, t.status) for t in notifier.tasks] == [(last.task_id, TaskStatus.failed)]


# --------------------------------------------------------------------------- the outbox

CRASH_SCRIPT = """
import os, signal, sys
import anyio
from skyvern_core import Agent, TaskRequest
from skyvern_core.models import ClickAction, CompleteAction, Decision, InputTextAction
from skyvern_core.testing import FakePage, InMemoryDriver, MemoryArtifactStore, ScriptedPlanner
from skyvern_core.testing import element
from skyvern_core.webhooks import WebhookNotifier

class CrashingNotifier(WebhookNotifier):
    async def notify(self, task):
        # The end of the task is committed; the process dies before anything is sent.
        print("finished", task.task_id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

async def main():
    db, hook = sys.argv[1], sys.argv[2]
    pages = [
        FakePage(url="https://shop.example.test/form", title="Order",
                 elements=[element("e1", "textbox", "Name")]),
    ]
    agent = Agent(driver=InMemoryDriver(pages), store="sqlite", database_url=db,
                  planner=ScriptedPlanner([Decision(actions=[CompleteAction()])]),
                  artifact_store=MemoryArtifactStore(), webhook_secret="whsec-lifecycle",
                  data_dir=os.path.dirname(db.removeprefix("sqlite:///")))
    agent._backends["notifier"] = CrashingNotifier(agent.store, agent.settings)
    await agent.run(TaskRequest(url="https://shop.example.test/form",
                                navigation_goal="Look", webhook_callback_url=hook))

anyio.run(main)
"""


async def test_a_webhook_is_delivered_after_a_crash_between_finish_and_delivery(
    tmp_path: Path,
):
    url = f"sqlite:///{tmp_path / 'tasks.db'}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}
    with Receiver() as hooks:
        with anyio.fail_after(120):
            crashed = await anyio.run_process(
                [sys.executable, "-c", CRASH_SCRIPT, url, hooks.url], env=env, check=False
            )
        output = crashed.stdout.decode() + crashed.stderr.decode()
        assert crashed.returncode == -9, output
        task_id = crashed.stdout.decode().split()[-1]
        assert hooks.requests == []
        # A later process that runs the sender finds the delivery in the outbox.
        async with SQLStore(url) as store:
            settings = Settings(data_dir=tmp_path, webhook_secret=SECRET, poll_interval=0.05)
            async with anyio.create_task_group() as group:
                group.start_soon(WebhookNotifier(store, settings).serve)
                await until(lambda: hooks.requests, seconds=20)

                async def delivered() -> Any:
                    (found,) = await store.list_deliveries(task_id)
                    return found if found.status.value == "delivered" else None

                delivery = await until(delivered)
                group.cancel_scope.cancel()
    (hook,) = hooks.requests
    verify(SECRET, hook.headers, hook.body, now=hook.at)
    assert json.loads(hook.body)["task_id"] == task_id
    assert json.loads(hook.body)["status"] == "completed"
    assert delivery.attempts == 1


async def test_the_sweeper_delivers_a_finished_task_that_has_no_delivery(tmp_path: Path):
    store = MemoryStore()
    with Receiver() as hooks:
        task = await claimed_task(store, "w", webhook_callback_url=hooks.url)
        # Ended by code that bypassed the outbox (an older version, a script).
        from skyvern_core.models import utcnow

        await store.update_task(
            task.task_id, TaskUpdate(status=TaskStatus.failed, failure_reason="x")
        )
        await store.update_task(task.task_id, TaskUpdate(finished_at=utcnow()))
        assert await store.list_deliveries(task.task_id) == []
        notifier = WebhookNotifier(store, Settings(data_dir=tmp_path, webhook_secret=SECRET))
        assert await notifier.sweep() == 1
        assert await notifier.sweep() == 0  # once
        assert await notifier.run_pending() == 1
        await notifier.aclose()
    (hook,) = hooks.requests
    assert json.loads(hook.body)["status"] == "failed"


async def test_a_send_does_not_hold_the_worker_past_its_bound(make_agent: Callable[..., Agent]):
    """A notifier that never returns is cut off; the task is recorded before it is called."""

    class Hanging(RecordingNotifier):
        async def notify(self, task: Task) -> None:
            await anyio.sleep_forever()

    store = MemoryStore()
    agent = make_agent(
        driver=InMemoryDriver(pages()),
        store=store,
        planner=form_planner(),
        notifier=Hanging(),
        webhook_timeout=0.2,
    )
    async with agent:
        started = time.monotonic()
        task = await agent.run(request())
        took = time.monotonic() - started
    assert task.status == TaskStatus.completed
    assert took < 0.2 + 5 + 3, took  # the notifier's bound, not forever


# --------------------------------------------------------------------------- one-time codes


def verify_site() -> list[FakePage]:
    return [
        FakePage(
            url=VERIFY,
            title="Verify",
            elements=[
                element("c1", "textbox", "Verification code", required=True),
                element("c2", "button", "Verify"),
            ],
            submit={"c2": SIGNED_IN},
        ),
        FakePage(url=SIGNED_IN, title="Account", text="Welcome back"),
    ]


class CodePlanner(ScriptedPlanner):
    """Types the one-time code placeholder and submits, then completes."""

    async def decide(self, context: PlanContext) -> Decision:
        self.contexts.append(context)
        if context.page.url == VERIFY:
            return Decision(
                actions=[
                    InputTextAction(element_id="c1", text=TOTP_PLACEHOLDER),
                    ClickAction(element_id="c2"),
                ]
            )
        return Decision(actions=[CompleteAction()])


async def test_a_code_wait_longer_than_the_step_limit_still_acts_on_the_code(
    make_agent: Callable[..., Agent],
):
    """The wait for a pushed code has its own budget: a code that comes after the step's
    own time limit is typed and submitted, and the step is completed for having done so."""
    store = MemoryStore()
    driver = InMemoryDriver(verify_site())
    agent = make_agent(
        driver=driver,
        store=store,
        planner=CodePlanner(),
        step_timeout=0.5,
        totp_poll_interval=0.05,
        totp_timeout=30,
    )
    async with agent:
        task_id = await agent.submit(
            TaskRequest(url=VERIFY, navigation_goal="Sign in", totp_identifier="ada@example.test")
        )
        await until(lambda: driver.sessions, seconds=10)
        await anyio.sleep(1.0)  # twice the step's limit: the step is still waiting
        steps = await store.list_steps(task_id)
        assert [s.status for s in steps] == [StepStatus.running]
        org = (await store.get_task(task_id)).organization_id
        from skyvern_core.totp import push_code

        await push_code(store, org, "ada@example.test", "Your code is 482913")
        task = await until(
            lambda: _final(agent, task_id),
            seconds=10,
        )
    assert task.status == TaskStatus.completed, task.failure_reason
    first = task.steps[0]
    assert first.status == StepStatus.completed
    assert [r.success for r in first.action_results] == [True, True]
    typed = [a for a in driver.executed if isinstance(a, InputTextAction)]
    assert [a.text for a in typed] == ["482913"]


async def _final(agent: Agent, task_id: str) -> Task | None:
    task = await agent.get_task(task_id, steps=True)
    return task if task.status.is_final else None


async def test_a_code_wait_has_its_own_budget_on_the_clock(tmp_path: Path):
    """Five minutes of polling for a pushed code take no real time on a fake clock, and end
    with the reason."""
    store = InterleavingStore(MemoryStore())
    clock = FakeClock()
    settings = Settings(data_dir=tmp_path, totp_timeout=300, totp_poll_interval=5)
    resolver = TotpResolver(store, settings, clock=clock)
    org = await store.get_or_create_organization("Acme")
    task = Task(
        task_id=new_id("task"),
        organization_id=org.organization_id,
        request=TaskRequest(url=VERIFY, navigation_goal="Sign in", totp_identifier="ada"),
        max_steps=3,
    )
    with pytest.raises(TOTPError, match="within 300 s"):
        await resolver.code_for(task)
    assert clock.monotonic() == 300
    assert store.calls["take_totp_code"] == 61  # at 0, 5, ..., 300 s


# --------------------------------------------------------------------------- pushed codes


def test_a_code_pushed_for_one_task_goes_to_that_task_only(tmp_path: Path):
    """Two tasks wait on the same identifier; a code pushed naming one of them is taken by
    that one only, over the HTTP API. Naming another organization's task is a 404."""
    db = f"sqlite:///{tmp_path / 'api.db'}"

    async def orgs() -> tuple[Any, Any]:
        async with SQLStore(db) as store:
            return (
                await create_organization(store, "Acme"),
                await create_organization(store, "Globex"),
            )

    acme, globex = anyio.run(orgs)
    driver = InMemoryDriver(verify_site())
    agent = Agent(
        driver=driver,
        store="sqlite",
        database_url=db,
        planner=CodePlanner(),
        notifier="none",
        data_dir=tmp_path,
        poll_interval=0.05,
        totp_poll_interval=0.05,
    )
    server = UvicornThread(create_app(agent)).start()
    api = httpx.Client(base_url=server.url + "/api/v1", headers={"x-api-key": acme.api_key})
    other = httpx.Client(base_url=server.url + "/api/v1", headers={"x-api-key": globex.api_key})
    body = {
        "url": VERIFY,
        "navigation_goal": "Sign in",
        "totp_identifier": "+1 555 0100",
        "proxy_location": "NONE",
    }
    try:
        first = api.post("/tasks", json=body).json()["task_id"]
        second = api.post("/tasks", json=body).json()["task_id"]

        def status(task_id: str) -> str:
            return str(api.get(f"/tasks/{task_id}").json()["status"])

        deadline = time.monotonic() + 20
        while not (len(driver.sessions) == 2 and status(first) == status(second) == "running"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)  # both are polling for a code

        stranger = {"totp_identifier": "+1 555 0100", "content": "111111", "task_id": second}
        assert other.post("/totp", json=stranger).status_code == 404
        pushed = api.post(
            "/totp",
            json={"totp_identifier": "+1 555 0100", "content": "Code: 246810", "task_id": second},
        )
        assert pushed.status_code == 200, pushed.text
        while status(second) != "completed":
            assert time.monotonic() < deadline + 10
            time.sleep(0.05)
        time.sleep(0.3)
        assert status(first) == "running"  # the code was not its to take
        typed = [a.text for a in driver.executed if isinstance(a, InputTextAction)]
        assert typed == ["246810"]

        api.post("/totp", json={"totp_identifier": "+1 555 0100", "content": "Code: 135790"})
        while status(first) != "completed":
            assert time.monotonic() < deadline + 20
            time.sleep(0.05)
        typed = [a.text for a in driver.executed if isinstance(a, InputTextAction)]
        assert typed == ["246810", "135790"]
    finally:
        api.close()
        other.close()
        server.stop()


async def test_a_code_pushed_for_no_task_is_taken_by_any_waiting_task() -> None:
    store = MemoryStore()
    org = await store.get_or_create_organization("Acme")
    from skyvern_core.models import utcnow

    later = utcnow() + timedelta(minutes=5)
    await store.add_totp_code(org.organization_id, "ada", "111111", later, task_id="tsk_b")
    await store.add_totp_code(org.organization_id, "ada", "222222", later)
    now = utcnow()
    assert await store.take_totp_code(org.organization_id, "ada", now, task_id="tsk_a") == "222222"
    assert await store.take_totp_code(org.organization_id, "ada", now, task_id="tsk_a") is None
    assert await store.take_totp_code(org.organization_id, "ada", now) is None
    assert await store.take_totp_code(org.organization_id, "ada", now, task_id="tsk_b") == "111111"
