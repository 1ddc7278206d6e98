"""End to end: replays of a recorded flow, through a real Chromium, real SQLite and
PostgreSQL stores, and litellm against the local model server (whose requests are the
model calls counted here).

The flow is the parking-permit site (``permits/``): three form pages and a confirmation.
The model decides from the prompt alone (a :class:`~skyvern_core.testing.prompt.FormFiller`),
like a careful model would. The changed site is the site's redesign (``permits/redesign``):
the first page's fields reordered with their ids and classes renamed, the plate field
relabelled on the second, a service banner added to the third.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from skyvern_core import Agent, TaskRequest, TaskStatus
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.models import RUNNER_ACTIONS, DecidedBy, Task
from skyvern_core.testing.prompt import FormFiller, prompt_elements, prompt_facts
from skyvern_core.testing.sites import FixtureSites, Submission
from skyvern_core.testing.sites.server import LOGIN_USERS
from skyvern_core.totp import TOTP_PLACEHOLDER
from tests.llm_server import LLMServer, user_text

pytestmark = pytest.mark.browser

PERMIT_FORM = FormFiller(
    fields={
        "first name": "first_name",
        "last name": "last_name",
        "email": "email",
        "phone": "phone",
        "licence plate": "plate",
        "vehicle registration": "plate",
        "make": "make",
        "permit zone": "zone",
        "i confirm": "confirm",
    },
    submit=["continue", "send application"],
    done="Application received",
)
GOAL = "Apply for a residential parking permit and send the application"

ADA = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.test",
    "phone": "555 0101",
    "plate": "RV12 ADA",
    "make": "Toyota",
    "zone": "Zone B - Riverside",
    "confirm": True,
}
GRACE = {
    "first_name": "Grace",
    "last_name": "Hopper",
    "email": "grace@example.test",
    "phone": "555 0199",
    "plate": "NAVY 1906",
    "make": "Ford",
    "zone": "Zone C - Hillcrest",
    "confirm": True,
}
KATHERINE = {
    "first_name": "Katherine",
    "last_name": "Johnson",
    "email": "katherine@example.test",
    "phone": "555 0118",
    "plate": "ORBIT 62",
    "make": "Kia",
    "zone": "Zone A - Old Town",
    "confirm": True,
}


def model(body: dict[str, Any]) -> str:
    """A stand-in for an LLM: decide from the prompt alone."""
    return PERMIT_FORM(user_text(body))


@pytest.fixture(scope="module")
def model_server() -> Iterator[LLMServer]:
    server = LLMServer(prompt_tokens=1100, completion_tokens=70).start()
    yield server
    server.stop()


@pytest.fixture
def redesign(sites: FixtureSites) -> Iterator[None]:
    """The permit site is served as its redesign for the test, as it is afterwards."""
    yield
    sites.use_variant("permits", None)


def agent_for(
    server: LLMServer,
    data_dir: Path,
    chromium: str,
    *,
    store: str = "sqlite",
    database_url: str | None = None,
    organization: str = "default",
    **settings: Any,
) -> Agent:
    return Agent(
        driver="playwright",
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
        record_video=False,
        organization=organization,
        **settings,
    )


def permit(sites: FixtureSites, payload: dict[str, Any], **fields: Any) -> TaskRequest:
    return TaskRequest(
        url=sites.url("permits/"), navigation_goal=GOAL, navigation_payload=payload, **fields
    )


def received(sites: FixtureSites, payload: dict[str, Any]) -> Submission:
    """What the city received for that applicant (by the email typed)."""
    found = [
        s
        for s in sites.submissions_to("/permits/apply")
        if s.fields.get("email") == payload["email"]
    ]
    assert len(found) == 1, f"{len(found)} applications for {payload['email']}"
    return found[0]


def assert_received(sites: FixtureSites, payload: dict[str, Any]) -> None:
    got = received(sites, payload).fields
    assert got["first_name"] == payload["first_name"] and got["last_name"] == payload["last_name"]
    assert got["phone"] == payload["phone"] and got["plate"] == payload["plate"]
    assert got["make"] == payload["make"] and got["zone"] == payload["zone"][5]
    assert got["confirm"] == "yes"


def decided(task: Task) -> list[str | None]:
    return [s.decided_by.value if s.decided_by else None for s in task.steps]


def completed(task: Task) -> None:
    assert task.status == TaskStatus.completed, (
        task.failure_reason,
        [s.failure_reason for s in task.steps],
    )


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
async def test_a_second_run_replays_the_flow_without_the_model(
    model_server: LLMServer,
    sites: FixtureSites,
    chromium_executable: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    store: str,
) -> None:
    database_url = request.getfixturevalue("postgres_database_url") if store == "postgres" else None
    agent = agent_for(
        model_server, tmp_path, chromium_executable, store=store, database_url=database_url
    )
    try:
        model_server.reset(*([model] * 10))
        # Submissions gather over the session: each applicant by an email of this test.
        ada = {**ADA, "email": f"ada.1.{store}@example.test"}
        grace = {**GRACE, "email": f"grace.1.{store}@example.test"}
        first = await agent.run(permit(sites, ada, replay="auto"))
        completed(first)
        assert decided(first) == ["model"] * 4
        assert len(model_server.requests) == 4 == len(first.steps)
        assert first.replayed_steps == 0 and first.input_token_count == 4 * 1100
        assert_received(sites, ada)

        model_server.reset(*([model] * 10))
        second = await agent.run(permit(sites, grace, replay="auto"))
        completed(second)
        assert model_server.requests == [], "the replay called the model"
        assert decided(second) == ["replay"] * 4
        assert second.replayed_steps == 4
        assert second.input_token_count == second.output_token_count == 0 and second.cost == 0
        assert all(s.input_token_count == 0 and s.cost == 0 for s in second.steps)
        # The city received the second applicant's values, not the first's.
        assert_received(sites, grace)
        # Each replayed action was verified on the page as usual, and left its screenshot.
        assert all(r.success for s in second.steps for r in s.action_results)
        shots = {a.artifact_id: a for a in await agent.store.list_artifacts(second.task_id)}
        taken = [
            r.screenshot_artifact_id
            for s in second.steps
            for a, r in zip(s.actions, s.action_results, strict=True)
            if a.type not in RUNNER_ACTIONS
        ]
        assert len(taken) == 11 and all(i in shots and shots[i].step_id for i in taken)
        for i in taken:
            assert (await agent.artifacts.read(shots[i].uri)).startswith(b"\x89PNG")
        steps = await agent.list_steps(second.task_id)
        assert [s.decided_by for s in steps] == [DecidedBy.replay] * 4
    finally:
        await agent.aclose()


async def test_a_page_that_is_not_ready_when_it_has_loaded_is_still_replayed(
    model_server: LLMServer,
    sites: FixtureSites,
    chromium_executable: str,
    tmp_path: Path,
    redesign: None,
) -> None:
    # The vehicle page shows its zone field a moment after its load event: a replayed
    # step's quick settle sees it without the field, and only once the page has settled
    # fully is it the recorded page.
    sites.use_variant("permits", "late")
    agent = agent_for(model_server, tmp_path, chromium_executable)
    try:
        model_server.reset(*([model] * 10))
        ada = {**ADA, "email": "ada.late@example.test"}
        grace = {**GRACE, "email": "grace.late@example.test"}
        first = await agent.run(permit(sites, ada, replay="auto"))
        completed(first)
        assert decided(first) == ["model"] * 4
        assert_received(sites, ada)

        model_server.reset(*([model] * 10))
        second = await agent.run(permit(sites, grace, replay="only"))
        completed(second)
        assert model_server.requests == [], "the replay called the model"
        assert decided(second) == ["replay"] * 4
        assert_received(sites, grace)
    finally:
        await agent.aclose()


async def test_a_changed_site_sends_only_the_changed_steps_to_the_model(
    model_server: LLMServer,
    sites: FixtureSites,
    chromium_executable: str,
    tmp_path: Path,
    redesign: None,
) -> None:
    agent = agent_for(model_server, tmp_path, chromium_executable)
    try:
        model_server.reset(*([model] * 10))
        completed(
            await agent.run(permit(sites, {**ADA, "email": "ada.2@example.test"}, replay="auto"))
        )
        store = agent.store
        org = agent.organization_id
        assert org is not None
        (before,) = {e.flow_key for e in await store.list_replay_entries(org)}

        sites.use_variant("permits", "redesign")
        model_server.reset(*([model] * 10))
        healed = await agent.run(
            permit(sites, {**GRACE, "email": "grace.2@example.test"}, replay="auto")
        )
        completed(healed)
        # Fields reordered with new ids and classes: replayed. Plate relabelled, banner
        # added: healed, one model call each. The confirmation: replayed.
        assert decided(healed) == ["replay", "healed", "healed", "replay"]
        assert len(model_server.requests) == 2
        assert healed.replayed_steps == 2
        # The planner was told what the recorded step meant to do.
        assert "RECORDED STEP FOR THIS PAGE" in model_server.user_text(0)
        assert 'textbox "licence plate"' in model_server.user_text(0)
        assert_received(sites, {**GRACE, "email": "grace.2@example.test"})

        # The cache now holds the redesigned pages.
        entries = await store.list_replay_entries(org, before)
        assert [e.position for e in entries] == [0, 1, 2, 3]
        assert 'textbox "vehicle registration number"' in entries[1].fingerprint.elements
        assert 'button "dismiss notice"' in entries[2].fingerprint.elements
        assert [e.heals for e in entries] == [0, 1, 1, 0]
        assert [e.replays for e in entries] == [1, 0, 0, 1]

        model_server.reset(*([model] * 10))
        again = await agent.run(
            permit(sites, {**KATHERINE, "email": "kj.2@example.test"}, replay="auto")
        )
        completed(again)
        assert model_server.requests == [] and decided(again) == ["replay"] * 4
        assert_received(sites, {**KATHERINE, "email": "kj.2@example.test"})
    finally:
        await agent.aclose()


async def test_only_on_a_changed_site_fails_naming_the_step_and_what_differed(
    model_server: LLMServer,
    sites: FixtureSites,
    chromium_executable: str,
    tmp_path: Path,
    redesign: None,
) -> None:
    agent = agent_for(model_server, tmp_path, chromium_executable)
    try:
        model_server.reset(*([model] * 10))
        completed(
            await agent.run(permit(sites, {**ADA, "email": "ada.3@example.test"}, replay="auto"))
        )
        nothing = await agent.run(
            TaskRequest(
                url=sites.url("permits/vehicle.html"),
                navigation_goal=GOAL,
                navigation_payload=ADA,
                replay="only",
            )
        )
        assert nothing.status == TaskStatus.failed
        assert "nothing is recorded for this flow" in (nothing.failure_reason or "")

        sites.use_variant("permits", "redesign")
        model_server.reset(*([model] * 10))
        task = await agent.run(
            permit(sites, {**GRACE, "email": "grace.3@example.test"}, replay="only")
        )
        assert task.status == TaskStatus.failed
        reason = task.failure_reason or ""
        assert reason.startswith("Replay only: step 2 (")
        assert "vehicle.html" in reason
        assert 'textbox "licence plate" is gone' in reason
        assert 'textbox "vehicle registration number"' in reason
        assert model_server.requests == []
        # The first step replayed; the second was never decided.
        assert decided(task) == ["replay", None]
        assert not [
            s
            for s in sites.submissions_to("/permits/apply")
            if s.fields.get("email") == "grace.3@example.test"
        ]
    finally:
        await agent.aclose()


async def test_two_organizations_never_see_each_others_entries(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    acme = agent_for(model_server, tmp_path, chromium_executable, organization="acme")
    globex = agent_for(model_server, tmp_path, chromium_executable, organization="globex")
    try:
        model_server.reset(*([model] * 10))
        completed(
            await acme.run(permit(sites, {**ADA, "email": "ada.4@example.test"}, replay="auto"))
        )
        assert len(model_server.requests) == 4
        # The same flow, the same database: globex's first run is still the model's.
        model_server.reset(*([model] * 10))
        theirs = await globex.run(
            permit(sites, {**GRACE, "email": "grace.4@example.test"}, replay="auto")
        )
        completed(theirs)
        assert decided(theirs) == ["model"] * 4 and len(model_server.requests) == 4
        assert acme.organization_id and globex.organization_id
        mine = await acme.store.list_replay_entries(acme.organization_id)
        other = await globex.store.list_replay_entries(globex.organization_id)
        assert {e.organization_id for e in mine} == {acme.organization_id}
        assert {e.organization_id for e in other} == {globex.organization_id}
        assert {e.source_task_id for e in mine}.isdisjoint({e.source_task_id for e in other})
        # Clearing one organization's entries leaves the other's.
        assert await acme.store.delete_replay_entries(acme.organization_id) == 4
        assert len(await globex.store.list_replay_entries(globex.organization_id)) == 4
    finally:
        await acme.aclose()
        await globex.aclose()


# --------------------------------------------------------------------------- secrets


def login_model(body: dict[str, Any]) -> str:
    """Signs in to the bank: username, the password placeholder, then the code placeholder."""
    prompt = user_text(body)
    if re.search(r"Welcome back, \w+", prompt):
        return json.dumps({"reasoning": "Signed in.", "goal_reached": True, "actions": []})
    facts = prompt_facts(prompt)
    actions: list[dict[str, Any]] = []
    submit = None
    for el in prompt_elements(prompt):
        label = el.label.lower()
        if el.role == "button" and label in ("sign in", "verify"):
            submit = el.id
        if el.role != "textbox" or "value=" in el.rest:
            continue
        if label in ("username", "password"):
            actions.append({"type": "input_text", "element_id": el.id, "text": facts[label]})
        elif label == "verification code":
            actions.append({"type": "input_text", "element_id": el.id, "text": TOTP_PLACEHOLDER})
    if actions and submit:
        actions.append({"type": "click", "element_id": submit})
    return json.dumps(
        {"reasoning": "Fill in and go on.", "goal_reached": False, "actions": actions}
    )


async def test_a_password_and_a_one_time_code_never_reach_the_cache(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    user = LOGIN_USERS["ada.lovelace"]
    secret = pyotp.random_base32()
    sites.expect_code(user.username, secret=secret)
    agent = agent_for(model_server, tmp_path, chromium_executable)
    request = TaskRequest(
        url=sites.url("login/"),
        navigation_goal="Sign in to online banking and open the accounts overview",
        navigation_payload={
            "username": user.username,
            "password": user.password,
            "totp_secret": secret,
        },
        replay="auto",
    )
    try:
        model_server.reset(*([login_model] * 8))
        first = await agent.run(request)
        completed(first)
        model_server.reset(*([login_model] * 8))
        second = await agent.run(request)
        completed(second)
        # The sign-in replayed: the password revealed and a fresh code made at the last
        # moment, as for a step the model decided.
        assert model_server.requests == [] and set(decided(second)) == {"replay"}
        codes = [s.extra["code"] for s in sites.submissions_to("/login/verify")[-2:]]
        assert all(
            s.extra["result"] == "signed_in" for s in sites.submissions_to("/login/verify")[-2:]
        )
    finally:
        await agent.aclose()
        sites.expect_code(user.username)
    entries = []
    async with SQLStore(f"sqlite:///{tmp_path / 'skyvern.db'}") as store:
        org = await store.get_or_create_organization("default")
        entries = await store.list_replay_entries(org.organization_id)
    assert entries
    stored = json.dumps([e.model_dump(mode="json") for e in entries])
    assert "{{secret:password}}" in stored and TOTP_PLACEHOLDER in stored
    with sqlite3.connect(tmp_path / "skyvern.db") as conn:
        rows = json.dumps(conn.execute("SELECT * FROM replay_entries").fetchall())
    for hidden in (user.password, secret, *codes):
        assert hidden not in stored and hidden not in rows
