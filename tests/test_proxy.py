"""A task's proxy_location picks the proxy of its own browser context."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skyvern_core import Agent, TaskRequest, TaskStatus
from skyvern_core.models import Extraction
from skyvern_core.testing import ScriptedPlanner
from tests.servers import ForwardProxy

pytestmark = pytest.mark.browser

# A host name that resolves nowhere: the page can only come through the proxy.
SHOP = "http://shop.proxied.test/catalog"


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    running = ForwardProxy()
    yield running
    running.stop()


def title_planner() -> ScriptedPlanner:
    return ScriptedPlanner(extractions=[lambda ctx: Extraction(data={"title": ctx.page.title})])


def make_agent(
    data_dir: Path,
    chromium: str,
    proxies: dict[str, str],
    planner: Any = None,
    driver: str = "playwright",
) -> Agent:
    """An embedded agent on a real Chromium with these proxy locations (no retries)."""
    return Agent(
        driver=driver,
        planner=planner or title_planner(),
        store="sqlite",
        notifier="none",
        data_dir=data_dir,
        browser_path=chromium,
        record_video=False,
        max_retries=0,
        proxies=proxies,
    )


def test_each_task_gets_the_proxy_of_its_location(
    proxy: ForwardProxy, tmp_path: Path, chromium_executable: str
):
    agent = make_agent(tmp_path, chromium_executable, {"RESIDENTIAL_GB": proxy.url})
    proxied = agent.run_sync(
        TaskRequest(
            url=SHOP, data_extraction_goal="The page title", proxy_location="RESIDENTIAL_GB"
        )
    )
    assert proxied.status == TaskStatus.completed, proxied.failure_reason
    assert proxied.extracted_information == {"title": "Proxied Shop"}
    assert proxied.proxy_note == "proxy for RESIDENTIAL_GB"
    assert SHOP in proxy.requests

    # The same browser, another task with no proxy: its own context goes direct, where
    # the host does not resolve.
    agent = make_agent(tmp_path, chromium_executable, {"RESIDENTIAL_GB": proxy.url})
    seen = len(proxy.requests)
    direct = agent.run_sync(TaskRequest(url=SHOP, data_extraction_goal="The page title"))
    assert direct.status == TaskStatus.failed
    assert "shop.proxied.test" in direct.failure_reason
    assert len(proxy.requests) == seen

    # A location without a configured proxy runs direct and says so.
    agent = make_agent(tmp_path, chromium_executable, {})
    unmapped = agent.run_sync(
        TaskRequest(url=SHOP, data_extraction_goal="The page title", proxy_location="US-CA")
    )
    assert unmapped.proxy_note == "no proxy is configured for US-CA; the task ran direct"
