"""What the agent sees: the in-page snapshot script and the prompt text built from it.

- ``snapshot.js`` (:data:`SNAPSHOT_SCRIPT`) runs inside a page or frame and lists every
  interactable element with a stable id, a label, its state, its visibility and a locator.
- :func:`build_page_state` merges the script's output into a
  :class:`~skyvern_core.models.PageState`.
- :func:`serialize` turns a page state into compact prompt text; :func:`to_json` into JSON;
  :func:`count_tokens` counts tokens offline.
"""

from __future__ import annotations

from skyvern_core.perception.serializer import (
    LOCATOR_FRAME,
    LOCATOR_SHADOW,
    SNAPSHOT_SCRIPT,
    build_page_state,
    count_tokens,
    element_from_raw,
    mark_new,
    serialize,
    to_json,
)

__all__ = [
    "LOCATOR_FRAME",
    "LOCATOR_SHADOW",
    "SNAPSHOT_SCRIPT",
    "build_page_state",
    "count_tokens",
    "element_from_raw",
    "mark_new",
    "serialize",
    "to_json",
]
