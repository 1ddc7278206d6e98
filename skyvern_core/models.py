"""The data of skyvern-core: task requests, tasks, steps, actions, page states, decisions.

These are plain pydantic models, independent of any store. Status changes go through
:func:`check_task_transition` and :func:`check_step_transition`, the one place that knows
the lifecycle; stores call them, so an illegal change raises wherever it is attempted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import jsonschema
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from skyvern_core.errors import InvalidTransitionError
from skyvern_core.schemacheck import check_patterns

__all__ = [
    "MAX_STEPS_LIMIT",
    "Action",
    "ActionResult",
    "ActionType",
    "Artifact",
    "ArtifactKind",
    "CheckAction",
    "ClickAction",
    "CompleteAction",
    "Decision",
    "DeliveryStatus",
    "Element",
    "ElementOption",
    "ExtractAction",
    "Extraction",
    "GoBackAction",
    "GotoUrlAction",
    "HoverAction",
    "InputLimits",
    "InputTextAction",
    "KeypressAction",
    "Organization",
    "PageState",
    "PageText",
    "ProxyLocation",
    "ScrollAction",
    "SelectOptionAction",
    "Step",
    "StepStatus",
    "Task",
    "TaskRequest",
    "TaskStatus",
    "TerminateAction",
    "TotpCode",
    "UploadFileAction",
    "Usage",
    "WaitAction",
    "WebhookAttempt",
    "WebhookDelivery",
    "check_step_transition",
    "check_task_transition",
    "utcnow",
]


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


# --------------------------------------------------------------------------- statuses


class TaskStatus(StrEnum):
    """The lifecycle of a task: created → queued → running → a final status."""

    created = "created"
    queued = "queued"
    running = "running"
    completed = "completed"
    terminated = "terminated"
    failed = "failed"
    canceled = "canceled"

    @property
    def is_final(self) -> bool:
        """Whether no further change is allowed."""
        return self in _FINAL_TASK

    @property
    def is_cancelable(self) -> bool:
        """Whether a cancel request applies to a task in this status."""
        return self in (TaskStatus.created, TaskStatus.queued, TaskStatus.running)


_FINAL_TASK = frozenset(
    {TaskStatus.completed, TaskStatus.terminated, TaskStatus.failed, TaskStatus.canceled}
)

TASK_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.created: frozenset({TaskStatus.queued, TaskStatus.failed, TaskStatus.canceled}),
    TaskStatus.queued: frozenset({TaskStatus.running, TaskStatus.failed, TaskStatus.canceled}),
    # Back to the queue: its worker shut down, or was lost, before the task ended.
    TaskStatus.running: _FINAL_TASK | {TaskStatus.queued},
    **{final: frozenset() for final in _FINAL_TASK},
}


class StepStatus(StrEnum):
    """The lifecycle of a step: created → running → a final status."""

    created = "created"
    running = "running"
    completed = "completed"
    failed = "failed"
    canceled = "canceled"

    @property
    def is_final(self) -> bool:
        """Whether no further change is allowed."""
        return self in (StepStatus.completed, StepStatus.failed, StepStatus.canceled)


STEP_TRANSITIONS: dict[StepStatus, frozenset[StepStatus]] = {
    StepStatus.created: frozenset({StepStatus.running, StepStatus.failed, StepStatus.canceled}),
    StepStatus.running: frozenset({StepStatus.completed, StepStatus.failed, StepStatus.canceled}),
    StepStatus.completed: frozenset(),
    StepStatus.failed: frozenset(),
    StepStatus.canceled: frozenset(),
}


def check_task_transition(current: TaskStatus | str, new: TaskStatus | str) -> None:
    """Raise :class:`InvalidTransitionError` unless a task may go from ``current`` to ``new``."""
    cur, nxt = TaskStatus(current), TaskStatus(new)
    if nxt not in TASK_TRANSITIONS[cur]:
        raise InvalidTransitionError("task", cur.value, nxt.value)


def check_step_transition(current: StepStatus | str, new: StepStatus | str) -> None:
    """Raise :class:`InvalidTransitionError` unless a step may go from ``current`` to ``new``."""
    cur, nxt = StepStatus(current), StepStatus(new)
    if nxt not in STEP_TRANSITIONS[cur]:
        raise InvalidTransitionError("step", cur.value, nxt.value)


def task_predecessors(new: TaskStatus) -> list[TaskStatus]:
    """The statuses from which a task may move to ``new`` (for compare-and-set updates)."""
    return [cur for cur, allowed in TASK_TRANSITIONS.items() if new in allowed]


# --------------------------------------------------------------------------- requests

MAX_STEPS_LIMIT = 10_000
"""The largest step limit a task may ask for."""


class ProxyLocation(StrEnum):
    """Where a task's browser traffic should come from (``NONE``: direct)."""

    RESIDENTIAL = "RESIDENTIAL"
    RESIDENTIAL_ISP = "RESIDENTIAL_ISP"
    RESIDENTIAL_ES = "RESIDENTIAL_ES"
    RESIDENTIAL_IE = "RESIDENTIAL_IE"
    RESIDENTIAL_GB = "RESIDENTIAL_GB"
    RESIDENTIAL_IN = "RESIDENTIAL_IN"
    RESIDENTIAL_JP = "RESIDENTIAL_JP"
    RESIDENTIAL_FR = "RESIDENTIAL_FR"
    RESIDENTIAL_DE = "RESIDENTIAL_DE"
    RESIDENTIAL_NZ = "RESIDENTIAL_NZ"
    RESIDENTIAL_ZA = "RESIDENTIAL_ZA"
    RESIDENTIAL_AR = "RESIDENTIAL_AR"
    RESIDENTIAL_AU = "RESIDENTIAL_AU"
    RESIDENTIAL_BR = "RESIDENTIAL_BR"
    RESIDENTIAL_TR = "RESIDENTIAL_TR"
    RESIDENTIAL_CA = "RESIDENTIAL_CA"
    RESIDENTIAL_MX = "RESIDENTIAL_MX"
    RESIDENTIAL_IT = "RESIDENTIAL_IT"
    RESIDENTIAL_NL = "RESIDENTIAL_NL"
    RESIDENTIAL_PH = "RESIDENTIAL_PH"
    RESIDENTIAL_KR = "RESIDENTIAL_KR"
    RESIDENTIAL_SA = "RESIDENTIAL_SA"
    US_CA = "US-CA"
    US_NY = "US-NY"
    US_TX = "US-TX"
    US_FL = "US-FL"
    US_WA = "US-WA"
    NONE = "NONE"


