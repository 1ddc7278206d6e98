"""Replays: run a task again without the model, from the recorded steps of its flow.

When a task in replay mode ``auto`` completes, each of its steps whose actions all
verified is kept as a :class:`~skyvern_core.models.ReplayEntry` of its flow (the key:
:func:`~skyvern_core.replay.keys.flow_key`). A later task of the same flow runs a step
from its entry when the page matches (:mod:`~skyvern_core.replay.fingerprint`) and each
element is found once (:mod:`~skyvern_core.replay.locate`), typing that task's payload
values (:mod:`~skyvern_core.replay.templates`); every action is verified as usual. A step
that does not match is healed: the planner decides it, told what the recorded step meant
to do, and its entry is replaced once its actions verify. ``only`` never calls the model.
The run's side is :mod:`~skyvern_core.replay.engine`; listing and clearing entries is
:mod:`~skyvern_core.replay.admin`.
"""

from __future__ import annotations

from skyvern_core.replay.engine import FlowReplay, NoReplay, Plan, open_replay, replay_mode
from skyvern_core.replay.fingerprint import differences, page_fingerprint
from skyvern_core.replay.keys import flow_key, normalize_url, planner_signature, url_pattern
from skyvern_core.replay.locate import NoMatch, bundle_for, find_element
from skyvern_core.replay.templates import fill, payload_values, shown_payload, template

__all__ = [
    "FlowReplay",
    "NoMatch",
    "NoReplay",
    "Plan",
    "bundle_for",
    "differences",
    "fill",
    "find_element",
    "flow_key",
    "normalize_url",
    "open_replay",
    "page_fingerprint",
    "payload_values",
    "planner_signature",
    "replay_mode",
    "shown_payload",
    "template",
    "url_pattern",
]
