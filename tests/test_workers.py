"""Worker processes sharing one PostgreSQL queue: real, separate processes.

* several worker processes drain one queue, each task run exactly once;
* a worker killed with SIGKILL in the middle of a task: soon after the lease runs out,
  another worker runs the task again from its start (its second attempt) to completion —
  or fails it at once, with ``task_max_attempts=1`` — and the rest still complete;
* a worker stopped with SIGTERM: its running tasks finish within the grace period, or go
  back to the queue at a step boundary (at once, past a second grace period) and complete
  on another worker; no step is recorded twice and each task gets one webhook;
* a cancel made by the API process reaches the worker process running the task, which
  stops before its next action;
* the two real commands, ``skyvern-core serve --no-workers`` and ``skyvern-core worker``,
  run a real task in Chromium together.

The worker processes of the first three are ``tests/worker_script.py`` (an Agent on an
in-memory driver and an instant planner, which log what they do to files); leases are
short (:data:`LEASE` seconds, renewed every :data:`POLL`), so recovery takes seconds. The
database is inspected with plain SQL, independently of the store under test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from skyvern_core import Agent
from skyvern_core.asgi import create_app
from skyvern_core.auth import NewOrganization, create_organization
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.demo import demo_request
from skyvern_core.testing import InMemoryDriver, MemoryArtifactStore, ScriptedPlanner
from skyvern_core.testing.sites import FixtureSites
from skyvern_core.webhooks import verify
from tests.servers import Receiver, UvicornThread

pytestmark = pytest.mark.postgres

SCRIPT = Path(__file__).with_name("worker_script.py")
ROOT = Path(__file__).resolve().parents[1]
URL = "http://127.0.0.1:9/form"  # the page of the workers' in-memory driver
LEASE = 1.5
POLL = 0.1
LEASE_EXPIRED = "The worker running this task stopped responding (its lease expired)"
FINAL = {"completed", "failed", "terminated", "canceled"}
SECRET = "whsec-workers"


# --------------------------------------------------------------------------- helpers


def wait_for(what: str, check: Callable[[], Any], timeout: float = 20, every: float = 0.02) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a worker's log (a line still being written is left out)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    return [json.loads(line) for line in lines if line.endswith("\n")]


class Db:
    """Plain SQL on the test's database (not through the store under test)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Rows of a query as dicts."""
        with psycopg.connect(self.url, autocommit=True, row_factory=dict_row) as conn:
            return list(conn.execute(sql.encode(), params).fetchall())  # type: ignore[arg-type]

    def task(self, task_id: str) -> dict[str, Any]:
        """One task's row."""
        return self.query("SELECT * FROM tasks WHERE task_id = %s", task_id)[0]

    def tasks(self) -> dict[str, dict[str, Any]]:
        """Every task's row, by id."""
        return {row["task_id"]: row for row in self.query("SELECT * FROM tasks")}

    def steps(self, task_id: str) -> list[dict[str, Any]]:
        """A task's steps in order."""
        return self.query(
            "SELECT * FROM steps WHERE task_id = %s"
            ' ORDER BY attempt, "order", retry_index, created_at',
            task_id,
        )


class Worker:
    """A ``tests/worker_script.py`` process."""

    def __init__(self, url: str, folder: Path, name: str, concurrency: int, *extra: str) -> None:
        self.folder = folder
        self.name = name
        self.output = (folder / f"{name}.out").open("w")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(SCRIPT),
                url,
                str(folder),
                name,
                "--concurrency",
                str(concurrency),
                "--lease-seconds",
                str(LEASE),
                "--poll-interval",
                str(POLL),
                *extra,
            ],
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )
        self.worker_id = ""

    def wait_ready(self, timeout: float = 60) -> str:
        """Wait until its Agent runs; return its worker id."""
        ready = self.folder / f"{self.name}.ready"

        def check() -> bool:
            assert self.proc.poll() is None, f"{self.name} exited:\n{self.log()}"
            return ready.exists() and bool(ready.read_text())

        wait_for(f"{self.name} to start", check, timeout=timeout)
        self.worker_id = ready.read_text()
        return self.worker_id

    def decisions(self) -> list[dict[str, Any]]:
        """Its planner's calls so far."""
        return read_lines(self.folder / f"{self.name}.decisions")

    def actions(self) -> list[dict[str, Any]]:
        """Its driver's action records so far."""
        return read_lines(self.folder / f"{self.name}.actions")

    def log(self) -> str:
        """What it printed."""
        self.output.flush()
        return (self.folder / f"{self.name}.out").read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM, as a deployment would stop it; SIGKILL if it does not end. Returns the
        exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if not self.output.closed:
            self.output.close()
        return self.proc.returncode


