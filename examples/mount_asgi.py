"""Mount the Tasks API in an existing FastAPI app, under ``/agent``.

The host app keeps its own routes; the agent's routes live under ``/agent/api/v1/...``.
Mounted apps get no lifespan of their own, so the host's lifespan starts and stops the
agent (and its workers) with ``agent_lifespan``.

    uvicorn examples.mount_asgi:app --port 8000
    skyvern-core org create "My team"            # prints the API key to use
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from skyvern_core import Agent
from skyvern_core.asgi import agent_lifespan, create_app

agent = Agent()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the agent for as long as the host app runs."""
    async with agent_lifespan(agent):
        yield


app = FastAPI(title="My existing app", lifespan=lifespan)


@app.get("/health")
def health() -> dict[str, str]:
    """The host app's own route."""
    return {"status": "ok"}


app.mount("/agent", create_app(agent, manage_agent=False))
