"""The task viewer in a real Chromium through Playwright, against the app under uvicorn
(mounted under a prefix, as a host app would), with real tasks on the fixture sites: the
Playwright driver, SQLite, and litellm against a local model server."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Page, expect

from skyvern_core import Agent
from skyvern_core.asgi import agent_lifespan, create_app
from skyvern_core.auth import NewOrganization, create_organization
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.testing.sites import FixtureSites
from skyvern_plugins.playwright.driver import PlaywrightSession
from tests.llm_server import LLMServer, user_text
from tests.servers import UvicornThread
from tests.test_e2e import PAYLOAD, SCHEMA, model

pytestmark = pytest.mark.browser

SECRET = "hunter2-Sekret"
SLOW_GOAL = "Keep looking around the page"
QUOTE_GOAL = "Get a car insurance quote with premium coverage and roadside assistance"


def answer(body: dict[str, Any]) -> str:
    """The model: a slow scroll for the slow goal, else the quote form's filler."""
    if SLOW_GOAL in user_text(body):
        time.sleep(1.0)
        return json.dumps(
            {"reasoning": "Still looking", "actions": [{"type": "scroll", "direction": "down"}]}
        )
    return model(body)


@dataclass
class Viewer:
    """The running app and what the tests need of it."""

    url: str  # where the API app is mounted: its viewer is at url + "/ui/"
    local: str  # the same agent's app without sign-in (as `skyvern-core ui` serves it)
    acme: NewOrganization
    globex: NewOrganization
    llm: LLMServer

    def api(self, org: NewOrganization) -> httpx.Client:
        """An HTTP API client of an organization."""
        return httpx.Client(
            base_url=self.url + "/api/v1", headers={"x-api-key": org.api_key}, timeout=10
        )

    async def wait(self, org: NewOrganization, task_id: str, seconds: float = 90) -> Any:
        """The task once final."""
        headers = {"x-api-key": org.api_key}
        async with httpx.AsyncClient(base_url=self.url + "/api/v1", headers=headers) as client:
            with anyio.fail_after(seconds):
                while True:
                    task = (await client.get(f"/tasks/{task_id}")).json()
                    if task["status"] in ("completed", "failed", "terminated", "canceled"):
                        return task
                    await anyio.sleep(0.2)


@pytest.fixture(scope="module")
def viewer(tmp_path_factory: pytest.TempPathFactory, chromium_executable: str) -> Iterator[Viewer]:
    tmp = tmp_path_factory.mktemp("viewer")
    db = f"sqlite:///{tmp / 'viewer.db'}"

    async def orgs() -> tuple[NewOrganization, NewOrganization]:
        store = SQLStore(db)
        await store.open()
        made = await create_organization(store, "Acme"), await create_organization(store, "Globex")
        await store.close()
        return made

    acme, globex = anyio.run(orgs)
    llm = LLMServer(prompt_tokens=1200, completion_tokens=80).start()
    llm.reset(*([answer] * 500))
    agent = Agent(
        driver="playwright",
        planner="llm",
        store="sqlite",
        database_url=db,
        notifier="none",
        data_dir=tmp,
        browser_path=chromium_executable,
        llm_model="openai/gpt-4o-mini",
        llm_api_base=llm.base_url,
        llm_api_key="sk-local",
        llm_retry_base_delay=0.01,
        poll_interval=0.1,
        concurrency=2,
    )

    def build(url: str) -> FastAPI:
        app = create_app(agent, manage_agent=False, base_url=url + "/agent")

        @asynccontextmanager
        async def lifespan(host: FastAPI) -> AsyncIterator[None]:
            async with agent_lifespan(agent, app=app):
                yield

        host = FastAPI(lifespan=lifespan)
        host.mount("/agent", app)
        host.mount(
            "/local",
            create_app(agent, manage_agent=False, base_url=url + "/local", ui_sign_in=False),
        )
        return host

    server = UvicornThread(build=build).start()
    yield Viewer(server.url + "/agent", server.url + "/local", acme, globex, llm)
    server.stop()
    llm.stop()


async def sign_in(page: Page, viewer: Viewer, org: NewOrganization) -> None:
    await page.goto(viewer.url + "/ui/")
    await expect(page).to_have_url(viewer.url + "/ui/login")
    await page.get_by_label("API key").fill(org.api_key)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(viewer.url + "/ui/")
    await expect(page.get_by_role("heading", name="Tasks")).to_be_visible()


