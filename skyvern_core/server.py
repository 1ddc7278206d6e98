"""Running the HTTP API and managing organizations from the command line."""

from __future__ import annotations

from dataclasses import dataclass

import anyio

from skyvern_core.agent import Agent
from skyvern_core.auth import NewOrganization, create_organization
from skyvern_core.config import Settings
from skyvern_core.errors import ConfigurationError, MissingExtraError

__all__ = ["OrgCreated", "create_org", "hosted_settings", "is_loopback", "run_worker", "serve"]


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
    name: str,
    *,
    settings: Settings | None = None,
    max_steps: int | None = None,
    max_cost_usd: float | None = None,
    max_tokens: int | None = None,
) -> OrgCreated:
    """Create an organization in the configured store (with its own limits per task, if
    given); return its key and secret."""

    async def main() -> NewOrganization:
        agent = Agent(settings=settings or Settings())
        try:
            await agent.start(workers=False)
            return await create_organization(
                agent.store,
                name,
                max_steps=max_steps,
                max_cost_usd=max_cost_usd,
                max_tokens=max_tokens,
            )
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
    unless ``workers`` is False, for an API host whose tasks run on worker machines).

    Artifact links start with ``Settings.public_base_url``; on a loopback ``host`` it
    defaults to ``http://host:port``, on any other host it must be set (else
    :class:`~skyvern_core.errors.ConfigurationError`, naming ``SKYVERN_PUBLIC_BASE_URL``).
    """
    try:
        import uvicorn
    except ImportError as exc:
        raise MissingExtraError("uvicorn", "server") from exc

    from skyvern_core.asgi import create_app

    settings = hosted_settings(settings or Settings())
    if settings.public_base_url is None:
        if not is_loopback(host):
            raise ConfigurationError(
                f"serving on {host!r}, which others can reach, needs SKYVERN_PUBLIC_BASE_URL: "
                "the address clients use for this API (e.g. https://agent.example.com), which "
                "artifact links in task details and webhooks start with"
            )
        # Only this machine reaches a loopback host, so its own address is the right one.
        shown = f"[{host}]" if ":" in host else host
        settings = Settings(
            **{
                **settings.model_dump(exclude_unset=True),
                "public_base_url": f"http://{shown}:{port}",
            }
        )
    agent = Agent(settings=settings)
    uvicorn.run(create_app(agent, workers=workers), host=host, port=port, log_level="info")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address to listen on) is only reachable from this
    machine: ``localhost`` or a loopback address."""
    import ipaddress

    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


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
