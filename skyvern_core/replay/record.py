"""From a verified step to a replay entry, and from an entry back to actions.

:func:`recorded_actions` turns a step's decision into :class:`RecordedAction` items (each
element as a locator bundle, each value as a template); :func:`replayed_actions` turns
them back into actions on a later page, with that task's values; :func:`describe_entry`
says in words what a recorded step did, for the planner when a step is healed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter

from skyvern_core.models import (
    Action,
    ActionResult,
    PageState,
    RecordedAction,
    ReplayEntry,
)
from skyvern_core.replay.keys import url_pattern
from skyvern_core.replay.locate import NoMatch, bundle_for, find_element
from skyvern_core.replay.templates import MissingValueError, fill, template

__all__ = [
    "NotRecordable",
    "describe_entry",
    "recorded_actions",
    "replayed_actions",
]

_ACTION: TypeAdapter[Any] = TypeAdapter(Action)

# The field of each action that holds the value typed, chosen, given or opened.
_VALUE_FIELD = {
    "input_text": "text",
    "select_option": "option",
    "upload_file": "file",
    "goto_url": "url",
    "keypress": "key",
}
_NOT_PARAMS = {"type", "element_id", "reasoning"}


class NotRecordable(ValueError):
    """A step that cannot be kept as an entry (an action on an element its page did not
    show when the step began); the message says why."""


def _verified(result: ActionResult | None, values: Mapping[str, str]) -> dict[str, Any]:
    """What the check of an action saw, as much of it as tells a later run what to
    expect: where the browser went (as a pattern), the option chosen, the check mark."""
    if result is None:
        return {}
    data = result.data
    out: dict[str, Any] = {}
    if isinstance(data.get("url"), str):
        out["url"] = url_pattern(data["url"])
    if isinstance(data.get("chosen"), str):
        out["chosen"] = template(data["chosen"], values)
    if isinstance(data.get("checked"), bool):
        out["checked"] = data["checked"]
    return out


def recorded_actions(
    actions: Sequence[Any],
    results: Sequence[ActionResult],
    page: PageState,
    values: Mapping[str, str],
) -> list[RecordedAction]:
    """The recorded form of a step's ``actions`` on ``page`` (the page it began on)."""
    out = []
    for index, action in enumerate(actions):
        data = action.model_dump()
        target = None
        element_id = data.get("element_id")
        if element_id:
            element = page.element(element_id)
            if element is None:
                raise NotRecordable(
                    f"{action.type} acts on {element_id}, which the step's page did not show"
                )
            target = bundle_for(element, page, values)
        field = _VALUE_FIELD.get(str(action.type))
        label = target.name if target else ""
        value = template(str(data[field]), values, hint=label) if field else None
        params = {
            k: v for k, v in data.items() if k not in _NOT_PARAMS and k != field and v is not None
        }
        result = results[index] if index < len(results) else None
        out.append(
            RecordedAction(
                type=str(action.type),
                target=target,
                value=value,
                params=params,
                verified=_verified(result, values),
            )
        )
    return out


def replayed_actions(entry: ReplayEntry, page: PageState, values: Mapping[str, str]) -> list[Any]:
    """The entry's actions on ``page`` with this payload's ``values``
    (:class:`~skyvern_core.replay.locate.NoMatch` when an element is not found once, or a
    value is missing)."""
    out = []
    for number, recorded in enumerate(entry.actions, 1):
        data: dict[str, Any] = {"type": recorded.type, **recorded.params}
        if recorded.target is not None:
            try:
                data["element_id"] = find_element(recorded.target, page, values).id
            except NoMatch as exc:
                raise NoMatch(f"action {number} ({recorded.type}): {exc}") from None
        field = _VALUE_FIELD.get(recorded.type)
        if field is not None:
            try:
                data[field] = fill(recorded.value, values) or ""
            except MissingValueError as exc:
                raise NoMatch(
                    f"action {number} ({recorded.type}) types the payload's "
                    f"{exc.args[0]!r}, which this task's payload does not give"
                ) from None
        out.append(_ACTION.validate_python(data))
    return out


def _said(recorded: RecordedAction, values: Mapping[str, str]) -> str:
    where = recorded.target.describe() if recorded.target else ""
    try:
        value = fill(recorded.value, values)
    except MissingValueError:
        value = recorded.value
    kind = recorded.type
    if kind == "input_text":
        return f'typed "{value}" into {where}'
    if kind == "select_option":
        return f'chose "{value}" in {where}'
    if kind == "check":
        return ("ticked " if recorded.params.get("checked", True) else "unticked ") + where
    if kind == "click":
        return f"clicked {where}"
    if kind == "upload_file":
        return f'gave {where} the file "{value}"'
    if kind == "goto_url":
        return f"opened {value}"
    if kind == "keypress":
        return f"pressed {value}" + (f" on {where}" if where else "")
    if kind == "complete":
        return "said the goal was reached"
    return kind + (f" {where}" if where else "")


def describe_entry(entry: ReplayEntry, values: Mapping[str, str]) -> str:
    """What a recorded step did, in a sentence or two, with this task's values."""
    done = "; ".join(_said(a, values) for a in entry.actions) or "nothing"
    text = f"On {entry.fingerprint.url_pattern} the recorded step {done}"
    if entry.next_url_pattern:
        text += f", and the browser went on to {entry.next_url_pattern}"
    text += "."
    try:
        why = fill(entry.reasoning, values)
    except MissingValueError:
        why = entry.reasoning
    if why:
        text += f" Its reasoning: {why}"
    return text
