"""Agent.aclose closes every backend it holds, the planner's model client included."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from skyvern_core import Agent
from skyvern_core.testing import MemoryArtifactStore, ScriptedLLM, ScriptedPlanner


class ClosingLLM(ScriptedLLM):
    """A model client that knows whether it was closed (synchronously, as some are)."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class ClosingPlanner(ScriptedPlanner):
    """A planner holding its own model client; closed with ``aclose``."""

    def __init__(self, llm: Any) -> None:
        super().__init__()
        self.llm = llm
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1


class ClosingArtifacts(MemoryArtifactStore):
    """An artifact store with connections to close."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    async def close(self) -> None:
        self.closed += 1


async def test_aclose_closes_the_planner_its_model_and_the_artifact_store(
    make_agent: Callable[..., Agent],
) -> None:
    llm = ClosingLLM()
    planner = ClosingPlanner(llm)
    artifacts = ClosingArtifacts()
    agent = make_agent(planner=planner, artifact_store=artifacts, llm_provider=llm)
    task = await agent.run(url="https://example.test/", navigation_goal="Look")
    assert task.status.is_final
    await agent.aclose()
    # Each object once, though the model is both the planner's and the agent's provider.
    assert (planner.closed, llm.closed, artifacts.closed) == (1, 1, 1)


async def test_aclose_goes_on_when_one_backend_fails_to_close(
    make_agent: Callable[..., Agent],
) -> None:
    class Broken(ClosingPlanner):
        async def aclose(self) -> None:
            raise RuntimeError("socket already gone")

    artifacts = ClosingArtifacts()
    agent = make_agent(planner=Broken(ClosingLLM()), artifact_store=artifacts)
    await agent.run(url="https://example.test/", navigation_goal="Look")
    await agent.aclose()
    assert artifacts.closed == 1
