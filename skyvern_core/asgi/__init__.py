"""The optional HTTP adapter: the spec's Tasks API as an ASGI app (``pip install
'skyvern-core[server]'``).

::

    from skyvern_core import Agent
    from skyvern_core.asgi import create_app

    # serve with any ASGI server, or mount it; links start with base_url
    app = create_app(Agent(), base_url="https://agent.example.com")
    host.mount("/agent", create_app(agent, manage_agent=False,
                                    base_url="https://www.example.com/agent"))
"""

from __future__ import annotations

from skyvern_core.errors import MissingExtraError

try:
    import fastapi  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the install
    raise MissingExtraError("fastapi", "server") from exc

from skyvern_core.asgi.app import agent_lifespan, create_app
from skyvern_core.asgi.links import ArtifactLinks

__all__ = ["ArtifactLinks", "agent_lifespan", "create_app"]
