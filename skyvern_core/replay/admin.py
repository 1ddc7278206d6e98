"""Listing and clearing an organization's replay entries: for the command line
(``skyvern-core replays list|clear``) and the HTTP API (``GET|DELETE /api/v1/replays``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from skyvern_core.errors import NotFoundError, UsageError
from skyvern_core.models import ReplayEntry
from skyvern_core.storage import ReplayStore

__all__ = [
    "ReplayEntrySummary",
    "clear_entries",
    "list_entries",
    "main_clear",
    "main_list",
    "summary",
]


class ReplayEntrySummary(BaseModel):
    """One recorded step as listed: where it is, what it does, how it has fared."""

    flow_key: str
    position: int
    entry_id: str
    start_url: str
    goal: str
    url_pattern: str
    actions: list[str] = Field(description='Each action as ``type role "name"``.')
    replays: int
    heals: int
    heal_streak: int
    demoted: bool
    source_task_id: str | None = None
    created_at: datetime
    modified_at: datetime


def summary(entry: ReplayEntry) -> ReplayEntrySummary:
    """The listing of an entry (its values stay templates: nothing of a payload is shown)."""
    return ReplayEntrySummary(
        flow_key=entry.flow_key,
        position=entry.position,
        entry_id=entry.entry_id,
        start_url=entry.start_url,
        goal=entry.goal,
        url_pattern=entry.fingerprint.url_pattern,
        actions=[
            a.type + (f" {a.target.describe()}" if a.target is not None else "")
            for a in entry.actions
        ],
        replays=entry.replays,
        heals=entry.heals,
        heal_streak=entry.heal_streak,
        demoted=entry.demoted,
        source_task_id=entry.source_task_id,
        created_at=entry.created_at,
        modified_at=entry.modified_at,
    )


async def list_entries(
    store: ReplayStore, organization_id: str, flow_key: str | None = None
) -> list[ReplayEntrySummary]:
    """An organization's entries (of one flow), listed."""
    return [summary(e) for e in await store.list_replay_entries(organization_id, flow_key)]


async def clear_entries(
    store: ReplayStore, organization_id: str, flow_key: str | None = None
) -> int:
    """Delete an organization's entries (of one flow); how many were deleted."""
    return await store.delete_replay_entries(organization_id, flow_key)


async def with_configured_store(organization_id: str | None, work: Any) -> Any:
    """``await work(store, organization_id)`` on the configured store (the embedded
    organization when none is given), for the command line."""
    from skyvern_core.agent import Agent
    from skyvern_core.config import Settings

    agent = Agent(settings=Settings())
    try:
        await agent.start(workers=False)
        org = organization_id or agent.organization_id
        assert org is not None
        try:
            await agent.store.get_organization(org)
        except NotFoundError:
            raise UsageError(f"no organization {org!r} in the configured store") from None
        return await work(agent.store, org)
    finally:
        await agent.aclose()


def main_list(organization_id: str | None, flow_key: str | None, *, as_json: bool) -> int:
    """``skyvern-core replays list``: print the entries of the configured store."""
    import anyio

    async def work(store: ReplayStore, org: str) -> list[ReplayEntrySummary]:
        return await list_entries(store, org, flow_key)

    found: list[ReplayEntrySummary] = anyio.run(with_configured_store, organization_id, work)
    if as_json:
        print(json.dumps([s.model_dump(mode="json") for s in found], indent=2))
        return 0
    if not found:
        print("No replay entries.")
        return 0
    flow = None
    for item in found:
        if item.flow_key != flow:
            flow = item.flow_key
            print(f"{flow}  {item.start_url}  {item.goal!r}")
        state = "demoted" if item.demoted else f"replayed {item.replays}, healed {item.heals}"
        print(f"  {item.position + 1:>3}. {item.url_pattern}  ({state})")
        for action in item.actions:
            print(f"         {action}")
    return 0


def main_clear(organization_id: str | None, flow_key: str | None) -> int:
    """``skyvern-core replays clear``: delete entries of the configured store."""
    import anyio

    async def work(store: ReplayStore, org: str) -> int:
        return await clear_entries(store, org, flow_key)

    count: int = anyio.run(with_configured_store, organization_id, work)
    print(f"Deleted {count} replay entr{'y' if count == 1 else 'ies'}.")
    return 0