@contextlib.contextmanager
def workers(
    url: str, folder: Path, count: int, concurrency: int, *extra: str, first: int = 0
) -> Iterator[list[Worker]]:
    """Start ``count`` worker processes (all at once, named from ``w{first}``) with the
    ``extra`` command-line options and wait until each runs."""
    started = [
        Worker(url, folder, f"w{n}", concurrency, *extra) for n in range(first, first + count)
    ]
    try:
        for worker in started:
            worker.wait_ready()
        yield started
    finally:
        for worker in started:
            worker.stop()


def create_tasks(url: str, payloads: list[dict[str, Any]], webhook: str | None = None) -> list[str]:
    """Queue one task per payload (with that ``webhook_callback_url``) through an Agent
    without workers (another process's store client than the workers'); return their ids
    in order."""

    async def main() -> list[str]:
        agent = Agent(
            driver=InMemoryDriver(),
            planner=ScriptedPlanner(),
            store="postgres",
            artifact_store=MemoryArtifactStore(),
            notifier="none",
            database_url=url,
        )
        await agent.start(workers=False)
        try:
            ids = []
            for payload in payloads:
                task = await agent.create_task(
                    url=URL,
                    navigation_goal="Fill in the form",
                    navigation_payload=payload,
                    webhook_callback_url=webhook,
                )
                ids.append(task.task_id)
            return ids
        finally:
            await agent.aclose()

    return anyio.run(main)


def owner(workers: list[Worker], worker_id: str | None) -> Worker:
    """The worker process with that worker id."""
    return next(w for w in workers if w.worker_id == worker_id)


# --------------------------------------------------------------------------- draining


def test_worker_processes_drain_one_queue_and_run_each_task_exactly_once(
    postgres_database_url: str, tmp_path: Path
):
    db = Db(postgres_database_url)
    with workers(postgres_database_url, tmp_path, count=3, concurrency=3) as pool:
        # Three steps per task, the planner taking 50 ms each: long enough that all nine
        # slots contend for the queue, short enough to drain it in a few seconds.
        script = [["a"], ["b"], ["c"]]
        payloads = [
            {"script": script, "plan_sleep": {"0": 0.05, "1": 0.05, "2": 0.05}, "n": n}
            for n in range(30)
        ]
        ids = create_tasks(postgres_database_url, payloads)

        def drained() -> bool:
            rows = db.tasks()
            return all(rows[i]["status"] in FINAL for i in ids)

        wait_for("the queue to drain", drained, timeout=60, every=0.1)
        rows = db.tasks()
        decisions = {w.worker_id: w.decisions() for w in pool}
        actions = {w.worker_id: w.actions() for w in pool}

    statuses = Counter(rows[i]["status"] for i in ids)
    assert statuses == {"completed": 30}, [(i, rows[i]["failure_reason"]) for i in ids]
    for task_id in ids:
        # Claimed once: one process's planner saw the task, and the first step once.
        deciders = {
            wid for wid, lines in decisions.items() if any(d["task"] == task_id for d in lines)
        }
        assert deciders == {rows[task_id]["worker_id"]}, task_id
        firsts = [
            d
            for lines in decisions.values()
            for d in lines
            if d["task"] == task_id and d["order"] == 0 and d["retry"] == 0
        ]
        assert len(firsts) == 1, (task_id, firsts)
        steps = db.steps(task_id)
        assert [(s["order"], s["retry_index"], s["status"]) for s in steps] == [
            (0, 0, "completed"),
            (1, 0, "completed"),
            (2, 0, "completed"),
            (3, 0, "completed"),
        ]
        # Every action carried out once, by the claiming process only.
        done = [
            (wid, a["text"])
            for wid, lines in actions.items()
            for a in lines
            if a["task"] == task_id and a["phase"] == "done"
        ]
        owner_id = rows[task_id]["worker_id"]
        assert done == [(owner_id, "a"), (owner_id, "b"), (owner_id, "c")], task_id
    # The union of what the processes ran is the queue, with no duplicates.
    ran = [d["task"] for lines in decisions.values() for d in lines if d["order"] == 0]
    assert sorted(ran) == sorted(ids)
    per_process = Counter(rows[i]["worker_id"] for i in ids)
    assert set(per_process) == {w.worker_id for w in pool}, per_process