def check_http_url(value: str, field: str) -> str:
    """Return ``value`` if it is an absolute http(s) URL, else raise ``ValueError``."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{field} must be an absolute http or https URL, got {value!r}")
    if not parts.hostname:
        raise ValueError(f"{field} has no host: {value!r}")
    return value.strip()


@dataclass(frozen=True, slots=True)
class InputLimits:
    """How large the parts of a task request may be (see the ``max_*`` settings).

    A :class:`TaskRequest` is held to them when it is validated with
    ``context={"limits": limits}``, as :class:`~skyvern_core.Agent` and the HTTP API do with
    their settings' limits (``Settings.input_limits``); without that context only the
    request's own rules apply.
    """

    goal_chars: int
    payload_bytes: int
    schema_bytes: int
    pattern_chars: int


def _limits(info: ValidationInfo) -> InputLimits | None:
    context = info.context
    found = context.get("limits") if isinstance(context, dict) else None
    return found if isinstance(found, InputLimits) else None


def _json_size(value: Any) -> int:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return len(text.encode("utf-8"))


class TaskRequest(BaseModel):
    """What a caller asks the agent to do: every field of the spec's task request.

    ``max_steps`` is the Python equivalent of the HTTP header ``x-max-steps-override``.
    Size limits (:class:`InputLimits`) apply when the request is validated with them in its
    context, as the agent does.
    """

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    url: str = Field(description="Where the browser starts; an absolute http or https URL.")
    navigation_goal: str | None = Field(
        default=None, description="What the agent should achieve, in plain words."
    )
    data_extraction_goal: str | None = Field(
        default=None, description="What to extract once the navigation goal is reached."
    )
    navigation_payload: Any = Field(
        default=None,
        description="Facts the agent may use (any JSON). A file to upload may be given "
        'inline as {"$file": {"name": "cv.pdf", "content_base64": "..."}}.',
    )
    webhook_callback_url: str | None = Field(
        default=None, description="Called with a signed POST when the task ends."
    )
    proxy_location: ProxyLocation = Field(
        default=ProxyLocation.NONE, description="Where the traffic should come from."
    )
    extracted_information_schema: dict[str, Any] | bool | None = Field(
        default=None, description="A JSON Schema the extracted information must satisfy."
    )
    totp_verification_url: str | None = Field(
        default=None, description="An endpoint that gives the 2FA code when asked."
    )
    totp_identifier: str | None = Field(
        default=None, description="The e-mail or phone number whose codes are pushed to us."
    )
    max_steps: int | None = Field(
        default=None,
        gt=0,
        le=MAX_STEPS_LIMIT,
        description="Overrides the configured maximum number of steps.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_http_url(value, "url")

    @field_validator("webhook_callback_url", "totp_verification_url")
    @classmethod
    def _optional_url(cls, value: str | None, info: Any) -> str | None:
        if value is None or value == "":
            return None
        return check_http_url(value, info.field_name)

    @field_validator("navigation_payload")
    @classmethod
    def _inline_files(cls, value: Any) -> Any:
        from skyvern_core.uploads import check_inline_files

        check_inline_files(value)
        return value

    @field_validator("navigation_goal", "data_extraction_goal")
    @classmethod
    def _goal_size(cls, value: str | None, info: ValidationInfo) -> str | None:
        limits = _limits(info)
        if value is not None and limits is not None and len(value) > limits.goal_chars:
            raise ValueError(
                f"{info.field_name} has {len(value)} characters; the limit is "
                f"{limits.goal_chars} (SKYVERN_MAX_GOAL_CHARS)"
            )
        return value

    @field_validator("navigation_payload")
    @classmethod
    def _payload_size(cls, value: Any, info: ValidationInfo) -> Any:
        limits = _limits(info)
        if value is not None and limits is not None:
            from skyvern_core.uploads import split_files

            # Inline files are held to upload_max_bytes (and the request to its own
            # limit), not to the size of the facts the model reads.
            size = _json_size(split_files(value)[0])
            if size > limits.payload_bytes:
                raise ValueError(
                    f"navigation_payload is {size} bytes as JSON (inline files aside); the "
                    f"limit is {limits.payload_bytes} (SKYVERN_MAX_PAYLOAD_BYTES)"
                )
        return value

    @field_validator("extracted_information_schema", mode="before")
    @classmethod
    def _schema(cls, value: Any, info: ValidationInfo) -> Any:
        limits = _limits(info)
        if isinstance(value, str) and limits is not None:
            # Measured before parsing, so an oversized string is never parsed.
            if len(value.encode("utf-8")) > limits.schema_bytes:
                raise ValueError(
                    f"extracted_information_schema is over {limits.schema_bytes} bytes as JSON "
                    "(SKYVERN_MAX_SCHEMA_BYTES)"
                )
        if isinstance(value, str):
            # Existing clients send the schema as a JSON string as often as an object.
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"extracted_information_schema is not valid JSON: {exc}") from exc
        if value is None:
            return None
        if not isinstance(value, dict | bool):
            raise ValueError("extracted_information_schema must be a JSON Schema object")
        if limits is not None:
            size = _json_size(value)
            if size > limits.schema_bytes:
                raise ValueError(
                    f"extracted_information_schema is {size} bytes as JSON; the limit is "
                    f"{limits.schema_bytes} (SKYVERN_MAX_SCHEMA_BYTES)"
                )
        # Before check_schema, which compiles every pattern itself.
        check_patterns(value, limits.pattern_chars if limits is not None else None)
        validator = jsonschema.validators.validator_for(value)
        try:
            validator.check_schema(value)
        except jsonschema.SchemaError as exc:
            where = "/".join(str(p) for p in exc.path) or "(root)"
            raise ValueError(
                f"extracted_information_schema is not a valid JSON Schema at {where}: {exc.message}"
            ) from exc
        return value

    @model_validator(mode="after")
    def _has_goal(self) -> TaskRequest:
        if (
            not (self.navigation_goal or "").strip()
            and not (self.data_extraction_goal or "").strip()
        ):
            raise ValueError("a task needs a navigation_goal, a data_extraction_goal, or both")
        return self


# --------------------------------------------------------------------------- accounting


class Usage(BaseModel):
    """Tokens and money spent on one or more model calls."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = Field(default=None, description="US dollars, where the price is known.")

    def __add__(self, other: Usage) -> Usage:
        if self.cost is None and other.cost is None:
            cost = None
        else:
            cost = (self.cost or 0.0) + (other.cost or 0.0)
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost=cost,
        )


