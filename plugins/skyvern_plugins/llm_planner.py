"""The built-in ``llm`` planner: decisions from the configured LLM provider."""

from __future__ import annotations

from skyvern_core.hookspecs import Register, hookimpl
from skyvern_core.planner import LLMPlanner
from skyvern_core.plugins import BackendContext

__all__ = ["register_planners"]


@hookimpl
def register_planners(register: Register) -> None:
    """Register ``llm``."""

    def factory(ctx: BackendContext) -> LLMPlanner:
        return LLMPlanner(ctx.backend("llm_provider"), ctx.settings)

    register("llm", factory)
