"""skyvern-core: hand an LLM-driven browser agent a goal and a URL, get back a finished task.

The public surface: :class:`Agent` runs tasks; :class:`TaskRequest`, :class:`Task` and
:class:`Step` are the data; :data:`hookimpl` marks a plugin's hooks; the errors live in
:mod:`skyvern_core.errors` and the fakes for tests in :mod:`skyvern_core.testing`.
"""

from __future__ import annotations

from skyvern_core.agent import Agent
from skyvern_core.config import Settings
from skyvern_core.errors import (
    BackendError,
    ConfigurationError,
    InvalidTransitionError,
    NotFoundError,
    SkyvernError,
    UsageError,
)
from skyvern_core.hookspecs import hookimpl
from skyvern_core.models import (
    Decision,
    Extraction,
    PageState,
    ProxyLocation,
    Step,
    StepStatus,
    Task,
    TaskRequest,
    TaskStatus,
    Usage,
)
from skyvern_core.plugins import BackendContext, PluginRegistry
from skyvern_core.runner import RunEvent

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "BackendContext",
    "BackendError",
    "ConfigurationError",
    "Decision",
    "Extraction",
    "InvalidTransitionError",
    "NotFoundError",
    "PageState",
    "PluginRegistry",
    "ProxyLocation",
    "RunEvent",
    "Settings",
    "SkyvernError",
    "Step",
    "StepStatus",
    "Task",
    "TaskRequest",
    "TaskStatus",
    "Usage",
    "UsageError",
    "__version__",
    "hookimpl",
]
