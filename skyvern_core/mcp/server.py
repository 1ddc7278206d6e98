"""The MCP server: its tools on the official SDK, over stdio or streamable HTTP.

- :func:`build_server` makes the :class:`mcp.server.mcpserver.MCPServer` of an agent.
- :func:`run_stdio` is ``skyvern-core mcp``: one agent, its own organization, its workers
  in the same process, until the client closes stdin.
- :class:`McpEndpoint` is the streamable HTTP endpoint the Tasks API app mounts at
  ``/mcp``: a call is authenticated by API key like every route of the API and sees only
  that key's organization.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from skyvern_core.agent import Agent
from skyvern_core.auth import resolve_key
from skyvern_core.config import Settings
from skyvern_core.mcp.tools import OrganizationOf, TaskTools

__all__ = [
    "ORGANIZATION_SCOPE_KEY",
    "McpEndpoint",
    "build_server",
    "own_organization",
    "run_stdio",
]

log = logging.getLogger(__name__)

ORGANIZATION_SCOPE_KEY = "skyvern.organization_id"
"""Where :class:`McpEndpoint` leaves the authenticated organization in the ASGI scope."""

INSTRUCTIONS = (
    "Drive a real browser with skyvern-core. run_task opens the url, works towards the "
    "navigation_goal step by step (facts in navigation_payload) and answers the "
    "data_extraction_goal; it returns when the task ends. submit_task queues one instead; "
    "follow it with get_task and get_steps. view_page shows what the agent sees of a page, "
    "get_screenshot what the browser shows."
)


def build_server(agent: Agent, organization_of: OrganizationOf) -> MCPServer:
    """The MCP server of ``agent``: the tools of ``TaskTools`` (see the table above), each
    call's organization found by ``organization_of``."""
    from importlib.metadata import version

    tools = TaskTools(agent, organization_of)
    server: MCPServer = MCPServer(
        "skyvern-core",
        title="skyvern-core browser agent",
        instructions=INSTRUCTIONS,
        version=version("skyvern-core"),
        log_level="WARNING",
    )
    for tool in (
        tools.run_task,
        tools.submit_task,
        tools.get_task,
        tools.list_tasks,
        tools.get_steps,
        tools.cancel_task,
        tools.view_page,
        tools.get_screenshot,
    ):
        server.add_tool(tool)
    return server


def own_organization(agent: Agent) -> OrganizationOf:
    """Every call acts for the agent's own organization (``Agent(organization=...)``): for
    a local transport, where whoever runs the command owns the agent."""

    async def organization_of(ctx: Context) -> str:
        await agent.start(workers=False)  # opens the store; the organization exists then
        assert agent.organization_id is not None
        return agent.organization_id

    return organization_of


def _scope_organization(ctx: Context) -> str | None:
    request = ctx.request_context.request
    scope = getattr(request, "scope", None)
    found = scope.get(ORGANIZATION_SCOPE_KEY) if isinstance(scope, dict) else None
    return found if isinstance(found, str) else None


async def _scope_organization_of(ctx: Context) -> str:
    org_id = _scope_organization(ctx)
    if org_id is None:
        raise ToolError("not authenticated: call this server with an x-api-key header")
    return org_id


def _api_key(headers: dict[bytes, bytes]) -> str | None:
    key = headers.get(b"x-api-key")
    if key:
        return key.decode("latin-1").strip()
    auth = headers.get(b"authorization", b"").decode("latin-1").strip()
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


class McpEndpoint:
    """The streamable HTTP transport of the MCP server, as an ASGI app.

    Each request needs an API key, in ``x-api-key`` as on every route of the Tasks API (or
    as ``Authorization: Bearer <key>``, which MCP clients send for remote servers): a
    missing key is a 401, an unknown one a 403, both JSON as the API answers them. Requests
    are stateless (no MCP session is kept between them), so any API process behind a load
    balancer can answer any call. :meth:`running` must be entered (the app's lifespan does)
    for it to answer; otherwise it answers 503, saying so.
    """

    KEY_CACHE_SECONDS = 30.0

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.server = build_server(agent, _scope_organization_of)
        self._manager: Any = None
        self._keys: dict[str, tuple[str, float]] = {}

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Serve MCP requests for as long as the context lasts (each run gets a fresh
        session manager: the SDK's runs once)."""
        self.server.streamable_http_app(stateless_http=True)
        manager = self.server.session_manager
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def _organization(self, key: str) -> str | None:
        now = time.monotonic()
        hit = self._keys.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        org_id = await resolve_key(self.agent.store, key)
        if org_id is not None:
            if len(self._keys) > 10_000:
                self._keys.clear()
            self._keys[key] = (org_id, now + self.KEY_CACHE_SECONDS)
        return org_id

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Authenticate the request, then hand it to the SDK's transport."""
        if scope["type"] != "http":
            return
        if self._manager is None:
            await _json(
                send,
                503,
                "the MCP endpoint is not running: serve the app with its lifespan, or enter "
                "agent_lifespan(agent, app=app) in the host's",
            )
            return
        headers = dict(scope.get("headers") or [])
        key = _api_key(headers)
        if not key:
            await _json(send, 401, "missing x-api-key header")
            return
        org_id = await self._organization(key)
        if org_id is None:
            await _json(send, 403, "invalid API key")
            return
        scope[ORGANIZATION_SCOPE_KEY] = org_id
        await self._manager.handle_request(scope, receive, send)


async def _json(send: Any, status: int, detail: str) -> None:
    import json

    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def run_stdio(settings: Settings | None = None, *, organization: str = "default") -> None:
    """``skyvern-core mcp``: serve the tools over stdin and stdout with an agent on the
    configured backends (its worker pool runs the submitted tasks), acting for
    ``organization``. Logs go to stderr; stdout carries only the protocol."""
    import anyio

    agent = Agent(settings=settings or Settings(), organization=organization)
    server = build_server(agent, own_organization(agent))

    async def main() -> None:
        async with agent:
            await server.run_stdio_async()

    anyio.run(main)
