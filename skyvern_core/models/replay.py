"""What a replay entry keeps: one recorded step of a flow, free of snapshot ids and secrets.

An entry is written when a task completes (see :mod:`skyvern_core.replay`), one per step
whose actions all verified. It holds the page's fingerprint before the step, each action
with a :class:`LocatorBundle` to find its element again on a later run, the values typed
as templates bound to ``navigation_payload`` keys (``{{payload:first_name}}``), and what
the checks saw. A secret's value or a one-time code is never in it: a secret appears only
as its placeholder (``{{secret:password}}``), a code only as ``{{totp_code}}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from skyvern_core.models.status import utcnow

__all__ = [
    "LocatorBundle",
    "PageFingerprint",
    "RecordedAction",
    "ReplayEntry",
    "ReplayExtraction",
]


class LocatorBundle(BaseModel):
    """Ways to find an element again on a later run, none of them a snapshot id.

    ``name`` is the accessible name (the label a person reads), with payload values as
    templates; ``field_name``, ``placeholder`` and ``dom_id`` are the element's own
    attributes; ``css`` is its path inside its document, ``frame`` the locator of the
    iframe(s) it is in and ``shadow`` the paths of the shadow hosts above it; ``text`` is
    the text of the row or card it sits in; ``ordinal`` counts the elements of the same
    role and name before it, ``alike`` all of them, ``index`` those of the same role
    before it.
    """

    role: str
    name: str = ""
    tag: str | None = None
    input_type: str | None = None
    field_name: str | None = None
    placeholder: str | None = None
    dom_id: str | None = None
    css: str | None = None
    frame: str | None = None
    shadow: list[str] = Field(default_factory=list)
    text: str = ""
    ordinal: int = Field(default=0, ge=0)
    alike: int = Field(default=1, ge=1)
    index: int = Field(default=0, ge=0)

    def describe(self) -> str:
        """``textbox "First name"``: how the element reads in a reason or a hint."""
        return f'{self.role} "{self.name}"' if self.name else self.role


class RecordedAction(BaseModel):
    """One action of a recorded step: its kind, the element it acted on, and its value.

    ``value`` is the text typed, the option chosen, the file given, the URL opened or the
    key pressed, as a template (``{{payload:email}}``); ``params`` holds the action's
    other fields (``checked``, ``direction``, ``seconds``). ``verified`` is what the check
    of its effect reported (the option chosen, where the browser went), templated alike.
    """

    type: str
    target: LocatorBundle | None = None
    value: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    verified: dict[str, Any] = Field(default_factory=dict)


class PageFingerprint(BaseModel):
    """What a page looked like before a step: its URL pattern and its interactive
    elements' roles and names (ids and classes left out), sorted, with ``digest`` over
    both."""

    url_pattern: str
    elements: list[str] = Field(default_factory=list)
    digest: str


class ReplayExtraction(BaseModel):
    """An extraction made on the last step, reusable only on a page whose content has the
    same digest."""

    content_digest: str
    data: Any = None


class ReplayEntry(BaseModel):
    """One recorded step of a flow (``flow_key``) of one organization, at ``position``.

    ``replays`` counts the runs that replayed it, ``heals`` those where the planner had to
    decide it again; ``heal_streak`` counts those heals in a row, and once it reaches the
    deployment's ``replay_demote_after`` the entry is ``demoted``: the step goes back to the
    model until it records again.
    """

    entry_id: str
    organization_id: str
    flow_key: str
    position: int = Field(ge=0)
    start_url: str = Field(description="The flow's start URL, normalized.")
    goal: str = Field(default="", description="The navigation goal, payload values as keys.")
    planner: str = Field(default="", description="The signature of the planner that decided it.")
    fingerprint: PageFingerprint
    actions: list[RecordedAction] = Field(default_factory=list)
    reasoning: str = ""
    next_url_pattern: str | None = Field(
        default=None, description="Where the step led, if it left the page."
    )
    extraction: ReplayExtraction | None = None
    source_task_id: str | None = None
    replays: int = Field(default=0, ge=0)
    heals: int = Field(default=0, ge=0)
    heal_streak: int = Field(default=0, ge=0)
    demoted: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    modified_at: datetime = Field(default_factory=utcnow)
