"""Every hook a skyvern-core plugin can implement.

Hooks only register factories; the objects the factories build do the (async) work. Each
hook receives ``register(name, factory)``; a factory takes a
:class:`~skyvern_core.plugins.BackendContext` and returns the backend. Example::

    from skyvern_core import hookimpl

    @hookimpl
    def register_notifiers(register):
        register("file", lambda ctx: FileNotifier(ctx.settings.data_dir / "done.log"))

The hooks are called through pluggy's hook caller, each plugin's implementation in a call
of its own (so a plugin whose hook raises is reported without hiding the others). Hook
wrappers (``@hookimpl(wrapper=True)``) therefore run around each plugin's call, and
``register`` (a :class:`~skyvern_core.plugins.Registrar`) tells them whose call it is
(``register.plugin``) and, after their ``yield``, what it registered
(``register.registered``). ``PluginManager.add_hookcall_monitoring`` and ``trace`` see
every call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

__all__ = [
    "PROJECT_NAME",
    "Register",
    "hookimpl",
    "hookspec",
    "register_artifact_stores",
    "register_captcha_solvers",
    "register_drivers",
    "register_llm_providers",
    "register_notifiers",
    "register_planners",
    "register_stores",
]

PROJECT_NAME = "skyvern_core"
"""The pluggy project name, also the entry-point group plugins are published under."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

Register = Callable[[str, Callable[[Any], Any]], None]
"""``register(name, factory)``: the callback every hook receives."""


@hookspec
def register_drivers(register: Register) -> None:
    """Register browser driver factories (``factory(ctx) -> BrowserDriver``)."""


@hookspec
def register_stores(register: Register) -> None:
    """Register store factories (``factory(ctx) -> Store``)."""


@hookspec
def register_planners(register: Register) -> None:
    """Register planner factories (``factory(ctx) -> Planner``)."""


@hookspec
def register_llm_providers(register: Register) -> None:
    """Register LLM provider factories (``factory(ctx) -> LLMProvider``)."""


@hookspec
def register_notifiers(register: Register) -> None:
    """Register notifier factories (``factory(ctx) -> Notifier``)."""


@hookspec
def register_artifact_stores(register: Register) -> None:
    """Register artifact store factories (``factory(ctx) -> ArtifactStore``)."""


@hookspec
def register_captcha_solvers(register: Register) -> None:
    """Register CAPTCHA solver factories (``factory(ctx) -> CaptchaSolver``), chosen with
    ``SKYVERN_CAPTCHA_SOLVER``."""
