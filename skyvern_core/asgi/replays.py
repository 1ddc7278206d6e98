"""The replay routes of the HTTP API: an organization lists and clears its recorded
steps (``GET`` and ``DELETE /api/v1/replays``, optionally ``?flow_key=``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Query
from pydantic import BaseModel

from skyvern_core.replay.admin import ReplayEntrySummary, clear_entries, list_entries

__all__ = ["ReplaysCleared", "add_replay_routes"]


class ReplaysCleared(BaseModel):
    """How many recorded steps were deleted."""

    deleted: int


def add_replay_routes(route: Callable[..., Any], organization: Any, agent: Any) -> None:
    """Add the replay routes with the app's ``route`` decorator and key check."""

    @route(
        "GET",
        "/replays",
        response_model=list[ReplayEntrySummary],
        tags=["replays"],
        summary="The organization's recorded steps, by flow then position",
    )
    async def list_replays(
        org_id: str = Depends(organization),
        flow_key: str | None = Query(default=None, description="Only this flow's steps."),
    ) -> Any:
        return await list_entries(agent.store, org_id, flow_key)

    @route(
        "DELETE",
        "/replays",
        response_model=ReplaysCleared,
        tags=["replays"],
        summary="Delete the organization's recorded steps (of one flow, with flow_key)",
    )
    async def clear_replays(
        org_id: str = Depends(organization),
        flow_key: str | None = Query(default=None, description="Only this flow's steps."),
    ) -> Any:
        return ReplaysCleared(deleted=await clear_entries(agent.store, org_id, flow_key))
