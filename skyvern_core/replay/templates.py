"""Values typed as templates bound to ``navigation_payload`` keys, and filled in again.

A value a step typed that comes from the payload is kept as ``{{payload:<path>}}``
(``{{payload:vehicle.make}}``), so a replay with another payload types that payload's
value. Secrets stay the placeholders the planner saw (``{{secret:password}}``), the
one-time code stays ``{{totp_code}}``: the runner puts the real values in just before
the browser acts, as for any step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from skyvern_core.secrets import split_secrets
from skyvern_core.uploads import split_files

__all__ = [
    "TEMPLATE",
    "MissingValueError",
    "fill",
    "payload_values",
    "shown_payload",
    "template",
]

TEMPLATE = re.compile(r"\{\{payload:([^{}]+)\}\}")
"""Finds each payload value in a recorded text, written ``{{payload:<path>}}``."""

_PLACEHOLDER = re.compile(r"^\{\{\s*(secret|file):")
_MIN_PART = 3  # shorter values are templated only where they are the whole text


class MissingValueError(KeyError):
    """A template names a payload key the task's payload has no value for."""


def shown_payload(payload: Any) -> Any:
    """The payload as the planner sees it: inline files and secrets as placeholders."""
    try:
        without_files = split_files(payload)[0]
    except ValueError:
        without_files = payload
    return split_secrets(without_files)[0]


def payload_values(payload: Any, prefix: str = "") -> dict[str, str]:
    """Every scalar of the (shown) payload by path (``vehicle.make``, ``drivers[0].name``),
    as the text a page would show; booleans, None and placeholders left out."""
    out: dict[str, str] = {}
    if isinstance(payload, Mapping):
        for key, value in payload.items():
            out.update(payload_values(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(payload, list):
        for index, value in enumerate(payload):
            out.update(payload_values(value, f"{prefix}[{index}]"))
    elif isinstance(payload, bool) or payload is None:
        pass
    elif isinstance(payload, int | float | str):
        text = str(payload)
        if text.strip() and not _PLACEHOLDER.match(text):
            out[prefix] = text
    return out


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def _best_key(keys: list[str], hint: str) -> str:
    """Of several keys with the same value, the one whose words the element's name shares."""
    wanted = _words(hint)
    return max(sorted(keys), key=lambda k: len(_words(k) & wanted))


def template(text: str, values: Mapping[str, str], *, hint: str = "") -> str:
    """``text`` with the payload values in it as ``{{payload:<path>}}``.

    A text that is a whole value becomes that key's template (of several keys with that
    value, the one sharing words with ``hint``, the element's name); inside a longer text,
    values of three characters or more are replaced where they stand as whole words.
    """
    if not text or not values:
        return text
    same = [k for k, v in values.items() if v == text]
    if same:
        return "{{payload:" + _best_key(same, hint) + "}}"
    by_value: dict[str, list[str]] = {}
    for key, value in values.items():
        if len(value) >= _MIN_PART:
            by_value.setdefault(value, []).append(key)
    if not by_value:
        return text
    pattern = re.compile(
        r"(?<!\w)("
        + "|".join(re.escape(v) for v in sorted(by_value, key=len, reverse=True))
        + r")(?!\w)"
    )
    return pattern.sub(lambda m: "{{payload:" + _best_key(by_value[m.group(1)], hint) + "}}", text)


def fill(text: str | None, values: Mapping[str, str]) -> str | None:
    """A recorded text with this payload's values in place of its templates
    (:class:`MissingValueError` naming the key the payload lacks)."""
    if text is None:
        return None

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise MissingValueError(key)
        return values[key]

    return TEMPLATE.sub(value, text)