# --------------------------------------------------------------------------- actions


class ActionType(StrEnum):
    """Every kind of action a planner may decide."""

    click = "click"
    input_text = "input_text"
    select_option = "select_option"
    check = "check"
    upload_file = "upload_file"
    scroll = "scroll"
    keypress = "keypress"
    hover = "hover"
    wait = "wait"
    go_back = "go_back"
    goto_url = "goto_url"
    extract = "extract"
    complete = "complete"
    terminate = "terminate"


class _ActionBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reasoning: str | None = Field(default=None, description="Why this action, in a sentence.")


class ClickAction(_ActionBase):
    """Click an element."""

    type: Literal["click"] = "click"
    element_id: str


class InputTextAction(_ActionBase):
    """Clear a field, type text into it and check the value stuck."""

    type: Literal["input_text"] = "input_text"
    element_id: str
    text: str


class SelectOptionAction(_ActionBase):
    """Choose an option of a native select or a custom combobox, by label or value."""

    type: Literal["select_option"] = "select_option"
    element_id: str
    option: str


class CheckAction(_ActionBase):
    """Tick (``checked=True``) or untick a checkbox, radio or switch."""

    type: Literal["check"] = "check"
    element_id: str
    checked: bool = True


class UploadFileAction(_ActionBase):
    """Give a file input a file: a placeholder ``{{file:<path>}}`` of an inline file of
    ``navigation_payload``, an http(s) URL, or a local path in an allowed upload folder
    (the runner checks and fetches it; the driver receives a local copy)."""

    type: Literal["upload_file"] = "upload_file"
    element_id: str
    file: str


