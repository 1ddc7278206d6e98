"""End to end: signing in to a bank with two-step verification, each way a task gets a code.

A real Chromium (the "playwright" driver) on the login fixture site, litellm against the local
model server of ``tests/llm_server.py``; the "model" decides from the prompt alone (like
``tests/test_e2e.py``): it fills the username and the password placeholder, types
``{{totp_code}}`` where the page asks for a code, and completes once it is welcomed. The code
comes from a TOTP secret in the payload, from ``totp_verification_url`` or from a code pushed
to ``POST /api/v1/totp``. Every test checks what a user would: the task's status, the account
number against the page the bank rendered, what the bank received, and that the code never
reached the model, the step records or the logs.

The first tests check the login site itself, without the agent.
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
import re
import secrets
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import playwright.async_api as playwright_api
import pyotp
import pytest

from skyvern_core import Agent, TaskStatus
from skyvern_core.asgi import create_app
from skyvern_core.auth import NewOrganization, create_organization
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.errors import WebhookVerificationError
from skyvern_core.models import Task
from skyvern_core.testing.prompt import prompt_elements, prompt_facts
from skyvern_core.testing.sites import FixtureSites, Submission
from skyvern_core.testing.sites.server import LOGIN_USERS, LoginUser
from skyvern_core.totp import TOTP_PLACEHOLDER, code_from_secret
from skyvern_core.webhooks import verify
from tests.llm_server import LLMServer, user_text
from tests.servers import UvicornThread

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = pytest.mark.browser

ADA, GRACE = LOGIN_USERS["ada.lovelace"], LOGIN_USERS["grace.hopper"]
WEBHOOK_SECRET = "whsec_totp_e2e_0123456789abcdef"
GOAL = "Sign in to online banking and open the accounts overview"
EXTRACTION = "The checking account number"
SCHEMA = {
    "type": "object",
    "properties": {"account_number": {"type": "string", "pattern": r"^\d{4}-\d{4}-\d{4}$"}},
    "required": ["account_number"],
}
SMS_CODE = "482913"

# --------------------------------------------------------------------------- the model


def model(body: dict[str, Any]) -> str:
    """A stand-in for an LLM: decide from the prompt alone."""
    prompt = user_text(body)
    if body["response_format"]["json_schema"]["name"] == "extraction":
        number = re.search(r"Account number\W+(\d{4}-\d{4}-\d{4})", prompt)
        return json.dumps({"account_number": number.group(1) if number else None})
    # The accounts page greets by name; the sign-in page's "Welcome back." is its lead.
    if re.search(r"Welcome back, \w+", prompt):
        return json.dumps({"reasoning": "Signed in.", "goal_reached": True, "actions": []})
    facts = prompt_facts(prompt)
    actions: list[dict[str, Any]] = []
    submit = None
    for el in prompt_elements(prompt):
        label, rest = el.label.lower(), el.rest
        if el.role == "button" and label in ("sign in", "verify"):
            submit = el.id
        if el.role != "textbox" or "value=" in rest:
            continue
        if label in ("username", "password"):
            text = facts.get(label)
        elif label in ("verification code", "digit 1 of 6"):
            text = TOTP_PLACEHOLDER  # as the system prompt says: the first of six boxes
        else:
            continue
        actions.append({"type": "input_text", "element_id": el.id, "text": text})
    if actions and submit:
        actions.append({"type": "click", "element_id": submit})
    return json.dumps(
        {"reasoning": "Fill in and go on.", "goal_reached": False, "actions": actions}
    )


@pytest.fixture(scope="module")
def model_server() -> Iterator[LLMServer]:
    """The local chat-completions server, shared by the module's tests."""
    server = LLMServer(prompt_tokens=900, completion_tokens=60).start()
    yield server
    server.stop()


def agent_for(
    server: LLMServer, data_dir: Path, chromium: str, driver: str = "playwright", **settings: Any
) -> Agent:
    """An embedded agent: real Chromium (on ``driver``), litellm against ``server``, quick
    TOTP polling."""
    defaults: dict[str, Any] = {
        "store": "sqlite",
        "data_dir": data_dir,
        "totp_poll_interval": 0.05,
        "totp_timeout": 20,
        "webhook_secret": WEBHOOK_SECRET,
    }
    return Agent(
        driver=driver,
        planner="llm",
        notifier="none",
        browser_path=chromium,
        llm_model="openai/gpt-4o-mini",
        llm_api_base=server.base_url,
        llm_api_key="sk-local",
        llm_retry_base_delay=0.01,
        record_video=False,
        **{**defaults, **settings},
    )


