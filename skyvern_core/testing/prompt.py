"""Reading the LLM planner's step prompt, for fake models that decide from what they get.

A fake model that answers from the prompt (rather than from a fixed script) makes a test
fail when the prompt lacks what a model needs. These helpers read the two parts such a
model looks at, the element lines of the page and the facts; :class:`FormFiller` is such a
model for forms.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from skyvern_core.perception.matching import match_option

__all__ = ["CHOICES", "RUN_ROW", "FormFiller", "PromptElement", "prompt_elements", "prompt_facts"]

_LINE = re.compile(
    r'^(?P<indent> *)(?P<id>(?:f\d+\.)?e\d+) (?P<role>[^\s"(]+)'
    r'(?: "(?P<label>[^"]*)")?(?P<rest>.*)$'
)
_ROW = re.compile(r'^(?P<indent> *)row "(?P<text>[^"]*)":$')
_GROUP = re.compile(r'^ *group "[^"]*":$')
_RUN = re.compile(r"^each row below has: (?P<shape>.*):$")
_RUN_PART = re.compile(
    r'(?P<role>[^\s,"(]+)(?: (?:"(?P<label>[^"]*)"|\(its own name\)))?(?P<rest>[^,]*)'
)
RUN_ROW = re.compile(r"^ +(?P<text>.*?): (?P<ids>(?:f\d+\.)?e\d+(?=[ ,]|$).*)$")
"""A row of a run of alike rows: ``  Wireless Mouse · $24.99: e40 "Wireless Mouse", e41``."""
CHOICES = re.compile(r'^(?P<indent> *)(?P<role>radio|checkbox) (?P<items>(?:f\d+\.)?e\d+ ".*)$')
"""The options of one group or row on one line: ``radio e5 "Mr", e6 "Mrs" checked``."""
_CHOICE = re.compile(r'(?P<id>(?:f\d+\.)?e\d+) "(?P<label>[^"]*)"(?P<rest>[^,]*)')
_RUN_ID = re.compile(r'(?P<id>(?:f\d+\.)?e\d+)(?: "(?P<label>[^"]*)")?')
_FACTS = re.compile(r"^FACTS \(JSON\): (.*)$", re.MULTILINE)
_REF = re.compile(r"<([a-z]+(?: \d+)?)>")


def _ref_names(found: list[tuple[str, str, str, str]]) -> dict[str, str]:
    """What ``<link>`` / ``<link 2>`` in a header's name stand for in one row: that
    control's name (the first, second ... of its role)."""
    names: dict[str, str] = {}
    seen: dict[str, int] = {}
    for role, _, label, _ in found:
        seen[role] = seen.get(role, 0) + 1
        names.setdefault(f"{role} {seen[role]}", label)
    for role, count in seen.items():
        if count == 1:
            names[role] = names[f"{role} 1"]
    return names


class PromptElement(NamedTuple):
    """One element line of the prompt, e.g. ``e4 select "Year" required selected="2019"``."""

    id: str
    role: str
    label: str
    rest: str
    """What follows the label: flags and state (``required``, ``checked``, ``value="…"``)."""
    row: str = ""
    """The text of the row (table row, card, list item) the line sits under, if any."""
    owner: str = ""
    """For an option or menu item listed under its combobox or menu button: that one's id."""

    @property
    def filled(self) -> bool:
        """Whether the line shows a value, a chosen option or a check mark."""
        rest = f" {self.rest} "
        return "value=" in rest or "selected=" in rest or " checked " in rest


def prompt_elements(prompt: str) -> list[PromptElement]:
    """The element lines of a step prompt, in order (an unnamed one, such as a row's
    checkbox named by its row, with the label ``""``), each with the row it sits under
    (``row "…":`` and the lines indented below it) and the element it is listed under
    (a popup's options under their combobox). The options of one group on one line
    (``radio e5 "Mr", e6 "Mrs"``) give one element each. Rows of alike controls written
    once (``each row below has: checkbox (its own name), button "Pay":`` then ``  BILL-7 ·
    $40.00: e52 "Select BILL-7", e53``) give one element per id."""
    out: list[PromptElement] = []
    row: tuple[int, str] | None = None
    parents: list[tuple[int, str]] = []  # (indent, id) of the element lines above
    run: list[tuple[str, str, str]] | None = None  # (role, label, rest) per position
    for line in prompt.splitlines():
        header = _RUN.match(line)
        if header:
            run = [
                (m["role"], m["label"] or "", m["rest"].strip())
                for m in _RUN_PART.finditer(header["shape"])
            ]
            row, parents = None, []
            continue
        compact = RUN_ROW.match(line) if run is not None else None
        if run is not None and compact:
            found = [
                (role, ref["id"], ref["label"] if ref["label"] is not None else label, rest)
                for (role, label, rest), ref in zip(
                    run, _RUN_ID.finditer(compact["ids"]), strict=False
                )
            ]
            names = _ref_names(found)
            for role, ident, own, rest in found:
                own = _REF.sub(lambda m, n=names: n.get(m.group(1), m.group(0)), own)
                flags = f" {rest}" if rest else ""
                out.append(PromptElement(ident, role, own, flags, compact["text"]))
            continue
        run = None
        head = _ROW.match(line)
        if head:
            row = (len(head["indent"]), head["text"])
            parents = []
            continue
        choices = CHOICES.match(line)
        if choices:
            if row is not None and len(choices["indent"]) <= row[0]:
                row = None
            for item in _CHOICE.finditer(choices["items"]):
                out.append(
                    PromptElement(
                        item["id"],
                        choices["role"],
                        item["label"],
                        item["rest"],
                        row[1] if row else "",
                    )
                )
            continue
        m = _LINE.match(line)
        if not m:
            if line.strip() and not _GROUP.match(line):
                row, parents = None, []
            continue
        indent = len(m["indent"])
        if row is not None and indent <= row[0]:
            row = None
        while parents and parents[-1][0] >= indent:
            parents.pop()
        owner = parents[-1][1] if parents and (row is None or parents[-1][0] > row[0]) else ""
        out.append(
            PromptElement(
                m["id"], m["role"], m["label"] or "", m["rest"], row[1] if row else "", owner
            )
        )
        parents.append((indent, m["id"]))
    return out