class ScrollAction(_ActionBase):
    """Scroll the page (or an element into view)."""

    type: Literal["scroll"] = "scroll"
    direction: Literal["up", "down"] = "down"
    element_id: str | None = None


class KeypressAction(_ActionBase):
    """Press a key (Enter, Tab, Escape, ArrowDown...), optionally on an element."""

    type: Literal["keypress"] = "keypress"
    key: str
    element_id: str | None = None


class HoverAction(_ActionBase):
    """Move the pointer over an element."""

    type: Literal["hover"] = "hover"
    element_id: str


class WaitAction(_ActionBase):
    """Wait a short, bounded time for the page to settle."""

    type: Literal["wait"] = "wait"
    seconds: float = Field(default=1.0, ge=0, le=10)


class GoBackAction(_ActionBase):
    """Go back one page in history."""

    type: Literal["go_back"] = "go_back"


class GotoUrlAction(_ActionBase):
    """Open a URL in the current tab."""

    type: Literal["goto_url"] = "goto_url"
    url: str


class ExtractAction(_ActionBase):
    """Extract per the task's data_extraction_goal now (handled by the runner)."""

    type: Literal["extract"] = "extract"


class CompleteAction(_ActionBase):
    """The goal shows on the page: finish (extraction follows, handled by the runner)."""

    type: Literal["complete"] = "complete"