def request_body(sites: FixtureSites, user: LoginUser, **fields: Any) -> dict[str, Any]:
    """A task signing in as ``user``; the password goes in as a secret (its key says so)."""
    payload = {"username": user.username, "password": user.password}
    payload.update(fields.pop("payload", {}))
    return {
        "url": sites.url("login/"),
        "navigation_goal": GOAL,
        "data_extraction_goal": EXTRACTION,
        "navigation_payload": payload,
        "extracted_information_schema": SCHEMA,
        "proxy_location": "NONE",  # direct (a missing value means RESIDENTIAL)
        **fields,
    }


@pytest.fixture(autouse=True)
def _default_code_checks(sites: FixtureSites) -> Iterator[None]:
    """Each test sets how the bank checks codes; afterwards the accounts' own secrets again."""
    yield
    for username in LOGIN_USERS:
        sites.expect_code(username)


# --------------------------------------------------------------------------- checks


def new_submissions(sites: FixtureSites, before: int) -> dict[str, list[Submission]]:
    """The POSTs the sites received since ``before``, by path."""
    found: dict[str, list[Submission]] = {}
    for sub in sites.submissions[before:]:
        found.setdefault(sub.path, []).append(sub)
    return found


def signed_in(sites: FixtureSites, before: int, user: LoginUser) -> Submission:
    """Assert the bank got the password once and one valid code; return the code's POST."""
    got = new_submissions(sites, before)
    (password,) = got["/login/session"]
    assert password.fields["username"] == user.username
    assert password.fields["password"] == user.password  # the secret reached the site only
    assert password.extra["result"] == "needs_code"
    (verified,) = got["/login/verify"]
    assert verified.extra["result"] == "signed_in", verified.extra
    assert re.fullmatch(r"\d{6}", verified.extra["code"])
    if user.code_boxes:
        # Six boxes post six fields: the digits landed one per box, in order.
        assert verified.all_fields["digit"] == list(verified.extra["code"])
    return verified


def without_images(requests: list[dict[str, Any]]) -> str:
    """The model requests as JSON, screenshots left out (base64 is noise, not text)."""
    cleaned = []
    for body in requests:
        body = json.loads(json.dumps(body))
        for message in body["messages"]:
            if isinstance(message["content"], list):
                for part in message["content"]:
                    if part.get("type") == "image_url":
                        part["image_url"] = "<screenshot>"
        cleaned.append(body)
    return json.dumps(cleaned)


def assert_absent(value: str, **texts: str) -> None:
    """``value`` (a code, a secret) is in none of ``texts`` (named for the message)."""
    for name, text in texts.items():
        assert value not in text, f"{value!r} leaked into the {name.replace('_', ' ')}"


def steps_json(task: Task) -> str:
    """The task's step records as JSON (what the API's steps endpoint serves)."""
    return json.dumps([step.model_dump(mode="json") for step in task.steps])


def watch_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture everything at INFO and skyvern-core's own loggers at DEBUG too.

    Not other libraries' DEBUG: aiosqlite's logs every SQL parameter, the stored task
    request (navigation_payload, secrets included) among them.
    """
    caplog.set_level(logging.INFO)
    for name in ("skyvern_core", "skyvern_plugins"):
        caplog.set_level(logging.DEBUG, logger=name)


def on_step_boundary_margin(period: int = 30, margin: float = 1.5) -> None:
    """Sleep past a TOTP step boundary when one is near, so a code made for "the step
    before" is still the step before when the server checks it."""
    into = time.time() % period
    if into < margin or into > period - margin:
        time.sleep(period - into + margin if into > margin else margin - into)


# --------------------------------------------------------------------------- the site itself


class SiteClient:
    """A cookie-keeping HTTP client for the login site (redirects followed)."""

    def __init__(self, sites: FixtureSites) -> None:
        self.sites = sites
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def post(self, path: str, fields: dict[str, str] | list[tuple[str, str]]) -> tuple[str, str]:
        """POST a form; return the final URL (after the 303) and its body."""
        data = urllib.parse.urlencode(fields).encode()
        with self.opener.open(self.sites.url(path), data=data) as response:
            return response.url, response.read().decode()

    def sign_in(self, user: LoginUser) -> str:
        """Pass the password step; return the 2FA page's URL."""
        url, _ = self.post("login/session", {"username": user.username, "password": user.password})
        return url