async def test_sign_in_start_a_task_and_see_its_screenshots_and_recording(
    page: Page, viewer: Viewer, sites: FixtureSites
):
    await sign_in(page, viewer, viewer.acme)
    cookie = next(c for c in await page.context.cookies() if c["name"] == "skyvern_viewer")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert viewer.acme.api_key not in cookie["value"]

    # Start the task from the form.
    await page.get_by_role("link", name="New task").click()
    await page.get_by_label("Start URL").fill(sites.url("insurance/"))
    await page.get_by_label("Navigation goal").fill(QUOTE_GOAL)
    await page.get_by_label("Data extraction goal").fill("The monthly premium and the quote number")
    await page.get_by_label("Payload (JSON)").fill(json.dumps({**PAYLOAD, "password": SECRET}))
    await page.get_by_label("Schema (JSON Schema)").fill(json.dumps(SCHEMA))
    await page.get_by_role("button", name="Start task").click()
    await expect(page).to_have_url(re.compile(r"/agent/ui/tasks/tsk_\w+$"))
    assert viewer.acme.api_key not in page.url
    task_id = page.url.rsplit("/", 1)[1]

    # It runs live, then the page shows its end.
    await expect(page.locator("#task-status")).to_have_text("completed", timeout=120_000)
    await expect(page.locator("#recording")).to_be_attached(timeout=10_000)
    quote = next(s for s in reversed(sites.submissions) if s.path == "/insurance/quote")
    extracted = json.loads(await page.locator("#extracted").inner_text())
    assert extracted["quote_number"] == quote.reference

    # The request shows the secret as its placeholder, never its value.
    content = await page.content()
    assert "{{secret:password}}" in content and SECRET not in content
    assert QUOTE_GOAL in content

    # Each step's screenshots are real images; the final page too.
    steps = page.locator("#timeline li.step")
    assert await steps.count() >= 4
    assert await page.locator("#timeline .decided-by").first.inner_text() == "model"
    shots = page.locator("#timeline img.shot")
    assert await shots.count() >= 3
    for index in range(await shots.count()):
        shot = shots.nth(index)
        await shot.scroll_into_view_if_needed()
        await expect(shot).to_have_js_property("complete", True)
        width = await shot.evaluate("img => img.naturalWidth")
        assert width > 100, f"screenshot {index} did not load"
    final = page.locator("#final-screenshot")
    assert await final.evaluate("img => img.decode().then(() => img.naturalWidth)") > 100

    # The recording plays in the page.
    video = page.locator("#recording")
    await video.scroll_into_view_if_needed()
    played = await video.evaluate(
        """async v => {
            v.muted = true;
            await v.play();
            await new Promise(r => setTimeout(r, 1200));
            return {time: v.currentTime, error: v.error && v.error.code, w: v.videoWidth};
        }"""
    )
    assert played["error"] is None and played["time"] > 0.3 and played["w"] > 100, played

    # The list shows it, and the status filter finds it.
    await page.get_by_role("link", name="Tasks", exact=True).click()
    row = page.locator("tr", has=page.get_by_role("link", name=task_id))
    await expect(row).to_contain_text("completed")
    await expect(row).to_contain_text(QUOTE_GOAL)
    await page.get_by_label("Status").select_option("completed")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_role("link", name=task_id)).to_be_visible()
    await page.get_by_label("Status").select_option("canceled")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_role("link", name=task_id)).to_have_count(0)


async def test_watch_a_running_task_live_then_cancel_it_from_the_page(
    page: Page, viewer: Viewer, sites: FixtureSites
):
    with viewer.api(viewer.acme) as client:
        created = client.post(
            "/tasks",
            json={
                "url": sites.url("news/"),
                "navigation_goal": SLOW_GOAL,
                "proxy_location": "NONE",
            },
        )
        assert created.status_code == 200, created.text
        task_id = created.json()["task_id"]
    await sign_in(page, viewer, viewer.acme)
    await page.goto(f"{viewer.url}/ui/tasks/{task_id}")
    await expect(page.locator("#live")).to_be_visible()
    # Steps appear while the page stays loaded (no reload: the marker survives).
    await page.evaluate("window.stillHere = true")
    await expect(page.locator("#timeline li.step.step-completed")).to_have_count(2, timeout=30_000)
    await expect(page.locator("#task-status")).to_have_text("running")
    assert await page.evaluate("window.stillHere === true")
    assert "scroll down" in await page.locator("#timeline").inner_text()

    await page.get_by_role("button", name="Cancel task").click()
    await expect(page.locator("#task-status")).to_have_text("canceled", timeout=15_000)
    await expect(page.get_by_role("button", name="Cancel task")).to_have_count(0)
    task = await viewer.wait(viewer.acme, task_id, seconds=30)
    assert task["status"] == "canceled"
    assert task["failure_reason"] is None


