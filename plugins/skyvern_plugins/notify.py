"""Built-in notifiers: ``none`` (tell nobody)."""

from __future__ import annotations

from skyvern_core.hookspecs import Register, hookimpl
from skyvern_core.models import Task

__all__ = ["NullNotifier", "register_notifiers"]


class NullNotifier:
    """A notifier that tells nobody (for embedded use without webhooks)."""

    async def notify(self, task: Task) -> None:
        """Do nothing."""


@hookimpl
def register_notifiers(register: Register) -> None:
    """Register ``none``."""
    register("none", lambda ctx: NullNotifier())