# --------------------------------------------------------------------------- kill -9


def webhooks_by_task(receiver: Receiver) -> dict[str, list[str]]:
    """The statuses each task's webhooks carried, every request verified."""
    found: dict[str, list[str]] = {}
    for request in receiver.requests:
        verify(SECRET, request.headers, request.body, now=request.at)
        body = json.loads(request.body)
        found.setdefault(body["task_id"], []).append(body["status"])
    return found


def step_keys(steps: list[dict[str, Any]]) -> list[tuple[int, int, int, str]]:
    """(attempt, order, retry, status) of each step; a key recorded twice is a bug."""
    keys = [(s["attempt"], s["order"], s["retry_index"], s["status"]) for s in steps]
    assert len({k[:3] for k in keys}) == len(keys), keys
    return keys


def planning(db: Db, pool: list[Worker], task_id: str, order: int) -> Worker | None:
    """The worker whose planner is deciding step ``order`` of the task's current attempt."""
    row = db.task(task_id)
    if row["status"] != "running":
        return None
    worker = owner(pool, row["worker_id"])
    attempt = row["attempt"]
    seen = worker.decisions()
    if any(d["task"] == task_id and d["order"] == order and d["attempt"] == attempt for d in seen):
        return worker
    return None


@pytest.mark.parametrize("attempts", [2, 1])
def test_a_killed_worker_s_task_runs_again_on_another_worker_after_its_lease(
    attempts: int, postgres_database_url: str, tmp_path: Path
):
    db = Db(postgres_database_url)
    options = ("--max-attempts", str(attempts), "--webhook-secret", SECRET)
    with (
        Receiver() as hooks,
        workers(postgres_database_url, tmp_path, 3, 2, *options) as pool,
    ):
        # Step 0 types "a", then the planner of step 1 takes a minute on the first
        # attempt: the task is mid-run when its worker is killed.
        (stuck,) = create_tasks(
            postgres_database_url,
            [{"script": [["a"], ["b"]], "plan_sleep": {"a1:1": 60}}],
            webhook=hooks.url,
        )
        victim = wait_for("the task to reach its second step", lambda: planning(db, pool, stuck, 1))
        assert [a["text"] for a in victim.actions() if a["phase"] == "done"] == ["a"]
        victim.kill()
        killed_at = time.monotonic()
        survivors = [w for w in pool if w is not victim]

        # Another worker notices the lease ran out and acts, soon after it did.
        recovered = wait_for(
            "the task to leave its first attempt",
            lambda: (row := db.task(stuck))["attempt"] > 1 or row["status"] in FINAL,
            timeout=LEASE + 10,
        )
        assert time.monotonic() - killed_at < LEASE + 1.5
        assert recovered
        ended = wait_for(
            "the task to end",
            lambda: (row := db.task(stuck))["status"] in FINAL and row,
            timeout=20,
        )
        wait_for("its webhook", lambda: stuck in webhooks_by_task(hooks), timeout=10)
        steps = step_keys(db.steps(stuck))
        if attempts == 2:
            # Run again from its start URL, as its second attempt, to completion.
            assert ended["status"] == "completed", ended["failure_reason"]
            assert ended["attempt"] == 2
            assert steps == [
                (1, 0, 0, "completed"),
                (1, 1, 0, "failed"),
                (2, 0, 0, "completed"),
                (2, 1, 0, "completed"),
                (2, 2, 0, "completed"),
            ]
            rerun_by = owner(survivors, ended["worker_id"])
            done = [a["text"] for a in rerun_by.actions() if a["task"] == stuck]
            assert done == ["a", "a", "b", "b"]  # start and done of each action
        else:
            # Flows that must never run twice: failed at once, saying why.
            assert ended["status"] == "failed"
            assert ended["failure_reason"].startswith(LEASE_EXPIRED)
            assert "task_max_attempts=1" in ended["failure_reason"]
            assert steps == [(1, 0, 0, "completed"), (1, 1, 0, "failed")]
            assert not any(d["task"] == stuck for w in survivors for d in w.decisions())
        lost_step = db.steps(stuck)[1]
        assert lost_step["failure_reason"].startswith(LEASE_EXPIRED)

        # The survivors go on with the queue.
        more = create_tasks(
            postgres_database_url, [{"script": [["x"], ["y"]]} for _ in range(6)], hooks.url
        )
        wait_for(
            "the other tasks to end",
            lambda: all(db.task(i)["status"] in FINAL for i in more),
            timeout=30,
            every=0.1,
        )
        assert all(db.task(i)["status"] == "completed" for i in more)
        assert {db.task(i)["worker_id"] for i in more} <= {w.worker_id for w in survivors}
        wait_for("every webhook", lambda: len(hooks.requests) == 7, timeout=10)
        time.sleep(LEASE)
        # One webhook per task, carrying the status the store holds.
        sent = webhooks_by_task(hooks)
        assert sent == {i: [db.task(i)["status"]] for i in [stuck, *more]}


