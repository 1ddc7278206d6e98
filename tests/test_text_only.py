"""The text-only path end to end: real Chromium, the LLM planner through litellm to a local
OpenAI-compatible server, and a model that reads only the text it is sent
(:class:`~skyvern_core.testing.textonly.TextOnlyModel`), as a model without vision would.

- acting on the one row of the 40-row bills table named by its data (vendor and due date),
  a row below the fold, through its icon-only row menu;
- extracting every row of that table into a schema;
- filling a long form whose facts differ in case and punctuation from its options, with at
  most one retry.

Each fails when the prompt lacks what a model needs: the row's text beside its controls,
the rows below the fold, every row in the extraction request.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skyvern_core import Agent, TaskRequest, TaskStatus
from skyvern_core.testing.extraction import TableExtractor
from skyvern_core.testing.prompt import FormFiller
from skyvern_core.testing.sites import FixtureSites
from skyvern_core.testing.textonly import TextOnlyModel
from tests.llm_server import LLMServer
from tests.test_step_failures import FACTS, LONG_FORM

pytestmark = pytest.mark.browser

SITE = Path(__file__).resolve().parents[1] / "skyvern_core" / "testing" / "sites" / "bills"


def bills() -> list[dict[str, Any]]:
    """The 40 bills the site shows, from its own data file."""
    text = (SITE / "data.js").read_text(encoding="utf-8")
    return [json.loads(m) for m in re.findall(r"\{\"number\": \"BILL-[^}]*\}", text)]


@pytest.fixture(scope="module")
def model_server() -> Iterator[LLMServer]:
    server = LLMServer(prompt_tokens=2500, completion_tokens=80).start()
    yield server
    server.stop()


def agent_for(server: LLMServer, tmp_path: Path, chromium: str, **settings: Any) -> Agent:
    """An embedded agent on Chromium, with a text-only model behind litellm."""
    return Agent(
        driver="playwright",
        planner="llm",
        store="sqlite",
        notifier="none",
        data_dir=tmp_path,
        browser_path=chromium,
        llm_model="openai/gpt-4o-mini",
        llm_api_base=server.base_url,
        llm_api_key="sk-local",
        llm_retry_base_delay=0.01,
        # As a local model without vision is configured: no screenshot is sent.
        llm_supports_images=False,
        record_video=False,
        **settings,
    )


def serve(server: LLMServer, model: TextOnlyModel, calls: int = 20) -> None:
    server.reset(*([model] * calls))


async def test_the_bill_a_person_names_by_its_data_is_the_one_paid(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    data = bills()
    assert len(data) == 40
    # The one bill of that vendor due that day; the table sorts by due date, so it is a
    # later row, below the fold of a 1280x800 window.
    target = next(b for b in data if b["vendor"] == "Brightline Janitorial Services")
    assert [b["dueDate"] for b in data].count(target["dueDate"]) == 1
    assert sorted(b["dueDate"] for b in data).index(target["dueDate"]) > 12
    model = TextOnlyModel(
        row=("Brightline Janitorial Services", "Jun 27, 2025"),
        row_click="More actions",
        then=("Pay bill",),
        form=FormFiller(
            fields={
                "payment date": "payment_date",
                "payment method": "method",
                "memo to vendor": "memo",
            },
            submit=("Schedule payment",),
            done="Payment scheduled",
        ),
    )
    serve(model_server, model)
    # The site refuses a payment date in the past.
    when = (datetime.date.today() + datetime.timedelta(days=14)).isoformat()
    before = len(sites.submissions_to("/bills/pay"))
    async with agent_for(model_server, tmp_path, chromium_executable) as agent:
        task = await agent.run(
            TaskRequest(
                url=sites.url("bills/"),
                navigation_goal="Pay the bill from Brightline Janitorial Services due on "
                f"Jun 27, 2025, by ACH, on {when}",
                navigation_payload={
                    "payment_date": when,
                    "method": "ach bank transfer",
                    "memo": "June cleaning",
                },
            )
        )
    assert task.status == TaskStatus.completed, [s.failure_reason for s in task.steps]
    assert model.images_seen == 0
    (paid,) = sites.submissions_to("/bills/pay")[before:]
    assert paid.fields["bill_number"] == target["number"]
    assert paid.fields["method"] == "ach"
    assert paid.fields["payment_date"] == when
    assert paid.fields["memo"] == "June cleaning"
    # One step each: open the row's menu, choose Pay bill, fill and schedule, see it done.
    assert [s.retry_index for s in task.steps] == [0, 0, 0, 0]


async def test_every_bill_of_the_table_is_extracted(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    data = bills()
    item = {
        "type": "object",
        "properties": {
            "number": {"type": "string", "pattern": r"^BILL-\d+$"},
            "vendor": {"type": "string"},
            "amount": {"type": "string"},
        },
        "required": ["number", "vendor", "amount"],
    }
    schema = {
        "type": "object",
        "properties": {"bills": {"type": "array", "items": item}},
        "required": ["bills"],
    }
    model = TextOnlyModel(extractor=TableExtractor(columns={"number": "Bill #"}))
    serve(model_server, model)
    async with agent_for(model_server, tmp_path, chromium_executable) as agent:
        task = await agent.run(
            TaskRequest(
                url=sites.url("bills/"),
                data_extraction_goal="Every bill's number, vendor and amount",
                extracted_information_schema=schema,
            )
        )
    assert task.status == TaskStatus.completed, task.failure_reason
    got = task.extracted_information["bills"]
    assert [(b["number"], b["vendor"]) for b in got] == [
        (b["number"], b["vendor"]) for b in sorted(data, key=lambda b: b["dueDate"])
    ]
    amounts = {b["number"]: float(re.sub(r"[^\d.]", "", b["amount"])) for b in got}
    assert amounts == {b["number"]: b["amount"] for b in data}
    assert model.images_seen == 0


async def test_a_long_form_with_facts_unlike_its_options_needs_one_retry_at_most(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    model = TextOnlyModel(form=LONG_FORM)
    serve(model_server, model)
    before = len(sites.submissions_to("/widgets/book"))
    async with agent_for(model_server, tmp_path, chromium_executable) as agent:
        task = await agent.run(
            TaskRequest(
                url=sites.url("widgets/"),
                navigation_goal="Fill in the passenger details and continue to payment",
                navigation_payload=FACTS,
            )
        )
    assert task.status == TaskStatus.completed, [s.failure_reason for s in task.steps]
    assert sum(1 for s in task.steps if s.retry_index > 0) <= 1
    (post,) = sites.submissions_to("/widgets/book")[before:]
    assert post.fields["title"] == "MR"
    assert post.fields["nationality"] == "United Kingdom"
    assert post.fields["from"] == "CDG"
    assert len(post.fields) >= 25
    assert model.images_seen == 0