class TerminateAction(_ActionBase):
    """The goal cannot be reached; ``reason`` becomes the task's failure reason."""

    type: Literal["terminate"] = "terminate"
    reason: str


Action = Annotated[
    ClickAction
    | InputTextAction
    | SelectOptionAction
    | CheckAction
    | UploadFileAction
    | ScrollAction
    | KeypressAction
    | HoverAction
    | WaitAction
    | GoBackAction
    | GotoUrlAction
    | ExtractAction
    | CompleteAction
    | TerminateAction,
    Field(discriminator="type"),
]
"""Any action; the ``type`` field tells which."""

RUNNER_ACTIONS = frozenset({ActionType.complete, ActionType.terminate, ActionType.extract})


class ActionResult(BaseModel):
    """What happened when an action ran, as checked on the page afterwards."""

    success: bool
    error: str | None = Field(default=None, description="Why it failed, readable by a person.")
    data: dict[str, Any] = Field(default_factory=dict, description="Driver-specific details.")
    screenshot_artifact_id: str | None = None


class Decision(BaseModel):
    """A planner's answer for one step: what it thinks and what to do next."""

    reasoning: str = ""
    actions: list[Action] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)

    @property
    def is_complete(self) -> bool:
        """Whether the planner says the goal is reached."""
        return any(a.type == ActionType.complete for a in self.actions)

    @property
    def termination(self) -> TerminateAction | None:
        """The terminate action, if the planner gave up."""
        return next((a for a in self.actions if isinstance(a, TerminateAction)), None)


class Extraction(BaseModel):
    """Extracted information, what it cost, and what it was read from."""

    data: Any = None
    usage: Usage = Field(default_factory=Usage)
    chunks: int = Field(
        default=1, ge=0, description="Parts the page was read in (one model call each)."
    )
    page_tokens: int | None = Field(
        default=None, description="Tokens of the page text the model was given, all parts."
    )
    source: Literal["document", "page"] | None = Field(
        default=None,
        description="'document': the whole page as the session read it; 'page': the text "
        "in view of the page state (a session that cannot read the whole page).",
    )

    def record(self) -> dict[str, Any]:
        """What the step's record says about the extraction (``ActionResult.data``)."""
        out: dict[str, Any] = {"chunks": self.chunks}
        if self.page_tokens is not None:
            out["tokens"] = self.page_tokens
        if self.source is not None:
            out["source"] = self.source
        return out


# --------------------------------------------------------------------------- page


class ElementOption(BaseModel):
    """One choice of a select, listbox or combobox."""

    value: str = ""
    label: str = ""
    selected: bool = False


