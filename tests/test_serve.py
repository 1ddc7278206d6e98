"""`skyvern-core org create` and `skyvern-core serve`: the API on the embedded defaults
(SQLite, Playwright, the configured LLM) with its workers, and signed webhooks."""

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
from typing import Any

import anyio
import httpx
import pytest

from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.testing.sites import FixtureSites
from skyvern_core.webhooks import verify
from tests.llm_server import LLMServer
from tests.servers import Receiver
from tests.test_e2e import PAYLOAD, model

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """A `skyvern-core serve` process and the organization made for it."""

    def __init__(
        self, data_dir: Path, llm: LLMServer, *, hosted_defaults: bool = False, **env: str
    ) -> None:
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "SKYVERN_DATA_DIR": str(data_dir),
            "SKYVERN_LLM_MODEL": "openai/gpt-4o-mini",
            "SKYVERN_LLM_API_BASE": llm.base_url,
            "SKYVERN_LLM_API_KEY": "sk-local",
            "SKYVERN_POLL_INTERVAL": "0.1",
            "SKYVERN_WEBHOOK_RETRY_BASE_DELAY": "0.05",
            "SKYVERN_RECORD_VIDEO": "false",
            **env,
        }
        if not hosted_defaults:
            # The fixture sites and the webhook receiver are on 127.0.0.1, which `serve`
            # refuses unless the deployment allows it.
            self.env["SKYVERN_REFUSE_PRIVATE_NETWORKS"] = "false"
        if (data_dir / "org.json").exists():
            # A restart: the organization already exists.
            saved = json.loads((data_dir / "org.json").read_text())
            self.org_id, self.key, self.secret = saved["id"], saved["key"], saved["secret"]
            self.start()
            return
        out = subprocess.run(
            [sys.executable, "-m", "skyvern_core", "org", "create", "Acme Insurance"],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        fields = dict(re.findall(r"^(\w+):\s+(\S+)$", out, re.M))
        self.org_id = fields["organization_id"]
        self.key = fields["api_key"]
        self.secret = fields["webhook_signing_secret"]
        assert "not shown again" in out
        (data_dir / "org.json").write_text(
            json.dumps({"id": self.org_id, "key": self.key, "secret": self.secret})
        )
        self.start()

    def start(self) -> None:
        """Start `skyvern-core serve` and wait until it answers."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "skyvern_core", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.client = httpx.Client(
            base_url=self.base + "/api/v1", headers={"x-api-key": self.key}, timeout=10
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.base + "/openapi.json").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert self.proc.poll() is None, self.proc.stdout.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.1)

    def wait(
        self, task_id: str, *, until: str | None = None, timeout: float = 60
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.client.get(f"/tasks/{task_id}").json()
            if task["status"] == until or (
                until is None
                and task["status"] in ("completed", "failed", "terminated", "canceled")
            ):
                return task
            time.sleep(0.1)
        raise AssertionError(f"task still {task['status']}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


@pytest.fixture(scope="module")
def llm() -> Iterator[LLMServer]:
    server = LLMServer(prompt_tokens=900, completion_tokens=40).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, llm: LLMServer) -> Iterator[Served]:
    served = Served(tmp_path_factory.mktemp("served"), llm)
    yield served
    served.stop()


def webhook(receiver: Receiver, secret: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while not receiver.requests:
        assert time.monotonic() < deadline, "no webhook arrived"
        time.sleep(0.05)
    request = receiver.requests[-1]
    headers = {k.lower(): v for k, v in request.headers.items()}
    verify(secret, headers, request.body)  # raises if the signature or timestamp is wrong
    return json.loads(request.body)


def test_a_task_over_http_runs_in_chromium_and_its_webhook_verifies(
    served: Served, llm: LLMServer, sites: FixtureSites
):
    llm.reset(*([model] * 12))
    with Receiver() as receiver:
        response = served.client.post(
            "/tasks",
            json={
                "url": sites.url("insurance/"),
                "navigation_goal": "Get a car insurance quote",
                "data_extraction_goal": "The monthly premium and the quote number",
                "navigation_payload": PAYLOAD,
                "proxy_location": "NONE",
                "webhook_callback_url": receiver.url,
            },
        )
        assert response.status_code == 200, response.text
        task_id = response.json()["task_id"]
        task = served.wait(task_id)
        assert task["status"] == "completed", task["failure_reason"]
        body = webhook(receiver, served.secret)
    assert body["task_id"] == task_id and body["status"] == "completed"
    assert body["extracted_information"] == task["extracted_information"]
    assert body["failure_reason"] is None
    # The links in the webhook are absolute and open without the key.
    assert body["screenshot_url"].startswith(served.base + "/api/v1/artifacts/")
    image = httpx.get(body["screenshot_url"])
    assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
    assert body["recording_url"] is None  # recording switched off for this server


def test_cancel_of_a_running_task_sends_a_canceled_webhook(
    served: Served, llm: LLMServer, sites: FixtureSites
):
    def slow(body: dict[str, Any]) -> str:
        time.sleep(3)
        return model(body)

    llm.reset(*([slow] * 5))
    with Receiver() as receiver:
        task_id = served.client.post(
            "/tasks",
            json={
                "url": sites.url("insurance/"),
                "navigation_goal": "Get a quote",
                "navigation_payload": PAYLOAD,
                "proxy_location": "NONE",
                "webhook_callback_url": receiver.url,
            },
        ).json()["task_id"]
        served.wait(task_id, until="running")
        deadline = time.monotonic() + 10
        while not llm.requests:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        canceled = served.client.post(f"/tasks/{task_id}/cancel")
        assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
        body = webhook(receiver, served.secret)
    assert body["task_id"] == task_id and body["status"] == "canceled"
    steps = served.client.get(f"/tasks/{task_id}/steps").json()
    assert steps[-1]["status"] == "canceled"
    assert served.client.get(f"/tasks/{task_id}").json()["status"] == "canceled"


def test_a_webhook_pending_when_the_server_stops_is_sent_after_a_restart(
    tmp_path: Path, llm: LLMServer, sites: FixtureSites
):
    llm.reset('{"title": "Car insurance quote"}')
    hook_port = free_port()  # nothing listens there yet: the first attempt fails
    slow_retries = {"SKYVERN_WEBHOOK_RETRY_BASE_DELAY": "1.5"}
    first = Served(tmp_path, llm, **slow_retries)
    try:
        task_id = first.client.post(
            "/tasks",
            json={
                "url": sites.url("insurance/"),
                "data_extraction_goal": "The page title",
                "proxy_location": "NONE",
                "webhook_callback_url": f"http://127.0.0.1:{hook_port}/hook",
            },
        ).json()["task_id"]
        assert first.wait(task_id)["status"] == "completed"
        time.sleep(0.3)  # the first attempt has been made (and failed)
    finally:
        first.stop()
    with Receiver(port=hook_port) as receiver:
        second = Served(tmp_path, llm, **slow_retries)
        try:
            body = webhook(receiver, second.secret, timeout=30)
        finally:
            second.stop()
    assert body["task_id"] == task_id and body["status"] == "completed"
    assert body["extracted_information"] == {"title": "Car insurance quote"}
    assert len(receiver.requests) == 1

    async def attempts() -> list[Any]:
        store = SQLStore(f"sqlite:///{tmp_path / 'skyvern.db'}")
        await store.open()
        (delivery,) = await store.list_deliveries(task_id)
        tried = await store.list_attempts(delivery.delivery_id)
        await store.close()
        return [delivery.status, [(a.http_status, bool(a.error)) for a in tried]]

    status, tried = anyio.run(attempts)
    # Every attempt is on record: the failed one(s) before the stop, the good one after.
    assert status == "delivered"
    assert tried[0] == (None, True) and tried[-1] == (200, False)


def test_serve_refuses_private_networks_unless_the_deployment_allows_them(
    tmp_path: Path, llm: LLMServer, sites: FixtureSites
):
    served = Served(tmp_path, llm, hosted_defaults=True)
    try:
        for field, url in [
            ("url", sites.url("jobs/")),
            ("url", "http://10.0.0.8/admin"),
            ("url", "http://[::ffff:127.0.0.1]:8000/"),
            ("webhook_callback_url", "http://127.0.0.1:9/hook"),
            ("totp_verification_url", "http://192.168.1.1/code"),
        ]:
            body = {"url": "https://shop.example.com/", "navigation_goal": "Buy"}
            body[field] = url
            response = served.client.post("/tasks", json={**body, "proxy_location": "NONE"})
            assert response.status_code == 422, (url, response.text)
            (error,) = response.json()["detail"]
            assert error["loc"] == ["body", field] and error["type"] == "url_refused"
            assert "refuse_private_networks" in error["msg"], error["msg"]
        assert served.client.get("/tasks").json() == []
    finally:
        served.stop()
