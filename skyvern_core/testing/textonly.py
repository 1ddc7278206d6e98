"""A fake model that reads only the text of what the LLM planner sends: never a screenshot.

:class:`TextOnlyModel` answers both kinds of request the planner makes — a step's decision
and an extraction — from their text alone, the way a model without vision (or one whose
images were dropped) would. A test that drives a task with it fails when the text lacks
what the task needs: a row's data beside its controls, a row below the fold, every row of
a table in the extraction request.

It takes the request as the OpenAI chat-completions JSON a local model server receives
(``messages`` with text and ``image_url`` parts), so it can stand behind a real litellm
provider; :meth:`TextOnlyModel.answer` takes the prompt text directly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from skyvern_core.testing.extraction import TableExtractor
from skyvern_core.testing.prompt import FormFiller, PromptElement, prompt_elements

__all__ = ["TextOnlyModel", "request_text"]


def request_text(body: Mapping[str, Any]) -> str:
    """The text of the last user message of a chat-completions request: its text parts
    only (an attached screenshot is not read)."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    if not users:
        return ""
    content = users[-1].get("content")
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") for p in content or [] if p.get("type") == "text")


def _schema_name(body: Mapping[str, Any]) -> str:
    fmt = body.get("response_format") or {}
    return str((fmt.get("json_schema") or {}).get("name") or "")


@dataclass
class TextOnlyModel:
    """Decides steps and extracts from the prompt text alone.

    A step, in this order:

    - ``form.done`` shows in the prompt: the goal is reached;
    - a control named one of ``then`` shows (a menu option once the menu is open): click it;
    - ``row`` is given: click the control named ``row_click`` in the row whose text (the
      prompt's ``row "…":`` line, or the line of a row of alike rows) holds every text of
      ``row`` — the row a person finds by its data, below the fold or not;
    - else ``form`` fills what the facts give and submits (see
      :class:`~skyvern_core.testing.prompt.FormFiller`).

    An extraction request is answered by ``extractor`` from the tables of its page text.
    Every request's text is kept in ``prompts``, and whether it carried an image in
    ``images_seen`` (the model does not look at them).
    """

    form: FormFiller | None = None
    row: Sequence[str] = ()
    row_click: str = ""
    then: Sequence[str] = ()
    extractor: TableExtractor = field(default_factory=TableExtractor)
    prompts: list[str] = field(default_factory=list)
    images_seen: int = 0

    def __call__(self, body: Mapping[str, Any]) -> str:
        """The answer to one chat-completions request (its JSON body), as the model's text."""
        for message in body.get("messages", []):
            content = message.get("content")
            if isinstance(content, list):
                self.images_seen += sum(1 for p in content if p.get("type") == "image_url")
        return self.answer(request_text(body), extraction=_schema_name(body) == "extraction")

    def answer(self, prompt: str, *, extraction: bool = False) -> str:
        """The answer to a prompt's text: an extraction, or a step's decision."""
        self.prompts.append(prompt)
        if extraction:
            return self.extractor(prompt)
        return json.dumps(self.decide(prompt))

    def decide(self, prompt: str) -> dict[str, Any]:
        """The decision for one step prompt, as the JSON object a model would answer."""
        if self.form is not None and self.form.done in prompt:
            return {"reasoning": "The page shows it is done.", "goal_reached": True, "actions": []}
        elements = prompt_elements(prompt)
        for name in self.then:
            found = _named(elements, name)
            if found is not None:
                return _click(found, f"{name} is shown: take it.")
        if self.row:
            found = self._in_row(elements)
            if found is not None:
                return _click(found, f"The row of {' / '.join(self.row)}: {self.row_click}.")
        if self.form is not None:
            return self.form.decide(prompt)
        return {
            "reasoning": f"No row holds {' / '.join(self.row)} here.",
            "goal_reached": False,
            "actions": [{"type": "terminate", "reason": "the row the goal names is not listed"}],
        }

    def _in_row(self, elements: list[PromptElement]) -> PromptElement | None:
        wanted = [t.casefold() for t in self.row]
        for el in elements:
            row = el.row.casefold()
            if el.label.casefold() == self.row_click.casefold() and all(t in row for t in wanted):
                return el
        return None


def _named(elements: list[PromptElement], name: str) -> PromptElement | None:
    return next(
        (
            e
            for e in elements
            if e.label.casefold() == name.casefold() and " disabled" not in f" {e.rest} "
        ),
        None,
    )


def _click(el: PromptElement, why: str) -> dict[str, Any]:
    return {
        "reasoning": why,
        "goal_reached": False,
        "actions": [{"type": "click", "element_id": el.id}],
    }
