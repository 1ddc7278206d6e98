"""What the HTTP API refuses to be talked into, tried through a real uvicorn server on
127.0.0.1: links on a forged host, oversized input, runaway schema patterns, secrets in its
answers, a step override above the organization's limit."""

from __future__ import annotations

import json
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

from skyvern_core import Agent
from skyvern_core.asgi import create_app
from skyvern_core.auth import NewOrganization, create_organization
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.models import (
    ClickAction,
    CompleteAction,
    Decision,
    Extraction,
    InputTextAction,
)
from skyvern_core.protocols import ExtractContext, PlanContext
from skyvern_core.server import is_loopback
from skyvern_core.testing import FakePage, InMemoryDriver, ScriptedPlanner, element
from tests.servers import Receiver, UvicornThread

START = "https://shop.example.test/checkout"
DONE = "https://shop.example.test/done"

SECRET_PAYLOAD = {
    "name": "Ada",
    "password": "hunter2-Very-Secret",
    "card": {"number": "4111 1111 1111 1111", "cvv": "737"},
    "member": {"$secret": "M-0042-XY"},
}
SECRET_VALUES = ["hunter2-Very-Secret", "4111 1111 1111 1111", "737", "M-0042-XY"]


class ShopPlanner(ScriptedPlanner):
    """Fills and submits the form, completes on the next page; extracts what the payload
    names as ``answer`` (so a test decides what the extraction is); optionally slow."""

    def __init__(self) -> None:
        super().__init__()
        self.slow = 0.0

    async def decide(self, context: PlanContext) -> Decision:
        if self.slow:
            await anyio.sleep(self.slow)
        if context.page.url == START:
            return Decision(
                actions=[InputTextAction(element_id="e1", text="Ada"), ClickAction(element_id="e2")]
            )
        return Decision(actions=[CompleteAction()])

    async def extract(self, context: ExtractContext) -> Extraction:
        payload = context.task.request.navigation_payload or {}
        return Extraction(data=payload.get("answer", {"done": True}))


def shop() -> list[FakePage]:
    return [
        FakePage(
            url=START,
            title="Checkout",
            elements=[element("e1", "textbox", "Name"), element("e2", "button", "Pay")],
            submit={"e2": DONE},
        ),
        FakePage(url=DONE, title="Done", text="Paid"),
    ]


def make_orgs(db: str) -> tuple[NewOrganization, NewOrganization]:
    async def orgs() -> tuple[NewOrganization, NewOrganization]:
        store = SQLStore(db)
        await store.open()
        plain = await create_organization(store, "Plain")
        capped = await create_organization(store, "Capped", max_steps=3)
        await store.close()
        return plain, capped

    return anyio.run(orgs)


