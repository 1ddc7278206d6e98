"""Shared fixtures: an isolated HOME and environment, and agents built on the fakes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from skyvern_core import Agent
from skyvern_core.plugins import PluginRegistry
from skyvern_core.testing import (
    InMemoryDriver,
    MemoryArtifactStore,
    RecordingNotifier,
    ScriptedPlanner,
)
from skyvern_core.testing.memory_store import MemoryStore

pytest_plugins = ["skyvern_core.testing.sites.fixtures", "tests.pg"]


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