def test_the_login_site_checks_passwords_and_codes(sites: FixtureSites) -> None:
    """Wrong password, wrong code, no session: errors; a TOTP code (±1 step) or the code a
    test registered signs in, and the account page shows the name and account number."""
    web = SiteClient(sites)
    url, _ = web.post("login/session", {"username": ADA.username, "password": "nope"})
    assert url == sites.url("login/?error=credentials")
    assert SiteClient(sites).post("login/verify", {"code": "123456"})[0] == sites.url(
        "login/?error=session"
    )
    assert web.sign_in(ADA) == sites.url("login/verify.html")
    assert web.sign_in(GRACE) == sites.url("login/verify-boxes.html")

    # Each account's own authenticator secret, until a test says otherwise.
    on_step_boundary_margin()
    assert web.sign_in(ADA) == sites.url("login/verify.html")
    url, page = web.post("login/verify", {"code": code_from_secret(ADA.totp_secret)})
    assert re.fullmatch(re.escape(sites.url("login/account.html?ref=")) + r"SESS-\d{6}", url)
    sub = sites.submissions_to("/login/verify")[-1]
    assert "Welcome back, Ada" in page and "Signed in as Ada Lovelace" in page
    assert f'<dd id="account-number">{sub.extra["account_number"]}</dd>' in page
    assert sub.extra["code"] not in page

    secret = pyotp.random_base32()
    sites.expect_code(GRACE.username, secret=secret)
    on_step_boundary_margin()
    now = time.time()
    for offset, accepted in [(-30, True), (30, True), (-60, False), (60, False), (0, True)]:
        web.sign_in(GRACE)
        code = code_from_secret(secret, now + offset)
        digits = [("digit", d) for d in code]  # the six boxes' fields
        url, page = web.post("login/verify", digits)
        assert ("Welcome back, Grace" in page) is accepted, (offset, url)
        if not accepted:
            assert url == sites.url("login/verify-boxes.html?error=code")

    sites.expect_code(ADA.username, "123456")
    web.sign_in(ADA)
    assert web.post("login/verify", {"code": "654321"})[0].endswith("verify.html?error=code")
    assert sites.submissions_to("/login/verify")[-1].extra["result"] == "bad_code"
    # A wrong code keeps the session: the user may try again.
    assert "Welcome back, Ada" in web.post("login/verify", {"code": "123456"})[1]
    with pytest.raises(ValueError):
        sites.expect_code(ADA.username, "1", secret=secret)
    with pytest.raises(KeyError):
        sites.expect_code("mallory", "1")


@pytest.fixture(scope="module")
async def chromium(chromium_executable: str) -> AsyncIterator[Browser]:
    """A bare Chromium for the site's own behaviour (no driver involved)."""
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_executable, headless=True)
        yield browser
        await browser.close()


async def test_the_digit_boxes_behave_like_a_real_banks(
    chromium: Browser, sites: FixtureSites
) -> None:
    """Typing advances, Backspace goes back, a pasted code fills every box, and the page
    says what is wrong: an incomplete code, then a wrong one."""
    context = await chromium.new_context()
    errors: list[str] = []
    page: Page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(5000)
    sites.expect_code(GRACE.username, "111111")
    try:
        await page.goto(sites.url("login/"))
        await page.get_by_role("button", name="Sign in").click()
        assert "Enter your username and password." in await page.inner_text("#form-error")
        await page.get_by_label("Username", exact=True).fill(GRACE.username)
        await page.get_by_label("Password", exact=True).fill(GRACE.password)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url("**/login/verify-boxes.html")
        boxes = page.locator("#otp input")
        values = "() => [...document.querySelectorAll('#otp input')].map((b) => b.value).join('')"
        focused = "() => document.activeElement.getAttribute('aria-label')"
        assert await page.evaluate(focused) == "Digit 1 of 6"
        await page.keyboard.type("4x8")  # the letter is dropped, focus stays put for it
        assert await page.evaluate(values) == "48"
        assert await page.evaluate(focused) == "Digit 3 of 6"
        await page.keyboard.press("Backspace")  # on an empty box: back one, and clear it
        assert (await page.evaluate(values), await page.evaluate(focused)) == ("4", "Digit 2 of 6")
        await page.get_by_role("button", name="Verify").click()
        assert "Enter all 6 digits" in await page.inner_text("#form-error")
        await boxes.first.evaluate(
            """(box) => { const data = new DataTransfer(); data.setData('text', '482 913');
            box.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data,
              bubbles: true, cancelable: true})); }"""
        )
        assert await page.evaluate(values) == "482913"
        assert await page.evaluate(focused) == "Digit 6 of 6"
        await page.get_by_role("button", name="Verify").click()
        await page.wait_for_url("**/login/verify-boxes.html?error=code")
        assert "That code is incorrect" in await page.inner_text("#form-error")
        assert sites.submissions_to("/login/verify")[-1].all_fields["digit"] == list("482913")
    finally:
        await context.close()
    assert not errors