def test_a_worker_paused_past_its_lease_does_not_act_for_the_task_when_it_resumes(
    postgres_database_url: str, tmp_path: Path
):
    """A worker that stalls (here SIGSTOP) loses its task to recovery; once it runs again
    it must stop that run, not carry out more of its actions, while the task runs again
    on the other worker."""
    db = Db(postgres_database_url)
    with workers(postgres_database_url, tmp_path, count=2, concurrency=1) as pool:
        # Step 1's planner takes 6 s on the first attempt: the pause ends well before that.
        (task_id,) = create_tasks(
            postgres_database_url,
            [{"script": [["a"], ["b"], ["c"]], "plan_sleep": {"a1:1": 6}}],
        )
        paused = wait_for(
            "the task to reach its second step", lambda: planning(db, pool, task_id, 1)
        )
        other = next(w for w in pool if w is not paused)
        planning_since = time.monotonic()
        os.kill(paused.proc.pid, signal.SIGSTOP)
        try:
            wait_for(
                "another worker to recover the task",
                lambda: db.task(task_id)["attempt"] == 2,
                timeout=LEASE + 10,
            )
        finally:
            os.kill(paused.proc.pid, signal.SIGCONT)
        assert time.monotonic() - planning_since < 5  # the planner is still deciding
        ended = wait_for(
            "the second attempt to complete",
            lambda: (row := db.task(task_id))["status"] in FINAL and row,
            timeout=20,
        )
        assert ended["status"] == "completed" and ended["worker_id"] == other.worker_id
        # Past the planner's 6 s: had the first run gone on, it would have typed "b".
        time.sleep(max(0.0, planning_since + 7.5 - time.monotonic()))
        assert [a["text"] for a in paused.actions() if a["task"] == task_id] == ["a", "a"]
        assert [a["text"] for a in other.actions() if a["phase"] == "done"] == ["a", "b", "c"]
        row = db.task(task_id)
        assert (row["status"], row["attempt"]) == ("completed", 2)
        assert step_keys(db.steps(task_id)) == [
            (1, 0, 0, "completed"),
            (1, 1, 0, "failed"),
            (2, 0, 0, "completed"),
            (2, 1, 0, "completed"),
            (2, 2, 0, "completed"),
            (2, 3, 0, "completed"),
        ]
        # Both workers go on with the queue.
        more = create_tasks(postgres_database_url, [{"script": [["x"]]} for _ in range(4)])
        wait_for(
            "the next tasks to complete",
            lambda: all(db.task(i)["status"] == "completed" for i in more),
            timeout=30,
            every=0.1,
        )
        assert paused.proc.poll() is None