async def test_a_wrong_key_and_another_organizations_task_are_refused(
    page: Page, viewer: Viewer, sites: FixtureSites, console_errors: list[str]
):
    with viewer.api(viewer.acme) as client:
        task_id = client.post(
            "/tasks",
            json={
                "url": sites.url("news/"),
                "navigation_goal": "Acme's private errand",
                "proxy_location": "NONE",
            },
            headers={"x-max-steps-override": "1"},
        ).json()["task_id"]
    await viewer.wait(viewer.acme, task_id)

    # A wrong key signs nobody in.
    await page.goto(viewer.url + "/ui/login")
    await page.get_by_label("API key").fill("sk_not-a-key-of-anyone")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#login-error")).to_have_text("That API key is not valid.")
    await page.goto(viewer.url + "/ui/")
    await expect(page).to_have_url(viewer.url + "/ui/login")
    response = await page.goto(f"{viewer.url}/ui/tasks/{task_id}")
    assert response is not None
    await expect(page).to_have_url(viewer.url + "/ui/login")

    # Another organization sees neither the task nor its artifacts.
    await sign_in(page, viewer, viewer.globex)
    await expect(page.get_by_role("link", name=task_id)).to_have_count(0)
    response = await page.goto(f"{viewer.url}/ui/tasks/{task_id}")
    assert response is not None and response.status == 404
    content = await page.content()
    assert "Acme&#39;s private errand" not in content and "Acme's private errand" not in content
    assert "/api/v1/artifacts/" not in content
    events = await page.request.get(f"{viewer.url}/ui/tasks/{task_id}/events")
    assert events.status == 404
    # Even with this session's own CSRF token, canceling it is a 404.
    await page.goto(viewer.url + "/ui/tasks/new")
    token = await page.locator("input[name=csrf_token]").first.input_value()
    cancel = await page.request.post(
        f"{viewer.url}/ui/tasks/{task_id}/cancel", form={"csrf_token": token}
    )
    assert cancel.status == 404
    # A form without the token is refused, and starts nothing.
    forged = await page.request.post(
        f"{viewer.url}/ui/tasks",
        form={"url": sites.url("news/"), "navigation_goal": "forged"},
    )
    assert forged.status == 403
    with viewer.api(viewer.globex) as client:
        assert client.get("/tasks").json() == []
    # The browser logs the refusals this test asked for; they are all it logged.
    assert all("status of 40" in error for error in console_errors), console_errors
    console_errors.clear()


async def test_every_control_of_the_viewer_has_a_name(
    session: PlaywrightSession, viewer: Viewer, sites: FixtureSites
):
    # The viewer as `skyvern-core ui` serves it (no sign-in), with a finished task.
    async with httpx.AsyncClient(base_url=viewer.local + "/ui") as local:
        form = (await local.get("/tasks/new")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token, form
        made = await local.post(
            "/tasks",
            data={
                "csrf_token": token.group(1),
                "url": sites.url("insurance/"),
                "navigation_goal": QUOTE_GOAL,
                "data_extraction_goal": "The monthly premium and the quote number",
                "navigation_payload": json.dumps(PAYLOAD),
            },
        )
        assert made.status_code == 303, made.text
        task_path = made.headers["location"]
        with anyio.fail_after(120):
            while True:
                html = (await local.get(task_path.removeprefix("/local/ui"))).text
                if 'id="task-status" class="badge badge-completed"' in html:
                    break
                await anyio.sleep(0.3)
    task_page = viewer.url.rsplit("/", 1)[0] + task_path
    pages = [viewer.local + "/ui/", viewer.local + "/ui/tasks/new", task_page]
    pages.append(viewer.url + "/ui/login")
    labels: dict[str, list[str]] = {}
    for url in pages:
        await session.goto(url)
        state = await session.snapshot()
        assert state.elements, url
        unnamed = [(e.id, e.role, e.locator) for e in state.elements if not e.label.strip()]
        assert not unnamed, f"{url}: controls without a name: {unnamed}"
        labels[url] = [e.label for e in state.elements]
    # What the snapshot named is what a user reads.
    assert any(label.startswith("Screenshot after action") for label in labels[task_page])
    assert "Filter" in labels[pages[0]] and "Start task" in labels[pages[1]]
    assert "Sign in" in labels[pages[3]]
