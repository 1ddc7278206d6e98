"""The browser profile routes of the HTTP API: an organization lists its profiles
(``GET /api/v1/profiles``) and deletes one (``DELETE /api/v1/profiles/{name}``). A profile's
state (its cookies and local storage) is never sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Depends, HTTPException, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field

from skyvern_core.errors import ProfileInUseError
from skyvern_core.models import PROFILE_NAME_PATTERN, BrowserProfile

__all__ = ["ProfileSummary", "add_profile_routes"]


class ProfileSummary(BaseModel):
    """A browser profile as listed: everything but its state."""

    name: str
    version: int = Field(description="How many times a task saved it.")
    size: int = Field(description="Bytes of its sealed state.")
    saved_by_task_id: str | None = Field(description="The task that saved it last.")
    holder_task_id: str | None = Field(description="The task using it now, if any.")
    created_at: datetime
    modified_at: datetime

    @classmethod
    def of(cls, profile: BrowserProfile) -> ProfileSummary:
        """The summary of a stored profile."""
        return cls.model_validate(profile.model_dump(exclude={"sealed_state"}))


def add_profile_routes(route: Callable[..., Any], organization: Any, agent: Any) -> None:
    """Add the profile routes with the app's ``route`` decorator and key check."""

    @route(
        "GET",
        "/profiles",
        response_model=list[ProfileSummary],
        tags=["profiles"],
        summary="The organization's browser profiles, by name",
    )
    async def list_profiles(org_id: str = Depends(organization)) -> Any:
        return [ProfileSummary.of(p) for p in await agent.store.list_profiles(org_id)]

    @route(
        "DELETE",
        "/profiles/{name}",
        status_code=204,
        response_class=Response,
        tags=["profiles"],
        summary="Delete a browser profile (409 while a task uses it)",
        responses={404: {"description": "No such profile"}, 409: {"description": "In use"}},
    )
    async def delete_profile(
        org_id: str = Depends(organization),
        name: str = Path(pattern=PROFILE_NAME_PATTERN, description="The profile's name."),
    ) -> Response:
        try:
            await agent.store.delete_profile(org_id, name)
        except ProfileInUseError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from exc
        return Response(status_code=204)
