"""Shared fixtures: an isolated HOME and environment, agents built on the fakes, and a
Playwright driver with a fresh session per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from skyvern_core import Agent
from skyvern_core.config import Settings
from skyvern_core.plugins import PluginRegistry
from skyvern_core.protocols import SessionOptions
from skyvern_core.testing import (
    InMemoryDriver,
    MemoryArtifactStore,
    RecordingNotifier,
    ScriptedPlanner,
)
from skyvern_core.testing.memory_store import MemoryStore
from skyvern_plugins.playwright.driver import PlaywrightDriver, PlaywrightSession

pytest_plugins = ["skyvern_core.testing.sites.fixtures", "tests.pg", "tests.site_browser"]


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Browsers and tools write under HOME; settings come from SKYVERN_*: isolate both."""
    home = tmp_path_factory.mktemp("home")
    os.environ["HOME"] = str(home)
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    for name in list(os.environ):
        if name.startswith("SKYVERN_"):
            del os.environ[name]


@pytest.fixture
def make_agent(tmp_path: Path) -> Callable[..., Agent]:
    """Build an Agent on the in-memory fakes; keyword arguments override backends/settings."""

    def build(**kwargs: Any) -> Agent:
        kwargs.setdefault("driver", InMemoryDriver())
        kwargs.setdefault("store", MemoryStore())
        kwargs.setdefault("planner", ScriptedPlanner())
        kwargs.setdefault("artifact_store", MemoryArtifactStore())
        kwargs.setdefault("notifier", RecordingNotifier())
        kwargs.setdefault("registry", PluginRegistry(entry_points=False))
        kwargs.setdefault("data_dir", tmp_path / "data")
        kwargs.setdefault("poll_interval", 0.05)
        return Agent(**kwargs)

    return build


@pytest.fixture
async def agent_cleanup() -> AsyncIterator[list[Agent]]:
    """Agents appended here are closed after the test."""
    agents: list[Agent] = []
    yield agents
    for agent in agents:
        await agent.aclose()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def driver() -> AsyncIterator[PlaywrightDriver]:
    """One Chromium for the whole module (a module may define its own ``driver``)."""
    drv = PlaywrightDriver(Settings())
    await drv.start()
    yield drv
    await drv.close()


@pytest_asyncio.fixture(loop_scope="session")
async def session(driver: PlaywrightDriver, tmp_path: Path) -> AsyncIterator[PlaywrightSession]:
    """A fresh browser context per test, without video."""
    sess = await driver.new_session(
        SessionOptions(task_id="t", artifact_dir=tmp_path, record_video=False)
    )
    yield sess
    await sess.close()
