"""The MCP server through the SDK's own client, over both transports, on the fixture
insurance site with the offline planner in a real Chromium.

- stdio: ``python -m skyvern_core mcp`` as a subprocess, as a desktop client runs it;
- streamable HTTP: ``/mcp`` of the Tasks API app under uvicorn on 127.0.0.1, behind its
  API keys.
"""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, ImageContent, TextContent

from skyvern_core import Agent
from skyvern_core.asgi import create_app
from skyvern_core.auth import NewOrganization, create_organization
from skyvern_core.db.sqlstore import SQLStore
from skyvern_core.testing.sites import FixtureSites
from tests.servers import UvicornThread

pytestmark = pytest.mark.browser

TOOLS = {
    "run_task",
    "submit_task",
    "get_task",
    "list_tasks",
    "get_steps",
    "cancel_task",
    "view_page",
    "get_screenshot",
}
SCHEMA = {
    "type": "object",
    "properties": {
        "monthly_premium": {"type": "string", "pattern": r"^\$[\d,]+\.\d\d$"},
        "quote_number": {"type": "string", "pattern": r"^Q-\d+$"},
    },
    "required": ["monthly_premium", "quote_number"],
}


def quote_task(sites: FixtureSites, email: str) -> dict[str, Any]:
    """A three-step quote on the insurance site, with an extraction at the end."""
    return {
        "url": sites.url("insurance/"),
        "navigation_goal": "Get a car insurance quote with premium coverage",
        "data_extraction_goal": "The monthly premium and the quote number",
        "navigation_payload": {
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
        "extracted_information_schema": SCHEMA,
        "proxy_location": "NONE",
    }


class Progress:
    """Collects a call's progress notifications."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((progress, total, message))


def text(result: CallToolResult) -> str:
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


async def runs_a_quote_with_progress(client: Client, sites: FixtureSites, email: str) -> str:
    """run_task to the end: the details, a notification per step, the steps, the image."""
    listed = await client.list_tools()
    assert {t.name for t in listed.tools} == TOOLS
    run = next(t for t in listed.tools if t.name == "run_task")
    assert {"url", "navigation_goal", "max_cost_usd", "max_tokens", "browser_profile"} <= set(
        run.input_schema["properties"]
    )

    progress = Progress()
    result = await client.call_tool(
        "run_task", quote_task(sites, email), progress_callback=progress
    )
    assert not result.is_error, text(result)
    task = result.structured_content
    assert task is not None
    assert task["status"] == "completed", task["failure_reason"]
    quote = next(s for s in sites.submissions_to("/insurance/quote") if s.fields["email"] == email)
    assert task["extracted_information"]["quote_number"] == quote.reference
    assert quote.fields["vehicle_model"] == "Corolla" and quote.fields["coverage"] == "premium"

    steps = (await client.call_tool("get_steps", {"task_id": task["task_id"]})).structured_content
    assert steps is not None and len(steps["steps"]) >= 3
    # One notification per step, in order, each naming the step and its actions.
    assert [p for p, _, _ in progress.seen] == list(range(1, len(steps["steps"]) + 1))
    assert all(total == task["max_steps"] for _, total, _ in progress.seen)
    messages = [m or "" for _, _, m in progress.seen]
    assert messages[0].startswith(f"step 1/{task['max_steps']}: ")
    assert "input_text" in messages[0] and messages[-1].endswith("→ completed")

    shot = await client.call_tool("get_screenshot", {"task_id": task["task_id"]})
    assert not shot.is_error, text(shot)
    image = shot.content[0]
    assert isinstance(image, ImageContent) and image.mime_type == "image/png"
    assert base64.b64decode(image.data).startswith(b"\x89PNG\r\n\x1a\n")

    listing = (await client.call_tool("list_tasks", {})).structured_content
    assert listing is not None
    assert listing["tasks"][0]["task_id"] == task["task_id"]
    return str(task["task_id"])


async def refuses_bad_input_naming_the_field(client: Client, sites: FixtureSites) -> None:
    go: dict[str, Any] = {"url": sites.url("insurance/"), "navigation_goal": "Go"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"url": "ftp://files.example.test", "navigation_goal": "Look"}, "url:"),
        ({"url": sites.url("insurance/")}, "navigation_goal"),
        ({**go, "proxy_location": "MARS"}, "proxy_location:"),
        (
            {**go, "extracted_information_schema": {"type": "objekt"}},
            "extracted_information_schema:",
        ),
        ({**go, "max_tokens": 0}, "max_tokens:"),
        ({**go, "browser_profile": "../bank"}, "browser_profile:"),
        ({**go, "max_steps": 99}, "max_steps:"),
        ({**go, "max_steps": "many"}, "max_steps"),
    ]
    before = (await client.call_tool("list_tasks", {"page_size": 100})).structured_content
    for arguments, named in cases:
        for tool in ("run_task", "submit_task"):
            result = await client.call_tool(tool, arguments)
            assert result.is_error, (tool, arguments)
            assert named in text(result), text(result)
    after = (await client.call_tool("list_tasks", {"page_size": 100})).structured_content
    assert after == before  # nothing was stored
    missing = await client.call_tool("get_task", {"task_id": "tsk_01NOSUCHTASK"})
    assert missing.is_error and "task_id:" in text(missing) and "not found" in text(missing)


async def views_a_page(client: Client, sites: FixtureSites) -> None:
    seen = await client.call_tool("view_page", {"url": sites.url("insurance/")})
    assert not seen.is_error, text(seen)
    page = text(seen)
    assert "Car insurance quote" in page and "First name" in page
    assert page.rstrip().splitlines()[-1].startswith("Tokens: ")
    shot = await client.call_tool("get_screenshot", {"url": sites.url("insurance/")})
    image = shot.content[0]
    assert isinstance(image, ImageContent)
    assert base64.b64decode(image.data).startswith(b"\x89PNG")
    guarded = await client.call_tool("view_page", {"url": sites.url("captcha/recaptcha.html")})
    assert "CAPTCHA: reCAPTCHA v2 (site key 6LcFixture" in text(guarded)
    neither = await client.call_tool("get_screenshot", {})
    assert neither.is_error and "task_id or url" in text(neither)


# --------------------------------------------------------------------------- stdio


def stdio_server(data_dir: Path, chromium: str) -> StdioServerParameters:
    root = Path(__file__).resolve().parent.parent
    env = {
        "PYTHONPATH": os.pathsep.join([str(root), str(root / "plugins")]),
        "HOME": os.environ["HOME"],
        "SKYVERN_DATA_DIR": str(data_dir),
        "SKYVERN_PLANNER": "offline",
        "SKYVERN_BROWSER_PATH": chromium,
        "SKYVERN_RECORD_VIDEO": "false",
        "SKYVERN_POLL_INTERVAL": "0.1",
        "SKYVERN_NOTIFIER": "none",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    return StdioServerParameters(
        command=sys.executable, args=["-m", "skyvern_core", "mcp"], env=env, cwd=str(root)
    )


async def test_stdio_a_desktop_client_runs_a_task_and_sees_the_page(
    sites: FixtureSites, chromium_executable: str, tmp_path: Path
):
    async with Client(stdio_server(tmp_path / "data", chromium_executable)) as client:
        task_id = await runs_a_quote_with_progress(client, sites, "ada.mcp.stdio@example.test")
        await refuses_bad_input_naming_the_field(client, sites)
        await views_a_page(client, sites)
        # The task is in the command's own store, where the CLI and the API find it.
        details = (await client.call_tool("get_task", {"task_id": task_id})).structured_content
        assert details is not None and details["status"] == "completed"
    assert (tmp_path / "data" / "skyvern.db").is_file()


# --------------------------------------------------------------------------- HTTP


class Served:
    """The Tasks API app (with /mcp) under uvicorn, on Chromium and the offline planner."""

    def __init__(self, tmp: Path, chromium: str) -> None:
        db = f"sqlite:///{tmp / 'api.db'}"

        async def orgs() -> tuple[NewOrganization, NewOrganization]:
            store = SQLStore(db)
            await store.open()
            acme = await create_organization(store, "Acme", max_steps=8, max_cost_usd=1.0)
            globex = await create_organization(store, "Globex")
            await store.close()
            return acme, globex

        self.acme, self.globex = anyio.run(orgs)
        self.agent = Agent(
            driver="playwright",
            planner="offline",
            store="sqlite",
            database_url=db,
            notifier="none",
            data_dir=tmp,
            browser_path=chromium,
            record_video=False,
            poll_interval=0.1,
        )
        self.server = UvicornThread(build=lambda url: create_app(self.agent, base_url=url)).start()
        self.url = self.server.url + "/mcp"

    @asynccontextmanager
    async def client(self, key: str) -> AsyncIterator[Client]:
        async with (
            httpx2.AsyncClient(headers={"x-api-key": key}, timeout=120) as http,
            Client(streamable_http_client(self.url, http_client=http)) as client,
        ):
            yield client


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, chromium_executable: str) -> Iterator[Served]:
    served = Served(tmp_path_factory.mktemp("mcp-http"), chromium_executable)
    yield served
    served.server.stop()


async def test_http_runs_a_task_for_the_keys_organization_only(served: Served, sites: FixtureSites):
    async with served.client(served.acme.api_key) as acme:
        task_id = await runs_a_quote_with_progress(acme, sites, "ada.mcp.http@example.test")
        await refuses_bad_input_naming_the_field(acme, sites)
        # The organization's own limits bound what a caller may ask.
        over = await acme.call_tool(
            "submit_task",
            {"url": sites.url("insurance/"), "navigation_goal": "Go", "max_cost_usd": 5},
        )
        assert over.is_error and "max_cost_usd:" in text(over)
        assert "limit of $1" in text(over)
    async with served.client(served.globex.api_key) as globex:
        # Another organization's task is not found, as over the Tasks API.
        for tool in ("get_task", "get_steps", "cancel_task", "get_screenshot"):
            result = await globex.call_tool(tool, {"task_id": task_id})
            assert result.is_error and "not found" in text(result), (tool, text(result))
        listing = (await globex.call_tool("list_tasks", {})).structured_content
        assert listing == {"tasks": []}
    # The same task over the Tasks API, with the same key.
    async with httpx.AsyncClient() as http:
        api = await http.get(
            f"{served.server.url}/api/v1/tasks/{task_id}",
            headers={"x-api-key": served.acme.api_key},
        )
    assert api.status_code == 200 and api.json()["status"] == "completed"


async def test_http_submit_then_cancel(served: Served, sites: FixtureSites):
    async with served.client(served.acme.api_key) as client:
        submitted = await client.call_tool(
            "submit_task", quote_task(sites, "ada.mcp.cancel@example.test")
        )
        assert not submitted.is_error, text(submitted)
        assert submitted.structured_content is not None
        task_id = submitted.structured_content["task_id"]
        canceled = await client.call_tool("cancel_task", {"task_id": task_id})
        assert not canceled.is_error, text(canceled)
        assert canceled.structured_content is not None
        assert canceled.structured_content["status"] in ("canceled", "running")
        with anyio.fail_after(60):
            while True:
                got = (await client.call_tool("get_task", {"task_id": task_id})).structured_content
                assert got is not None
                if got["status"] == "canceled":
                    break
                await anyio.sleep(0.2)
        again = await client.call_tool("cancel_task", {"task_id": task_id})
        assert again.is_error and "task_id:" in text(again)


async def test_http_views_a_page(served: Served, sites: FixtureSites):
    async with served.client(served.globex.api_key) as client:
        await views_a_page(client, sites)


def test_http_needs_an_api_key(served: Served):
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"accept": "application/json, text/event-stream"}
    missing = httpx.post(served.url, json=body, headers=headers)
    assert missing.status_code == 401 and missing.json() == {"detail": "missing x-api-key header"}
    wrong = httpx.post(served.url, json=body, headers={**headers, "x-api-key": "sk-nope"})
    assert wrong.status_code == 403 and wrong.json() == {"detail": "invalid API key"}
    bearer = httpx.post(
        served.url,
        json=body,
        headers={**headers, "authorization": f"Bearer {served.acme.api_key}"},
    )
    assert bearer.status_code == 200, bearer.text


async def test_http_a_run_the_client_abandons_is_canceled(served: Served, sites: FixtureSites):
    progress = Progress()
    async with served.client(served.acme.api_key) as client:
        with anyio.move_on_after(60) as waited:
            async with anyio.create_task_group() as group:

                async def run() -> None:
                    await client.call_tool(
                        "run_task",
                        quote_task(sites, "ada.mcp.abandon@example.test"),
                        progress_callback=progress,
                    )

                group.start_soon(run)
                while not progress.seen:  # the first step is done: abandon the call
                    await anyio.sleep(0.05)
                group.cancel_scope.cancel()
        assert not waited.cancelled_caught
        listing = (await client.call_tool("list_tasks", {})).structured_content
        assert listing is not None
        task_id = listing["tasks"][0]["task_id"]
        with anyio.fail_after(60):
            while True:
                got = (await client.call_tool("get_task", {"task_id": task_id})).structured_content
                assert got is not None
                if got["status"] != "running":
                    break
                await anyio.sleep(0.2)
    assert got["status"] == "canceled"
    assert not any(
        s.fields.get("email") == "ada.mcp.abandon@example.test"
        for s in sites.submissions_to("/insurance/quote")
    )