def prompt_facts(prompt: str) -> dict[str, Any]:
    """The ``navigation_payload`` as the prompt gives it (secrets as placeholders)."""
    found = _FACTS.search(prompt)
    return json.loads(found.group(1)) if found else {}


def _fact(facts: Mapping[str, Any], path: str) -> Any:
    value: Any = facts
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


_SELECTED = re.compile(r'selected="([^"]*)"')


def _means(fact: str, shown: str) -> bool:
    """Whether the option ``shown`` is the one ``fact`` asks for, by the drivers' matching."""
    try:
        match_option(fact, [shown])
    except ValueError:
        return False
    return True


_VALUE = re.compile(r'value="([^"]*)"')


def _shows_a_choice(el: PromptElement) -> bool:
    """Whether a combobox shows a choice: a value that is not its own label repeated nor
    an icon (a careful model reads ``value="▾"`` as nothing chosen)."""
    if el.filled and "value=" not in el.rest:
        return True
    found = _VALUE.search(el.rest)
    text = found.group(1).strip() if found else ""
    return any(c.isalnum() for c in text) and text.casefold() != el.label.strip().casefold()


_TEXT_ROLES = {"textbox", "searchbox", "spinbutton"}


def _plain(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


_CHOICE_ROLES = {"select", "combobox", "listbox"}
_TOGGLE_ROLES = {"checkbox", "radio", "switch"}


@dataclass
class FormFiller:
    """A fake model for the LLM planner that fills forms from the facts, as a careful model
    would, reading nothing but the step prompt.

    Each step it fills every field it has a line for whose label starts with a prefix of
    ``fields`` (case aside) and is not filled yet — typing, choosing, checking (when the
    fact is true) or uploading, by the element's role — with the fact at the mapped key
    (``"vehicle.year"`` reaches into nested facts); each fact goes into the first such
    field only. A select showing the option the fact means (``"MR."`` for ``"mr"``, by
    :func:`~skyvern_core.perception.matching.match_option`) counts as filled. Then it
    clicks the button or link whose label is one of ``submit``; without one, it scrolls
    down when the prompt says the page goes on. When ``done`` shows in the prompt, it says
    the goal is reached.

    Call it with the prompt's text for the answer as JSON; pass it to
    :class:`~skyvern_core.testing.ScriptedLLM` through a lambda reading the request.
    """

    fields: Mapping[str, str]
    submit: Sequence[str]
    done: str

    def decide(self, prompt: str) -> dict[str, Any]:
        """The decision for one step prompt, as the JSON object a model would answer."""
        if self.done in prompt:
            return {"reasoning": "The page shows it is done.", "goal_reached": True, "actions": []}
        facts = prompt_facts(prompt)
        submit_labels = {s.casefold() for s in self.submit}
        actions: list[dict[str, Any]] = []
        submit = None
        used: set[str] = set()
        for el in prompt_elements(prompt):
            label = el.label.casefold()
            if " disabled" in f" {el.rest} ":
                continue
            if el.role in ("button", "link") and label in submit_labels:
                submit = el.id
                continue
            key = next((k for p, k in self.fields.items() if label.startswith(p.casefold())), None)
            value = _fact(facts, key) if key else None
            if value is None or key in used:
                continue
            used.add(str(key))  # one field per fact: a second "Cabin class" is a duplicate
            action = self._fill(el, value)
            if action is not None:
                actions.append(action)
        if submit is not None:
            actions.append({"type": "click", "element_id": submit})
        elif "\nFurther down" in prompt:
            actions.append({"type": "scroll", "direction": "down"})
        return {
            "reasoning": "Fill what the facts give, then go on.",
            "goal_reached": False,
            "actions": actions,
        }

    @staticmethod
    def _fill(el: PromptElement, value: Any) -> dict[str, Any] | None:
        if el.role in _CHOICE_ROLES:
            # A select shows what is chosen ("MR." for the fact "mr": the same option, as
            # the drivers match it); a combobox shows the text of its choice.
            shown = _SELECTED.search(el.rest)
            if (shown and _means(str(value), shown.group(1))) or (
                el.role == "combobox" and _shows_a_choice(el)
            ):
                return None
            return {"type": "select_option", "element_id": el.id, "option": str(value)}
        if el.role in _TEXT_ROLES:
            # A field prefilled with something else (today's date) is typed over; one
            # showing the fact, as the page rewrote it (capitals, spacing), is left.
            found = _VALUE.search(el.rest)
            if found and _plain(found.group(1)) == _plain(str(value)):
                return None
            if el.filled and not found:
                return None
            return {"type": "input_text", "element_id": el.id, "text": str(value)}
        if el.filled:
            return None
        if el.role == "file":
            return {"type": "upload_file", "element_id": el.id, "file": str(value)}
        if el.role in _TOGGLE_ROLES and value is True:
            return {"type": "check", "element_id": el.id, "checked": True}
        return None

    def __call__(self, prompt: str) -> str:
        """The decision for one step prompt, as JSON text."""
        return json.dumps(self.decide(prompt))