class Served:
    """The app under uvicorn, its planner, and a client per organization."""

    def __init__(self, tmp: Path, *, configured: bool = True, **settings: Any) -> None:
        db = f"sqlite:///{tmp / 'guards.db'}"
        self.plain, self.capped = make_orgs(db)
        self.planner = ShopPlanner()
        self.agent = Agent(
            driver=InMemoryDriver(shop()),
            planner=self.planner,
            store="sqlite",
            data_dir=tmp,
            database_url=db,
            poll_interval=0.05,
            webhook_retry_base_delay=0.05,
            **settings,
        )

        def build(url: str) -> Any:
            return create_app(self.agent, base_url=url if configured else None)

        self.server = UvicornThread(build=build).start()
        self.base = self.server.url
        self.client = httpx.Client(
            base_url=self.base + "/api/v1", headers={"x-api-key": self.plain.api_key}
        )

    def create(self, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
        return self.client.post("/tasks", json=body, **kwargs)

    def count(self) -> int:
        return len(self.client.get("/tasks", params={"page_size": 100}).json())

    def wait(self, task_id: str, timeout: float = 15, key: str | None = None) -> dict[str, Any]:
        headers = {"x-api-key": key} if key else None
        deadline = time.monotonic() + timeout
        while True:
            task = self.client.get(f"/tasks/{task_id}", headers=headers).json()
            if task["status"] in ("completed", "failed", "terminated", "canceled"):
                return task
            assert time.monotonic() < deadline, task
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = Served(tmp_path_factory.mktemp("guards"))
    yield served
    served.stop()


BODY = {"url": START, "navigation_goal": "Pay for the order", "proxy_location": "NONE"}


def webhook_body(receiver: Receiver, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while not receiver.requests:
        assert time.monotonic() < deadline, "no webhook arrived"
        time.sleep(0.05)
    return json.loads(receiver.requests[-1].body)


def links(data: dict[str, Any]) -> list[str]:
    found = [data.get("screenshot_url"), data.get("recording_url")]
    return [u for u in [*found, *data.get("action_screenshot_urls", [])] if u]


# --------------------------------------------------------------------------- links


def forge_host(url: str, path: str, api_key: str | None = None) -> int:
    headers = {"host": "evil.example"}
    if api_key:
        headers["x-api-key"] = api_key
    return httpx.get(url + path, headers=headers).status_code


def test_a_forged_host_header_changes_no_link(served: Served) -> None:
    # Before any task: one request without a key, and one with a key, on a forged host.
    assert forge_host(served.base, "/api/v1/tasks") == 401
    assert forge_host(served.base, "/api/v1/tasks", served.plain.api_key) == 200
    with Receiver() as receiver:
        created = served.create({**BODY, "webhook_callback_url": receiver.url})
        assert created.status_code == 200, created.text
        task_id = created.json()["task_id"]
        assert forge_host(served.base, f"/api/v1/tasks/{task_id}") == 401
        task = served.wait(task_id)
        hook = webhook_body(receiver)
    assert task["status"] == "completed", task["failure_reason"]
    for found in (links(task), links(hook)):
        assert found, "no artifact links at all"
        for link in found:
            assert link.startswith(served.base + "/api/v1/artifacts/"), link
            assert "evil.example" not in link
    # The links are good ones: they open without the key.
    assert httpx.get(hook["screenshot_url"]).status_code == 200
    # Read through a forged host too, the details keep the configured links.
    forged = httpx.get(
        served.base + f"/api/v1/tasks/{task_id}",
        headers={"host": "evil.example", "x-api-key": served.plain.api_key},
    ).json()
    assert all("evil.example" not in link for link in links(forged))


def test_without_a_base_url_there_are_no_links_and_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING"):
        unconfigured = Served(tmp_path, configured=False)
    try:
        assert "SKYVERN_PUBLIC_BASE_URL" in caplog.text and "base_url=" in caplog.text
        assert forge_host(unconfigured.base, "/api/v1/tasks") == 401
        with Receiver() as receiver:
            task_id = unconfigured.create({**BODY, "webhook_callback_url": receiver.url}).json()[
                "task_id"
            ]
            task = unconfigured.wait(task_id)
            hook = webhook_body(receiver)
        assert task["status"] == "completed"
        assert links(task) == [] and links(hook) == []
    finally:
        unconfigured.stop()


def test_serve_on_a_public_host_needs_the_base_url(tmp_path: Path) -> None:
    env = {"SKYVERN_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    env.update({k: v for k, v in __import__("os").environ.items() if k == "PYTHONPATH"})
    for host in ("0.0.0.0", "::", "192.0.2.10"):
        done = subprocess.run(
            [sys.executable, "-m", "skyvern_core", "serve", "--host", host, "--port", "8999"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, (host, done.stderr)
        assert "SKYVERN_PUBLIC_BASE_URL" in done.stderr, done.stderr
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert is_loopback("127.1.2.3") and not is_loopback("0.0.0.0")
    assert not is_loopback("agent.example.com") and not is_loopback("10.0.0.5")


# --------------------------------------------------------------------------- input limits


@pytest.mark.parametrize(
    ("change", "field", "limit"),
    [
        ({"navigation_goal": "x" * 20_001}, "navigation_goal", "20000"),
        ({"data_extraction_goal": "é" * 20_001}, "data_extraction_goal", "20000"),
        ({"navigation_payload": {"notes": "n" * 70_000}}, "navigation_payload", "65536"),
        (
            {"extracted_information_schema": {"type": "object", "description": "d" * 70_000}},
            "extracted_information_schema",
            "65536",
        ),
        (
            {"extracted_information_schema": json.dumps({"description": "d" * 70_000})},
            "extracted_information_schema",
            "65536",
        ),
        (
            {"extracted_information_schema": {"type": "string", "pattern": "a" * 1001}},
            "extracted_information_schema",
            "1000",
        ),
        (
            {"extracted_information_schema": {"type": "string", "pattern": "(unclosed"}},
            "extracted_information_schema",
            "not a valid regular expression",
        ),
        (
            {
                "extracted_information_schema": {
                    "type": "object",
                    "patternProperties": {"[z-a]": {"type": "string"}},
                }
            },
            "extracted_information_schema",
            "patternProperties/[z-a]",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None,
)
def test_oversized_fields_are_a_422_naming_the_field_and_the_limit(
    served: Served, change: dict[str, Any], field: str, limit: str
) -> None:
    before = served.count()
    response = served.create({**BODY, **change})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"][:2] == ["body", field] and error["type"], error
    assert limit in error["msg"], error["msg"]
    assert served.count() == before


def test_fields_just_within_the_limits_are_accepted(served: Served) -> None:
    body = {
        **BODY,
        "navigation_goal": "g" * 20_000,
        "navigation_payload": {"notes": "n" * 60_000},
        "extracted_information_schema": {"type": "object", "pattern": "p" * 1000},
    }
    response = served.create(body)
    assert response.status_code == 200, response.text[:500]
    served.wait(response.json()["task_id"])


def _raw_request(port: int, head: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head.encode())
    return sock


def _response_status(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), rest


def test_a_declared_oversized_body_is_refused_before_it_is_sent(served: Served) -> None:
    before = served.count()
    sock = _raw_request(
        served.server.port,
        "POST /api/v1/tasks HTTP/1.1\r\nhost: 127.0.0.1\r\n"
        f"x-api-key: {served.plain.api_key}\r\ncontent-type: application/json\r\n"
        f"content-length: {50 * 1024 * 1024}\r\n\r\n",
    )
    with sock:
        # Not one byte of the 50 MB body was sent, and the answer is already there.
        status, body = _response_status(sock)
    assert status == 413
    assert b"1048576" in body and b"SKYVERN_MAX_REQUEST_BYTES" in body
    assert served.count() == before


def test_a_streamed_oversized_body_is_refused_while_it_arrives(served: Served) -> None:
    before = served.count()
    sock = _raw_request(
        served.server.port,
        "POST /api/v1/tasks HTTP/1.1\r\nhost: 127.0.0.1\r\n"
        f"x-api-key: {served.plain.api_key}\r\ncontent-type: application/json\r\n"
        "transfer-encoding: chunked\r\n\r\n",
    )
    chunk = b"x" * 65536
    sent = 0
    with sock:
        sock.settimeout(10)
        try:
            # Up to 4 MiB, never the final chunk: a server that waited for the whole body
            # would never answer.
            while sent < 4 * 1024 * 1024:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except OSError:
            pass  # the server answered and closed while we were still sending
        status, body = _response_status(sock)
    assert status == 413 and b"SKYVERN_MAX_REQUEST_BYTES" in body
    assert served.count() == before


def test_the_python_api_holds_requests_to_the_agents_limits(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from skyvern_core.testing import MemoryArtifactStore, MemoryStore, RecordingNotifier

    def agent(**settings: Any) -> Agent:
        return Agent(
            driver=InMemoryDriver(shop()),
            planner=ShopPlanner(),
            store=MemoryStore(),
            artifact_store=MemoryArtifactStore(),
            notifier=RecordingNotifier(),
            data_dir=tmp_path,
            **settings,
        )

    async def main() -> None:
        strict = agent(max_goal_chars=100)
        with pytest.raises(ValidationError, match="navigation_goal has 101 characters") as info:
            await strict.create_task(url=START, navigation_goal="x" * 101)
        assert info.value.errors()[0]["loc"] == ("navigation_goal",)
        roomy = agent(max_goal_chars=50_000)
        task = await roomy.create_task(url=START, navigation_goal="x" * 30_000)
        assert len(task.request.navigation_goal or "") == 30_000
        await strict.aclose()
        await roomy.aclose()

    anyio.run(main)


# --------------------------------------------------------------------------- patterns


@pytest.mark.parametrize(
    ("schema", "answer", "expect"),
    [
        (
            {"type": "object", "properties": {"code": {"type": "string", "pattern": "^(a+)+$"}}},
            {"code": "a" * 40 + "!"},
            "does not match '^(a+)+$'",
        ),
        (
            {"type": "object", "properties": {"code": {"type": "string", "pattern": "^(a|aa)+$"}}},
            {"code": "a" * 40 + "!"},
            "ran out of time",
        ),
        (
            {
                "type": "object",
                "patternProperties": {"^(a|aa)+$": {"type": "string"}},
                "additionalProperties": False,
            },
            {"a" * 40 + "!": "x"},
            "ran out of time",
        ),
    ],
    ids=["nested-quantifier", "alternation", "patternProperties"],
)
def test_a_catastrophic_pattern_fails_the_task_quickly(
    served: Served, schema: dict[str, Any], answer: dict[str, Any], expect: str
) -> None:
    body = {
        **BODY,
        "data_extraction_goal": "The code",
        "navigation_payload": {"answer": answer},
        "extracted_information_schema": schema,
    }
    started = time.monotonic()
    task_id = served.create(body).json()["task_id"]
    task = served.wait(task_id)
    assert time.monotonic() - started < 10  # `re` would still be backtracking
    assert task["status"] == "failed"
    assert "does not match extracted_information_schema" in task["failure_reason"]
    assert expect in task["failure_reason"], task["failure_reason"]
    # The API kept answering meanwhile, and still does.
    assert served.client.get("/tasks").status_code == 200


# --------------------------------------------------------------------------- secrets


def _payloads_and_actions(text: str) -> list[Any]:
    """The navigation payloads and step actions in an answer's JSON."""
    found: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in ("navigation_payload", "actions", "action_results"):
                    found.append(inner)
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(json.loads(text))
    return found


def test_secrets_never_come_back_in_answers(served: Served) -> None:
    served.planner.slow = 0.5
    try:
        created = served.create({**BODY, "navigation_payload": SECRET_PAYLOAD})
        assert created.status_code == 200
        task_id = created.json()["task_id"]
        answers = [
            served.client.get(f"/tasks/{task_id}").text,
            served.client.get("/tasks", params={"page_size": 100}).text,
            served.client.post(f"/tasks/{task_id}/cancel").text,
        ]
        served.wait(task_id)
        answers.append(served.client.get(f"/tasks/{task_id}/steps").text)
    finally:
        served.planner.slow = 0.0
    # Of the list, this task's item only: other tasks' ids and timestamps may hold the digits.
    listed = next(t for t in json.loads(answers[1]) if t["task_id"] == task_id)
    for text in [answers[0], json.dumps(listed), *answers[2:]]:
        for value in SECRET_VALUES:
            # A three-digit secret may match digits of ids and timestamps by chance: it is
            # checked where it could leak, in the payload and in the steps' actions.
            where = text if len(value) >= 6 else json.dumps(_payloads_and_actions(text))
            assert value not in where, (value, text[:300])
    details = json.loads(answers[0])
    expected = {
        "name": "Ada",
        "password": "{{secret:password}}",
        "card": {"number": "{{secret:card.number}}", "cvv": "{{secret:card.cvv}}"},
        "member": "{{secret:member}}",
    }
    assert details["request"]["navigation_payload"] == expected
    item = next(t for t in json.loads(answers[1]) if t["task_id"] == task_id)
    assert item["navigation_payload"] == expected
    assert item["request"]["navigation_payload"] == expected
    assert json.loads(answers[2])["request"]["navigation_payload"] == expected


# --------------------------------------------------------------------------- step limit


@pytest.mark.parametrize(
    ("org", "value", "ok"),
    [("capped", "3", True), ("capped", "4", False), ("plain", "10", True), ("plain", "11", False)],
)
def test_the_step_override_cannot_exceed_the_organizations_limit(
    served: Served, org: str, value: str, ok: bool
) -> None:
    key = served.capped.api_key if org == "capped" else served.plain.api_key
    response = served.create(BODY, headers={"x-api-key": key, "x-max-steps-override": value})
    if ok:
        assert response.status_code == 200, response.text
        task = served.wait(response.json()["task_id"], key=key)
        assert task["max_steps"] == int(value)
        return
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["header", "x-max-steps-override"]
    limit = "3" if org == "capped" else "10"
    assert f"limit of {limit} steps" in error["msg"] and value in error["msg"]


# --------------------------------------------------------------------------- proxy


@pytest.mark.parametrize("given", ["missing", "null"])
def test_a_missing_proxy_location_means_residential(served: Served, given: str) -> None:
    body = {k: v for k, v in BODY.items() if k != "proxy_location"}
    if given == "null":
        body["proxy_location"] = None
    response = served.create(body)
    assert response.status_code == 200, response.text
    task = served.wait(response.json()["task_id"])
    assert task["request"]["proxy_location"] == "RESIDENTIAL"
    refused = served.create({**BODY, "proxy_location": "MARS"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "proxy_location"]
