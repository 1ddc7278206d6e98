"""The placeholder a planner types for the code, and putting the code in just before acting."""

from __future__ import annotations

import re

from skyvern_core.models import Action, InputTextAction
from skyvern_core.totp.generate import _SECRET_KEYS

__all__ = [
    "TOTP_PLACEHOLDER",
    "wants_code",
    "with_code",
]


TOTP_PLACEHOLDER = "{{totp_code}}"
"""What a planner types where the one-time code goes; the runner puts the code in."""

_SECRET_PLACEHOLDER = re.compile(r"\{\{\s*secret:([A-Za-z0-9_.\-\[\]]+)\s*\}\}")


def _is_totp_secret_path(path: str) -> bool:
    last = re.split(r"[.\[\]]", path.rstrip("]"))[-1]
    return bool(_SECRET_KEYS.match(last))


def wants_code(action: Action) -> bool:
    """Whether the action types a one-time code: :data:`TOTP_PLACEHOLDER`, or the
    placeholder of a TOTP secret (the secret itself must never be typed, only its code)."""
    if not isinstance(action, InputTextAction):
        return False
    if TOTP_PLACEHOLDER in action.text:
        return True
    return any(_is_totp_secret_path(m.group(1)) for m in _SECRET_PLACEHOLDER.finditer(action.text))


def with_code(action: Action, code: str) -> Action:
    """A copy of ``action`` with the one-time code in place of its placeholders."""
    if not isinstance(action, InputTextAction):
        return action

    def secret(match: re.Match[str]) -> str:
        return code if _is_totp_secret_path(match.group(1)) else match.group(0)

    text = _SECRET_PLACEHOLDER.sub(secret, action.text.replace(TOTP_PLACEHOLDER, code))
    return action.model_copy(update={"text": text})