# --------------------------------------------------------------------------- SIGTERM


def test_sigterm_lets_tasks_finish_or_gives_them_back_to_the_queue(
    postgres_database_url: str, tmp_path: Path
):
    """Within the grace period a task finishes where it runs; past it, a task goes back to
    the queue at its next step boundary, or at once past a second grace period, and runs
    again on another worker. No step is recorded twice; each task gets one webhook."""
    grace = 2.0
    db = Db(postgres_database_url)
    options = ("--grace", str(grace), "--webhook-secret", SECRET)
    with Receiver() as hooks:
        with workers(postgres_database_url, tmp_path, 1, 3, *options) as (first,):
            short, boundary, hard = create_tasks(
                postgres_database_url,
                [
                    # Deciding step 1 takes 1 s: done within the grace period.
                    {"script": [["s"]], "plan_sleep": {"a1:1": 1.0}},
                    # Step 1 ends after the grace period, before the second one.
                    {"script": [["p"], ["q"]], "plan_sleep": {"a1:1": 3.0}},
                    # Step 1 would take a minute.
                    {"script": [["h"], ["i"]], "plan_sleep": {"a1:1": 60}},
                ],
                webhook=hooks.url,
            )
            for task_id in (short, boundary, hard):
                wait_for(
                    "each task to plan its second step",
                    lambda t=task_id: planning(db, [first], t, 1),
                )
            stopped = time.monotonic()
            assert first.stop() == 0, first.log()
            took = time.monotonic() - stopped
            assert took < 2 * grace + 5, took
            rows = db.tasks()
            assert rows[short]["status"] == "completed"
            for task_id in (boundary, hard):
                assert (rows[task_id]["status"], rows[task_id]["attempt"]) == ("queued", 2)
                assert rows[task_id]["worker_id"] is None
            assert step_keys(db.steps(boundary)) == [
                (1, 0, 0, "completed"),
                (1, 1, 0, "completed"),  # finished its step, then went back
            ]
            assert step_keys(db.steps(hard)) == [
                (1, 0, 0, "completed"),
                (1, 1, 0, "canceled"),  # abandoned past the second grace period
            ]
            # Nothing final to report for the tasks that went back.
            assert set(webhooks_by_task(hooks)) == {short}
        with workers(postgres_database_url, tmp_path, 1, 3, *options, first=1) as (second,):
            wait_for(
                "the tasks that went back to complete on the next worker",
                lambda: all(db.task(t)["status"] in FINAL for t in (boundary, hard)),
                timeout=30,
            )
            rows = db.tasks()
            for task_id in (boundary, hard):
                assert rows[task_id]["status"] == "completed", rows[task_id]["failure_reason"]
                assert rows[task_id]["worker_id"] == second.worker_id
                keys = step_keys(db.steps(task_id))
                assert [k for k in keys if k[0] == 2] == [
                    (2, 0, 0, "completed"),
                    (2, 1, 0, "completed"),
                    (2, 2, 0, "completed"),
                ]
            wait_for("every webhook", lambda: len(hooks.requests) >= 3, timeout=10)
            time.sleep(0.5)
        assert webhooks_by_task(hooks) == {
            short: ["completed"],
            boundary: ["completed"],
            hard: ["completed"],
        }


