"""``skyvern-core run`` and ``skyvern-core tasks``, as a user runs them: subprocesses on the
embedded defaults (SQLite in the data folder, Playwright, local artifacts) against the
fixture sites."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from skyvern_core import Agent
from skyvern_core.asgi.schemas import step_response, task_details
from skyvern_core.demo import demo_request
from skyvern_core.models import (
    ActionResult,
    InputTextAction,
    Step,
    StepStatus,
    Task,
    TaskRequest,
    TaskStatus,
)
from skyvern_core.present import step_json, task_json
from skyvern_core.testing.sites import FixtureSites
from tests.llm_server import LLMServer

SECRET = "Sekret-4242"
GOAL = (
    "Apply for the Senior Backend Engineer job with the candidate's details, and submit "
    "the application"
)


def env(data_dir: Path, **extra: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("SKYVERN_")}
    values.update({"SKYVERN_DATA_DIR": str(data_dir), "COLUMNS": "200", **extra})
    return values


def cli(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skyvern_core", *args],
        env=env(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=300,
    )


def job_files(tmp_path: Path) -> tuple[Path, Path]:
    """The demo's payload (with a secret added) and schema, as files."""
    request = demo_request("http://unused.test/")
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps({**request.navigation_payload, "account_password": SECRET}))
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(request.extracted_information_schema))
    return payload, schema


