"""The CAPTCHA seam on the fixture site's challenge pages, in a real Chromium with the
offline planner: a configured solver is called when a challenge shows and its answer
passes the site's backend; without one the task ends at once, naming the challenge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from skyvern_core import Agent, TaskRequest, TaskStatus, hookimpl
from skyvern_core.captcha import SOLVE_ATTEMPTS, CaptchaKind
from skyvern_core.models import Task
from skyvern_core.plugins import PluginRegistry
from skyvern_core.testing import FakeCaptchaSolver
from skyvern_core.testing.captcha import FIXTURE_SITEKEYS, IMAGE_TEXT, fixture_token
from skyvern_core.testing.sites import FixtureSites, Submission

pytestmark = pytest.mark.browser

PAGES = {
    CaptchaKind.recaptcha_v2: "recaptcha.html",
    CaptchaKind.hcaptcha: "hcaptcha.html",
    CaptchaKind.turnstile: "turnstile.html",
    CaptchaKind.image: "image.html",
}


def request(sites: FixtureSites, page: str, email: str) -> TaskRequest:
    return TaskRequest(
        url=sites.url(f"captcha/{page}"),
        navigation_goal="Request a callback about solar panels",
        data_extraction_goal="The request number",
        navigation_payload={
            "name": "Ada Lovelace",
            "email": email,
            "message": "Please call me about solar panels.",
        },
        extracted_information_schema={
            "type": "object",
            "properties": {"request_number": {"type": "string", "pattern": r"^CB-\d+$"}},
            "required": ["request_number"],
        },
    )


async def run(
    tmp_path: Path,
    chromium: str,
    task: TaskRequest,
    *,
    driver: str = "playwright",
    **agent: Any,
) -> Task:
    runner = Agent(
        driver=driver,
        planner="offline",
        store="sqlite",
        notifier="none",
        data_dir=tmp_path / "data",
        browser_path=chromium,
        record_video=False,
        **agent,
    )
    try:
        return await runner.run(task)
    finally:
        await runner.aclose()


def sent(sites: FixtureSites, email: str) -> list[Submission]:
    return [s for s in sites.submissions_to("/captcha/submit") if s.fields.get("email") == email]


@pytest.mark.parametrize("kind", list(PAGES), ids=[k.value for k in PAGES])
async def test_a_configured_solver_passes_the_challenge(
    kind: CaptchaKind, sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    email = f"ada.{kind.value}@example.test"
    solver = FakeCaptchaSolver()
    task = await run(
        tmp_path,
        chromium_executable,
        request(sites, PAGES[kind], email),
        captcha_solver=solver,
    )
    assert task.status == TaskStatus.completed, [s.failure_reason for s in task.steps]
    # The solver was asked once, about the page's challenge, with what it needs.
    assert [c.kind for c in solver.calls] == [kind]
    challenge = solver.calls[0]
    assert task.steps[0].reasoning is not None
    assert task.steps[0].reasoning.startswith(
        f"Solved {challenge.describe()} with the CAPTCHA solver 'FakeCaptchaSolver'."
    )
    assert challenge.page_url == sites.url(f"captcha/{PAGES[kind]}")
    if kind is CaptchaKind.image:
        assert challenge.image is not None and challenge.image.startswith(b"<svg")
        assert challenge.input_name == "captcha"
    else:
        assert challenge.sitekey == FIXTURE_SITEKEYS[kind.value]
    # The site's backend accepted the answer, as it would the real provider's.
    (posted,) = sent(sites, email)
    assert posted.extra["captcha"] == "passed"
    if kind is CaptchaKind.image:
        assert posted.fields["captcha"] == IMAGE_TEXT
    else:
        assert posted.fields[str(challenge.response_field)] == fixture_token(
            kind.value, FIXTURE_SITEKEYS[kind.value]
        )
    assert posted.fields["name"] == "Ada Lovelace"
    assert task.extracted_information["request_number"].startswith("CB-")


@pytest.mark.parametrize("kind", list(PAGES), ids=[k.value for k in PAGES])
async def test_without_a_solver_the_task_ends_at_once_naming_the_challenge(
    kind: CaptchaKind, sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    email = f"ada.none.{kind.value}@example.test"
    task = await run(tmp_path, chromium_executable, request(sites, PAGES[kind], email))
    assert task.status == TaskStatus.terminated
    assert task.failure_reason is not None
    assert kind.label in task.failure_reason
    assert "no CAPTCHA solver is configured" in task.failure_reason
    if kind is not CaptchaKind.image:
        assert FIXTURE_SITEKEYS[kind.value] in task.failure_reason
    # At once: one step, nothing typed or sent, no loop on the widget.
    assert len(task.steps) == 1
    assert task.steps[0].actions[0].type == "terminate"
    assert sent(sites, email) == []


async def test_recaptcha_v3_scores_in_the_background_and_needs_no_solver(
    sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    email = "ada.v3@example.test"
    task = await run(tmp_path, chromium_executable, request(sites, "recaptcha-v3.html", email))
    assert task.status == TaskStatus.completed, [s.failure_reason for s in task.steps]
    (posted,) = sent(sites, email)
    assert posted.extra["captcha"] == "passed"
    assert posted.fields["g-recaptcha-response"].startswith("v3.ok.")


async def test_a_solver_whose_answers_fail_is_not_asked_forever(
    sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    email = "ada.wrong@example.test"
    solver = FakeCaptchaSolver(wrong=True)
    task = await run(
        tmp_path,
        chromium_executable,
        request(sites, "recaptcha.html", email),
        captcha_solver=solver,
    )
    assert task.status == TaskStatus.terminated, [s.failure_reason for s in task.steps]
    assert task.failure_reason is not None
    assert "still shows a reCAPTCHA v2" in task.failure_reason
    assert len(solver.calls) == SOLVE_ATTEMPTS
    posted = sent(sites, email)
    assert posted and all(p.extra["captcha"] == "failed" for p in posted)


async def test_a_solver_that_does_not_take_the_kind_stops_the_task(
    sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    solver = FakeCaptchaSolver(kinds={CaptchaKind.image})
    task = await run(
        tmp_path,
        chromium_executable,
        request(sites, "turnstile.html", "ada.kinds@example.test"),
        captcha_solver=solver,
    )
    assert task.status == TaskStatus.terminated
    assert task.failure_reason is not None
    assert (
        "Cloudflare Turnstile" in task.failure_reason and "does not take it" in task.failure_reason
    )
    assert solver.calls == []


async def test_a_solver_plugin_is_chosen_by_setting_on_the_selenium_driver(
    sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    solver = FakeCaptchaSolver()

    class SolverPlugin:
        @hookimpl
        def register_captcha_solvers(self, register: Any) -> None:
            register("fixture", lambda ctx: solver)

    registry = PluginRegistry()
    registry.register(SolverPlugin(), name="fixture-solver")
    assert "fixture" in registry.names("captcha_solver")
    email = "ada.plugin@example.test"
    task = await _run_with_setting(tmp_path, chromium_executable, sites, registry, email)
    assert task.status == TaskStatus.completed, [s.failure_reason for s in task.steps]
    assert [c.kind for c in solver.calls] == [CaptchaKind.hcaptcha]
    (posted,) = sent(sites, email)
    assert posted.extra["captcha"] == "passed"


async def _run_with_setting(
    tmp_path: Path, chromium: str, sites: FixtureSites, registry: PluginRegistry, email: str
) -> Task:
    from skyvern_core import Settings

    settings = Settings(
        captcha_solver="fixture",
        driver="selenium",
        planner="offline",
        store="sqlite",
        notifier="none",
        data_dir=tmp_path / "data",
        browser_path=chromium,
        record_video=False,
    )
    runner = Agent(settings=settings, registry=registry)
    try:
        return await runner.run(request(sites, "hcaptcha.html", email))
    finally:
        await runner.aclose()
