"""The offline planner: rules on hand-built pages, then whole tasks in Chromium on the
fixture sites (no model anywhere)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from skyvern_core import Agent, TaskRequest, TaskStatus
from skyvern_core.models import (
    ActionResult,
    CheckAction,
    ClickAction,
    Decision,
    Element,
    ElementOption,
    InputTextAction,
    PageState,
    SelectOptionAction,
    Step,
    Task,
    UploadFileAction,
)
from skyvern_core.planner import OfflinePlanner
from skyvern_core.planner.offline import MATCH_THRESHOLD, STUCK_STEPS, match_score
from skyvern_core.plugins import PluginRegistry
from skyvern_core.protocols import ExtractContext, PlanContext
from skyvern_core.testing.sites import FixtureSites

URL = "https://forms.example.test/apply"


def make_task(payload: Any = None, **request: Any) -> Task:
    request.setdefault("navigation_goal", "Fill in the form and submit it")
    return Task(
        task_id="task_1",
        organization_id="org_1",
        request=TaskRequest(url=URL, navigation_payload=payload, **request),
        max_steps=20,
    )


def el(element_id: str, role: str = "textbox", label: str = "", **fields: Any) -> Element:
    return Element(id=element_id, role=role, label=label, **fields)


def page(*elements: Element, text: str = "", content: str = "", url: str = URL) -> PageState:
    return PageState(url=url, elements=list(elements), text=text, content=content or text)


def options(*labels: str, selected: str | None = None) -> list[ElementOption]:
    return [
        ElementOption(
            label=label, value="" if i == 0 else label.lower(), selected=label == selected
        )
        for i, label in enumerate(labels)
    ]


def step(order: int, actions: list[Any], ok: bool | list[bool] = True, url: str = URL) -> Step:
    oks = ok if isinstance(ok, list) else [ok] * len(actions)
    results = [ActionResult(success=o, error=None if o else "it did not work") for o in oks]
    return Step(
        step_id=f"step_{order}",
        task_id="task_1",
        organization_id="org_1",
        order=order,
        actions=actions,
        action_results=results,
        page_url=url,
    )


async def decide(
    state: PageState,
    payload: Any = None,
    history: list[Step] | None = None,
    errors: list[str] | None = None,
    **request: Any,
) -> Decision:
    history = history or []
    context = PlanContext(
        task=make_task(payload, **request),
        page=state,
        history=history,
        step=Step(step_id="now", task_id="task_1", organization_id="org_1", order=len(history)),
        errors=errors or [],
    )
    return await OfflinePlanner().decide(context)


def typed(decision: Decision) -> dict[str, str]:
    return {a.element_id: a.text for a in decision.actions if isinstance(a, InputTextAction)}


def chosen(decision: Decision) -> dict[str, str]:
    return {a.element_id: a.option for a in decision.actions if isinstance(a, SelectOptionAction)}


def ticked(decision: Decision) -> dict[str, bool]:
    return {a.element_id: a.checked for a in decision.actions if isinstance(a, CheckAction)}


def clicked(decision: Decision) -> list[str]:
    return [a.element_id for a in decision.actions if isinstance(a, ClickAction)]


SUBMIT = el("go", "button", "Submit", type="submit")

# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("first_name", "Given name"),
        ("firstName", "Forename(s):*"),
        ("first-name", "First Name *"),
        ("last_name", "Surname"),
        ("surname", "Family name"),
        ("email", "E-mail address"),
        ("phone", "Telephone No."),
        ("mobile", "Phone number"),
        ("zip", "Postcode"),
        ("postal_code", "ZIP code"),
        ("dob", "Date of birth"),
        ("birthday", "Birth date"),
        ("address", "Street address"),
        ("city", "Town"),
        ("state", "County"),
        ("company", "Current employer"),
        ("linkedin", "LinkedIn Profile"),
        ("resume", "Resume/CV"),
        ("card.number", "Credit or debit card number"),
        ("card.cvc", "Security code"),
        ("vehicle.make", "Make"),
        ("work_authorization", "Are you legally authorized to work in Germany?"),
        ("previous_membership_number", "Previous Membership No.:"),
    ],
)
def test_keys_match_labels_through_synonyms_and_cases(key: str, label: str):
    assert match_score(key, [(label, 1.0)]) >= MATCH_THRESHOLD


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("first_name", "Last name"),
        ("name", "First name"),
        ("email", "Home address"),
        ("zip", "Phone"),
        ("company", "How did you hear about this job?"),
    ],
)
def test_different_concepts_never_match(key: str, label: str):
    assert match_score(key, [(label, 1.0)]) < MATCH_THRESHOLD


async def test_fills_fields_by_label_name_id_and_autocomplete():
    state = page(
        el("a", label="First name"),
        el("b", label="Nachname", attributes={"name": "txtSurname"}),
        el("c", label="Kontakt", locator="form > #email"),
        el("d", label="Telefon", attributes={"autocomplete": "tel"}),
        el("e", label="Firma", attributes={"autocomplete": "section-x organization"}),
        el("f", label="Notes"),
        SUBMIT,
    )
    payload = {
        "applicant": {"firstName": "Ada", "last-name": "Lovelace"},
        "email": "ada@example.test",
        "phone": "+44 20 7946 0000",
        "employer": "Analytical Engines Ltd",
    }
    decision = await decide(state, payload)
    assert typed(decision) == {
        "a": "Ada",
        "b": "Lovelace",
        "c": "ada@example.test",
        "d": "+44 20 7946 0000",
        "e": "Analytical Engines Ltd",
    }
    assert clicked(decision) == ["go"]
    assert decision.reasoning.startswith("offline planner: ")
    assert decision.usage.input_tokens == 0 and decision.usage.cost == 0.0


async def test_one_fact_fills_one_field_the_first_of_equals():
    state = page(el("a1", label="Address:"), el("a2", label="Address:"), SUBMIT)
    decision = await decide(state, {"address": "1 Main St", "address_line_2": "Flat 2"})
    assert typed(decision) == {"a1": "1 Main St", "a2": "Flat 2"}


async def test_the_same_page_and_payload_give_the_same_decision():
    state = page(el("a", label="First name"), el("b", label="Email"), SUBMIT)
    payload = {"email": "a@b.test", "first_name": "Ada"}
    first, second = await decide(state, payload), await decide(state, payload)
    assert first.model_dump() == second.model_dump()


# --------------------------------------------------------------------------- values


async def test_dates_take_the_format_the_field_wants():
    state = page(
        el("iso", label="Date of birth", type="date"),
        el("us", label="Start date", attributes={"placeholder": "MM/DD/YYYY"}),
        el("eu", label="Date of birth (DD/MM/YYYY)"),
        el("free", label="Preferred date"),
        SUBMIT,
    )
    decision = await decide(
        state,
        {"dob": "04/12/1990", "start_date": "2024-09-01", "preferred_date": "2024-09-02"},
    )
    assert typed(decision)["iso"] == "1990-04-12"
    assert typed(decision)["us"] == "09/01/2024"
    assert typed(decision)["free"] == "2024-09-02"  # no format shown: as given
    state = page(el("eu", label="Date of birth (DD/MM/YYYY)"), SUBMIT)
    assert typed(await decide(state, {"date_of_birth": "1990-04-12"})) == {"eu": "12/04/1990"}


async def test_options_match_by_label_value_prefix_and_contains():
    state = page(
        el("country", "select", "Country", options=options("Choose", "United States", "Germany")),
        el("size", "select", "Company size", options=options("Choose one", "Just me", "2-10")),
        el("auth", "select", "Authorized to work?", options=options("Please select", "Yes", "No")),
        el("year", "select", "Year", options=options("Year", "2020", "2019")),
        el("loc", "combobox", "Location (City)", value="Select..."),
        SUBMIT,
    )
    payload = {
        "country": "  GERMANY ",
        "company_size": "just",
        "authorized_to_work": True,
        "year": 2019,
        "location": "Berlin",
    }
    assert chosen(await decide(state, payload)) == {
        "country": "Germany",
        "size": "Just me",
        "auth": "Yes",
        "year": "2019",
        "loc": "Berlin",
    }
    state = page(
        el("plan", "select", "Membership type", options=options("-- Select --", "Senior (€90)")),
        SUBMIT,
    )
    assert chosen(await decide(state, {"membership_type": "senior"})) == {"plan": "Senior (€90)"}


async def test_a_select_without_the_option_is_not_forced():
    state = page(el("c", "select", "Country", options=options("Choose", "France")), SUBMIT)
    decision = await decide(state, {"country": "Atlantis"})
    assert chosen(decision) == {} and clicked(decision) == ["go"]


async def test_radios_and_switches_follow_values_and_booleans():
    state = page(
        el("basic", "radio", "Basic liability", checked=False, attributes={"group": "Coverage"}),
        el("prem", "radio", "Premium", checked=False, attributes={"group": "Coverage"}),
        el("commute", "radio", "Commuting To work", checked=False, attributes={"group": "Use?"}),
        el("mr", "radio", "Mr", checked=False),
        el("dr", "radio", "Dr", checked=False),
        el("road", "switch", "Roadside assistance +$4/mo", checked=False),
        el("rental", "switch", "Rental car reimbursement", checked=True),
        SUBMIT,
    )
    payload = {
        "coverage": "premium",
        "usage": "Commuting",
        "title": "Dr",
        "roadside_assistance": True,
        "rental_car": "no",
    }
    assert ticked(await decide(state, payload)) == {
        "prem": True,
        "commute": True,
        "dr": True,
        "road": True,
        "rental": False,
    }


async def test_file_facts_are_uploaded(tmp_path: Path):
    state = page(el("cv", "file", "Resume/CV *"), el("cover", "file", "Cover letter"), SUBMIT)
    decision = await decide(state, {"resume": str(tmp_path / "cv.pdf"), "cover_letter": "none"})
    uploads = [a for a in decision.actions if isinstance(a, UploadFileAction)]
    assert [(a.element_id, a.file) for a in uploads] == [("cv", str(tmp_path / "cv.pdf"))]


async def test_consents_are_ticked_but_marketing_only_when_a_fact_says_so():
    consent = el("terms", "checkbox", "I agree to the Terms and Privacy Policy", checked=False)
    news = el("news", "checkbox", "Send me the newsletter and special offers", checked=False)
    mailings = el("mail", "checkbox", "Tick if you do not wish to receive mailings", checked=False)
    state = page(consent, news, mailings, SUBMIT)
    assert ticked(await decide(state, {})) == {"terms": True}
    assert ticked(await decide(state, {"newsletter": True})) == {"terms": True, "news": True}


# --------------------------------------------------------------------------- secrets, 2FA


async def test_secrets_are_typed_as_placeholders():
    state = page(
        el("user", label="Username"),
        el("pw", label="Password", type="password"),
        el("num", label="Card number"),
        el("cvc", label="CVC"),
        el("pin", label="Branch"),
        SUBMIT,
    )
    payload = {
        "username": "ada",
        "password": "hunter2-very-secret",
        "card": {"number": "4242424242424242", "cvc": "123"},
        "branch": {"$secret": "Zurich"},
    }
    decision = await decide(state, payload)
    assert typed(decision) == {
        "user": "ada",
        "pw": "{{secret:password}}",
        "num": "{{secret:card.number}}",
        "cvc": "{{secret:card.cvc}}",
        "pin": "{{secret:branch}}",
    }
    dumped = decision.model_dump_json()
    assert "hunter2" not in dumped and "4242" not in dumped and "Zurich" not in dumped


TOTP_SECRET = "JBSWY3DPEHPK3PXP"


@pytest.mark.parametrize(
    "source",
    [
        {"payload": {"totp_secret": TOTP_SECRET}},
        {"totp_identifier": "ada@example.test"},
        {"totp_verification_url": "https://otp.example.test/code"},
    ],
)
async def test_a_one_time_code_field_gets_the_totp_placeholder(source: dict[str, Any]):
    state = page(
        el("code", label="Verification code", required=True),
        el("go", "button", "Verify"),
        el("again", "button", "Send a new code"),
    )
    decision = await decide(state, source.pop("payload", {"user": "ada"}), **source)
    assert typed(decision) == {"code": "{{totp_code}}"}
    assert clicked(decision) == ["go"]
    assert TOTP_SECRET not in decision.model_dump_json()


async def test_autocomplete_one_time_code_and_no_source_means_a_missing_fact():
    state = page(el("c", label="Code", attributes={"autocomplete": "one-time-code"}), SUBMIT)
    assert typed(await decide(state, {"mfa_secret": TOTP_SECRET})) == {"c": "{{totp_code}}"}
    state = page(el("c", label="Verification code", required=True), SUBMIT)
    # A code given in the payload is a secret like any other.
    assert typed(await decide(state, {"otp": "482913"})) == {"c": "{{secret:otp}}"}
    decision = await decide(state, {"user": "ada"})
    assert decision.termination is not None
    assert "'Verification code'" in decision.termination.reason


# --------------------------------------------------------------------------- flow


async def test_a_covering_dialog_is_dismissed_first():
    covered = {"covered_by": 'div#cmp "We value your privacy"'}
    state = page(
        el("email", label="Email address", visibility="covered", attributes=covered),
        el("sub", "button", "Subscribe", visibility="covered", attributes=covered),
        el("custom", "button", "Customize"),
        el("reject", "button", "Reject all"),
        el("accept", "button", "Accept all"),
    )
    decision = await decide(state, {"email": "a@b.test"})
    assert clicked(decision) == ["accept"] and len(decision.actions) == 1
    assert "dialog" in decision.reasoning


async def test_each_step_fills_only_what_is_not_filled_yet():
    first = el("fn", label="First name", value="Ada")
    postcode = el("pc", label="Postcode", value="Y35 AB12")  # the site upper-cased it
    state = page(first, postcode, el("email", label="Email"), SUBMIT)
    history = [step(0, [InputTextAction(element_id="pc", text="y35 ab12")])]
    payload = {"first_name": "Ada", "postcode": "y35 ab12", "email": "a@b.test"}
    decision = await decide(state, payload, history)
    assert typed(decision) == {"email": "a@b.test"}
    # On another page the same ids are other fields: that history does not count there.
    other = [step(0, [InputTextAction(element_id="pc", text="y35 ab12")], url=URL + "/2")]
    assert "pc" not in typed(await decide(state, payload, other))


async def test_a_multi_step_form_goes_on_step_by_step():
    step1 = page(el("fn", label="First name"), el("next", "button", "Continue"))
    decision = await decide(step1, {"first_name": "Ada", "vehicle": {"make": "Ford"}})
    assert typed(decision) == {"fn": "Ada"} and clicked(decision) == ["next"]
    step2 = page(
        el("fn", label="First name", visibility="hidden"),
        el("make", "select", "Make", options=options("Make", "Ford", "Toyota")),
        el("model", "select", "Model", disabled=True, options=options("Choose a make first")),
        el("back", "button", "Back"),
        el("next2", "button", "Continue"),
    )
    payload = {"first_name": "Ada", "vehicle": {"make": "Ford", "model": "Focus"}}
    decision = await decide(step2, payload)
    # The model waits for the make: no Continue before it can be chosen.
    assert chosen(decision) == {"make": "Ford"} and clicked(decision) == []


async def test_the_primary_submit_button_is_preferred():
    state = page(
        el("search", "button", "Search"),
        el("fn", label="First name"),
        el("clear", "button", "Clear Form", type="reset"),
        el("link", "link", "Apply on our old site"),
        el("send", "button", "Send Application", type="submit"),
    )
    assert clicked(await decide(state, {"first_name": "Ada"})) == ["send"]


async def test_success_completes_unless_something_is_left_to_fill():
    done = page(
        el("home", "link", "Back to the job posting"),
        text="Thank you for applying, Ada!",
        content="Thank you for applying, Ada!\nYour confirmation number is JA-123456",
    )
    assert (await decide(done, {"first_name": "Ada"})).is_complete
    old = page(el("home", "link", "Return"), text="", content="Thank you, ADA.\nREF123")
    assert (await decide(old, {})).is_complete
    sign_in = page(
        el("user", label="Username", required=True),
        el("go", "button", "Sign in"),
        text="Welcome back",
    )
    decision = await decide(sign_in, {"username": "ada"})
    assert not decision.is_complete and typed(decision) == {"user": "ada"}


async def test_terminates_when_a_required_field_has_no_fact():
    state = page(
        el("fn", label="First name", required=True),
        el("dob", label="Date of birth", type="date", required=True),
        el("county", "select", "County:*", options=options("-- Please Select --", "Wexford")),
        SUBMIT,
    )
    decision = await decide(state, {"first_name": "Ada"})
    reason = decision.termination.reason if decision.termination else ""
    assert reason == (
        "offline planner: the page needs 'Date of birth', 'County' and navigation_payload "
        "has nothing for it"
    )


async def test_terminates_when_there_is_no_way_forward():
    state = page(el("home", "link", "Home"), el("fn", label="Nickname"), text="Profile")
    decision = await decide(state, {"first_name": "Ada"})
    assert decision.termination is not None
    assert "no button to go on" in decision.termination.reason


async def test_terminates_when_the_page_stays_the_same():
    state = page(el("fn", label="First name", value="Ada"), SUBMIT, text="Please try again")
    click = ClickAction(element_id="go")
    history = [step(i, [click]) for i in range(STUCK_STEPS - 1)]
    decision = await decide(state, {"first_name": "Ada"}, history[:1])
    assert clicked(decision) == ["go"]
    decision = await decide(state, {"first_name": "Ada"}, history)
    assert decision.termination is not None
    assert f"the page stayed the same after {STUCK_STEPS} steps" in decision.termination.reason
    assert "Please try again" in decision.termination.reason


async def test_a_failed_action_is_not_repeated():
    state = page(
        el("fn", label="First name"),
        el("btn1", "button", "Submit", type="submit"),
        el("btn2", "button", "Continue"),
    )
    history = [step(0, [ClickAction(element_id="btn1")], ok=False)]
    decision = await decide(state, {}, history, errors=["click failed: it did not work"])
    assert clicked(decision) == ["btn2"]
    history.append(step(0, [ClickAction(element_id="btn2")], ok=False))
    decision = await decide(state, {}, history, errors=["click failed: it did not work"])
    assert decision.termination is not None
    assert "click failed: it did not work" in decision.termination.reason
    # A field whose typing failed is not typed again; the fact may go elsewhere.
    state = page(el("a", label="Email"), el("b", label="E-mail address"), SUBMIT)
    history = [step(0, [InputTextAction(element_id="a", text="a@b.test")], ok=False)]
    decision = await decide(state, {"email": "a@b.test"}, history, errors=["input failed"])
    assert typed(decision) == {"b": "a@b.test"}


# --------------------------------------------------------------------------- extraction


async def extract(
    state: PageState,
    schema: Any = None,
    goal: str = "the details",
    previous: Any = None,
    errors: list[str] | None = None,
    secrets: dict[str, str] | None = None,
) -> Any:
    task = make_task(None, data_extraction_goal=goal, extracted_information_schema=schema)
    context = ExtractContext(
        task=task, page=state, previous=previous, errors=errors or [], secrets=secrets or {}
    )
    extraction = await OfflinePlanner().extract(context)
    assert extraction.usage.input_tokens == 0 and extraction.usage.cost == 0.0
    return extraction.data


QUOTE = page(
    el("buy", "button", "Buy this policy"),
    text="Your quote is ready, Ada",
    content="\n".join(
        [
            "Your quote is ready, Ada",
            "2019 Toyota Corolla · premium coverage",
            "$1,551.23",
            "per year, or $129.27 a month",
            "Quote number Q-184149, valid for 30 days.",
            "Agent: Grace Hopper",
            "Deductible",
            "$500",
        ]
    ),
)


async def test_extracts_with_the_schema_types_and_patterns():
    schema = {
        "type": "object",
        "properties": {
            "quote_number": {"type": "string", "pattern": r"^Q-\d+$"},
            "monthly_premium": {"type": "string"},
            "annual_price": {"type": "number"},
            "deductible": {"type": "integer"},
            "agent": {"type": "string"},
            "terms": {"type": "object", "properties": {"deductible": {"type": "string"}}},
        },
    }
    data = await extract(QUOTE, schema)
    assert data == {
        "quote_number": "Q-184149",
        "monthly_premium": "$129.27",
        "annual_price": 1551.23,
        "deductible": 500,
        "agent": "Grace Hopper",
        "terms": {"deductible": "$500"},
    }


async def test_strings_stay_strings_and_numbers_are_coerced_only_when_asked():
    state = page(text="Order total", content="Order total\n$1,024.50\nOrder number: 000123")
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"total": {"type": "string"}, "order_number": {"type": "string"}},
    }
    assert await extract(state, schema) == {"total": "$1,024.50", "order_number": "000123"}
    schema["properties"]["total"] = {"type": "number"}
    assert (await extract(state, schema))["total"] == 1024.5


async def test_a_pattern_picks_the_matching_token_anywhere():
    state = page(
        text="Thank you for applying, Ada!",
        content="Thank you for applying, Ada!\nYour confirmation number is JA-483920\n"
        "Call 030 1234 if anything is wrong",
    )
    schema = {
        "type": "object",
        "properties": {"confirmation_number": {"type": "string", "pattern": r"^JA-\d+$"}},
    }
    assert await extract(state, schema) == {"confirmation_number": "JA-483920"}
    ref = page(content="Thank you, Ada Lovelace.\nREF219237")
    schema = {"type": "object", "properties": {"reference": {"type": "string", "pattern": "^REF"}}}
    assert await extract(ref, schema) == {"reference": "REF219237"}


async def test_arrays_fields_and_top_level_values():
    state = page(
        el("email", label="Email", value="ada@example.test"),
        content="Tracking codes: TR-1 TR-2\nStatus: shipped",
    )
    schema = {
        "type": "object",
        "properties": {
            "tracking_codes": {"type": "array", "items": {"type": "string", "pattern": "^TR-"}},
            "email": {"type": "string"},
        },
    }
    assert await extract(state, schema) == {
        "tracking_codes": ["TR-1", "TR-2"],
        "email": "ada@example.test",
    }
    assert await extract(state, {"type": "string"}, goal="the status") == "shipped"


async def test_without_a_schema_the_text_and_pairs_come_back():
    state = page(
        el("pw", label="Password", type="password", value="hunter2-secret"),
        content="Welcome back, Ada\nAccount number: 1234-5678\nAvailable balance\n$4,218.36",
    )
    data = await extract(state, None, secrets={"password": "hunter2-secret"})
    assert data["text"] == [
        "Welcome back, Ada",
        "Account number: 1234-5678",
        "Available balance",
        "$4,218.36",
    ]
    assert data["fields"] == {"Account number": "1234-5678", "Available balance": "$4,218.36"}
    assert "hunter2" not in str(data)


async def test_a_correction_round_offers_the_next_candidate():
    state = page(content="Reference: PENDING\nReference number REF-77")
    schema = {"type": "object", "properties": {"reference": {"type": "string"}}}
    first = await extract(state, schema)
    assert first == {"reference": "PENDING"}
    again = await extract(
        state,
        schema,
        previous=first,
        errors=["at reference: 'PENDING' does not match '^REF-'"],
    )
    assert again == {"reference": "REF-77"}


# --------------------------------------------------------------------------- plugin


def test_the_offline_planner_is_a_plugin_and_the_auto_choice_without_a_model():
    registry = PluginRegistry()
    assert "offline" in registry.names("planner")
    agent = Agent(registry=registry, planner="auto", store="memory", notifier="none")
    assert agent.backend_name("planner") == "offline"


# --------------------------------------------------------------------------- in Chromium


def agent_in(tmp_path: Path, chromium: str) -> Agent:
    return Agent(
        driver="playwright",
        planner="offline",
        store="sqlite",
        notifier="none",
        data_dir=tmp_path / "data",
        browser_path=chromium,
        record_video=False,
        upload_dirs=[tmp_path],  # the test's files (its data folder inside stays refused)
    )


async def run(tmp_path: Path, chromium: str, request: TaskRequest) -> Task:
    agent = agent_in(tmp_path, chromium)
    try:
        return await agent.run(request)
    finally:
        await agent.aclose()


def reasons(task: Task) -> list[Any]:
    return [(s.reasoning, s.failure_reason) for s in task.steps]


@pytest.mark.browser
async def test_a_job_application_with_a_resume_and_a_custom_combobox(
    sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    resume = tmp_path / "ada-lovelace-cv.pdf"
    resume.write_bytes(b"%PDF-1.4\n% Ada Lovelace, analyst\n")
    email = "ada.jobs@example.test"
    task = await run(
        tmp_path,
        chromium_executable,
        TaskRequest(
            url=sites.url("jobs/"),
            navigation_goal="Apply for the Senior Backend Engineer job",
            data_extraction_goal="The confirmation number",
            navigation_payload={
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": email,
                "phone": "+49 30 1234567",
                "resume": str(resume),
                "location": "Berlin",
                "how_did_you_hear": "LinkedIn",
                "work_authorization": "Yes",
                "consent": True,
            },
            extracted_information_schema={
                "type": "object",
                "properties": {"confirmation_number": {"type": "string", "pattern": r"^JA-\d+$"}},
                "required": ["confirmation_number"],
            },
        ),
    )
    assert task.status == TaskStatus.completed, reasons(task)
    sub = next(s for s in sites.submissions_to("/jobs/apply") if s.fields.get("email") == email)
    assert sub.fields["first_name"] == "Ada" and sub.fields["last_name"] == "Lovelace"
    assert sub.fields["location"] == "Berlin, Germany"
    assert sub.fields["source"] == "linkedin" and sub.fields["work_auth"] == "Yes"
    assert sub.fields["consent"] == "yes"
    assert sub.files["resume"].filename == resume.name
    assert sub.files["resume"].size == resume.stat().st_size
    assert task.extracted_information == {"confirmation_number": sub.reference}
    assert all(s.reasoning and s.reasoning.startswith("offline planner") for s in task.steps)
    assert task.input_token_count == 0 and not task.cost


@pytest.mark.browser
async def test_a_three_step_insurance_quote(
    sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    email = "ada.quote@example.test"
    task = await run(
        tmp_path,
        chromium_executable,
        TaskRequest(
            url=sites.url("insurance/"),
            navigation_goal="Get a car insurance quote with premium coverage",
            data_extraction_goal="The yearly price, the monthly premium and the quote number",
            navigation_payload={
                "first_name": "Ada",
                "last_name": "Lovelace",
                "date_of_birth": "04/12/1990",
                "zip": "94107",
                "email": email,
                "vehicle": {"year": 2019, "make": "Toyota", "model": "Corolla"},
                "usage": "Commuting",
                "coverage": "Premium",
                "roadside_assistance": True,
            },
            extracted_information_schema={
                "type": "object",
                "properties": {
                    "annual_price": {"type": "number"},
                    "monthly_premium": {"type": "string", "pattern": r"^\$[\d,]+\.\d\d$"},
                    "quote_number": {"type": "string", "pattern": r"^Q-\d+$"},
                },
                "required": ["annual_price", "monthly_premium", "quote_number"],
            },
        ),
    )
    assert task.status == TaskStatus.completed, reasons(task)
    quote = next(s for s in sites.submissions_to("/insurance/quote") if s.fields["email"] == email)
    assert quote.fields["dob"] == "1990-04-12" and quote.fields["vehicle_model"] == "Corolla"
    assert quote.fields["usage"] == "commute" and quote.fields["coverage"] == "premium"
    assert quote.fields["roadside"] == "yes" and quote.fields["rental"] == "no"
    assert quote.fields["confirm"] == "yes"
    price = float(quote.extra["price"].strip("$").replace(",", ""))
    assert task.extracted_information == {
        "annual_price": price,
        "monthly_premium": quote.extra["monthly"],
        "quote_number": quote.reference,
    }


@pytest.mark.browser
async def test_a_cookie_dialog_is_dismissed_then_the_newsletter_subscribed(
    sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    email = "cook.offline@example.test"
    task = await run(
        tmp_path,
        chromium_executable,
        TaskRequest(
            url=sites.url("cookies/"),
            navigation_goal="Subscribe to the newsletter",
            navigation_payload={"email": email},
        ),
    )
    assert task.status == TaskStatus.completed, reasons(task)
    first = task.steps[0].actions[0]
    assert isinstance(first, ClickAction) and "Accept all" in (first.reasoning or "")
    assert any(s.fields.get("email") == email for s in sites.submissions_to("/cookies/subscribe"))


@pytest.mark.browser
async def test_a_legacy_form_labelled_by_nearby_text(
    sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    task = await run(
        tmp_path,
        chromium_executable,
        TaskRequest(
            url=sites.url("legacy/"),
            navigation_goal="Apply for membership",
            data_extraction_goal="The reference number",
            navigation_payload={
                "title": "Dr",
                "surname": "Offline-Lovelace",
                "forename": "Ada",
                "date_of_birth": "1990-04-12",
                "address": "1 Main Street",
                "town": "Wexford",
                "county": "Wexford",
                "postcode": "y35 ab12",
                "telephone": "053 912 3456",
            },
            extracted_information_schema={
                "type": "object",
                "properties": {"reference_number": {"type": "string", "pattern": r"^REF\d+$"}},
            },
        ),
    )
    assert task.status == TaskStatus.completed, reasons(task)
    sub = next(
        s
        for s in sites.submissions_to("/legacy/submit")
        if s.fields.get("txtSurname") == "Offline-Lovelace"
    )
    assert sub.fields["rdoTitle"] == "5" and sub.fields["selCounty"] == "WX"
    assert sub.fields["txtDOB"] == "12/04/1990" and sub.fields["txtPostcode"] == "Y35 AB12"
    assert sub.fields["txtPhone"] == "053 912 3456" and sub.fields["txtAddr2"] == ""
    assert task.extracted_information == {"reference_number": sub.reference}


@pytest.mark.browser
async def test_a_missing_required_fact_terminates_naming_the_field(
    sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    before = len(sites.submissions_to("/insurance/quote"))
    task = await run(
        tmp_path,
        chromium_executable,
        TaskRequest(
            url=sites.url("insurance/"),
            navigation_goal="Get a car insurance quote",
            navigation_payload={"first_name": "Ada", "last_name": "L", "zip": "94107"},
        ),
    )
    assert task.status == TaskStatus.terminated
    assert task.failure_reason is not None
    assert re.search(r"needs 'Date of birth', 'Email' and navigation_payload", task.failure_reason)
    assert len(sites.submissions_to("/insurance/quote")) == before
