"""The backends of one agent: named by plugin or given ready, built on first use, closed in
an order that lets each one still write to the store while it closes."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from skyvern_core.config import Settings
from skyvern_core.errors import ConfigurationError
from skyvern_core.models import Task
from skyvern_core.plugins import BACKEND_KINDS, BackendContext, PluginRegistry

__all__ = ["AgentBackends"]

log = logging.getLogger(__name__)


class AgentBackends:
    """An agent's backends, one of each kind of :data:`~skyvern_core.plugins.BACKEND_KINDS`.

    ``given`` maps a kind to a plugin name or a ready instance; a kind not given takes the
    name from ``settings``. ``describe`` fills a task's artifact links; a notifier that
    builds its bodies from the store (``describe`` left ``None``) gets it.
    """

    def __init__(
        self,
        settings: Settings,
        registry: PluginRegistry,
        given: dict[str, Any],
        *,
        describe: Callable[[Task], Awaitable[Task]],
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.given = {kind: value for kind, value in given.items() if value is not None}
        self.built: dict[str, Any] = {}
        self.context = BackendContext(settings, registry, self.get)
        self._describe = describe

    def name(self, kind: str) -> str:
        """The plugin name used for ``kind`` (the ``auto`` planner resolved); a class name
        for an instance given ready."""
        value = self.given.get(kind)
        if value is not None and not isinstance(value, str):
            return type(value).__name__
        name = value or getattr(self.settings, kind)
        if kind == "planner" and name == "auto":
            names = self.registry.names("planner")
            if self.settings.llm_model and "llm" in names:
                return "llm"
            if "offline" in names:
                return "offline"
            raise ConfigurationError(
                "no planner is available: set SKYVERN_LLM_MODEL (with the 'llm' extra "
                "installed) or pass planner= to Agent"
            )
        return str(name)

    def get(self, kind: str) -> Any:
        """The backend of ``kind``, built by its plugin's factory on first use."""
        if kind not in BACKEND_KINDS:
            raise ValueError(f"unknown backend kind {kind!r}")
        if kind in self.built:
            return self.built[kind]
        value = self.given.get(kind)
        if value is None or isinstance(value, str):
            registration = self.registry.get(kind, self.name(kind))
            value = registration.factory(self.context)
        if kind == "notifier" and getattr(value, "describe", False) is None:
            # A notifier that builds bodies from the store (the webhook one) fills the
            # artifact links the way this agent serves them.
            value.describe = self._describe
        self.built[kind] = value
        return value

    async def aclose(self) -> None:
        """Close every backend built so far, each object once, and forget them (the next
        :meth:`get` builds anew); a failure to close one is logged and the rest still close.
        """
        backends = dict(self.built)
        self.built.clear()
        # The planner's own model client too (a planner passed in brings its own); the
        # store last, since the others may still write to it.
        planner = backends.get("planner")
        order = [
            ("driver", backends.get("driver")),
            ("planner", planner),
            ("llm_provider", getattr(planner, "llm", None)),
            ("llm_provider", backends.get("llm_provider")),
            ("notifier", backends.get("notifier")),
            ("artifact_store", backends.get("artifact_store")),
            ("captcha_solver", backends.get("captcha_solver")),
            ("store", backends.get("store")),
        ]
        closed: set[int] = set()
        for kind, backend in order:
            if backend is None or id(backend) in closed:
                continue
            closed.add(id(backend))
            close = getattr(backend, "aclose", None) or getattr(backend, "close", None)
            if not callable(close):
                continue
            try:
                result = close()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.warning("closing the %s failed", kind, exc_info=True)
