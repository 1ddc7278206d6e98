"""Cost and token limits per task: the model call that would pass a limit is never sent.

Through the real litellm path against a local OpenAI-compatible server, which counts the
calls that reached it; the limits come from the request, the organization or the settings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from skyvern_core import Agent, Settings, TaskRequest, TaskStatus
from skyvern_core.asgi import create_app
from skyvern_core.auth import create_organization
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.limits import CallEstimate, LimitExceeded, TaskBudget, default_limits
from skyvern_core.models import Organization
from skyvern_core.protocols import LLMMessage, LLMRequest, LLMResponse
from skyvern_core.testing import FakePage, InMemoryDriver, MemoryArtifactStore, element
from skyvern_core.testing.memory_store import MemoryStore
from skyvern_plugins.litellm_provider import LiteLLMProvider
from tests.llm_server import LLMServer
from tests.servers import UvicornThread

MODEL = "openai/gpt-4o-mini"  # in litellm's price list: $0.15 in, $0.60 out per 1M tokens
START = "https://shop.example.test/search"
RESULTS = "https://shop.example.test/results"
PROMPT_TOKENS, ANSWER_TOKENS = 1500, 60
CALL_COST = PROMPT_TOKENS * 0.15e-6 + ANSWER_TOKENS * 0.6e-6  # what the server bills a call


def decision(*actions: dict[str, Any], reached: bool = False) -> str:
    return json.dumps({"reasoning": "ok", "goal_reached": reached, "actions": list(actions)})


SEARCH = decision(
    {"type": "input_text", "element_id": "e1", "text": "kettle"},
    {"type": "click", "element_id": "e2"},
)
DONE = decision({"type": "complete"}, reached=True)
REQUEST: dict[str, Any] = {"url": START, "navigation_goal": "Search the shop for a kettle"}


def shop() -> list[FakePage]:
    return [
        FakePage(
            url=START,
            title="Search",
            elements=[element("e1", "textbox", "Search"), element("e2", "button", "Go")],
            submit={"e2": RESULTS},
        ),
        FakePage(url=RESULTS, title="Results", text="3 kettles found"),
    ]


@pytest.fixture(scope="module")
def llm() -> Iterator[LLMServer]:
    server = LLMServer(prompt_tokens=PROMPT_TOKENS, completion_tokens=ANSWER_TOKENS).start()
    yield server
    server.stop()


def settings(server: LLMServer, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "llm_model": MODEL,
        "llm_api_base": server.base_url,
        "llm_api_key": "sk-local-test",
        "llm_retry_base_delay": 0.01,
        "llm_max_retries": 0,
        "planner": "llm",
        "record_video": False,
    }
    return Settings(**(values | extra))


def agent_on(server: LLMServer, store: MemoryStore | None = None, **extra: Any) -> Agent:
    return Agent(
        driver=InMemoryDriver(shop()),
        store=store or MemoryStore(),
        artifact_store=MemoryArtifactStore(),
        notifier="none",
        settings=settings(server, **extra),
    )


async def first_prompt_estimate(server: LLMServer) -> CallEstimate:
    """What the first step's call is estimated at, as the provider counts it."""
    agent = agent_on(server)
    server.reset(SEARCH, DONE)
    task = await agent.run(REQUEST)
    await agent.aclose()
    assert task.status == TaskStatus.completed, task.failure_reason
    provider = LiteLLMProvider(settings(server))
    body = server.requests[0]
    messages = [
        LLMMessage(
            role=m["role"],
            content=m["content"]
            if isinstance(m["content"], str)
            else "\n".join(p["text"] for p in m["content"] if p["type"] == "text"),
        )
        for m in body["messages"]
    ]
    return await provider.estimate(LLMRequest(messages=messages))


async def test_a_task_stops_before_the_call_that_would_pass_its_token_limit(llm: LLMServer):
    estimate = await first_prompt_estimate(llm)
    # Room for the first call and its answer, not for a second prompt.
    limit = PROMPT_TOKENS + ANSWER_TOKENS + estimate.tokens // 2
    assert estimate.tokens <= limit
    llm.reset(SEARCH, DONE)
    agent = agent_on(llm)
    task = await agent.run({**REQUEST, "max_tokens": limit})
    await agent.aclose()

    assert task.status == TaskStatus.failed
    assert task.failure_reason is not None
    assert task.failure_reason.startswith(f"Max tokens per task ({limit}) exceeded")
    assert "it was not made" in task.failure_reason
    assert len(llm.requests) == 1  # the second call never reached the model
    assert task.max_tokens == limit
    # The call that was made is reported as always: on its step and on the task.
    assert [s.input_token_count for s in task.steps] == [PROMPT_TOKENS, 0]
    assert task.input_token_count == PROMPT_TOKENS
    assert task.output_token_count == ANSWER_TOKENS
    assert task.steps[1].failure_reason == task.failure_reason


async def test_a_task_stops_before_the_call_that_would_pass_its_cost_limit(llm: LLMServer):
    # One call fits, two do not: the second is refused before it is sent.
    limit = round(CALL_COST * 1.5, 6)
    llm.reset(SEARCH, DONE)
    agent = agent_on(llm)
    task = await agent.run({**REQUEST, "max_cost_usd": limit})
    await agent.aclose()

    assert task.status == TaskStatus.failed
    assert task.failure_reason is not None
    assert task.failure_reason.startswith(f"Max cost per task (${limit:g}) exceeded"), (
        task.failure_reason
    )
    assert len(llm.requests) == 1
    assert task.cost == pytest.approx(CALL_COST)
    assert task.steps[0].cost == pytest.approx(CALL_COST)
    assert task.max_cost_usd == limit


