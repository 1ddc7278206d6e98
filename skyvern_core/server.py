"""Running the HTTP API and managing organizations from the command line."""

from __future__ import annotations

from dataclasses import dataclass

import anyio

from skyvern_core.agent import Agent
from skyvern_core.auth import NewOrganization, create_organization
from skyvern_core.config import Settings

__all__ = ["OrgCreated", "create_org", "hosted_settings", "run_worker", "serve"]


def hosted_settings(settings: Settings) -> Settings:
    """``settings`` as ``skyvern-core serve`` and ``skyvern-core worker`` run them: what is
    left unset takes the hosted default, for tasks that strangers may write.

    ``refuse_private_networks`` unset becomes true (no private network or loopback) and
    ``upload_dirs`` unset becomes empty (no local file is uploaded; inline files and URLs
    are). A value set explicitly, as an argument or a ``SKYVERN_*`` variable, is kept.
    """
    hosted: dict[str, object] = {}
    if settings.refuse_private_networks is None:
        hosted["refuse_private_networks"] = True
    if settings.upload_dirs is None:
        hosted["upload_dirs"] = []
    if not hosted:
        return settings
    return Settings(**{**settings.model_dump(exclude_unset=True), **hosted})


@dataclass(frozen=True, slots=True)
class OrgCreated:
    """What ``skyvern-core org create`` prints once."""

    organization_id: str
    name: str
    api_key: str
    webhook_signing_secret: str


def create_org(
    name: str, *, settings: Settings | None = None, max_steps: int | None = None
) -> OrgCreated:
    """Create an organization in the configured store; return its key and secret."""

    async def main() -> NewOrganization:
        agent = Agent(settings=settings or Settings())
        try:
            await agent.start(workers=False)
            return await create_organization(agent.store, name, max_steps=max_steps)
        finally:
            await agent.aclose()

    made = anyio.run(main)
    return OrgCreated(
        made.organization.organization_id, name, made.api_key, made.webhook_signing_secret
    )


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: bool = True,
    settings: Settings | None = None,
) -> None:
    """Serve the API with uvicorn on the configured backends (workers in this process
    unless ``workers`` is False, for an API host whose tasks run on worker machines)."""
    import uvicorn

    from skyvern_core.asgi import create_app

    settings = hosted_settings(settings or Settings())
    if settings.public_base_url is None and host not in ("0.0.0.0", "::"):
        settings = Settings(
            **{
                **settings.model_dump(exclude_unset=True),
                "public_base_url": f"http://{host}:{port}",
            }
        )
    agent = Agent(settings=settings)
    uvicorn.run(create_app(agent, workers=workers), host=host, port=port, log_level="info")


def run_worker(*, concurrency: int | None = None, settings: Settings | None = None) -> None:
    """Run queued tasks from the configured store until interrupted (SIGINT or SIGTERM).

    Many worker processes, on many machines, can share one PostgreSQL store: each task is
    claimed by exactly one of them and held by a lease its worker keeps renewing.
    """
    import signal

    settings = hosted_settings(settings or Settings())
    if concurrency is not None:
        settings = Settings(
            **{**settings.model_dump(exclude_unset=True), "concurrency": concurrency}
        )

    async def main() -> None:
        agent = Agent(settings=settings)
        async with agent:
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                async for _ in signals:
                    break

    anyio.run(main)