# --------------------------------------------------------------------------- each way, end to end


@pytest.mark.parametrize("user", [ADA, GRACE], ids=["code-field", "six-boxes"])
async def test_a_totp_secret_in_the_payload(
    user: LoginUser,
    model_server: LLMServer,
    sites: FixtureSites,
    chromium_executable: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The code is made from the payload's secret just before it is typed; the six-box page
    gets it one digit per box."""
    watch_logs(caplog)
    secret = pyotp.random_base32()
    sites.expect_code(user.username, secret=secret)
    model_server.reset(*([model] * 8))
    before = len(sites.submissions)
    agent = agent_for(model_server, tmp_path, chromium_executable)
    try:
        task = await agent.run(request_body(sites, user, payload={"totp_secret": secret}))
    finally:
        await agent.aclose()

    assert task.status == TaskStatus.completed, (task.failure_reason, task.steps)
    verified = signed_in(sites, before, user)
    assert task.extracted_information == {"account_number": verified.extra["account_number"]}
    code_step = task.steps[1]
    assert code_step.actions[0].text == TOTP_PLACEHOLDER  # type: ignore[union-attr]
    if user.code_boxes:
        assert code_step.action_results[0].data == {"boxes": 6}
    # The model saw placeholders only; the code, the secret and the password are in no
    # step record, model request or log line (the task keeps its request, payload included).
    prompts = without_images(model_server.requests)
    assert "{{secret:totp_secret}}" in prompts and "{{secret:password}}" in prompts
    steps = steps_json(task)
    assert TOTP_PLACEHOLDER in steps
    for hidden in (verified.extra["code"], secret, user.password):
        assert_absent(hidden, steps=steps, model_requests=prompts, logs=caplog.text)
    assert_absent(verified.extra["code"], task=task.model_dump_json())


class CodeEndpoint:
    """A user's ``totp_verification_url`` on 127.0.0.1: checks each request's signature,
    answers ``{"verification_code": ""}`` ``empty_answers`` times, then ``code`` (or never,
    when ``code`` is None)."""

    def __init__(self, secret: str, code: str | None, *, empty_answers: int = 2) -> None:
        self.code = code
        self.empty_answers = empty_answers
        self.bodies: list[dict[str, Any]] = []
        self.rejected: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    verify(secret, dict(self.headers.items()), raw)
                except WebhookVerificationError as exc:
                    endpoint.rejected.append(str(exc))
                    self._answer(401, {"detail": "bad signature"})
                    return
                endpoint.bodies.append(json.loads(raw))
                ready = endpoint.code is not None and len(endpoint.bodies) > endpoint.empty_answers
                self._answer(200, {"verification_code": endpoint.code if ready else ""})

            def _answer(self, status: int, data: dict[str, Any]) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """Where the task asks for its code."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/2fa/code"

    def stop(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


async def test_a_totp_verification_url_answers_after_a_while(
    model_server: LLMServer,
    sites: FixtureSites,
    chromium_executable: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The URL says "not yet" twice, then gives the code; every ask is signed with the
    embedded agent's webhook secret and names the task and the identifier."""
    watch_logs(caplog)
    code = f"{secrets.randbelow(1_000_000):06d}"
    sites.expect_code(ADA.username, code)
    endpoint = CodeEndpoint(WEBHOOK_SECRET, code)
    model_server.reset(*([model] * 8))
    before = len(sites.submissions)
    agent = agent_for(model_server, tmp_path, chromium_executable)
    try:
        task = await agent.run(
            request_body(
                sites, ADA, totp_verification_url=endpoint.url, totp_identifier="ada@example.com"
            )
        )
    finally:
        await agent.aclose()
        endpoint.stop()

    assert task.status == TaskStatus.completed, (task.failure_reason, task.steps)
    verified = signed_in(sites, before, ADA)
    assert verified.extra["code"] == code
    assert task.extracted_information == {"account_number": verified.extra["account_number"]}
    assert endpoint.rejected == []
    assert endpoint.bodies == [{"task_id": task.task_id, "totp_identifier": "ada@example.com"}] * 3
    steps = steps_json(task)
    assert TOTP_PLACEHOLDER in steps
    assert_absent(
        code,
        steps=steps,
        task=task.model_dump_json(),
        model_requests=without_images(model_server.requests),
        logs=caplog.text,
    )


async def test_a_totp_verification_url_that_never_answers_fails_the_task(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    """No code within totp_timeout: the task fails, naming the URL and the time waited, and
    the bank never gets a code."""
    endpoint = CodeEndpoint(WEBHOOK_SECRET, None)
    model_server.reset(*([model] * 8))
    before = len(sites.submissions)
    agent = agent_for(
        model_server, tmp_path, chromium_executable, totp_timeout=0.6, totp_poll_interval=0.1
    )
    try:
        task = await agent.run(request_body(sites, ADA, totp_verification_url=endpoint.url))
    finally:
        await agent.aclose()
        endpoint.stop()

    assert task.status == TaskStatus.failed
    assert task.failure_reason == (
        f"no verification code from {endpoint.url} within 0.6 s "
        "(last answer: an empty verification_code)"
    )
    assert endpoint.rejected == [] and len(endpoint.bodies) >= 3
    got = new_submissions(sites, before)
    assert "/login/session" in got and "/login/verify" not in got
    assert task.steps[-1].failure_reason == task.failure_reason


def test_a_code_pushed_through_the_http_api_while_the_task_waits(
    model_server: LLMServer, sites: FixtureSites, chromium_executable: str, tmp_path: Path
) -> None:
    """Over HTTP: the task waits on the 2FA page until the user's SMS is pushed to
    /api/v1/totp; the code is taken from the message and the task completes."""
    db = f"sqlite:///{tmp_path / 'api.db'}"

    async def organization() -> NewOrganization:
        store = SQLStore(db)
        await store.open()
        try:
            return await create_organization(store, "Acme Corp")
        finally:
            await store.close()

    acme = anyio.run(organization)
    sites.expect_code(ADA.username, SMS_CODE)
    model_server.reset(*([model] * 8))
    before = len(sites.submissions)
    agent = agent_for(
        model_server, tmp_path, chromium_executable, database_url=db, poll_interval=0.05
    )
    server = UvicornThread(create_app(agent)).start()
    api = httpx.Client(
        base_url=server.url + "/api/v1", headers={"x-api-key": acme.api_key}, timeout=10
    )
    try:
        body = request_body(sites, ADA, totp_identifier="+1 (555) 010-0199")
        created = api.post("/tasks", json=body)
        assert created.status_code == 200, created.text
        task_id = created.json()["task_id"]

        # Waiting on the 2FA page: the model was shown it, and that step is still running.
        deadline = time.monotonic() + 30
        while not any("/login/verify.html" in user_text(r) for r in list(model_server.requests)):
            assert time.monotonic() < deadline, "the task never reached the 2FA page"
            time.sleep(0.05)
        time.sleep(0.5)  # ten polls of the store with nothing to take
        steps = api.get(f"/tasks/{task_id}/steps").json()
        assert [(s["order"], s["status"]) for s in steps] == [(0, "completed"), (1, "running")]
        assert api.get(f"/tasks/{task_id}").json()["status"] == "running"
        assert "/login/verify" not in new_submissions(sites, before)

        sms = f"Your Acme verification code is {SMS_CODE}. Don't share it."
        pushed = api.post("/totp", json={"totp_identifier": "+1 (555) 010-0199", "content": sms})
        assert pushed.status_code == 200, pushed.text
        assert SMS_CODE not in pushed.text  # the answer never echoes the code

        while (task := api.get(f"/tasks/{task_id}").json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline + 30, "the task did not finish"
            time.sleep(0.1)
        steps_text = api.get(f"/tasks/{task_id}/steps").text
    finally:
        api.close()
        server.stop()

    assert task["status"] == "completed", task["failure_reason"]
    verified = signed_in(sites, before, ADA)
    assert verified.extra["code"] == SMS_CODE
    assert task["extracted_information"] == {"account_number": verified.extra["account_number"]}
    assert TOTP_PLACEHOLDER in steps_text
    assert_absent(
        SMS_CODE,
        steps=steps_text,
        task=json.dumps(task),
        model_requests=without_images(model_server.requests),
    )
