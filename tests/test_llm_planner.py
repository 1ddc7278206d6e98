"""The LLM planner through the real litellm path, against a local OpenAI-compatible server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from skyvern_core import Agent, Settings, TaskRequest, TaskStatus
from skyvern_core.errors import LLMError
from skyvern_core.models import ElementOption, StepStatus
from skyvern_core.protocols import LLMMessage, LLMRequest
from skyvern_core.testing import FakePage, InMemoryDriver, MemoryArtifactStore, element
from skyvern_core.testing.memory_store import MemoryStore
from skyvern_plugins.litellm_provider import LiteLLMProvider
from tests.llm_server import LLMServer

MODEL = "openai/gpt-4o-mini"  # litellm knows it takes images, JSON schemas, and its price
LOGIN = "https://portal.example.test/login"
HOME = "https://portal.example.test/home"
PASSWORD = "Tr0ub4dor&3-horse"


@pytest.fixture(scope="module")
def llm_server() -> Iterator[LLMServer]:
    server = LLMServer().start()
    yield server
    server.stop()


def settings(server: LLMServer, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "llm_model": MODEL,
        "llm_api_base": server.base_url,
        "llm_api_key": "sk-local-test",
        "llm_retry_base_delay": 0.01,
        "llm_max_retries": 2,
        "planner": "llm",
    }
    return Settings(**(values | extra))


def portal() -> list[FakePage]:
    return [
        FakePage(
            url=LOGIN,
            title="Sign in — Portal",
            elements=[
                element("e1", "textbox", "Username", required=True),
                element("e2", "textbox", "Password", type="password", required=True),
                element(
                    "e3",
                    "combobox",
                    "Region",
                    options=[
                        ElementOption(value="eu", label="Europe"),
                        ElementOption(value="us", label="United States"),
                    ],
                ),
                element("e4", "button", "Sign in"),
            ],
            text="Sign in to your account",
            submit={"e4": HOME},
        ),
        FakePage(url=HOME, title="Dashboard", text="Welcome back, chris. Balance: $1,024.50"),
    ]


def decision(*actions: dict[str, Any], reached: bool = False, why: str = "ok") -> str:
    return json.dumps({"reasoning": why, "goal_reached": reached, "actions": list(actions)})


SIGN_IN = decision(
    {"type": "input_text", "element_id": "e1", "text": "chris"},
    {"type": "input_text", "element_id": "e2", "text": "{{secret:password}}"},
    {"type": "select_option", "element_id": "e3", "option": "Europe"},
    {"type": "click", "element_id": "e4"},
    why="Fill the login form and submit.",
)
DONE = decision({"type": "complete"}, reached=True, why="The dashboard shows.")

REQUEST = TaskRequest(
    url=LOGIN,
    navigation_goal="Sign in to the portal",
    data_extraction_goal="What is the account balance?",
    navigation_payload={"username": "chris", "password": PASSWORD, "region": "Europe"},
    extracted_information_schema={
        "type": "object",
        "properties": {"balance": {"type": "string"}},
        "required": ["balance"],
    },
)


def make(server: LLMServer, driver: InMemoryDriver, **extra: Any) -> Agent:
    return Agent(
        driver=driver,
        store=MemoryStore(),
        artifact_store=MemoryArtifactStore(),
        notifier="none",
        settings=settings(server, **extra),
    )


async def test_a_task_runs_through_litellm_with_facts_screenshot_and_no_secret(
    llm_server: LLMServer,
):
    llm_server.reset(SIGN_IN, DONE, json.dumps({"balance": "$1,024.50"}))
    driver = InMemoryDriver(portal())
    agent = make(llm_server, driver)
    task = await agent.run(REQUEST)
    await agent.aclose()

    assert task.status == TaskStatus.completed, task.failure_reason
    assert task.extracted_information == {"balance": "$1,024.50"}
    first = llm_server.requests[0]
    prompt = llm_server.user_text(0)
    # The facts are in the prompt; the secret is not, anywhere in any request.
    assert '"username": "chris"' in prompt and "{{secret:password}}" in prompt
    assert all(PASSWORD not in json.dumps(r) for r in llm_server.requests)
    assert "\ne2 " in prompt and "Sign in" in prompt
    # The screenshot went along; the answer was held to the decision schema.
    assert llm_server.images(0)[0].startswith("data:image/png;base64,")
    assert first["response_format"]["type"] == "json_schema"
    assert first["response_format"]["json_schema"]["name"] == "decision"
    # The browser got the real password; the record keeps the placeholder.
    typed = [a.text for a in driver.executed if a.type == "input_text"]
    assert typed == ["chris", PASSWORD]
    assert task.steps[0].actions[1].text == "{{secret:password}}"
    assert all(PASSWORD not in s.model_dump_json() for s in task.steps)
    # Token counts are the model's own figures; cost comes from litellm's price list.
    assert [s.input_token_count for s in task.steps] == [1500, 3000]  # step 2 + extraction
    assert [s.output_token_count for s in task.steps] == [60, 120]
    assert all(s.cost and s.cost > 0 for s in task.steps)
    assert task.input_token_count == 4500
    # The second step's prompt carries the first step's actions and their results.
    history = llm_server.user_text(1)
    assert 'input_text e1 "chris" → ok' in history and "click e4 → ok" in history


async def test_malformed_json_gets_one_repair_round(llm_server: LLMServer):
    llm_server.reset(
        "Sure! Here is what I would do: click sign in", SIGN_IN, DONE, '{"balance": "1"}'
    )
    agent = make(llm_server, InMemoryDriver(portal()))
    task = await agent.run(REQUEST)
    await agent.aclose()
    assert task.status == TaskStatus.completed
    assert [(s.order, s.retry_index) for s in task.steps] == [(0, 0), (1, 0)]
    assert task.steps[0].input_token_count == 3000  # both calls of the repaired step
    repair = llm_server.requests[1]["messages"]
    assert repair[-2]["content"].startswith("Sure!")
    assert "not valid JSON" in repair[-1]["content"]


async def test_an_answer_unusable_twice_fails_the_step_which_is_retried(llm_server: LLMServer):
    bad = decision({"type": "click", "element_id": "e99"})
    llm_server.reset(bad, bad, SIGN_IN, DONE, '{"balance": "1"}')
    agent = make(llm_server, InMemoryDriver(portal()))
    task = await agent.run(REQUEST)
    await agent.aclose()
    assert task.status == TaskStatus.completed
    first = task.steps[0]
    assert (first.order, first.retry_index, first.status) == (0, 0, StepStatus.failed)
    assert first.failure_reason == (
        "Planner error: the model's decision was unusable after one repair round: "
        "action 0 (click) names element e99, which is not on the page"
    )
    assert first.input_token_count == 3000
    assert "THE LAST ATTEMPT AT THIS STEP FAILED" in llm_server.user_text(2)


async def test_rate_limits_and_server_errors_are_retried(llm_server: LLMServer):
    llm_server.reset(429, 500, SIGN_IN, DONE, '{"balance": "1"}')
    agent = make(llm_server, InMemoryDriver(portal()))
    task = await agent.run(REQUEST)
    await agent.aclose()
    assert task.status == TaskStatus.completed
    assert [(s.order, s.retry_index) for s in task.steps] == [(0, 0), (1, 0)]
    assert len(llm_server.requests) == 5


async def test_provider_gives_up_then_tries_the_fallback_model(llm_server: LLMServer):
    provider = LiteLLMProvider(
        settings(llm_server, llm_max_retries=1, llm_fallback_models=["openai/gpt-4o"])
    )
    request = LLMRequest(messages=[LLMMessage(role="user", content="hi")])
    llm_server.reset(500, 503, "hello from the fallback")
    response = await provider.complete(request)
    assert response.text == "hello from the fallback"
    assert [r["model"] for r in llm_server.requests] == ["gpt-4o-mini", "gpt-4o-mini", "gpt-4o"]
    assert response.input_tokens == 1500 and response.cost and response.cost > 0

    llm_server.reset(500, 500, 500, 500)
    with pytest.raises(LLMError, match="gave up after 2 attempts"):
        await provider.complete(request)


async def test_extraction_that_cannot_meet_the_schema_fails_clearly(llm_server: LLMServer):
    llm_server.reset(SIGN_IN, DONE, '{"amount": 1024.5}', '{"amount": "1024.50"}')
    agent = make(llm_server, InMemoryDriver(portal()))
    task = await agent.run(REQUEST)
    await agent.aclose()
    assert task.status == TaskStatus.failed
    assert task.failure_reason.startswith(
        "Extracted information does not match extracted_information_schema"
    )
    assert "'balance' is a required property" in task.failure_reason
    correction = llm_server.user_text(3)
    assert "did not match the schema" in correction and "'balance' is a required" in correction
    assert llm_server.requests[2]["response_format"]["json_schema"]["schema"] == (
        REQUEST.extracted_information_schema
    )


async def test_terminate_reason_becomes_the_failure_reason(llm_server: LLMServer):
    reason = "The page asks for a date of birth, which the facts do not give"
    llm_server.reset(decision({"type": "terminate", "reason": reason}))
    agent = make(llm_server, InMemoryDriver(portal()))
    task = await agent.run(REQUEST)
    await agent.aclose()
    assert task.status == TaskStatus.terminated
    assert task.failure_reason == reason


def test_without_a_model_the_provider_says_what_to_set():
    from skyvern_core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="SKYVERN_LLM_MODEL"):
        LiteLLMProvider(Settings())


def _long_form_context() -> Any:
    from skyvern_core.models import Element, PageState, Step, Task
    from skyvern_core.protocols import PlanContext

    fields = ["First name", "Last name", "Email", "Phone", "City"]
    page = PageState(
        url="http://jobs.test/apply",
        title="Apply",
        elements=[
            Element(
                id=f"e{i}",
                role="textbox",
                label=label,
                visibility="visible" if i < 2 else "offscreen",
            )
            for i, label in enumerate(fields)
        ],
    )
    task = Task(
        task_id="tsk_1",
        organization_id="org_1",
        request=TaskRequest(url=page.url, navigation_goal="Apply"),
        max_steps=10,
    )
    step = Step(step_id="stp_1", task_id=task.task_id, organization_id="org_1", order=0)
    return PlanContext(task=task, page=page, history=[], step=step)


@pytest.mark.parametrize(
    ("listed", "expected", "absent"),
    [
        (None, ['e2 textbox "Email"', 'e4 textbox "City"'], []),
        (0, ["Further down (scroll to reach): 3 textbox"], ["Email", "City"]),
    ],
)
def test_the_prompt_lists_or_counts_what_is_further_down(
    listed: int | None, expected: list[str], absent: list[str]
) -> None:
    from skyvern_core.planner.llm import LLMPlanner
    from skyvern_core.testing import ScriptedLLM

    settings = Settings() if listed is None else Settings(prompt_offscreen_elements=listed)
    user = LLMPlanner(ScriptedLLM(), settings).decide_messages(_long_form_context())[1].content
    lines = user.splitlines()
    assert 'e0 textbox "First name"' in lines
    assert all(line in lines for line in expected), user
    assert not any(word in user for word in absent), user


def test_prompt_helpers_read_what_a_fake_model_needs() -> None:
    from skyvern_core.planner.llm import LLMPlanner
    from skyvern_core.testing import ScriptedLLM
    from skyvern_core.testing.prompt import prompt_elements, prompt_facts

    context = _long_form_context()
    context.page.elements[0].value = "Ada"
    context.page.elements[1].required = True
    context.task.request.navigation_payload = {"name": "Ada", "password": "hunter2"}
    user = LLMPlanner(ScriptedLLM()).decide_messages(context)[1].content
    elements = prompt_elements(user)
    assert [(e.id, e.role, e.label) for e in elements[:2]] == [
        ("e0", "textbox", "First name"),
        ("e1", "textbox", "Last name"),
    ]
    assert elements[0].filled and not elements[1].filled
    assert elements[1].rest == " required"
    assert prompt_facts(user) == {"name": "Ada", "password": "{{secret:password}}"}


def _stuck_agent(make_agent: Any, answers: list[str]) -> tuple[Agent, Any]:
    """An agent whose model answers ``answers`` in turn, on a page where nothing moves."""
    from skyvern_core.planner.llm import LLMPlanner
    from skyvern_core.testing import ScriptedLLM

    page = FakePage(
        url="https://shop.test/cart",
        title="Cart",
        elements=[element("e1", "button", "Apply coupon"), element("e2", "link", "Help")],
        text="Your cart",
    )
    llm = ScriptedLLM(answers)
    return make_agent(driver=InMemoryDriver([page]), planner=LLMPlanner(llm)), llm


def _answer(*actions: dict[str, Any], reached: bool = False) -> str:
    return json.dumps({"reasoning": "r", "goal_reached": reached, "actions": list(actions)})


async def test_the_same_actions_again_and_again_end_the_task(make_agent: Any) -> None:
    click = {"type": "click", "element_id": "e1"}
    agent, llm = _stuck_agent(make_agent, [_answer(click)] * 5)
    task = await agent.run(TaskRequest(url="https://shop.test/cart", navigation_goal="Pay"))
    await agent.aclose()

    assert task.status == TaskStatus.terminated
    assert task.failure_reason is not None
    assert "same actions 3 times on https://shop.test/cart" in task.failure_reason
    assert "click e1" in task.failure_reason
    # Three model calls, not five: the third answer was the last.
    assert len(llm.requests) == 3 and len(task.steps) == 3
    # Before that, the model was told, after the second time.
    prompts = [r.messages[-1].content for r in llm.requests]
    assert "NOTE:" not in prompts[1]
    assert "Your last 2 steps took the same actions on this page (click e1)" in prompts[2]


async def test_scrolling_on_is_not_a_loop_and_a_change_of_mind_is_heard(
    make_agent: Any,
) -> None:
    scroll = {"type": "scroll", "direction": "down"}
    click, other = {"type": "click", "element_id": "e1"}, {"type": "click", "element_id": "e2"}
    answers = [_answer(scroll)] * 4 + [_answer(click)] * 2 + [_answer(other), _answer(reached=True)]
    agent, llm = _stuck_agent(make_agent, answers)
    task = await agent.run(TaskRequest(url="https://shop.test/cart", navigation_goal="Pay"))
    await agent.aclose()

    assert task.status == TaskStatus.completed, task.failure_reason
    assert len(llm.requests) == 8
    assert "NOTE:" in llm.requests[6].messages[-1].content
    assert "NOTE:" not in llm.requests[7].messages[-1].content


def test_form_filler_fills_what_it_sees_then_scrolls_or_submits() -> None:
    from skyvern_core.planner.llm import LLMPlanner
    from skyvern_core.testing import ScriptedLLM
    from skyvern_core.testing.prompt import FormFiller

    context = _long_form_context()
    context.task.request.navigation_payload = {"first": "Ada", "last": "Lovelace", "city": "Oslo"}
    filler = FormFiller(
        fields={"first name": "first", "last name": "last", "city": "city"},
        submit=["Send"],
        done="Thank you",
    )
    counted = Settings(prompt_offscreen_elements=0)
    prompt = LLMPlanner(ScriptedLLM(), counted).decide_messages(context)[1].content
    assert [(a["type"], a.get("element_id")) for a in filler.decide(prompt)["actions"]] == [
        ("input_text", "e0"),
        ("input_text", "e1"),
        ("scroll", None),
    ]
    # With the rest of the form listed, it fills that too; a filled field is left alone.
    context.page.elements[0].value = "Ada"
    context.page.elements.append(element("e9", "button", "Send", visibility="offscreen"))
    prompt = LLMPlanner(ScriptedLLM()).decide_messages(context)[1].content
    answer = json.loads(filler(prompt))
    assert [(a["type"], a.get("element_id")) for a in answer["actions"]] == [
        ("input_text", "e1"),
        ("input_text", "e4"),
        ("click", "e9"),
    ]
    assert filler.decide(prompt + "\nThank you")["goal_reached"] is True
