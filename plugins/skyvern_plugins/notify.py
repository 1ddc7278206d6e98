"""Built-in notifiers: ``none`` (tell nobody) and ``webhook`` (signed, retried webhooks).

``webhook`` is :class:`skyvern_core.webhooks.WebhookNotifier` on the agent's store: it signs
with the organization's webhook signing secret, or ``SKYVERN_WEBHOOK_SECRET``.
"""

from __future__ import annotations

from skyvern_core.hookspecs import Register, hookimpl
from skyvern_core.models import Task
from skyvern_core.plugins import BackendContext
from skyvern_core.webhooks import WebhookNotifier

__all__ = ["NullNotifier", "register_notifiers", "webhook_notifier"]


class NullNotifier:
    """A notifier that tells nobody (for embedded use without webhooks)."""

    async def notify(self, task: Task) -> None:
        """Do nothing."""


def webhook_notifier(ctx: BackendContext) -> WebhookNotifier:
    """Build the ``webhook`` notifier on the agent's store and settings."""
    return WebhookNotifier(ctx.backend("store"), ctx.settings)


@hookimpl
def register_notifiers(register: Register) -> None:
    """Register ``none`` and ``webhook``."""
    register("none", lambda ctx: NullNotifier())
    register("webhook", webhook_notifier)
