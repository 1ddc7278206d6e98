"""What a planner decides: the actions, a decision, an extraction and their token usage."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "RUNNER_ACTIONS",
    "Action",
    "ActionResult",
    "ActionType",
    "CheckAction",
    "ClickAction",
    "CompleteAction",
    "Decision",
    "ExtractAction",
    "Extraction",
    "GoBackAction",
    "GotoUrlAction",
    "HoverAction",
    "InputTextAction",
    "KeypressAction",
    "ScrollAction",
    "SelectOptionAction",
    "TerminateAction",
    "UploadFileAction",
    "Usage",
    "WaitAction",
]


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
