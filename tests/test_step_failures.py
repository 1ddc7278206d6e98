"""A failed fill does not sink the step's other fills: the engine end to end.

A step's other fills still run after one fails; its click does not; the failure reason
names what failed and what did not run; the next prompt shows which actions stuck. Fast
cases run on the in-memory driver, the real ones through the real ``Agent``, the LLM planner
and the Playwright driver against the widgets fixture site (an airline's passenger form).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skyvern_core import TaskRequest, TaskStatus
from skyvern_core.config import Settings
from skyvern_core.models import (
    ActionResult,
    ClickAction,
    ElementOption,
    InputTextAction,
    KeypressAction,
    ScrollAction,
    SelectOptionAction,
    Step,
    StepStatus,
)
from skyvern_core.planner.llm import LLMPlanner, render_history
from skyvern_core.runner import failure_reason, goes_on_after_failure
from skyvern_core.testing import FakePage, InMemoryDriver, ScriptedLLM
from skyvern_core.testing.driver import element
from skyvern_core.testing.prompt import FormFiller, prompt_elements
from skyvern_core.testing.sites import FixtureSites
from skyvern_plugins.playwright.driver import PlaywrightDriver

# --------------------------------------------------------------------------- the rules


def test_which_actions_go_on_after_a_failure() -> None:
    failure = ActionResult(success=False, error="e2 has no option 'Sir'")
    assert goes_on_after_failure(InputTextAction(element_id="e3", text="x"), failure)
    assert goes_on_after_failure(SelectOptionAction(element_id="e3", option="x"), failure)
    assert goes_on_after_failure(ScrollAction(direction="down"), failure)
    assert goes_on_after_failure(KeypressAction(key="Tab"), failure)
    assert not goes_on_after_failure(KeypressAction(key="Enter"), failure)
    assert not goes_on_after_failure(KeypressAction(key="ctrl+Enter"), failure)
    assert not goes_on_after_failure(ClickAction(element_id="e9"), failure)
    # A failed action that left the page: nothing after it is about this page any more.
    moved = ActionResult(success=False, error="boom", data={"url": "https://x.test/next"})
    assert not goes_on_after_failure(InputTextAction(element_id="e3", text="x"), moved)


def test_the_failure_reason_names_every_failed_action_and_what_did_not_run() -> None:
    one = [(SelectOptionAction(element_id="e2", option="Sir"), _failed("e2 has no option"))]
    assert failure_reason(one, []) == "select_option failed: e2 has no option"
    two = [
        *one,
        (InputTextAction(element_id="e5", text="x"), _failed("could not type into the field")),
    ]
    assert failure_reason(two, [ClickAction(element_id="e9")]) == (
        "2 actions failed: (1) select_option failed: e2 has no option "
        "(2) input_text e5 failed: could not type into the field; "
        "not run after the failure: click e9"
    )


def _failed(error: str) -> ActionResult:
    return ActionResult(success=False, error=error)


def test_history_says_which_option_was_chosen() -> None:
    step = Step(
        step_id="s1",
        task_id="t",
        organization_id="o",
        order=0,
        page_url="https://air.test/book",
        actions=[
            SelectOptionAction(element_id="e1", option="mr"),
            SelectOptionAction(element_id="e2", option="MS."),
            InputTextAction(element_id="e3", text="paris cdg"),
            InputTextAction(element_id="e4", text="9 Elm Street"),
            ClickAction(element_id="e9"),
        ],
        action_results=[
            ActionResult(success=True, data={"chosen": "MR.", "match": "normalized"}),
            ActionResult(success=True, data={"chosen": "MS.", "match": "exact"}),
            ActionResult(
                success=True,
                data={"autocomplete": "picked", "chosen": "Paris Charles de Gaulle (CDG)"},
            ),
            ActionResult(
                success=True, data={"autocomplete": "typed", "why": "no suggestion matched"}
            ),
        ],
    )
    assert render_history([step]) == (
        '#0 at https://air.test/book: select_option e1 "mr" → ok (chose "MR."); '
        'select_option e2 "MS." → ok; '
        'input_text e3 "paris cdg" → ok (picked the suggestion "Paris Charles de Gaulle (CDG)"); '
        'input_text e4 "9 Elm Street" → ok (kept the typed text: no suggestion matched); '
        "click e9 → not run"
    )


# --------------------------------------------------------------------------- in memory


def _fake_form() -> FakePage:
    title = [ElementOption(value=v, label=v) for v in ("MR.", "MRS.", "MS.")]
    return FakePage(
        url="https://air.test/book",
        title="Passenger details",
        elements=[
            element("e1", "textbox", "First name"),
            element("e2", "select", "Title", options=title, required=True),
            element("e3", "textbox", "Last name"),
            element("e4", "textbox", "Email"),
            element("e5", "textbox", "Phone"),
            element("e6", "button", "Continue"),
        ],
        submit={"e6": "https://air.test/done"},
    )


async def test_in_memory_fills_after_a_failure_run_and_the_click_does_not(
    make_agent: Any,
) -> None:
    done = FakePage(url="https://air.test/done", title="Done", text="Booking confirmed")
    first = [
        {"type": "input_text", "element_id": "e1", "text": "Ada"},
        {"type": "select_option", "element_id": "e2", "option": "Sir"},
        {"type": "input_text", "element_id": "e3", "text": "Lovelace"},
        {"type": "input_text", "element_id": "e4", "text": "ada@example.test"},
        {"type": "input_text", "element_id": "e5", "text": "555 0100"},
        {"type": "click", "element_id": "e6"},
    ]
    retry = [
        {"type": "select_option", "element_id": "e2", "option": "mr"},
        {"type": "click", "element_id": "e6"},
    ]
    llm = ScriptedLLM([_answer(first), _answer(retry), _answer([], reached=True)])
    driver = InMemoryDriver([_fake_form(), done])
    agent = make_agent(driver=driver, planner=LLMPlanner(llm))
    task = await agent.run(TaskRequest(url="https://air.test/book", navigation_goal="Book"))
    await agent.aclose()

    assert task.status == TaskStatus.completed, task.failure_reason
    failed = task.steps[0]
    assert failed.status == StepStatus.failed
    assert [r.success for r in failed.action_results] == [True, False, True, True, True]
    assert failed.failure_reason is not None
    assert failed.failure_reason.startswith("select_option e2 failed: no option 'Sir'")
    assert failed.failure_reason.endswith("; not run after the failure: click e6")
    # The click of the first attempt never ran; the retry's did, once.
    assert [a.type for a in driver.executed].count("click") == 1
    prompt = llm.requests[1].messages[-1].content
    assert 'input_text e3 "Lovelace" → ok' in prompt
    assert "click e6 → not run" in prompt
    assert 'select_option e2 "mr" → ok (chose "MR.")' in render_history(task.steps)


def _answer(actions: list[dict[str, Any]], *, reached: bool = False) -> str:
    return json.dumps({"reasoning": "r", "goal_reached": reached, "actions": actions})


# --------------------------------------------------------------------------- in Chromium


def _chromium(path: str) -> PlaywrightDriver:
    return PlaywrightDriver(Settings(browser_path=path))


def _ids(prompt: str) -> dict[str, str]:
    """Element ids by label, as the prompt lists them (first of each label)."""
    found: dict[str, str] = {}
    for el in prompt_elements(prompt):
        found.setdefault(el.label, el.id)
    return found


@pytest.mark.browser
async def test_five_fills_the_second_failing_in_chromium(
    make_agent: Any, sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    """Fills 3-5 run after the 2nd fails, the submit does not; the next attempt sees in
    its history which ones stuck, redoes only the failed one, and the site receives every
    value from both attempts."""
    who = f"Ada-{tmp_path.name[-6:]}"
    prompts: list[str] = []

    def first(request: Any) -> str:
        prompt = request.messages[-1].content
        prompts.append(prompt)
        ids = _ids(prompt)
        return _answer(
            [
                {"type": "input_text", "element_id": ids["First name"], "text": who},
                {"type": "select_option", "element_id": ids["Title"], "option": "Sir"},
                {"type": "input_text", "element_id": ids["Last name"], "text": "Lovelace"},
                {"type": "select_option", "element_id": ids["Cabin class"], "option": "economy"},
                {"type": "input_text", "element_id": ids["Email"], "text": "ada@example.test"},
                {"type": "click", "element_id": ids["Continue to payment"]},
            ]
        )

    def retry(request: Any) -> str:
        prompt = request.messages[-1].content
        prompts.append(prompt)
        ids = _ids(prompt)
        return _answer(
            [
                {"type": "select_option", "element_id": ids["Title"], "option": "mr"},
                {"type": "click", "element_id": ids["Continue to payment"]},
            ]
        )

    def finish(request: Any) -> str:
        prompts.append(request.messages[-1].content)
        return _answer([], reached=True)

    llm = ScriptedLLM([first, retry, finish])
    agent = make_agent(driver=_chromium(chromium_executable), planner=LLMPlanner(llm))
    before = len(sites.submissions_to("/widgets/book"))
    task = await agent.run(TaskRequest(url=sites.url("widgets/"), navigation_goal="Book"))
    await agent.aclose()

    assert task.status == TaskStatus.completed, [s.failure_reason for s in task.steps]
    attempt = task.steps[0]
    assert attempt.status == StepStatus.failed
    assert [r.success for r in attempt.action_results] == [True, False, True, True, True]
    title_id = _ids(prompts[0])["Title"]
    submit_id = _ids(prompts[0])["Continue to payment"]
    assert attempt.failure_reason is not None
    assert attempt.failure_reason.startswith(f"select_option failed: {title_id} ")
    assert "has no option 'Sir'" in attempt.failure_reason
    assert attempt.failure_reason.endswith(f"not run after the failure: click {submit_id}")
    history = prompts[1].split("EARLIER STEPS:\n", 1)[1].split("\n", 1)[0]
    assert f'input_text {_ids(prompts[0])["Last name"]} "Lovelace" → ok' in history
    cabin_id = _ids(prompts[0])["Cabin class"]
    assert f'select_option {cabin_id} "economy" → ok (chose "Economy / Coach")' in history
    assert f"click {submit_id} → not run" in history
    assert "THE LAST ATTEMPT AT THIS STEP FAILED: select_option failed" in prompts[1]
    # One POST only, from the retry, with what the first attempt typed and chose.
    posts = sites.submissions_to("/widgets/book")[before:]
    assert len(posts) == 1
    fields = posts[0].fields
    assert (fields["first_name"], fields["last_name"]) == (who, "Lovelace")
    assert (fields["email"], fields["cabin"], fields["title"]) == (
        "ada@example.test",
        "economy",
        "MR",
    )


LONG_FORM = FormFiller(
    fields={
        "title": "title",
        "first name": "first_name",
        "last name": "last_name",
        "gender": "gender",
        "date of birth": "dob",
        "nationality": "nationality",
        "email": "email",
        "phone country code": "phone_code",
        "phone number": "phone",
        "from": "trip.from",
        "to": "trip.to",
        "cabin class": "trip.cabin",
        "fare type": "trip.fare",
        "checked bags": "trip.bags",
        "meal": "trip.meal",
        "seat preference": "trip.seat",
        "special assistance": "trip.assistance",
        "frequent flyer programme": "loyalty.program",
        "frequent flyer number": "loyalty.number",
        "street address": "address.street",
        "city": "address.city",
        "state / province": "address.state",
        "postal code": "address.postal_code",
        "country": "address.country",
        "how did you hear": "source",
        "send me northwind": "newsletter",
    },
    submit=["Continue to payment"],
    done="Booking confirmed",
)

# The facts as a user writes them: none in the case or punctuation the form's options use.
FACTS: dict[str, Any] = {
    "title": "mr",
    "first_name": "Alan",
    "last_name": "Turing",
    "gender": "male",
    "dob": "23/06/1990",
    "nationality": "united kingdom",
    "email": "alan@example.test",
    "phone_code": "+1",
    "phone": "650 555 0100",
    "trip": {
        "from": "paris cdg",
        "to": "JFK",
        "cabin": "economy",
        "fare": "flex",
        "bags": "1 bag",
        "meal": "vegetarian",
        "seat": "WINDOW",
        "assistance": "wheelchair",
    },
    "loyalty": {"program": "mileageplus", "number": "UA 123 456"},
    "address": {
        "street": "1 Amphitheatre Pkwy",
        "city": "Mountain View",
        "state": "california",
        "postal_code": "94043",
        "country": "united states",
    },
    "source": "search engine",
    "newsletter": True,
}


@pytest.mark.browser
async def test_a_long_form_whose_facts_differ_from_the_options_completes(
    make_agent: Any, sites: FixtureSites, chromium_executable: str
) -> None:
    """26 fields, every choice written otherwise than its option ("mr" for "MR.", "united
    states" for "United States of America", "paris cdg" for a react-select's fetched
    suggestion): the prompt-reading model fills them all in one step, with no retry."""
    llm = ScriptedLLM([lambda request: LONG_FORM(request.messages[-1].content)] * 6)
    agent = make_agent(driver=_chromium(chromium_executable), planner=LLMPlanner(llm))
    before = len(sites.submissions_to("/widgets/book"))
    task = await agent.run(
        TaskRequest(
            url=sites.url("widgets/"),
            navigation_goal="Fill in the passenger details and continue to payment",
            navigation_payload=FACTS,
        )
    )
    await agent.aclose()

    assert task.status == TaskStatus.completed, [s.failure_reason for s in task.steps]
    retries = [s for s in task.steps if s.retry_index > 0]
    assert len(retries) <= 1, [s.failure_reason for s in task.steps]
    fills = [a for a in task.steps[0].actions if a.type != "click"]
    assert len(fills) >= 25, [getattr(a, "element_id", a.type) for a in fills]
    posts = sites.submissions_to("/widgets/book")[before:]
    assert len(posts) == 1
    assert posts[0].fields == {
        "title": "MR",
        "first_name": "Alan",
        "last_name": "Turing",
        "gender": "M",
        "dob": "23/06/1990",
        "nationality": "United Kingdom",
        "email": "alan@example.test",
        "phone_code": "+1",
        "phone": "650 555 0100",
        "from": "CDG",
        "to": "JFK",
        "cabin": "economy",
        "fare": "flex",
        "bags": "1",
        "meal": "VLML",
        "seat": "window",
        "assistance": "WCHR",
        "ff_program": "UA",
        "ff_number": "UA 123 456",
        "address": "1 Amphitheatre Pkwy",
        "city": "Mountain View",
        "state": "California",
        "postal_code": "94043",
        "country": "US",
        "source": "search",
        "newsletter": "yes",
    }