async def test_within_its_limits_a_task_runs_as_without_them(llm: LLMServer):
    llm.reset(SEARCH, DONE)
    agent = agent_on(llm)
    task = await agent.run({**REQUEST, "max_cost_usd": 1.0, "max_tokens": 1_000_000})
    await agent.aclose()
    assert task.status == TaskStatus.completed, task.failure_reason
    assert len(llm.requests) == 2
    assert task.input_token_count == 2 * PROMPT_TOKENS
    assert task.cost == pytest.approx(2 * CALL_COST)


async def test_the_organization_and_the_deployment_give_the_defaults(llm: LLMServer):
    store = MemoryStore()
    agent = agent_on(llm, store, max_tokens=50)  # the deployment's: no call fits
    await agent.start(workers=False)
    capped = await store.create_organization(
        Organization(organization_id="org_capped", name="Capped", max_cost_usd=0.5)
    )
    llm.reset(SEARCH, DONE)
    deployment = await agent.run(REQUEST)
    assert deployment.max_tokens == 50 and deployment.max_cost_usd is None
    assert deployment.status == TaskStatus.failed
    assert deployment.failure_reason is not None
    assert deployment.failure_reason.startswith("Max tokens per task (50) exceeded")
    assert llm.requests == []  # not even the first call was sent

    # The organization's own limit is taken over the deployment's for that kind only.
    org_task = await agent.create_task(REQUEST, organization_id=capped.organization_id)
    assert (org_task.max_cost_usd, org_task.max_tokens) == (0.5, 50)
    # The request's own value wins over both.
    own = await agent.create_task(
        {**REQUEST, "max_tokens": 900_000, "max_cost_usd": 0.25},
        organization_id=capped.organization_id,
    )
    assert (own.max_cost_usd, own.max_tokens) == (0.25, 900_000)
    await agent.aclose()
    assert default_limits(None, Settings()) == (None, None)


async def test_a_cost_limit_with_an_unpriced_model_sends_nothing(llm: LLMServer):
    llm.reset(SEARCH, DONE)
    agent = agent_on(llm, llm_model="openai/house-model-without-a-price")
    task = await agent.run({**REQUEST, "max_cost_usd": 1.0})
    await agent.aclose()
    assert task.status == TaskStatus.failed
    assert task.failure_reason is not None
    assert task.failure_reason.startswith("Max cost per task ($1) cannot be kept")
    assert "house-model-without-a-price" in task.failure_reason
    assert llm.requests == []


def test_a_limit_outside_its_range_is_refused_naming_the_field():
    for field, value in [("max_cost_usd", 0), ("max_tokens", -5), ("max_tokens", "many")]:
        with pytest.raises(ValueError, match=field):
            TaskRequest.model_validate({**REQUEST, field: value})


async def test_calls_made_at_once_cannot_pass_a_limit_together():
    """The parts of a long page are asked about at once: each holds its estimate until
    its answer comes, so the ones that would not fit together are not sent."""
    sent: list[LLMRequest] = []

    class Slow:
        supports_images = False
        model = "scripted"

        async def estimate(self, request: LLMRequest) -> CallEstimate:
            return CallEstimate(tokens=400, cost=0.0)

        async def complete(self, request: LLMRequest) -> LLMResponse:
            sent.append(request)
            await anyio.sleep(0.05)
            return LLMResponse(text="{}", input_tokens=400, output_tokens=10, cost=0.0)

    from skyvern_core.limits import complete_within

    budget = TaskBudget(max_tokens=1000)
    refused: list[str] = []

    async def call() -> None:
        try:
            await complete_within(Slow(), LLMRequest(messages=[]), budget)
        except LimitExceeded as exc:
            refused.append(str(exc))

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(call)
    assert len(sent) == 2 and len(refused) == 2
    assert budget.tokens == 820
    assert all(r.startswith("Max tokens per task (1000) exceeded") for r in refused)


def test_the_http_api_takes_the_limits_and_keeps_them_under_the_organizations(
    llm: LLMServer, tmp_path: Path
):
    db = f"sqlite:///{tmp_path / 'api.db'}"

    async def org() -> str:
        store = SQLStore(db)
        await store.open()
        made = await create_organization(store, "Acme", max_cost_usd=2.0, max_tokens=100_000)
        await store.close()
        return made.api_key

    key = anyio.run(org)
    agent = Agent(
        driver=InMemoryDriver(shop()),
        store="sqlite",
        database_url=db,
        data_dir=tmp_path,
        notifier="none",
        settings=settings(llm, poll_interval=0.05),
    )
    server = UvicornThread(build=lambda url: create_app(agent, base_url=url)).start()
    try:
        client = httpx.Client(base_url=server.url + "/api/v1", headers={"x-api-key": key})
        over = client.post("/tasks", json={**REQUEST, "max_cost_usd": 5})
        assert over.status_code == 422
        assert over.json()["detail"][0]["loc"] == ["body", "max_cost_usd"]
        assert "over this organization's limit of $2" in over.json()["detail"][0]["msg"]
        bad = client.post("/tasks", json={**REQUEST, "max_tokens": 0})
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["body", "max_tokens"]
        assert client.get("/tasks").json() == []  # nothing was stored

        llm.reset(SEARCH, DONE)
        task_id = client.post("/tasks", json={**REQUEST, "max_cost_usd": 0.5}).json()["task_id"]
        task = client.get(f"/tasks/{task_id}").json()
        assert (task["max_cost_usd"], task["max_tokens"]) == (0.5, 100_000)
    finally:
        server.stop()
