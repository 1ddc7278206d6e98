"""The built-in ``offline`` planner: deterministic rules, no language model.

It is what planner ``auto`` picks when no LLM model is configured.
"""

from __future__ import annotations

from skyvern_core.hookspecs import Register, hookimpl
from skyvern_core.planner import OfflinePlanner
from skyvern_core.plugins import BackendContext

__all__ = ["register_planners"]


@hookimpl
def register_planners(register: Register) -> None:
    """Register ``offline``."""

    def factory(ctx: BackendContext) -> OfflinePlanner:
        return OfflinePlanner(ctx.settings)

    register("offline", factory)
