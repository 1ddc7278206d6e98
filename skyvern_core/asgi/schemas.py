"""The shapes of the HTTP API: request bodies and responses, as the spec documents them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from skyvern_core.models import ProxyLocation, Step, Task, TaskRequest
from skyvern_core.present import REQUEST_FIELDS
from skyvern_core.secrets import split_secrets

__all__ = [
    "CreateTaskResponse",
    "StepResponse",
    "TaskDetails",
    "TaskListItem",
    "TaskRequestBody",
    "TotpBody",
    "TotpResponse",
    "step_response",
    "task_details",
    "task_list_item",
]

# Extensions of the request, shown only when a task gives them.
EXTRA_REQUEST_FIELDS = ("replay", "replay_key", "browser_profile")


class TaskRequestBody(TaskRequest):
    """``POST /tasks``: the task request. Over HTTP a missing (or null) ``proxy_location``
    means ``RESIDENTIAL``, as the spec asks callers to pass; a value outside the list is
    still refused."""

    proxy_location: ProxyLocation = Field(
        default=ProxyLocation.RESIDENTIAL,
        description="Where the traffic should come from (RESIDENTIAL, US-CA, ..., NONE); "
        "default RESIDENTIAL.",
    )

    @field_validator("proxy_location", mode="before")
    @classmethod
    def _missing_is_residential(cls, value: Any) -> Any:
        # Clients that build the body from optional fields send null for "not given".
        return ProxyLocation.RESIDENTIAL if value is None else value


class CreateTaskResponse(BaseModel):
    """The id of the task just created."""

    task_id: str


class TaskDetails(BaseModel):
    """``GET /tasks/{task_id}``: the spec's task details."""

    request: dict[str, Any]
    task_id: str
    status: str
    created_at: datetime
    modified_at: datetime
    extracted_information: Any = None
    screenshot_url: str | None = None
    recording_url: str | None = None
    action_screenshot_urls: list[str] = Field(default_factory=list)
    failure_reason: str | None = None
    max_steps: int
    input_token_count: int = 0
    output_token_count: int = 0
    cost: float | None = None
    proxy_note: str | None = None
    replayed_steps: int = Field(
        default=0, description="Steps decided by a replay, without the model (an extension)."
    )
    max_cost_usd: float | None = Field(
        default=None, description="The task's cost limit in US dollars; null: none."
    )
    max_tokens: int | None = Field(default=None, description="The task's token limit; null: none.")


class TaskListItem(TaskDetails):
    """An item of ``GET /tasks``: the task details with the request's fields also flat."""

    model_config = ConfigDict(extra="allow")

    url: str
    navigation_goal: str | None = None
    data_extraction_goal: str | None = None
    navigation_payload: Any = None
    webhook_callback_url: str | None = None
    proxy_location: str | None = None
    extracted_information_schema: Any = None
    totp_verification_url: str | None = None
    totp_identifier: str | None = None


class StepResponse(BaseModel):
    """A step of ``GET /tasks/{task_id}/steps``."""

    organization_id: str
    task_id: str
    step_id: str
    status: str
    order: int
    retry_index: int
    input_token_count: int
    output_token_count: int
    cost: float | None = None
    is_last: bool
    created_at: datetime
    modified_at: datetime
    failure_reason: str | None = None
    reasoning: str | None = None
    page_url: str | None = None
    actions: list[dict[str, Any]] = Field(default_factory=list)
    action_results: list[dict[str, Any]] = Field(default_factory=list)
    decided_by: str | None = Field(
        default=None,
        description="How the step was decided: model, replay or healed (an extension).",
    )


class TotpBody(BaseModel):
    """``POST /totp``: a code, or the whole SMS or e-mail holding one."""

    model_config = ConfigDict(extra="forbid")

    totp_identifier: str = Field(min_length=1, description="The e-mail or phone number.")
    content: str = Field(min_length=1, description="The code or the message that holds it.")
    task_id: str | None = None


class TotpResponse(BaseModel):
    """The code was taken; it is used once and expires."""

    totp_identifier: str
    expires_at: datetime


def _request(task: Task) -> dict[str, Any]:
    data = task.request.model_dump(mode="json")
    # Secrets were given once, at creation: every answer after it shows their placeholders.
    data["navigation_payload"] = split_secrets(data.get("navigation_payload"))[0]
    shown = {name: data.get(name) for name in REQUEST_FIELDS}
    shown.update({name: data[name] for name in EXTRA_REQUEST_FIELDS if data.get(name) is not None})
    return shown


def task_details(task: Task) -> TaskDetails:
    """The response body for a task."""
    return TaskDetails(
        request=_request(task),
        task_id=task.task_id,
        status=task.status.value,
        created_at=task.created_at,
        modified_at=task.modified_at,
        extracted_information=task.extracted_information,
        screenshot_url=task.screenshot_url,
        recording_url=task.recording_url,
        action_screenshot_urls=task.action_screenshot_urls,
        failure_reason=task.failure_reason,
        max_steps=task.max_steps,
        input_token_count=task.input_token_count,
        output_token_count=task.output_token_count,
        cost=task.cost,
        proxy_note=task.proxy_note,
        replayed_steps=task.replayed_steps,
        max_cost_usd=task.max_cost_usd,
        max_tokens=task.max_tokens,
    )


def task_list_item(task: Task) -> TaskListItem:
    """A list item: the details plus the request's fields flat."""
    details = task_details(task).model_dump()
    return TaskListItem(**details, **details["request"])


def step_response(step: Step) -> StepResponse:
    """The response body for a step."""
    data = step.model_dump(mode="json")
    return StepResponse(**{k: data[k] for k in StepResponse.model_fields if k in data})
