"""Mount the Tasks API in an existing FastAPI app, under ``/agent``.

The host app keeps its own routes; the agent's routes live under ``/agent/api/v1/...``.
Mounted apps get no lifespan of their own, so the host's lifespan starts and stops the
agent (and its workers) with ``agent_lifespan``, given the mounted app so that webhooks
carry its artifact links.

    uvicorn examples.mount_asgi:app --port 8000
    skyvern-core org create "My team"            # prints the API key to use

Artifact links in task details and webhooks start with the address clients use, given
here as ``base_url`` (``PUBLIC_URL`` plus the mount prefix; ``SKYVERN_PUBLIC_BASE_URL``
works too). It is configuration only: no request can change it. Without it the API
carries no artifact links and logs a warning.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from skyvern_core import Agent
from skyvern_core.asgi import agent_lifespan, create_app

agent = Agent()
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000")
api = create_app(agent, manage_agent=False, base_url=PUBLIC_URL + "/agent")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the agent for as long as the host app runs, its webhooks linking to ``api``."""
    async with agent_lifespan(agent, app=api):
        yield


app = FastAPI(title="My existing app", lifespan=lifespan)


@app.get("/health")
def health() -> dict[str, str]:
    """The host app's own route."""
    return {"status": "ok"}


app.mount("/agent", api)