class Element(BaseModel):
    """An interactable element as the agent sees it."""

    id: str = Field(description="Stable across snapshots of the same element.")
    role: str = Field(description="Tag or ARIA role: button, link, textbox, checkbox...")
    label: str = ""
    type: str | None = Field(default=None, description="The input type, where there is one.")
    value: str | None = None
    checked: bool | None = None
    options: list[ElementOption] | None = None
    required: bool = False
    disabled: bool = False
    visibility: Literal["visible", "offscreen", "covered", "hidden"] = "visible"
    frame: str | None = Field(default=None, description="The frame path; None for the top page.")
    locator: str | None = Field(default=None, description="Finds the element again from the top.")
    new: bool = Field(default=False, description="Not present at the previous step.")
    row: str | None = Field(
        default=None,
        description="The table row, card or list item it is in ('r3', 'f1.r2'): elements of "
        "one row share it. None outside rows, or in a row with no text of its own.",
    )
    context: str = Field(
        default="",
        description="That row's own text (its cells joined with ' · ', the text of its "
        "controls left out): what the control is about.",
    )
    owner: str | None = Field(
        default=None,
        description="For an option or menu item shown in a popup: the id of the combobox, "
        "listbox or button it belongs to.",
    )
    attributes: dict[str, str] = Field(default_factory=dict)


class PageText(BaseModel):
    """A run of the page's own text, between its controls, in reading order."""

    text: str
    level: int = Field(default=0, ge=0, le=6, description="Heading level 1-6; 0 for body text.")
    at: int = Field(
        default=0,
        ge=0,
        description="Where it sits: before PageState.elements[at] (at the end when at equals "
        "the number of elements).",
    )
    in_view: bool = Field(default=True, description="In the viewport; else only a heading.")
    above: bool = Field(default=False, description="Above the viewport (scrolled past).")
    in_form: bool = Field(
        default=False, description="Inside a form or dialog: instructions, help, a unit."
    )


class PageState(BaseModel):
    """What the driver saw of the page at the start of a step."""

    url: str
    title: str = ""
    elements: list[Element] = Field(default_factory=list)
    text: str = Field(default="", description="Headings, messages and errors: where we are.")
    content: str = Field(
        default="",
        description="The text in view (with the headings and messages), for extraction.",
    )
    screenshot: bytes | None = Field(
        default=None,
        exclude=True,
        repr=False,
        description="The viewport as the model sees it (PNG or JPEG bytes).",
    )
    tabs: list[str] = Field(default_factory=list)
    texts: list[PageText] = Field(
        default_factory=list,
        description="The text between the controls in reading order: all of it in the "
        "viewport, the headings elsewhere.",
    )

    def element(self, element_id: str) -> Element | None:
        """Return the element with that id, if the page has one."""
        return next((e for e in self.elements if e.id == element_id), None)


# --------------------------------------------------------------------------- records


class Organization(BaseModel):
    """A tenant: owns tasks, API keys and a webhook signing secret."""

    organization_id: str
    name: str
    webhook_signing_secret: str | None = Field(default=None, repr=False)
    max_steps: int | None = Field(default=None, description="Per-organization step limit.")
    created_at: datetime = Field(default_factory=utcnow)


class ArtifactKind(StrEnum):
    """What an artifact holds."""

    action_screenshot = "action_screenshot"
    final_screenshot = "final_screenshot"
    recording = "recording"
    trace = "trace"
    download = "download"
    other = "other"


class Artifact(BaseModel):
    """A file kept for a task: a screenshot, a recording, a download..."""

    artifact_id: str
    task_id: str
    organization_id: str
    step_id: str | None = None
    kind: ArtifactKind
    uri: str = Field(description="Where the artifact store keeps it.")
    content_type: str = "application/octet-stream"
    size: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class Step(BaseModel):
    """One round of see → decide → act. A retry is a new step with the same ``order``."""

    step_id: str
    task_id: str
    organization_id: str
    status: StepStatus = StepStatus.created
    order: int
    retry_index: int = 0
    attempt: int = Field(
        default=1, ge=1, description="The run of the task this step belongs to (1, 2, ...)."
    )
    input_token_count: int = 0
    output_token_count: int = 0
    cost: float | None = None
    reasoning: str | None = None
    actions: list[Action] = Field(default_factory=list)
    action_results: list[ActionResult] = Field(default_factory=list)
    failure_reason: str | None = None
    page_url: str | None = None
    is_last: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    modified_at: datetime = Field(default_factory=utcnow)


