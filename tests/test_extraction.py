"""Extraction's parts: cutting a long page, merging the answers, frames put in place, the
runner handing the whole page to the planner (or falling back), and the offline planner
reading a table."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skyvern_core import Agent, Settings, TaskRequest, TaskStatus
from skyvern_core.errors import BrowserError, LLMError
from skyvern_core.models import CompleteAction, Extraction, PageState
from skyvern_core.perception.document import (
    Chunk,
    chunk_document,
    merge_answers,
    read_tables,
    splice_frames,
    wants_links,
)
from skyvern_core.perception.serializer import count_tokens
from skyvern_core.planner.llm import LLMPlanner
from skyvern_core.protocols import ExtractContext
from skyvern_core.testing import FakePage, InMemoryDriver, ScriptedLLM, ScriptedPlanner, element
from skyvern_core.testing.extraction import TableExtractor, prompt_schema
from skyvern_core.testing.sites.records import page_records
from skyvern_core.testing.sites.server import FixtureSites

HEADER = "| Invoice | Customer | Total |"
RULE = "| --- | --- | --- |"
ROWS = [f"| INV-{i:03d} | Customer {i % 7} | ${i * 10:,}.00 |" for i in range(1, 81)]
DOCUMENT = "\n".join(
    [
        "# Billing",
        "Statement for June, all accounts.",
        "## Invoices",
        HEADER,
        RULE,
        *ROWS,
        "## Notes",
        "Totals include tax.",
    ]
)


# --------------------------------------------------------------------------- chunks


def test_a_page_within_the_budget_is_one_part() -> None:
    (chunk,) = chunk_document(DOCUMENT, 100_000)
    assert chunk.text == DOCUMENT and chunk.tokens == count_tokens(DOCUMENT)
    assert chunk.repeated == []


def test_a_long_page_is_cut_between_rows_with_the_header_repeated() -> None:
    chunks = chunk_document(DOCUMENT, 400)
    assert len(chunks) >= 4
    for chunk in chunks:
        assert chunk.tokens <= 400 + 10
    # Every row is in exactly one part, whole, outside what the part repeats.
    for row in ROWS:
        holding = [c for c in chunks if row in c.text.split("\n")]
        assert len(holding) == 1 and row not in holding[0].repeated
    # A part that starts inside the table repeats its headings, header line and rule.
    for chunk in chunks[1:]:
        lines = chunk.text.split("\n")
        if lines[len(chunk.repeated)].startswith("| INV-"):
            assert chunk.repeated == ["# Billing", "## Invoices", HEADER, RULE]
            assert lines[:4] == chunk.repeated
    # After the table, only the headings above are repeated.
    last = chunks[-1]
    assert last.text.endswith("## Notes\nTotals include tax.")
    # The parts hold the page's lines in order.
    body = [x for c in chunks for x in c.text.split("\n")[len(c.repeated) :]]
    assert body == DOCUMENT.split("\n")


def test_a_line_longer_than_the_budget_is_cut_between_words() -> None:
    wall = " ".join(f"word{i}" for i in range(3000))
    chunks = chunk_document(f"# Terms\n{wall}", 500)
    assert len(chunks) > 2
    words = [w for c in chunks for w in c.text.replace("# Terms", "").split()]
    assert words == wall.split()


def test_read_tables_reads_header_and_rows() -> None:
    (table,) = read_tables(DOCUMENT)
    assert table.header == ["Invoice", "Customer", "Total"]
    assert len(table.rows) == 80 and table.rows[0] == ["INV-001", "Customer 1", "$10.00"]
    (escaped,) = read_tables("| a \\| b | c |\n| --- | --- |\n| 1 | 2 |")
    assert escaped.header == ["a | b", "c"]


# --------------------------------------------------------------------------- merging


def _chunks(*texts: str) -> list[Chunk]:
    return [Chunk(text=t, tokens=count_tokens(t)) for t in texts]


def test_answers_merge_by_the_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "invoices": {"type": "array", "items": {"type": "object"}},
            "totals": {
                "type": "object",
                "properties": {"net": {"type": "string"}, "tax": {"type": "string"}},
            },
        },
    }
    answers = [
        {"title": None, "invoices": [{"n": "INV-1"}], "totals": {"net": "$10", "tax": None}},
        {"title": "Billing", "invoices": [{"n": "INV-2"}], "totals": {"net": None, "tax": "$2"}},
        {"title": "Other", "invoices": None, "totals": None},
    ]
    merged = merge_answers(schema, answers, _chunks("| INV-1 |", "| INV-2 |", "end"))
    assert merged == {
        "title": "Billing",
        "invoices": [{"n": "INV-1"}, {"n": "INV-2"}],
        "totals": {"net": "$10", "tax": "$2"},
    }


def test_a_row_read_twice_from_a_repeated_line_is_kept_once() -> None:
    shared = "## Total due · $49.00"
    first = Chunk(text=f"{shared}\n| A | $1 |", tokens=10)
    second = Chunk(text=f"{shared}\n| B | $2 |", tokens=10, repeated=[shared])
    total = {"label": "Total due", "amount": "$49.00"}
    answers = [
        {"lines": [total, {"label": "A", "amount": "$1"}]},
        {"lines": [total, {"label": "B", "amount": "$2"}]},
    ]
    merged = merge_answers(None, answers, [first, second])
    assert merged["lines"] == [
        total,
        {"label": "A", "amount": "$1"},
        {"label": "B", "amount": "$2"},
    ]


def test_a_row_the_page_shows_twice_stays_twice() -> None:
    # Two identical order lines, one in each part, not repeated by the cut: both stay.
    chunks = [
        Chunk(text="## Order\n| Filter papers | $4.00 |", tokens=10),
        Chunk(text="## Order\n| Filter papers | $4.00 |", tokens=10, repeated=["## Order"]),
    ]
    answers = [[{"item": "Filter papers", "price": 4.0}], [{"item": "Filter papers", "price": 4.0}]]
    assert len(merge_answers({"type": "array"}, answers, chunks)) == 2


def test_frames_are_put_where_they_were_marked() -> None:
    text = "## Rates\n\x00frame:0\x00\n| Card | \x00frame:1\x00 |\n\x00frame:2\x00\nend"
    spliced = splice_frames(text, {0: "| USD/EUR | 0.92 |\nby Meridian", 1: "Visa\n•• 4242"})
    assert spliced == "## Rates\n| USD/EUR | 0.92 |\nby Meridian\n| Card | Visa · •• 4242 |\nend"


def test_links_are_asked_for_by_the_goal_or_the_schema() -> None:
    assert wants_links("Every product with its URL")
    assert wants_links(None, {"properties": {"link": {"type": "string"}}})
    assert not wants_links("Every product with its price", {"properties": {"price": {}}})


def test_table_extractor_answers_from_the_prompt_text() -> None:
    schema = {
        "type": "object",
        "properties": {
            "invoices": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"invoice": {"type": "string"}, "total": {"type": "number"}},
                },
            },
            "note": {"type": "string"},
        },
    }
    prompt = (
        f"The answer must be JSON matching this JSON Schema: {json.dumps(schema)}\n"
        f"PAGE:\n{DOCUMENT}"
    )
    assert prompt_schema(prompt) == schema
    answer = TableExtractor().extract(prompt)
    assert answer["note"] is None and len(answer["invoices"]) == 80
    assert answer["invoices"][2] == {"invoice": "INV-003", "total": 30.0}


# --------------------------------------------------------------------------- the LLM planner


def _context(document: str | None, schema: Any = None, **request: Any) -> ExtractContext:
    from skyvern_core.models import Task

    task = Task(
        task_id="tsk_1",
        organization_id="o_1",
        max_steps=3,
        request=TaskRequest(
            url="https://billing.example.test/",
            data_extraction_goal="Every invoice with its total",
            extracted_information_schema=schema,
            **request,
        ),
    )
    page = PageState(
        url="https://billing.example.test/", title="Billing", content="in view", screenshot=b"x"
    )
    return ExtractContext(task=task, page=page, document=document)


def test_the_extraction_prompt_holds_the_whole_page_not_the_element_list() -> None:
    planner = LLMPlanner(ScriptedLLM())
    messages = planner.extract_messages(_context(DOCUMENT))
    user = messages[-1]
    assert DOCUMENT in user.content and "PAGE TEXT" not in user.content
    assert "URL: https://billing.example.test/" in user.content
    assert user.images == [b"x"]
    # Later parts go without the screenshot (its rows would be read twice).
    second = planner.extract_messages(_context(DOCUMENT), page_text="x", part=2, parts=3)
    assert second[-1].images == []
    assert "comes in 3 parts; this is part 2." in second[-1].content
    # Without a document: the page state, as before.
    fallback = planner.extract_messages(_context(None))[-1].content
    assert "PAGE TEXT:\nin view" in fallback


async def test_a_part_the_model_cannot_answer_fails_the_extraction_naming_it() -> None:
    def answer(request: Any) -> str:
        # The repair round repeats the part's prompt before asking again.
        part2 = any("this is part 2." in m.content for m in request.messages)
        return "not json" if part2 else "{}"

    llm = ScriptedLLM([answer] * 20, input_tokens=100)
    planner = LLMPlanner(llm, Settings(extraction_chunk_tokens=500))
    with pytest.raises(LLMError, match=r"part 2 of \d+") as info:
        await planner.extract(_context(DOCUMENT))
    # What every part cost is counted, the failed part's two attempts too.
    assert info.value.usage.input_tokens == 100 * len(llm.requests)


async def test_a_page_in_parts_is_merged_and_says_so() -> None:
    schema = {
        "type": "object",
        "properties": {
            "invoices": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"invoice": {"type": "string"}, "total": {"type": "string"}},
                },
            }
        },
    }
    reader = TableExtractor()
    llm = ScriptedLLM([lambda r: reader(r.messages[-1].content)] * 20)
    extraction = await LLMPlanner(llm, Settings(extraction_chunk_tokens=500)).extract(
        _context(DOCUMENT, schema)
    )
    assert [i["invoice"] for i in extraction.data["invoices"]] == [
        f"INV-{i:03d}" for i in range(1, 81)
    ]
    assert extraction.chunks == len(llm.requests) > 2
    assert extraction.source == "document" and extraction.page_tokens > count_tokens(DOCUMENT)
    assert extraction.usage.input_tokens == 100 * len(llm.requests)


# --------------------------------------------------------------------------- the runner

START = "https://shop.example.test/orders"
ORDERS = FakePage(
    url=START,
    title="Orders",
    text="Your orders",
    elements=[
        element("e1", "link", "Order ORD-1"),
        element("e2", "checkbox", "Gift", checked=True),
    ],
)


async def test_the_runner_gives_the_planner_the_whole_page(
    make_agent: Callable[..., Agent],
) -> None:
    page = FakePage(url=START, title="Orders", document="# Orders\n| ORD-1 | $40.00 |")
    planner = ScriptedPlanner(
        [], extractions=[Extraction(data={"n": 1}, chunks=2, page_tokens=900, source="document")]
    )
    agent = make_agent(driver=InMemoryDriver([page]), planner=planner)
    task = await agent.run(url=START, data_extraction_goal="the orders")
    await agent.aclose()
    assert task.status == TaskStatus.completed
    (context,) = planner.extract_contexts
    assert context.document == "# Orders\n| ORD-1 | $40.00 |"
    (result,) = task.steps[0].action_results
    assert result.data == {"extraction": {"chunks": 2, "tokens": 900, "source": "document"}}


async def test_a_fake_page_reads_as_a_document_made_of_its_parts(
    make_agent: Callable[..., Agent],
) -> None:
    planner = ScriptedPlanner([], extractions=[{"n": 1}])
    agent = make_agent(driver=InMemoryDriver([ORDERS]), planner=planner)
    await agent.run(url=START, data_extraction_goal="the order link URLs")
    await agent.aclose()
    assert planner.extract_contexts[0].document == "# Orders\nYour orders\nOrder ORD-1\n[x] Gift"


async def test_a_page_that_cannot_be_read_whole_is_extracted_from_the_page_state(
    make_agent: Callable[..., Agent],
) -> None:
    driver = InMemoryDriver([ORDERS], errors={"read_document": BrowserError("tab crashed")})
    planner = ScriptedPlanner([], extractions=[{"n": 1}])
    agent = make_agent(driver=driver, planner=planner)
    task = await agent.run(url=START, data_extraction_goal="the orders")
    await agent.aclose()
    assert task.status == TaskStatus.completed and task.extracted_information == {"n": 1}
    assert planner.extract_contexts[0].document is None


async def test_a_session_without_a_reader_is_extracted_from_the_page_state(
    make_agent: Callable[..., Agent],
) -> None:
    class Plain:
        """A session of another driver: the protocol's methods, no read_document."""

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            if name == "read_document":
                raise AttributeError(name)
            return getattr(self.inner, name)

    class PlainDriver(InMemoryDriver):
        async def new_session(self, options: Any) -> Any:
            return Plain(await super().new_session(options))

    planner = ScriptedPlanner([[CompleteAction()]], extractions=[{"n": 1}])
    agent = make_agent(driver=PlainDriver([ORDERS]), planner=planner)
    task = await agent.run(url=START, navigation_goal="look", data_extraction_goal="the orders")
    await agent.aclose()
    assert task.status == TaskStatus.completed
    assert planner.extract_contexts[0].document is None


# --------------------------------------------------------------------------- offline planner


@pytest.mark.browser
async def test_the_offline_planner_reads_every_bill_from_the_table(
    sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    schema = {
        "type": "object",
        "properties": {
            "bills": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "number": {"type": "string", "pattern": r"^BILL-\d+$"},
                        "vendor": {"type": "string"},
                        "amount": {"type": "string"},
                    },
                    "required": ["number", "vendor", "amount"],
                },
            }
        },
    }
    agent = Agent(
        planner="offline",
        notifier="none",
        data_dir=tmp_path,
        browser_path=chromium_executable,
        record_video=False,
    )
    try:
        task = await agent.run(
            url=sites.url("extraction/bills.html"),
            data_extraction_goal="Every bill's number, vendor and amount",
            extracted_information_schema=schema,
        )
    finally:
        await agent.aclose()
    assert task.status == TaskStatus.completed, task.failure_reason
    bills = page_records("extraction/bills.html")
    assert task.extracted_information["bills"] == [
        {"number": b["number"], "vendor": b["vendor"], "amount": b["amount"]} for b in bills
    ]
