"""Reading the LLM planner's step prompt, for fake models that decide from what they get.

A fake model that answers from the prompt (rather than from a fixed script) makes a test
fail when the prompt lacks what a model needs. These helpers read the two parts such a
model looks at: the element lines of the page and the facts.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

__all__ = ["PromptElement", "prompt_elements", "prompt_facts"]

_LINE = re.compile(
    r'^(?P<id>(?:f\d+\.)?e\d+) (?P<role>\S+) "(?P<label>[^"]*)"(?P<rest>.*)$', re.MULTILINE
)
_FACTS = re.compile(r"^FACTS \(JSON\): (.*)$", re.MULTILINE)


class PromptElement(NamedTuple):
    """One element line of the prompt, e.g. ``e4 select "Year" required selected="2019"``."""

    id: str
    role: str
    label: str
    rest: str
    """What follows the label: flags and state (``required``, ``checked``, ``value="…"``)."""

    @property
    def filled(self) -> bool:
        """Whether the line shows a value, a chosen option or a check mark."""
        rest = f" {self.rest} "
        return "value=" in rest or "selected=" in rest or " checked " in rest


def prompt_elements(prompt: str) -> list[PromptElement]:
    """The element lines of a step prompt that have a label, in order."""
    return [PromptElement(*m.group("id", "role", "label", "rest")) for m in _LINE.finditer(prompt)]


def prompt_facts(prompt: str) -> dict[str, Any]:
    """The ``navigation_payload`` as the prompt gives it (secrets as placeholders)."""
    found = _FACTS.search(prompt)
    return json.loads(found.group(1)) if found else {}
