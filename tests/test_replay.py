"""The parts of a replay, without a browser: keys, fingerprints, locator bundles, templates,
and the healing and demotion of one flow's entries over several runs (in-memory store)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from skyvern_core import Agent, TaskStatus, ids
from skyvern_core.errors import ArtifactError
from skyvern_core.models import (
    ActionResult,
    ClickAction,
    CompleteAction,
    DecidedBy,
    Decision,
    Element,
    InputTextAction,
    Organization,
    PageState,
    ReplayMode,
    Step,
    StepStatus,
    Task,
    TaskRequest,
)
from skyvern_core.replay import (
    FlowReplay,
    NoMatch,
    bundle_for,
    differences,
    fill,
    find_element,
    flow_key,
    normalize_url,
    page_fingerprint,
    payload_values,
    shown_payload,
    template,
    url_pattern,
)
from skyvern_core.testing import (
    FakePage,
    InMemoryDriver,
    MemoryArtifactStore,
    ScriptedPlanner,
    element,
)
from skyvern_core.testing.memory_store import MemoryStore


def test_a_normalized_url_sorts_its_query_and_drops_trackers() -> None:
    assert (
        normalize_url(
            "HTTPS://Permits.Example.com:443/apply?zone=b&utm_source=mail&a=1&gclid=x#top"
        )
        == "https://permits.example.com/apply?a=1&zone=b"
    )
    assert normalize_url("http://127.0.0.1:8123") == "http://127.0.0.1:8123/"
    assert (
        url_pattern("https://shop.example.com/orders/48213/items/9f8a7c6b5d4e3f21?ref=JA-1&utm_x=2")
        == "https://shop.example.com/orders/*/items/*?ref"
    )


def _request(payload: Any, **fields: Any) -> TaskRequest:
    values = {
        "url": "https://permits.example.com/apply?utm_campaign=spring",
        "navigation_goal": f"Apply for a permit for {payload['name']}",
        "navigation_payload": payload,
    }
    return TaskRequest(**(values | fields))


def test_the_flow_key_depends_on_the_flow_not_on_the_values() -> None:
    ada = _request({"name": "Ada Lovelace", "plate": "RV12 ADA"})
    grace = _request(
        {"plate": "NAVY 1906", "name": "Grace Hopper"}, url="https://permits.example.com/apply"
    )
    assert flow_key(ada, "llm:m") == flow_key(grace, "llm:m")
    assert flow_key(ada, "llm:m") != flow_key(ada, "llm:other")
    assert flow_key(ada, "llm:m") != flow_key(_request({"name": "Ada", "email": "a@b.c"}), "llm:m")
    assert flow_key(ada, "llm:m") != flow_key(
        _request({"name": "Ada Lovelace", "plate": "X"}, data_extraction_goal="The number"), "llm:m"
    )
    assert flow_key(_request({"name": "Ada"}, replay_key="permits-v1"), "llm:m") == "key:permits-v1"


def test_templates_bind_values_to_payload_keys_and_leave_secrets_alone() -> None:
    payload = shown_payload(
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "password": "hunter2!",
            "zip": 94107,
            "x": True,
        }
    )
    values = payload_values(payload)
    assert values == {"first_name": "Ada", "last_name": "Lovelace", "zip": "94107"}
    assert template("Ada", values) == "{{payload:first_name}}"
    assert template("Ada Lovelace", values) == "{{payload:first_name}} {{payload:last_name}}"
    assert template("Remove Ada", values) == "Remove {{payload:first_name}}"
    assert template("Go to Jo", {"nick": "Jo"}) == "Go to Jo"  # too short to find inside
    assert template("{{secret:password}}", values) == "{{secret:password}}"
    grace = payload_values({"first_name": "Grace", "last_name": "Hopper", "zip": "10001"})
    assert fill("{{payload:first_name}} {{payload:last_name}}", grace) == "Grace Hopper"
    with pytest.raises(KeyError):
        fill("{{payload:email}}", grace)
    # Two keys with one value: the one the field's name speaks of.
    same = {"billing_city": "Paris", "shipping_city": "Paris"}
    assert template("Paris", same, hint="Shipping city") == "{{payload:shipping_city}}"


def _el(id: str, role: str, label: str, **fields: Any) -> Element:
    return Element(id=id, role=role, label=label, **fields)


def _form(*elements: Element, url: str = "https://permits.example.com/apply") -> PageState:
    return PageState(url=url, elements=list(elements))


FORM = _form(
    _el(
        "e1",
        "textbox",
        "First name",
        locator="#first_name",
        attributes={"name": "first_name", "id": "first_name"},
    ),
    _el(
        "e2",
        "textbox",
        "Email address",
        locator="#email",
        attributes={"name": "email", "id": "email"},
    ),
    _el("e3", "button", "Continue", locator="#f > button"),
)


def test_a_fingerprint_ignores_order_ids_and_classes_but_not_labels() -> None:
    moved = _form(
        _el("e7", "button", "Continue", locator="#g > button.btn"),
        _el("e9", "textbox", "Email address", locator="#applicant-email"),
        _el("e8", "textbox", "First name", locator="#applicant-given"),
    )
    relabelled = _form(FORM.elements[0], _el("e2", "textbox", "E-mail"), FORM.elements[2])
    assert page_fingerprint(moved, {}).digest == page_fingerprint(FORM, {}).digest
    changed = page_fingerprint(relabelled, {})
    assert changed.digest != page_fingerprint(FORM, {}).digest
    assert differences(page_fingerprint(FORM, {}), changed) == (
        'the recorded textbox "email address" is gone; the page has textbox "e-mail" that the '
        "recording did not"
    )
    elsewhere = page_fingerprint(_form(*FORM.elements, url="https://permits.example.com/v2"), {})
    assert "the step was recorded on" in differences(page_fingerprint(FORM, {}), elsewhere)


def test_a_bundle_finds_its_element_once_or_not_at_all() -> None:
    bundle = bundle_for(FORM.elements[1], FORM, {})
    assert (bundle.role, bundle.name, bundle.field_name, bundle.css) == (
        "textbox",
        "Email address",
        "email",
        "#email",
    )
    moved = _form(
        _el(
            "e9",
            "textbox",
            "Email address",
            locator="#applicant-email",
            attributes={"name": "email"},
        ),
        _el("e8", "textbox", "First name", locator="#applicant-given"),
    )
    assert find_element(bundle, moved, {}).id == "e9"
    with pytest.raises(NoMatch, match='no textbox "Email address"'):
        find_element(bundle, _form(_el("e1", "textbox", "E-mail")), {})
    # Two alike buttons: told apart by their place among them, as when recorded.
    rows = _form(_el("e1", "button", "Remove"), _el("e2", "button", "Remove"))
    second = bundle_for(rows.elements[1], rows, {})
    assert find_element(second, rows, {}).id == "e2"
    three = _form(*rows.elements, _el("e3", "button", "Remove"))
    with pytest.raises(NoMatch, match="3 elements fit"):
        find_element(second, three, {})


# --------------------------------------------------------------------------- healing


class _Run:
    """One run of a task against a FlowReplay, with pages and decisions given by the test."""

    def __init__(
        self, store: MemoryStore, org: Organization, mode: ReplayMode, payload: Any
    ) -> None:
        self.store, self.org, self.mode = store, org, mode
        self.task = Task(
            task_id=ids.new_id("task"),
            organization_id=org.organization_id,
            request=TaskRequest(
                url="https://permits.example.com/apply",
                navigation_goal="Apply",
                navigation_payload=payload,
            ),
            max_steps=5,
        )
        self.calls = 0
        self.hints: list[str | None] = []

    async def open(self) -> FlowReplay:
        key = flow_key(self.task.request, "test")
        return FlowReplay(
            mode=self.mode,
            store=self.store,
            task=self.task,
            key=key,
            planner="test",
            entries=await self.store.list_replay_entries(self.org.organization_id, key),
            secrets={},
            demote_after=2,
            fail=RuntimeError,
        )

    async def step(
        self, replay: FlowReplay, order: int, page: PageState, model: Decision
    ) -> DecidedBy:
        step = Step(
            step_id=ids.new_id("step"),
            task_id=self.task.task_id,
            organization_id=self.org.organization_id,
            order=order,
        )

        async def plan(hint: str | None) -> Decision:
            self.calls += 1
            self.hints.append(hint)
            return model

        decision, how = await replay.decide(step, page, [], plan)
        await replay.after_step(
            step, True, decision, [ActionResult(success=True) for _ in decision.actions]
        )
        return how


def _fill_and_go(page: PageState, name_id: str, button_id: str) -> Decision:
    return Decision(
        reasoning="Type the name, go on.",
        actions=[
            InputTextAction(element_id=name_id, text="Ada"),
            ClickAction(element_id=button_id),
        ],
    )


DONE = _form(_el("e1", "link", "Home"), url="https://permits.example.com/done")
FINISH = Decision(reasoning="Done.", actions=[CompleteAction()])


async def test_a_step_healed_again_and_again_is_demoted_until_it_records_again() -> None:
    store = MemoryStore()
    org = await store.get_or_create_organization("Acme")
    form = _form(_el("e1", "textbox", "Name"), _el("e2", "button", "Next"))
    # Recorded by the model.
    run = _Run(store, org, ReplayMode.auto, {"name": "Ada"})
    replay = await run.open()
    assert await run.step(replay, 0, form, _fill_and_go(form, "e1", "e2")) == DecidedBy.model
    assert await run.step(replay, 1, DONE, FINISH) == DecidedBy.model
    await replay.completed()
    entries = await store.list_replay_entries(org.organization_id)
    assert [e.actions[0].value for e in entries[:1]] == ["{{payload:name}}"]

    # The site flips between two labels: each run heals the first step.
    labels = ["Full name", "Name", "Full name"]
    for n, label in enumerate(labels):
        page = _form(_el("e5", "textbox", label), _el("e6", "button", "Next"))
        run = _Run(store, org, ReplayMode.auto, {"name": f"Person {n}"})
        replay = await run.open()
        how = await run.step(replay, 0, page, _fill_and_go(page, "e5", "e6"))
        assert await run.step(replay, 1, DONE, FINISH) == DecidedBy.replay
        await replay.completed()
        (first, _) = await store.list_replay_entries(org.organization_id)
        if n < 2:
            assert how == DecidedBy.healed and run.calls == 1
            assert run.hints[0] and "the recorded step typed" in run.hints[0]
            assert first.heal_streak == n + 1 and first.demoted == (n + 1 >= 2)
        else:
            # Demoted: back to the model without trying the replay, then recorded afresh.
            assert how == DecidedBy.model and run.calls == 1
            assert first.heal_streak == 0 and not first.demoted and first.heals == 2

    # Recorded again: the next run replays it.
    page = _form(_el("e8", "textbox", "Full name"), _el("e9", "button", "Next"))
    run = _Run(store, org, ReplayMode.only, {"name": "Last"})
    replay = await run.open()
    assert await run.step(replay, 0, page, FINISH) == DecidedBy.replay
    assert run.calls == 0


class _Loading:
    """A browser session whose page is still changing when an action settled quickly: it
    shows ``pages`` one per snapshot, and the last for good once it has settled fully."""

    def __init__(self, *pages: PageState) -> None:
        self.quiet_window = 0.15
        self.pages = list(pages)
        self.settles = 0
        self.snapshots: list[bool] = []  # with a screenshot, or not

    async def settle(self) -> None:
        self.settles += 1
        del self.pages[:-1]

    async def snapshot(self, *, screenshot: bool = True) -> PageState:
        self.snapshots.append(screenshot)
        page = self.pages[0] if len(self.pages) == 1 else self.pages.pop(0)
        return page.model_copy(update={"screenshot": b"png" if screenshot else None})


async def test_a_replayed_step_settles_quickly_and_a_page_not_yet_as_recorded_settles_fully() -> (
    None
):
    store = MemoryStore()
    org = await store.get_or_create_organization("Acme")
    form = _form(_el("e1", "textbox", "Name"), _el("e2", "button", "Next"))
    first = _Run(store, org, ReplayMode.auto, {"name": "Ada"})
    replay = await first.open()
    # Nothing recorded yet: the page is seen as always, with its screenshot.
    session = _Loading(form)
    assert (await replay.look(_step(first, 0), session)).screenshot == b"png"
    with replay.acting(session, replayed=True):
        assert session.quiet_window == 0.15
    assert session.snapshots == [True]
    assert await first.step(replay, 0, form, _fill_and_go(form, "e1", "e2")) == DecidedBy.model
    assert await first.step(replay, 1, DONE, FINISH) == DecidedBy.model
    await replay.completed()

    run = _Run(store, org, ReplayMode.only, {"name": "Grace"})
    replay = await run.open()
    # The first page as recorded: replayed on a snapshot without a screenshot.
    session = _Loading(form)
    page = await replay.look(_step(run, 0), session)
    assert session.snapshots == [False] and session.settles == 0
    with replay.acting(session, replayed=True):
        assert session.quiet_window == 0
    assert session.quiet_window == 0.15
    # The next page, a moment after it loaded, lacks its link: settled fully and seen
    # again in full, it is as recorded, and replayed.
    session.pages = [_form(url=DONE.url), DONE]
    page = await replay.look(_step(run, 1), session)
    assert session.snapshots == [False, False, True] and session.settles == 1
    assert page.elements == DONE.elements
    assert await run.step(replay, 1, page, FINISH) == DecidedBy.replay
    assert run.calls == 0
    # Extraction reads the page once it has settled fully, only after a quick settle.
    with replay.acting(session, replayed=False):
        pass
    await replay.settle(session)
    assert session.settles == 1
    with replay.acting(session, replayed=True):
        pass
    await replay.settle(session)
    assert session.settles == 2


def _step(run: _Run, order: int) -> Step:
    return Step(
        step_id=ids.new_id("step"),
        task_id=run.task.task_id,
        organization_id=run.org.organization_id,
        order=order,
    )


# --------------------------------------------------------------------------- command line


def test_the_command_lists_and_clears_entries(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import anyio

    from skyvern_core.cli import main
    from skyvern_core.db.sqlstore import SQLStore
    from skyvern_core.models import PageFingerprint, RecordedAction, ReplayEntry

    monkeypatch.setenv("SKYVERN_DATA_DIR", str(tmp_path))

    async def seed() -> None:
        async with SQLStore(f"sqlite:///{tmp_path / 'skyvern.db'}") as store:
            org = await store.get_or_create_organization("default")
            entry = ReplayEntry(
                entry_id=ids.new_id("replay"),
                organization_id=org.organization_id,
                flow_key="key:permits",
                position=0,
                start_url="https://permits.example.com/",
                goal="Apply",
                fingerprint=PageFingerprint(url_pattern="https://permits.example.com/", digest="d"),
                actions=[RecordedAction(type="complete")],
            )
            await store.save_replay_flow(org.organization_id, "key:permits", [entry])

    anyio.run(seed)
    assert main(["replays", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["flow_key"], e["actions"]) for e in listed] == [("key:permits", ["complete"])]
    assert main(["replays", "list"]) == 0
    assert "key:permits  https://permits.example.com/  'Apply'" in capsys.readouterr().out
    assert main(["replays", "clear", "--key", "key:other"]) == 0
    assert capsys.readouterr().out.strip() == "Deleted 0 replay entries."
    assert main(["replays", "clear"]) == 0
    assert capsys.readouterr().out.strip() == "Deleted 1 replay entry."
    assert main(["replays", "list", "--org", "o_nobody"]) == 2
    assert "no organization 'o_nobody'" in capsys.readouterr().err


# --------------------------------------------------------------------------- a whole run


class _Disk(MemoryArtifactStore):
    """An artifact store whose disk fills up when told."""

    full = False

    async def put(self, key: str, data: Any, *, content_type: str) -> str:
        if self.full:
            raise ArtifactError("disk full")
        return await super().put(key, data, content_type=content_type)


async def test_a_replayed_step_keeps_its_screenshots_or_fails_saying_why(
    make_agent: Callable[..., Agent],
) -> None:
    start, done = "https://jobs.example.test/apply", "https://jobs.example.test/thanks"
    site = [
        FakePage(
            url=start,
            title="Apply",
            elements=[
                element("e1", "textbox", "Full name"),
                element("e2", "textbox", "Email"),
                element("e3", "button", "Submit application"),
            ],
            submit={"e3": done},
        ),
        FakePage(url=done, title="Thanks", elements=[element("e1", "link", "Home")]),
    ]
    fill = [
        InputTextAction(element_id="e1", text="Chris"),
        InputTextAction(element_id="e2", text="chris@example.test"),
        ClickAction(element_id="e3"),
    ]
    disk = _Disk()
    agent = make_agent(
        driver=InMemoryDriver(site),
        planner=ScriptedPlanner([fill, [CompleteAction()]]),
        artifact_store=disk,
    )
    request = TaskRequest(
        url=start,
        navigation_goal="Apply for the job",
        navigation_payload={"name": "Chris", "email": "chris@example.test"},
        replay="auto",
    )
    try:
        first = await agent.run(request)
        assert first.status == TaskStatus.completed
        second = await agent.run(request.model_copy(update={"replay": "only"}))
        assert second.status == TaskStatus.completed
        assert [s.decided_by for s in second.steps] == [DecidedBy.replay] * 2
        # Every action's screenshot is kept, under the id its result names.
        kept = {a.artifact_id for a in await agent.store.list_artifacts(second.task_id)}
        named = [r.screenshot_artifact_id for r in second.steps[0].action_results]
        assert len(named) == 3 and set(named) <= kept

        disk.full = True
        third = await agent.run(request.model_copy(update={"replay": "only"}))
        assert third.status == TaskStatus.failed
        assert third.steps[0].status == StepStatus.failed
        assert third.steps[0].failure_reason == "Artifact store error: disk full"
        assert "failed their check: Artifact store error: disk full" in (third.failure_reason or "")
    finally:
        await agent.aclose()
