"""What the agent sees of a page: its elements, options and text."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "Element",
    "ElementOption",
    "PageState",
    "PageText",
]


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
