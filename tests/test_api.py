"""The HTTP API through a real uvicorn server on 127.0.0.1, with httpx."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from skyvern_core import Agent
from skyvern_core.asgi import agent_lifespan, create_app
from skyvern_core.auth import NewOrganization, create_organization
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.models import (
    ClickAction,
    CompleteAction,
    Decision,
    InputTextAction,
    PageState,
)
from skyvern_core.protocols import PlanContext
from skyvern_core.testing import FakePage, InMemoryDriver, ScriptedPlanner, element
from tests.servers import Receiver, UvicornThread

START = "https://jobs.example.test/apply"
DONE = "https://jobs.example.test/thanks"


def site() -> list[FakePage]:
    return [
        FakePage(
            url=START,
            title="Apply",
            elements=[
                element("e1", "textbox", "Name", required=True),
                element("e2", "button", "Submit"),
            ],
            submit={"e2": DONE},
        ),
        FakePage(url=DONE, title="Thanks", text="Confirmation JA-77"),
    ]


class SitePlanner(ScriptedPlanner):
    """Fills and submits on the form, completes on the thanks page; optionally slow."""

    def __init__(self) -> None:
        super().__init__()
        self.slow = 0.0

    async def decide(self, context: PlanContext) -> Decision:
        self.contexts.append(context)
        if self.slow:
            await anyio.sleep(self.slow)
        if context.page.url == START:
            return Decision(
                actions=[InputTextAction(element_id="e1", text="Ada"), ClickAction(element_id="e2")]
            )
        return Decision(actions=[CompleteAction()])

    async def extract(self, context: Any) -> Any:
        from skyvern_core.models import Extraction

        page: PageState = context.page
        return Extraction(data={"confirmation": page.text.split()[-1]})


BODY = {
    "url": START,
    "navigation_goal": "Apply",
    "data_extraction_goal": "The confirmation number",
    "navigation_payload": {"name": "Ada"},
    "proxy_location": "RESIDENTIAL",
}


class Api:
    """The running server, its planner and two organizations' clients."""

    def __init__(self, tmp: Path) -> None:
        db = f"sqlite:///{tmp / 'api.db'}"

        async def orgs() -> tuple[NewOrganization, NewOrganization]:
            store = SQLStore(db)
            await store.open()
            a = await create_organization(store, "Acme")
            b = await create_organization(store, "Globex")
            await store.close()
            return a, b

        self.acme, self.globex = anyio.run(orgs)
        self.planner = SitePlanner()
        self.agent = Agent(
            driver=InMemoryDriver(site()),
            planner=self.planner,
            store="sqlite",
            notifier="none",
            data_dir=tmp,
            database_url=db,
            poll_interval=0.05,
        )
        self.server = UvicornThread(build=lambda url: create_app(self.agent, base_url=url)).start()
        self.url = self.server.url + "/api/v1"
        self.a = httpx.Client(base_url=self.url, headers={"x-api-key": self.acme.api_key})
        self.b = httpx.Client(base_url=self.url, headers={"x-api-key": self.globex.api_key})

    def wait(self, task_id: str, *, until: Any = None, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.a.get(f"/tasks/{task_id}").json()
            if (until and task["status"] == until) or (
                not until and task["status"] in ("completed", "failed", "terminated", "canceled")
            ):
                return task
            time.sleep(0.05)
        raise AssertionError(f"task {task_id} still {task['status']}")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    api = Api(tmp_path_factory.mktemp("api"))
    yield api
    api.server.stop()


def test_create_run_and_read_a_task(api: Api):
    response = api.a.post("/tasks", json=BODY)
    assert response.status_code == 200, response.text
    task_id = response.json()["task_id"]
    assert task_id.startswith("tsk_")
    task = api.wait(task_id)
    assert task["status"] == "completed"
    assert task["extracted_information"] == {"confirmation": "JA-77"}
    assert task["request"] == {
        "url": START,
        "webhook_callback_url": None,
        "navigation_goal": "Apply",
        "data_extraction_goal": "The confirmation number",
        "navigation_payload": {"name": "Ada"},
        "proxy_location": "RESIDENTIAL",
        "extracted_information_schema": None,
        "totp_verification_url": None,
        "totp_identifier": None,
    }
    assert task["failure_reason"] is None and task["max_steps"] == 10
    assert "no proxy is configured for RESIDENTIAL" in task["proxy_note"]
    for field in ("created_at", "modified_at"):
        assert "T" in task[field]
    # Artifact links are absolute, signed, and open without the key.
    shot = task["screenshot_url"]
    assert shot.startswith(api.server.url + "/api/v1/artifacts/art_")
    assert len(task["action_screenshot_urls"]) == 2
    image = httpx.get(shot)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content[:4] == b"\x89PNG"
    assert httpx.get(shot.replace("signature=", "signature=0")).status_code == 403
    expired = shot.split("?")[0] + "?expires=1&signature=" + "0" * 64
    assert httpx.get(expired).json() == {"detail": "the link's signature is not valid"}

    steps = api.a.get(f"/tasks/{task_id}/steps").json()
    assert [(s["order"], s["retry_index"], s["status"]) for s in steps] == [
        (0, 0, "completed"),
        (1, 0, "completed"),
    ]
    assert steps[-1]["is_last"] and not steps[0]["is_last"]
    assert all(s["step_id"].startswith("stp_") and s["task_id"] == task_id for s in steps)
    assert {
        "created_at",
        "modified_at",
        "input_token_count",
        "output_token_count",
        "organization_id",
    } <= set(steps[0])
    assert steps[0]["actions"][0] == {
        "type": "input_text",
        "element_id": "e1",
        "text": "Ada",
        "reasoning": None,
    }


def test_trailing_slashes_and_openapi(api: Api):
    created = api.a.post("/tasks/", json=BODY)
    assert created.status_code == 200
    task_id = created.json()["task_id"]
    assert api.a.get(f"/tasks/{task_id}/").status_code == 200
    assert api.a.get(f"/tasks/{task_id}/steps/").status_code == 200
    assert isinstance(api.a.get("/tasks/").json(), list)
    schema = httpx.get(api.server.url + "/openapi.json").json()
    assert {
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/steps",
        "/api/v1/tasks/{task_id}/cancel",
        "/api/v1/totp",
    } <= set(schema["paths"])
    api.wait(task_id)


def test_keys_and_isolation_between_organizations(api: Api):
    missing = httpx.get(api.url + "/tasks")
    assert missing.status_code == 401 and missing.json() == {"detail": "missing x-api-key header"}
    wrong = httpx.get(api.url + "/tasks", headers={"x-api-key": "sk_nope"})
    assert wrong.status_code == 403 and wrong.json() == {"detail": "invalid API key"}

    task_id = api.a.post("/tasks", json=BODY).json()["task_id"]
    api.wait(task_id)
    for method, path in [
        ("GET", f"/tasks/{task_id}"),
        ("GET", f"/tasks/{task_id}/steps"),
        ("POST", f"/tasks/{task_id}/cancel"),
    ]:
        response = api.b.request(method, path)
        assert response.status_code == 404, (method, path)
        assert "not found" in response.json()["detail"]
    assert task_id not in {t["task_id"] for t in api.b.get("/tasks?page_size=100").json()}
    assert api.a.get("/tasks/tsk_doesnotexist").status_code == 404


@pytest.mark.parametrize(
    ("change", "headers", "loc"),
    [
        ({"url": "notaurl"}, {}, ["body", "url"]),
        ({"url": "ftp://example.com"}, {}, ["body", "url"]),
        ({"proxy_location": "MARS"}, {}, ["body", "proxy_location"]),
        ({"webhook_callback_url": "nope"}, {}, ["body", "webhook_callback_url"]),
        (
            {"extracted_information_schema": {"type": "nope"}},
            {},
            ["body", "extracted_information_schema"],
        ),
        ({"url": "http://169.254.169.254/latest/meta-data"}, {}, ["body", "url"]),
        ({}, {"x-max-steps-override": "many"}, ["header", "x-max-steps-override"]),
        ({}, {"x-max-steps-override": "0"}, ["header", "x-max-steps-override"]),
        ({}, {"x-max-steps-override": "-3"}, ["header", "x-max-steps-override"]),
    ],
)
def test_bad_requests_name_the_field_and_create_nothing(
    api: Api, change: dict[str, Any], headers: dict[str, str], loc: list[str]
):
    before = len(api.a.get("/tasks?page_size=100").json())
    body = {k: v for k, v in {**BODY, **change}.items() if v is not None}
    response = api.a.post("/tasks", json=body, headers=headers)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail[0]["loc"][: len(loc)] == loc
    assert detail[0]["msg"] and detail[0]["type"]
    assert len(api.a.get("/tasks?page_size=100").json()) == before


def test_body_that_is_not_json_is_a_422(api: Api):
    response = api.a.post(
        "/tasks", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_max_steps_override_header(api: Api):
    task_id = api.a.post("/tasks", json=BODY, headers={"x-max-steps-override": "1"}).json()[
        "task_id"
    ]
    task = api.wait(task_id)
    assert task["max_steps"] == 1
    assert task["status"] == "failed"
    assert task["failure_reason"].startswith("Max steps per task (1) exceeded")


def test_pagination_newest_first_with_flat_request_fields(api: Api):
    ids = [api.a.post("/tasks", json=BODY).json()["task_id"] for _ in range(3)]
    for task_id in ids:
        api.wait(task_id)
    first = api.a.get("/tasks", params={"page": 1, "page_size": 2}).json()
    second = api.a.get("/tasks", params={"page": 2, "page_size": 2}).json()
    assert [t["task_id"] for t in first] == [ids[2], ids[1]]
    assert second[0]["task_id"] == ids[0]
    item = first[0]
    assert item["url"] == START and item["navigation_goal"] == "Apply"
    assert item["proxy_location"] == "RESIDENTIAL" and item["request"]["url"] == START
    for params, field in [
        ({"page": 0}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
        ({"page": "x"}, "page"),
    ]:
        response = api.a.get("/tasks", params=params)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", field]


def test_cancel_a_running_task(api: Api):
    api.planner.slow = 6.0
    try:
        task_id = api.a.post("/tasks", json=BODY).json()["task_id"]
        api.wait(task_id, until="running")
        started = time.monotonic()
        response = api.a.post(f"/tasks/{task_id}/cancel")
        assert response.status_code == 200
        assert response.json()["status"] == "canceled"
        assert response.json()["task_id"] == task_id
        task = api.wait(task_id)
        assert (
            task["status"] == "canceled" and time.monotonic() - started < 5
        )  # the planner would take 6 s
        again = api.a.post(f"/tasks/{task_id}/cancel")
        assert again.status_code == 409
        assert "'canceled' to 'canceled'" in again.json()["detail"]
    finally:
        api.planner.slow = 0.0


def one_organization(db: str, name: str) -> NewOrganization:
    """Create an organization in the SQLite store at ``db``."""

    async def org() -> NewOrganization:
        store = SQLStore(db)
        await store.open()
        made = await create_organization(store, name)
        await store.close()
        return made

    return anyio.run(org)


def test_mounted_under_a_prefix(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'mounted.db'}"
    made = one_organization(db, "Mounted")
    agent = Agent(
        driver=InMemoryDriver(site()),
        planner=SitePlanner(),
        store="sqlite",
        notifier="none",
        data_dir=tmp_path,
        database_url=db,
        poll_interval=0.05,
    )

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(host: FastAPI):  # type: ignore[no-untyped-def]
        async with agent_lifespan(agent):
            yield

    host = FastAPI(lifespan=lifespan)

    @host.get("/health")
    def health() -> dict[str, str]:
        return {"ok": "yes"}

    def build(url: str) -> FastAPI:
        host.mount("/agent", create_app(agent, manage_agent=False, base_url=url + "/agent"))
        return host

    server = UvicornThread(build=build).start()
    try:
        client = httpx.Client(base_url=server.url, headers={"x-api-key": made.api_key})
        assert client.get("/health").json() == {"ok": "yes"}
        task_id = client.post("/agent/api/v1/tasks", json=BODY).json()["task_id"]
        deadline = time.monotonic() + 10
        while (task := client.get(f"/agent/api/v1/tasks/{task_id}").json())["status"] != (
            "completed"
        ):
            assert time.monotonic() < deadline, task
            time.sleep(0.05)
        assert task["screenshot_url"].startswith(server.url + "/agent/api/v1/artifacts/")
        assert httpx.get(task["screenshot_url"]).status_code == 200
    finally:
        server.stop()


def test_create_app_leaves_its_agent_as_it_found_it(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'untouched.db'}"
    made = one_organization(db, "Untouched")
    agent = Agent(
        driver=InMemoryDriver(site()),
        planner=SitePlanner(),
        store="sqlite",
        data_dir=tmp_path,
        database_url=db,
        poll_interval=0.05,
        webhook_retry_base_delay=0.05,
    )
    attributes = dict(vars(agent))
    settings = agent.settings.model_dump()
    backends = {kind: agent.backend_name(kind) for kind in ("driver", "store", "notifier")}

    server = UvicornThread(build=lambda url: create_app(agent, base_url=url))
    # Built, not yet run: every attribute is the very object it was, settings included.
    assert {k: v for k, v in vars(agent).items() if v is not attributes.get(k)} == {}
    assert agent.settings.model_dump() == settings
    assert {kind: agent.backend_name(kind) for kind in backends} == backends
    assert agent.artifact_url == agent._artifact_store_url

    server.start()
    try:
        client = httpx.Client(base_url=server.url + "/api/v1", headers={"x-api-key": made.api_key})
        with Receiver() as receiver:
            created = client.post("/tasks", json={**BODY, "webhook_callback_url": receiver.url})
            task_id = created.json()["task_id"]
            deadline = time.monotonic() + 10
            while (task := client.get(f"/tasks/{task_id}").json())["status"] != "completed":
                assert time.monotonic() < deadline, task
                time.sleep(0.05)
            while not receiver.requests:
                assert time.monotonic() < deadline, "no webhook arrived"
                time.sleep(0.05)
            hook = json.loads(receiver.requests[-1].body)
        # While the app runs the agent, the details and the webhook link to the app.
        for shot in (task["screenshot_url"], hook["screenshot_url"]):
            assert shot.startswith(server.url + "/api/v1/artifacts/"), shot
            assert httpx.get(shot).status_code == 200
    finally:
        server.stop()

    # Its lifespan over, the agent answers with its own links again.
    assert agent.artifact_url == agent._artifact_store_url

    async def read() -> Any:
        try:
            return await agent.get_task(task_id, organization_id=made.organization.organization_id)
        finally:
            await agent.aclose()

    own = anyio.run(read)
    assert own.screenshot_url is not None and own.screenshot_url.startswith("file://")


def test_replay_field_steps_decided_by_and_the_replay_routes(api: Api):
    # The planner types "Ada": the payload's value, kept as the template of its key.
    body = {**BODY, "replay": "auto"}
    first = api.wait(api.a.post("/tasks", json=body).json()["task_id"])
    assert first["status"] == "completed" and first["replayed_steps"] == 0
    assert first["request"]["replay"] == "auto"
    steps = api.a.get(f"/tasks/{first['task_id']}/steps").json()
    assert [s["decided_by"] for s in steps] == ["model", "model"]
    asked = len(api.planner.contexts)
    second = api.wait(
        api.a.post("/tasks", json={**body, "navigation_payload": {"name": "Grace"}}).json()[
            "task_id"
        ]
    )
    assert second["status"] == "completed" and second["replayed_steps"] == 2
    assert len(api.planner.contexts) == asked, "the replay asked the planner"
    steps = api.a.get(f"/tasks/{second['task_id']}/steps").json()
    assert [s["decided_by"] for s in steps] == ["replay", "replay"]
    assert steps[0]["actions"][0]["text"] == "Grace"

    listed = api.a.get("/replays").json()
    assert [(e["position"], e["replays"]) for e in listed] == [(0, 1), (1, 1)]
    assert listed[0]["actions"] == ['input_text textbox "Name"', 'click button "Submit"']
    assert "Ada" not in json.dumps(listed)  # values stay templates
    key = listed[0]["flow_key"]
    assert api.b.get("/replays").json() == []
    assert api.b.delete("/replays").json() == {"deleted": 0}
    assert api.a.get("/replays/", params={"flow_key": "flow:other"}).json() == []
    assert api.a.delete("/replays", params={"flow_key": key}).json() == {"deleted": 2}
    assert api.a.get("/replays").json() == []

    bad = api.a.post("/tasks", json={**BODY, "replay": "sometimes"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "replay"]


def test_the_profile_routes_list_delete_and_keep_organizations_apart(api: Api):
    from datetime import timedelta

    from skyvern_core.models import utcnow

    # This driver keeps no profiles: the task says so, and gives the profile back.
    task = api.wait(
        api.a.post("/tasks", json={**BODY, "browser_profile": "bank"}).json()["task_id"]
    )
    assert task["status"] == "failed"
    assert "keep no browser profiles" in task["failure_reason"]
    assert task["request"]["browser_profile"] == "bank"
    (listed,) = api.a.get("/profiles").json()
    assert listed["name"] == "bank" and listed["holder_task_id"] is None
    assert "sealed_state" not in listed
    assert api.b.get("/profiles").json() == []
    assert api.b.delete("/profiles/bank").status_code == 404

    async def hold() -> None:
        store = SQLStore(api.agent.settings.database_url or "")
        await store.open()
        now = utcnow()
        org = api.acme.organization.organization_id
        await store.claim_profile(org, "bank", "tsk_busy", now=now, until=now + timedelta(hours=1))
        await store.close()

    anyio.run(hold)
    busy = api.a.delete("/profiles/bank")
    assert busy.status_code == 409 and "in use by task tsk_busy" in busy.json()["detail"]
    assert api.a.get("/profiles").json()[0]["holder_task_id"] == "tsk_busy"

    async def release() -> None:
        store = SQLStore(api.agent.settings.database_url or "")
        await store.open()
        await store.release_profile(api.acme.organization.organization_id, "bank", "tsk_busy")
        await store.close()

    anyio.run(release)
    assert api.a.delete("/profiles/bank").status_code == 204
    assert api.a.get("/profiles").json() == []
    assert api.a.delete("/profiles/bank").status_code == 404
    assert api.a.delete("/profiles/not%20a%20name").status_code == 422
    bad = api.a.post("/tasks", json={**BODY, "browser_profile": "../../etc"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "browser_profile"]
    assert "browser_profile must be 1 to 64 letters" in bad.json()["detail"][0]["msg"]
