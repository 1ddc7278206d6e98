"""Extraction end to end: a real Chromium reads the page, litellm asks a local model server.

The model is :class:`~skyvern_core.testing.extraction.TableExtractor`: it answers from the
text of the request alone (never the screenshot), so these tests fail when the extraction
request lacks a row, or holds a row without its values together.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skyvern_core import Agent, Task, TaskRequest, TaskStatus
from skyvern_core.testing.extraction import TableExtractor
from skyvern_core.testing.sites.records import page_records
from skyvern_core.testing.sites.server import FixtureSites
from tests.llm_server import LLMServer, user_text

pytestmark = pytest.mark.browser

BILLS = page_records("extraction/bills.html")
EXPECTED = [{"number": b["number"], "vendor": b["vendor"], "amount": b["amount"]} for b in BILLS]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "bills": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "number": {"type": "string", "pattern": r"^BILL-\d+$"},
                    "vendor": {"type": "string"},
                    "amount": {"type": "string", "pattern": r"^\$[\d,]+\.\d\d$"},
                },
                "required": ["number", "vendor", "amount"],
            },
        }
    },
    "required": ["bills"],
}
GOAL = "Extract every bill's number, vendor and amount"
READER = TableExtractor(columns={"number": "Bill"})


def model(body: dict[str, Any]) -> str:
    return READER(user_text(body))


@pytest.fixture(scope="module")
def model_server() -> Iterator[LLMServer]:
    server = LLMServer(prompt_tokens=3000, completion_tokens=900).start()
    yield server
    server.stop()


async def extract(
    server: LLMServer,
    sites: FixtureSites,
    chromium: str,
    data_dir: Path,
    schema: dict[str, Any] = SCHEMA,
    **settings: Any,
) -> Task:
    agent = Agent(
        driver="playwright",
        planner="llm",
        store="sqlite",
        notifier="none",
        data_dir=data_dir,
        browser_path=chromium,
        llm_model="openai/gpt-4o-mini",
        llm_api_base=server.base_url,
        llm_api_key="sk-local",
        llm_retry_base_delay=0.01,
        record_video=False,
        **settings,
    )
    try:
        return await agent.run(
            TaskRequest(
                url=sites.url("extraction/bills.html"),
                data_extraction_goal=GOAL,
                extracted_information_schema=schema,
            )
        )
    finally:
        await agent.aclose()


def record(task: Task) -> dict[str, Any]:
    """What the step that extracted says about the extraction."""
    (step,) = task.steps
    (result,) = step.action_results
    data: dict[str, Any] = result.data["extraction"]
    return data


async def test_every_bill_is_extracted_in_one_call_with_the_screenshot(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    model_server.reset(*([model] * 3))
    task = await extract(model_server, sites, chromium_executable, tmp_path)
    assert task.status == TaskStatus.completed, task.failure_reason
    assert task.extracted_information == {"bills": EXPECTED}
    assert len(model_server.requests) == 1
    assert record(task)["chunks"] == 1 and record(task)["source"] == "document"
    assert record(task)["tokens"] > 1000
    # The model takes images: the screenshot went along, as what it is.
    (image,) = model_server.images(0)
    assert image.startswith("data:image/jpeg;base64,")
    prompt = model_server.user_text(0)
    assert prompt.startswith("Extract information from the web page below")
    assert f"URL: {sites.url('extraction/bills.html')}" in prompt
    assert model_server.requests[0]["response_format"]["json_schema"]["name"] == "extraction"


async def test_a_small_budget_extracts_in_parts_merged_without_duplicates(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    model_server.reset(*([model] * 20))
    task = await extract(
        model_server, sites, chromium_executable, tmp_path, extraction_chunk_tokens=600
    )
    assert task.status == TaskStatus.completed, task.failure_reason
    parts = len(model_server.requests)
    assert parts >= 3
    # All 40 rows, in the page's order, each once.
    assert task.extracted_information == {"bills": EXPECTED}
    saw = record(task)
    assert saw["chunks"] == parts and saw["source"] == "document"
    prompts = [model_server.user_text(i) for i in range(parts)]
    numbers = sorted(prompts, key=lambda p: int(p.split("this is part ")[1].split(".")[0]))
    for index, prompt in enumerate(numbers, start=1):
        assert f"comes in {parts} parts; this is part {index}." in prompt
        # Every part holding rows has the table's header line above them.
        if "| BILL-" in prompt:
            assert "| Bill | Vendor | Issued | Due | Amount | Status |" in prompt
    # Each row went to exactly one part; the screenshot only with the first.
    for bill in BILLS:
        assert sum(f"| {bill['number']} |" in p for p in prompts) == 1
    with_images = [i for i in range(parts) if model_server.images(i)]
    assert len(with_images) == 1
    assert "this is part 1." in model_server.user_text(with_images[0])
    # The step counts every part's tokens.
    assert task.steps[0].input_token_count == 3000 * parts


async def test_no_image_goes_to_a_model_that_takes_none(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    model_server.reset(*([model] * 3))
    task = await extract(
        model_server, sites, chromium_executable, tmp_path, llm_supports_images=False
    )
    assert task.status == TaskStatus.completed, task.failure_reason
    assert task.extracted_information == {"bills": EXPECTED}
    assert model_server.images(0) == []


async def test_the_correction_round_works_with_parts(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    """Amounts asked for as numbers: a first answer with strings is corrected part by part."""
    schema = json.loads(json.dumps(SCHEMA))
    schema["properties"]["bills"]["items"]["properties"]["amount"] = {"type": "number"}

    def sloppy(body: dict[str, Any]) -> str:
        prompt = user_text(body)
        answer = READER.extract(prompt)
        if "did not match the schema" not in prompt:
            for bill in answer["bills"]:
                bill["amount"] = f"${bill['amount']:,.2f}"
        return json.dumps(answer)

    model_server.reset(*([sloppy] * 20))
    task = await extract(
        model_server, sites, chromium_executable, tmp_path, schema, extraction_chunk_tokens=600
    )
    assert task.status == TaskStatus.completed, task.failure_reason
    parts = record(task)["chunks"]
    assert parts >= 3 and record(task)["corrected"] is True
    assert len(model_server.requests) == 2 * parts
    corrections = [model_server.user_text(i) for i in range(parts, 2 * parts)]
    assert all("is not of type 'number'" in p for p in corrections)
    amounts = [float(b["amount"].strip("$").replace(",", "")) for b in BILLS]
    assert [b["amount"] for b in task.extracted_information["bills"]] == amounts