@pytest.mark.browser
def test_run_a_task_of_ones_own_then_read_it_with_tasks(sites: FixtureSites, tmp_path: Path):
    payload, schema = job_files(tmp_path)
    data = tmp_path / "data"
    result = cli(
        data,
        "run",
        sites.url("jobs/"),
        "--goal",
        GOAL,
        "--extract",
        "The confirmation number of the application",
        "--payload",
        f"@{payload}",
        "--schema",
        f"@{schema}",
        "--json",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    task = json.loads(result.stdout)  # only the task on stdout
    assert task["status"] == "completed"
    assert re.fullmatch(r"JA-\d+", task["extracted_information"]["confirmation_number"])
    assert task["request"]["navigation_payload"]["account_password"] == (
        "{{secret:account_password}}"
    )
    assert len(task["steps"]) >= 2 and task["steps"][-1]["is_last"]
    assert SECRET not in result.stdout + result.stderr
    # The progress went to stderr, step by step, with each action's result.
    progress = result.stderr
    assert "planner: the offline planner" in progress
    assert re.search(r"^step 0 completed", progress, re.M), progress
    assert "✓ input_text e" in progress and "'Ada' → ok" in progress
    assert "so far 0 in + 0 out" in progress
    assert re.search(r"status:\s+completed after \d+ steps", progress)
    recording = Path(task["recording_url"].removeprefix("file://"))
    assert recording.suffix == ".webm" and recording.stat().st_size > 1000
    task_id = task["task_id"]

    # `tasks` reads the same store.
    listing = cli(data, "tasks", "list")
    assert listing.returncode == 0, listing.stderr
    row = next(line for line in listing.stdout.splitlines() if task_id in line)
    assert "completed" in row and "Apply for the Senior" in row
    assert task_id not in cli(data, "tasks", "list", "--status", "failed").stdout
    shown = json.loads(cli(data, "tasks", "show", task_id, "--json").stdout)
    assert (
        shown["status"] == "completed"
        and shown["extracted_information"] == (task["extracted_information"])
    )
    assert shown["request"]["navigation_payload"]["account_password"] == (
        "{{secret:account_password}}"
    )
    text = cli(data, "tasks", "show", task_id).stdout
    assert "{{secret:account_password}}" in text and SECRET not in text
    steps = cli(data, "tasks", "steps", task_id).stdout
    assert "step 0 completed" in steps and "decided by model" in steps
    assert "- input_text" in steps and "→ ok" in steps
    again = cli(data, "tasks", "cancel", task_id)
    assert again.returncode == 1 and "already completed" in again.stderr

    # Another organization's key sees none of it; a wrong key is refused.
    made = cli(data, "org", "create", "Globex")
    key = re.search(r"^api_key:\s+(\S+)$", made.stdout, re.M)
    assert key, made.stdout
    theirs = cli(data, "tasks", "list", "--api-key", key.group(1), "--json")
    assert theirs.returncode == 0 and json.loads(theirs.stdout) == []
    hidden = cli(data, "tasks", "show", task_id, "--api-key", key.group(1))
    assert hidden.returncode == 1 and "not found" in hidden.stderr
    wrong = cli(data, "tasks", "list", "--api-key", "sk_wrong")
    assert wrong.returncode == 2 and "invalid API key" in wrong.stderr


@pytest.mark.browser
def test_the_exit_status_follows_a_failed_task(sites: FixtureSites, tmp_path: Path):
    payload, _ = job_files(tmp_path)
    result = cli(
        tmp_path / "data",
        "run",
        sites.url("jobs/"),
        "--goal",
        GOAL,
        "--payload",
        f"@{payload}",
        "--max-steps",
        "1",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"status:\s+failed after 1 steps", result.stdout), result.stdout
    assert "Max steps per task (1) exceeded" in result.stdout


def descendants(pid: int) -> dict[int, str]:
    """The processes below ``pid``, with their command lines."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            try:
                found[child] = (Path("/proc") / str(child) / "cmdline").read_text()
            except OSError:
                continue
            todo.append(child)
    return found


def alive(pid: int, cmdline: str) -> bool:
    proc = Path("/proc") / str(pid)
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z" and (proc / "cmdline").read_text() == cmdline
    except OSError:
        return False


@pytest.fixture
def held_model() -> Iterator[tuple[LLMServer, threading.Event]]:
    """A model server that answers only once released (a model thinking for long)."""
    release = threading.Event()

    def slow(body: dict[str, Any]) -> str:
        release.wait(60)
        return json.dumps({"reasoning": "late", "actions": [{"type": "scroll"}]})

    server = LLMServer().start()
    server.reset(*([slow] * 10))
    yield server, release
    release.set()
    server.stop()


@pytest.mark.browser
def test_ctrl_c_cancels_the_task_and_closes_the_browser(
    sites: FixtureSites, tmp_path: Path, held_model: tuple[LLMServer, threading.Event]
):
    server, _ = held_model
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-m", "skyvern_core", "run", sites.url("news/"), "--goal", "Read on"],
        env=env(
            data,
            SKYVERN_LLM_MODEL="openai/gpt-4o-mini",
            SKYVERN_LLM_API_BASE=server.base_url,
            SKYVERN_LLM_API_KEY="sk-local",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not server.requests:  # the model is thinking: the browser is open
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the model was never asked"
            time.sleep(0.1)
        browser = {pid: cmd for pid, cmd in descendants(proc.pid).items() if "chrom" in cmd.lower()}
        assert browser, "no browser process under the command"
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert time.monotonic() - started < 30  # the model would have held it 60 s
    assert "canceling the task" in out
    assert re.search(r"status:\s+canceled", out), out
    still = [pid for pid, cmd in browser.items() if alive(pid, cmd)]
    assert not still, f"browser processes left running: {still}"
    task_id = re.search(r"task id:\s+(tsk_\w+)", out)
    assert task_id, out
    shown = json.loads(cli(data, "tasks", "show", task_id.group(1), "--json").stdout)
    assert shown["status"] == "canceled" and shown["failure_reason"] is None
    # The browser was closed properly: its recording was finished and kept.
    assert shown["recording_url"], shown
    assert Path(shown["recording_url"].removeprefix("file://")).stat().st_size > 0


def test_tasks_cancel_a_queued_task(tmp_path: Path):
    data = tmp_path / "data"

    async def queue() -> str:
        agent = Agent(data_dir=data, notifier="none")
        try:
            task = await agent.create_task(url="https://example.com/", navigation_goal="Wait")
            return task.task_id
        finally:
            await agent.aclose()

    task_id = anyio.run(queue)
    listed = cli(data, "tasks", "list", "--status", "queued")
    assert task_id in listed.stdout
    result = cli(data, "tasks", "cancel", task_id)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{task_id}: canceled"
    assert task_id in cli(data, "tasks", "list", "--status", "canceled").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["https://example.com/"], "give --goal, --extract, or both"),
        (["ftp://example.com/", "--goal", "x"], "URL: url must be an absolute http or https URL"),
        (["https://example.com/", "--goal", "x", "--payload", "{bad"], "--payload is not valid"),
        (
            ["https://example.com/", "--goal", "x", "--payload", "@/nonexistent/p.json"],
            "--payload: cannot read /nonexistent/p.json",
        ),
        (
            ["https://example.com/", "--extract", "x", "--schema", '{"type": "nope"}'],
            "--schema: extracted_information_schema is not a valid JSON Schema",
        ),
        (["https://example.com/", "--goal", "x", "--max-steps", "0"], "--max-steps must be"),
    ],
)
def test_bad_input_is_refused_naming_the_option(tmp_path: Path, args: list[str], message: str):
    result = cli(tmp_path / "data", "run", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr, result.stderr
    assert not (tmp_path / "data" / "artifacts").exists()  # nothing was run


def test_the_json_of_the_cli_is_the_json_of_the_api():
    task = Task(
        task_id="tsk_1",
        organization_id="org_1",
        status=TaskStatus.completed,
        request=TaskRequest(
            url="https://example.com/",
            navigation_goal="Sign in",
            navigation_payload={"user": "ada", "password": "pw-123", "card": {"cvv": "123"}},
        ),
        max_steps=5,
        extracted_information={"ok": True},
        cost=0.25,
    )
    step = Step(
        step_id="stp_1",
        task_id="tsk_1",
        organization_id="org_1",
        order=0,
        status=StepStatus.completed,
        actions=[InputTextAction(element_id="e1", text="{{secret:password}}")],
        action_results=[ActionResult(success=True)],
    )
    assert task_json(task) == task_details(task).model_dump(mode="json")
    assert task_json(task)["request"]["navigation_payload"]["password"] == "{{secret:password}}"
    assert step_json(step) == step_response(step).model_dump(mode="json")