# --------------------------------------------------------------------------- cancel


class Api:
    """The API process's part: ``create_app(agent, workers=False)`` under uvicorn, in a
    thread of the test process (the workers are other processes)."""

    def __init__(self, url: str, tmp: Path) -> None:
        async def org() -> NewOrganization:
            async with SQLStore(url) as store:
                return await create_organization(store, "Acme")

        made = anyio.run(org)
        self.agent = Agent(
            driver=InMemoryDriver(),
            planner=ScriptedPlanner(),
            store="postgres",
            artifact_store=MemoryArtifactStore(),
            notifier="none",
            database_url=url,
            data_dir=tmp / "api",
        )
        self.server = UvicornThread(create_app(self.agent, workers=False)).start()
        self.client = httpx.Client(
            base_url=self.server.url + "/api/v1", headers={"x-api-key": made.api_key}, timeout=10
        )

    def post(self, payload: dict[str, Any]) -> str:
        """Create a task over HTTP; return its id."""
        response = self.client.post(
            "/tasks",
            json={
                "url": URL,
                "navigation_goal": "Fill in the form",
                "navigation_payload": payload,
                "proxy_location": "NONE",
            },
        )
        assert response.status_code == 200, response.text
        return str(response.json()["task_id"])

    def stop(self) -> None:
        """Stop the server (the agent closes in its lifespan)."""
        self.client.close()
        self.server.stop()


@pytest.fixture
def api(postgres_database_url: str, tmp_path: Path) -> Iterator[Api]:
    """The API process's server on the test's database."""
    served = Api(postgres_database_url, tmp_path)
    yield served
    served.stop()


CANCEL_POINTS = {
    # Where the run is when the cancel comes: deciding step 1 (the planner takes 30 s), or
    # carrying out step 1's first action (it takes 30 s) with a second one after it.
    "while-planning": {
        "payload": {"script": [["a1"], ["late1", "late2"], ["late3"]], "plan_sleep": {"1": 30}},
        "under_way": lambda task, decisions, actions: any(
            d["task"] == task and d["order"] == 1 for d in decisions
        ),
        "started": ["a1"],
    },
    "during-an-action": {
        "payload": {"script": [["a1"], ["slow:30:s1", "late1"], ["late2"]]},
        "under_way": lambda task, decisions, actions: any(
            a["task"] == task and a["text"] == "slow:30:s1" for a in actions
        ),
        "started": ["a1", "slow:30:s1"],
    },
}


@pytest.mark.parametrize("point", list(CANCEL_POINTS))
def test_a_cancel_from_the_api_process_stops_the_run_in_a_worker_process(
    point: str, api: Api, postgres_database_url: str, tmp_path: Path
):
    case = CANCEL_POINTS[point]
    db = Db(postgres_database_url)
    with workers(postgres_database_url, tmp_path, count=1, concurrency=2) as (worker,):
        task_id = api.post(case["payload"])
        wait_for(
            "the run to be under way in the worker",
            lambda: case["under_way"](task_id, worker.decisions(), worker.actions()),
        )
        assert db.task(task_id)["worker_id"] == worker.worker_id

        asked = time.monotonic()
        response = api.client.post(f"/tasks/{task_id}/cancel")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "canceled"

        def step_closed() -> bool:
            steps = api.client.get(f"/tasks/{task_id}/steps").json()
            return steps[-1]["status"] != "running"

        wait_for("the worker to close the running step", step_closed, timeout=10)
        stopped_after = time.monotonic() - asked
        assert stopped_after < 2.0, stopped_after
        time.sleep(0.5)  # had the run gone on, the next action would have started by now

        task = api.client.get(f"/tasks/{task_id}").json()
        steps = api.client.get(f"/tasks/{task_id}/steps").json()
        assert task["status"] == "canceled" and task["failure_reason"] is None
        assert [(s["order"], s["status"]) for s in steps] == [(0, "completed"), (1, "canceled")]
        started = [
            a["text"] for a in worker.actions() if a["task"] == task_id and a["phase"] == "start"
        ]
        assert started == case["started"]
        assert not any(a["text"].startswith("late") for a in worker.actions())
        assert db.task(task_id)["finished_at"] is not None

        # The worker's slot is free again: it runs the next task.
        follow_up = api.post({"script": [["next"]]})
        wait_for(
            "the next task to complete",
            lambda: api.client.get(f"/tasks/{follow_up}").json()["status"] == "completed",
            timeout=20,
        )
        assert worker.proc.poll() is None


