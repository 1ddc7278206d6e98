"""Every example in examples/ runs as its docstring says."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from skyvern_core.webhooks import signed_headers
from tests.install import pip_install

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env(data_dir: Path, **extra: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("SKYVERN_")}
    values.update({"SKYVERN_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT), **extra})
    return values


class Uvicorn:
    """``uvicorn <app>`` in a subprocess, as a user would start it."""

    def __init__(self, app: str, environment: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--port", str(self.port)],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.url + "/")
                break
            except httpx.HTTPError:
                assert self.proc.poll() is None, self.proc.stdout.read()  # type: ignore[union-attr]
                assert time.monotonic() < deadline
                time.sleep(0.1)

    def stop(self) -> str:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=20)
        return out


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Uvicorn]:
    server = Uvicorn(
        "examples.webhook_receiver:app",
        env(tmp_path, WEBHOOK_SIGNING_SECRET="s3cret-for-tests"),
    )
    yield server
    server.stop()


def test_webhook_receiver_accepts_signed_requests_only(receiver: Uvicorn):
    url = receiver.url + "/skyvern/webhook"
    body = json.dumps(
        {"task_id": "tsk_1", "status": "completed", "extracted_information": {"n": 1}}
    ).encode()
    good = httpx.post(url, content=body, headers=signed_headers("s3cret-for-tests", body))
    assert good.status_code == 200 and good.json() == {"ok": True}
    forged = httpx.post(url, content=body, headers=signed_headers("wrong-secret", body))
    assert forged.status_code == 401
    stale = signed_headers("s3cret-for-tests", body, timestamp=int(time.time()) - 600)
    assert httpx.post(url, content=body, headers=stale).status_code == 401
    tampered = body.replace(b"completed", b"failed")
    headers = signed_headers("s3cret-for-tests", body)
    assert httpx.post(url, content=tampered, headers=headers).status_code == 401
    assert "task tsk_1 ended completed" in receiver.stop()


def test_mounted_app_serves_the_api_under_a_prefix(tmp_path: Path):
    environment = env(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "skyvern_core", "org", "create", "Example team"],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    key = re.search(r"^api_key:\s+(\S+)$", out, re.M).group(1)  # type: ignore[union-attr]
    server = Uvicorn("examples.mount_asgi:app", environment)
    try:
        assert httpx.get(server.url + "/health").json() == {"status": "ok"}
        client = httpx.Client(base_url=server.url + "/agent/api/v1", headers={"x-api-key": key})
        created = client.post(
            "/tasks",
            json={
                "url": "http://127.0.0.1:9/",
                "proxy_location": "NONE",
                "navigation_goal": "Open the page",
            },
        )
        assert created.status_code == 200, created.text
        task_id = created.json()["task_id"]
        assert client.get(f"/tasks/{task_id}").json()["task_id"] == task_id
        assert [t["task_id"] for t in client.get("/tasks").json()] == [task_id]
        assert "/agent/api/v1/tasks" not in httpx.get(server.url + "/openapi.json").text
        assert "/api/v1/tasks" in httpx.get(server.url + "/agent/openapi.json").text
    finally:
        out = server.stop()
    assert "no public base URL" not in out  # the example configures where links point


FAKE_RUN = """
from skyvern_core import Agent, TaskRequest
from skyvern_core.models import CompleteAction
from skyvern_core.testing import FakePage, InMemoryDriver, ScriptedPlanner
page = FakePage(url="https://example.test/", title="Example")
agent = Agent(driver=InMemoryDriver([page]), planner=ScriptedPlanner([[CompleteAction()]]),
              notifier="file")
task = agent.run_sync(TaskRequest(url=page.url, navigation_goal="Look"))
print(task.task_id)
"""


def test_custom_plugin_is_installed_found_and_used(tmp_path: Path):
    site = pip_install(EXAMPLES / "custom_plugin", tmp_path / "site")
    environment = env(tmp_path, PYTHONPATH=f"{site}{os.pathsep}{ROOT}")
    listed = subprocess.run(
        [sys.executable, "-m", "skyvern_core", "plugins"],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert re.search(
        r"file_notifier\s+from skyvern-file-notifier 1\.0\.0\s+notifier 'file'", listed
    ), listed
    task_id = (
        subprocess.run(
            [sys.executable, "-c", FAKE_RUN],
            env=environment,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    lines = (tmp_path / "finished-tasks.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "task_id": task_id,
            "status": "completed",
            "extracted_information": None,
            "failure_reason": None,
        }
    ]


@pytest.mark.browser
def test_quickstart_applies_for_the_job(tmp_path: Path):
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py"), "--data-dir", str(tmp_path)],
        env=env(tmp_path),
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    assert re.search(r"^task tsk_\w+: completed$", out, re.M), out
    assert re.search(r"extracted: \{'confirmation_number': 'JA-\d+'\}", out), out
    assert "step 0 (retry 0) completed: input_text" in out


@pytest.mark.browser
def test_the_readme_demo_command_runs_a_real_task(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "skyvern_core", "demo"],
        env=env(tmp_path, COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "planner: the offline planner" in out
    assert re.search(r"status:\s+completed in \d+ steps", out), out
    assert re.search(r"extracted:\s+\{'confirmation_number': 'JA-\d+'\}", out), out
    recording = re.search(r"recording:\s+(\S+\.webm)", out)
    assert recording and Path(recording.group(1)).stat().st_size > 1000
    screenshot = re.search(r"screenshot:\s+(\S+\.png)", out)
    assert screenshot and Path(screenshot.group(1)).read_bytes()[:4] == b"\x89PNG"
