"""Telling when an agent goes round in circles: the same actions on the same page, step after
step, with the goal no nearer.

Both planners use it: the offline planner gives up on its own rules; the LLM planner first
tells the model (a note in the prompt), then ends the task instead of paying for more of the
same. Steps that only scroll or wait are never a loop: reading down a long page repeats them
on purpose.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import urldefrag

from skyvern_core.models import Action, Step, StepStatus

__all__ = ["STUCK_STEPS", "repeated_steps", "same_document"]

STUCK_STEPS = 3
"""Steps of the same actions on the same page after which a planner stops."""

_MOVING = {"scroll", "wait"}


def _signature(actions: Sequence[Action]) -> str | None:
    if not actions or all(a.type in _MOVING for a in actions):
        return None
    return json.dumps([a.model_dump(exclude={"reasoning"}) for a in actions], sort_keys=True)


def same_document(a: str | None, b: str | None) -> bool:
    """Whether two URLs name the same document (they differ at most in the fragment)."""
    return bool(a and b) and urldefrag(a or "").url == urldefrag(b or "").url


def repeated_steps(
    history: Sequence[Step],
    url: str,
    actions: Sequence[Action] | None = None,
    *,
    completed_only: bool = False,
) -> int:
    """How many of the latest steps took exactly ``actions`` on this page (the page at
    ``url``, fragment aside).

    Without ``actions``, the latest step's own actions are compared with the steps before
    it (so the count includes it). With ``completed_only``, a failed step ends the run: its
    retry is not a loop but a second try, which the step's retry limit bounds.
    """
    if actions is None:
        if not history:
            return 0
        actions = history[-1].actions
    mine = _signature(actions)
    if mine is None:
        return 0
    count = 0
    for step in reversed(history):
        if completed_only and step.status != StepStatus.completed:
            break
        if not same_document(step.page_url, url) or _signature(step.actions) != mine:
            break
        count += 1
    return count