class Task(BaseModel):
    """A task and everything known about its run.

    The ``*_url`` fields are filled when the task is read through an :class:`~skyvern_core.Agent`
    (they depend on where the artifacts are served); the store keeps artifact IDs.
    """

    task_id: str
    organization_id: str
    status: TaskStatus = TaskStatus.created
    request: TaskRequest
    max_steps: int
    attempt: int = Field(
        default=1,
        ge=1,
        description="Which run of the task this is: a task whose worker was lost or shut "
        "down runs again from its start URL as attempt 2, and so on.",
    )
    extracted_information: Any = None
    failure_reason: str | None = None
    screenshot_artifact_id: str | None = None
    recording_artifact_id: str | None = None
    action_screenshot_artifact_ids: list[str] = Field(
        default_factory=list, description="The latest action screenshots, newest first."
    )
    proxy_note: str | None = Field(default=None, description="How the proxy request was met.")
    input_token_count: int = 0
    output_token_count: int = 0
    cost: float | None = None
    worker_id: str | None = None
    lease_expires_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    modified_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    screenshot_url: str | None = None
    recording_url: str | None = None
    action_screenshot_urls: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)

    @property
    def url(self) -> str:
        """The start URL of the request."""
        return self.request.url


# --------------------------------------------------------------------------- webhooks, 2FA


class DeliveryStatus(StrEnum):
    """The lifecycle of a webhook delivery: pending → delivered | failed (final)."""

    pending = "pending"
    delivered = "delivered"
    failed = "failed"

    @property
    def is_final(self) -> bool:
        """Whether no further attempt will be made."""
        return self is not DeliveryStatus.pending

    def check_next_attempt(self, next_attempt_at: datetime | None) -> None:
        """Raise ValueError when a delivery left ``pending`` has no time for its next try."""
        if self is DeliveryStatus.pending and next_attempt_at is None:
            raise ValueError("a delivery left pending needs a next_attempt_at")


class WebhookDelivery(BaseModel):
    """One notification of a finished task to its ``webhook_callback_url``.

    ``payload`` is the JSON body the latest attempt sent (empty until the first attempt):
    each attempt builds it from the task as the store holds it then, and signs it afresh.
    A task has at most one delivery per URL; it is recorded in the same transaction that
    gives the task its final status, so no finished task goes without one.
    """

    delivery_id: str
    task_id: str
    organization_id: str
    url: str
    payload: str = Field(default="", description="The JSON body the latest attempt sent.")
    status: DeliveryStatus = DeliveryStatus.pending
    attempts: int = Field(default=0, ge=0, description="Attempts made so far.")
    next_attempt_at: datetime | None = Field(
        default_factory=utcnow,
        description="When a pending delivery is (re)sent; None once it is final.",
    )
    last_error: str | None = Field(default=None, description="Why the last attempt failed.")
    created_at: datetime = Field(default_factory=utcnow)
    modified_at: datetime = Field(default_factory=utcnow)


class WebhookAttempt(BaseModel):
    """One attempt to send a webhook delivery, as recorded in the store."""

    delivery_id: str
    attempt: int = Field(ge=1, description="1 for the first attempt, then 2, 3...")
    at: datetime = Field(description="When the attempt started.")
    http_status: int | None = Field(default=None, description="None when no answer came.")
    error: str | None = Field(default=None, description="Why it failed; None if delivered.")
    duration_ms: float = Field(default=0.0, ge=0)


class TotpCode(BaseModel):
    """A one-time code pushed for a ``totp_identifier``; given out once, before it expires."""

    totp_id: str
    organization_id: str
    totp_identifier: str
    task_id: str | None = Field(
        default=None, description="The task the code was pushed for; None: any task."
    )
    code: str = Field(repr=False)
    expires_at: datetime
    source_text_hash: str | None = Field(
        default=None, description="SHA-256 of the SMS or e-mail text the code came from."
    )
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = None