# --------------------------------------------------------------------------- the real CLIs


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.browser
def test_serve_without_workers_and_a_worker_command_run_a_real_task(
    postgres_database_url: str,
    tmp_path: Path,
    sites: FixtureSites,
    chromium_executable: str,
):
    env = {
        **os.environ,
        "SKYVERN_STORE": "postgres",
        "SKYVERN_DATABASE_URL": postgres_database_url,
        "SKYVERN_DATA_DIR": str(tmp_path / "data"),
        "SKYVERN_PLANNER": "offline",
        "SKYVERN_BROWSER_PATH": chromium_executable,
        "SKYVERN_RECORD_VIDEO": "false",
        "SKYVERN_NOTIFIER": "none",
        "SKYVERN_POLL_INTERVAL": str(POLL),
        "SKYVERN_LEASE_SECONDS": "10",
        "SKYVERN_REFUSE_PRIVATE_NETWORKS": "false",  # the fixture sites are on 127.0.0.1
    }
    command = [sys.executable, "-m", "skyvern_core"]
    out = subprocess.run(
        [*command, "org", "create", "Acme Careers"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    key = dict(re.findall(r"^(\w+):\s+(\S+)$", out, re.M))["api_key"]
    port = free_port()
    logs = {name: (tmp_path / f"{name}.out").open("w") for name in ("serve", "worker")}
    serve = subprocess.Popen(
        [*command, "serve", "--no-workers", "--port", str(port)],
        env=env,
        stdout=logs["serve"],
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [*command, "worker", "--concurrency", "2"],
        env=env,
        stdout=logs["worker"],
        stderr=subprocess.STDOUT,
    )

    def output(name: str) -> str:
        logs[name].flush()
        return (tmp_path / f"{name}.out").read_text(errors="replace")[-4000:]

    try:
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert serve.poll() is None, output("serve")
            assert worker.poll() is None, output("worker")
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(base + "/openapi.json").status_code == 200
            return False

        wait_for("serve to answer", up, timeout=60, every=0.1)
        client = httpx.Client(base_url=base + "/api/v1", headers={"x-api-key": key}, timeout=10)
        resume = tmp_path / "resume.pdf"
        resume.write_bytes(b"%PDF-1.4\n% Ada Lovelace\n")
        request = demo_request(sites.url("jobs/"), resume)
        email = "ada.two-processes@example.test"
        request.navigation_payload["email"] = email
        response = client.post("/tasks", json=request.model_dump(mode="json", exclude_none=True))
        assert response.status_code == 200, response.text
        task_id = response.json()["task_id"]

        def ended() -> dict[str, Any] | None:
            assert worker.poll() is None, output("worker")
            task = client.get(f"/tasks/{task_id}").json()
            return task if task["status"] in FINAL else None

        task = wait_for("the task to end", ended, timeout=120, every=0.2)
        assert task["status"] == "completed", (task["failure_reason"], output("worker"))
        submission = next(
            s for s in sites.submissions_to("/jobs/apply") if s.fields.get("email") == email
        )
        assert task["extracted_information"] == {"confirmation_number": submission.reference}
        # Run by the worker process, not by the API process.
        row = Db(postgres_database_url).task(task_id)
        assert row["worker_id"].split(":")[1] == str(worker.pid)
    finally:
        for proc in (worker, serve):
            proc.terminate()
        for proc in (worker, serve):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for log in logs.values():
            log.close()
