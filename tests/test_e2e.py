"""End to end: a real Chromium, the fixture sites, litellm against a local model server.

The model server answers like a model would, from what it received: it reads the element
lines and the facts out of the prompt and decides from them, so these tests fail if the
prompt lacks what a model needs.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skyvern_core import Agent, TaskRequest, TaskStatus
from skyvern_core.testing.prompt import FormFiller
from skyvern_core.testing.sites import JOB_APPLICATION_FIELDS, FixtureSites
from tests.llm_server import LLMServer, user_text

pytestmark = pytest.mark.browser


# label prefix (as the page shows it) -> fact path in the payload
QUOTE_FORM = FormFiller(
    fields={
        "first name": "first_name",
        "last name": "last_name",
        "date of birth": "date_of_birth",
        "zip code": "zip",
        "email": "email",
        "year": "vehicle.year",
        "make": "vehicle.make",
        "model": "vehicle.model",
        "commuting": "vehicle.commutes",
        "premium": "premium_coverage",
        "roadside assistance": "roadside_assistance",
        "i confirm": "confirm_accuracy",
    },
    submit=["continue", "get my quote"],
    done="Your quote is ready",
)

PAYLOAD = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "date_of_birth": "1990-04-12",
    "zip": "94107",
    "email": "ada@example.test",
    "vehicle": {"year": "2019", "make": "Toyota", "model": "Corolla", "commutes": True},
    "premium_coverage": True,
    "roadside_assistance": True,
    "confirm_accuracy": True,
}


def model(body: dict[str, Any]) -> str:
    """A stand-in for an LLM: decide from the prompt alone."""
    prompt = user_text(body)
    if prompt.startswith("Extract information"):
        monthly = re.search(r"(\$[\d,]+\.\d\d) a month", prompt)
        quote = re.search(r"Quote number (Q-\d+)", prompt)
        return json.dumps(
            {
                "monthly_premium": monthly.group(1) if monthly else None,
                "quote_number": quote.group(1) if quote else None,
            }
        )
    return QUOTE_FORM(prompt)


@pytest.fixture(scope="module")
def model_server() -> Iterator[LLMServer]:
    server = LLMServer(prompt_tokens=1200, completion_tokens=80).start()
    yield server
    server.stop()


def agent_for(
    server: LLMServer,
    data_dir: Path,
    chromium: str,
    *,
    driver: str = "playwright",
    store: str = "sqlite",
    database_url: str | None = None,
) -> Agent:
    return Agent(
        driver=driver,
        planner="llm",
        store=store,
        database_url=database_url,
        notifier="none",
        data_dir=data_dir,
        browser_path=chromium,
        llm_model="openai/gpt-4o-mini",
        llm_api_base=server.base_url,
        llm_api_key="sk-local",
        llm_retry_base_delay=0.01,
        record_trace=True,
    )


SCHEMA = {
    "type": "object",
    "properties": {
        "monthly_premium": {"type": "string", "pattern": r"^\$[\d,]+\.\d\d$"},
        "quote_number": {"type": "string", "pattern": r"^Q-\d+$"},
    },
    "required": ["monthly_premium", "quote_number"],
}


@pytest.mark.parametrize(
    ("store", "driver"),
    [("sqlite", "playwright"), ("postgres", "selenium")],
    ids=["sqlite-playwright", "postgres-selenium"],
)
async def test_a_three_step_quote_through_litellm_in_chromium(
    model_server: LLMServer,
    sites: FixtureSites,
    chromium_executable: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    store: str,
    driver: str,
):
    database_url = request.getfixturevalue("postgres_database_url") if store == "postgres" else None
    model_server.reset(*([model] * 12))
    agent = agent_for(
        model_server,
        tmp_path,
        chromium_executable,
        driver=driver,
        store=store,
        database_url=database_url,
    )
    task = await agent.run(
        TaskRequest(
            url=sites.url("insurance/"),
            navigation_goal="Get a car insurance quote with premium coverage and roadside "
            "assistance",
            data_extraction_goal="The monthly premium and the quote number",
            navigation_payload=PAYLOAD,
            extracted_information_schema=SCHEMA,
        )
    )
    await agent.aclose()
    assert task.status == TaskStatus.completed, [s.failure_reason for s in task.steps]

    # What the insurer received is what the facts said.
    quote = next(s for s in reversed(sites.submissions) if s.path == "/insurance/quote")
    assert quote.fields["first_name"] == "Ada" and quote.fields["dob"] == "1990-04-12"
    assert quote.fields["vehicle_make"] == "Toyota" and quote.fields["vehicle_model"] == "Corolla"
    assert quote.fields["coverage"] == "premium" and quote.fields["roadside"] == "yes"
    # The extraction matches the schema and the page the insurer rendered.
    assert task.extracted_information["quote_number"] == quote.reference
    assert task.extracted_information["monthly_premium"].startswith("$")

    steps = task.steps
    assert all(s.status == "completed" for s in steps) and steps[-1].is_last
    assert len(steps) >= 4  # three form pages, then the quote page
    assert all(s.input_token_count >= 1200 and s.cost for s in steps)
    # Every prompt went out with a screenshot, declared as what it is.
    magic = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG"}
    for i in range(len(steps)):
        images = model_server.images(i)
        assert images
        for url in images:
            kind, data = url.removeprefix("data:").split(";base64,")
            assert base64.b64decode(data).startswith(magic[kind])

    # Artifacts: action screenshots, the final page, a webm recording, a trace.
    for url in [task.screenshot_url, task.recording_url, *task.action_screenshot_urls]:
        assert url and url.startswith("file://")
    assert Path(task.screenshot_url.removeprefix("file://")).read_bytes()[:4] == b"\x89PNG"
    video = Path(task.recording_url.removeprefix("file://")).read_bytes()
    assert video[:4] == b"\x1a\x45\xdf\xa3" and len(video) > 1000
    assert len(task.action_screenshot_urls) == 3
    if driver == "playwright":  # Selenium has no trace (it says so in a warning)
        traces = list((tmp_path / "artifacts" / task.task_id).glob("trace*.zip"))
        assert traces and traces[0].stat().st_size > 0


async def test_an_unmeetable_schema_fails_clearly(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    schema = {
        "type": "object",
        "properties": {"policy_number": {"type": "string", "pattern": r"^POL-\d+$"}},
        "required": ["policy_number"],
    }
    model_server.reset(*([model] * 12))
    agent = agent_for(model_server, tmp_path, chromium_executable)
    task = await agent.run(
        TaskRequest(
            url=sites.url("insurance/"),
            navigation_goal="Get a car insurance quote",
            data_extraction_goal="The policy number",
            navigation_payload=PAYLOAD,
            extracted_information_schema=schema,
        )
    )
    await agent.aclose()
    assert task.status == TaskStatus.failed
    assert task.failure_reason.startswith(
        "Extracted information does not match extracted_information_schema"
    )
    assert "'policy_number' is a required property" in task.failure_reason


APPLICATION_FORM = FormFiller(
    fields=JOB_APPLICATION_FIELDS,
    submit=["submit application"],
    done="Your confirmation number is",
)


def application_model(body: dict[str, Any]) -> str:
    """A stand-in for an LLM on the job application: the form, then the number."""
    prompt = user_text(body)
    if prompt.startswith("Extract information"):
        number = re.search(r"JA-\d+", prompt)
        return json.dumps({"confirmation_number": number.group(0) if number else None})
    return APPLICATION_FORM(prompt)


async def test_one_step_fills_a_form_longer_than_the_screen(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    """The controls below the fold are in the prompt, so the model can fill them all, the
    visually hidden file input included, and submit, in the first step."""
    from skyvern_core.demo import demo_request

    resume = tmp_path / "ada-lovelace-resume.pdf"
    resume.write_bytes(b"%PDF-1.4\n%%EOF\n")
    model_server.reset(*([application_model] * 6))
    agent = agent_for(model_server, tmp_path / "data", chromium_executable)
    task = await agent.run(demo_request(sites.url("jobs/"), resume))
    await agent.aclose()

    assert task.status == TaskStatus.completed, [s.failure_reason for s in task.steps]
    first = model_server.user_text(0)
    assert first.index("\nFurther down (scroll to reach") < first.index(' file "Resume/CV *"')
    # Step 0: everything filled and submitted; step 1: the confirmation, then extraction.
    assert len(task.steps) == 2
    assert [a.type for a in task.steps[0].actions][-1] == "click"
    assert len(task.steps[0].actions) == len(APPLICATION_FORM.fields) + 1  # all, then submit
    sub = sites.submissions_to("/jobs/apply")[-1]
    assert sub.fields["first_name"] == "Ada" and sub.fields["email"] == "ada.lovelace@example.com"
    assert sub.fields["location"] == "Berlin, Germany" and sub.fields["work_auth"] == "Yes"
    assert sub.fields["source"] == "linkedin" and sub.fields["consent"] == "yes"
    assert sub.files["resume"].filename == resume.name
    assert task.extracted_information == {"confirmation_number": sub.reference}
