"""An MCP server for skyvern-core, on the official ``mcp`` SDK (the ``mcp`` extra).

``skyvern-core mcp`` serves it over stdio for a desktop MCP client; the Tasks API app
(:func:`skyvern_core.asgi.create_app`) serves it over streamable HTTP at ``/mcp``, behind
the same API keys. Its tools: ``run_task`` (waits for the end, a progress notification per
step), ``submit_task``, ``get_task``, ``list_tasks``, ``get_steps``, ``cancel_task``,
``view_page`` and ``get_screenshot``.
"""

from __future__ import annotations

from skyvern_core.errors import MissingExtraError

try:
    import mcp as _sdk  # noqa: F401
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("mcp", "mcp") from exc

from skyvern_core.mcp.server import (
    ORGANIZATION_SCOPE_KEY,
    McpEndpoint,
    build_server,
    own_organization,
    run_stdio,
)
from skyvern_core.mcp.tools import StepList, TaskList, TaskTools

__all__ = [
    "ORGANIZATION_SCOPE_KEY",
    "McpEndpoint",
    "StepList",
    "TaskList",
    "TaskTools",
    "build_server",
    "own_organization",
    "run_stdio",
]
