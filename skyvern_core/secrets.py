"""Secrets in ``navigation_payload``: they reach the browser, never the prompt or the logs.

The convention:

- a value wrapped as ``{"$secret": "..."}`` is a secret, whatever its key;
- a value whose key names a secret is one too: ``password``, ``passcode``, ``passphrase``,
  ``secret``, ``token``, ``api_key``, ``pin``, ``cvv``, ``cvc``, ``security_code``, ``ssn``,
  ``otp``/``totp``, ``card_number`` (also inside a longer key or path: ``account_password``,
  ``card.cvv``, ``card.number``).

The prompt shows a placeholder instead, ``{{secret:<path>}}`` (``{{secret:password}}``,
``{{secret:card.cvv}}``); the model types the placeholder, and the runner puts the real
value in just before the browser acts. The recorded step keeps the placeholder. Any
occurrence of a secret's value in text bound for the model (page values, error messages)
is replaced by its placeholder.
"""

from __future__ import annotations

import re
from typing import Any

from skyvern_core.models import Action, InputTextAction, SelectOptionAction

__all__ = [
    "SECRET_KEY",
    "placeholder",
    "redact",
    "reveal",
    "reveal_action",
    "split_secrets",
]

SECRET_KEY = re.compile(
    r"(pass(word|code|phrase)?|secret|token|api[_-]?key|(^|[_.-])pin($|[_.-])|cvv|cvc|"
    r"security[_-]?code|ssn|(^|[_.-])t?otp($|[_.-])|card[_.-]?(number|no)($|[_.-]))",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"\{\{\s*secret:([A-Za-z0-9_.\-\[\]]+)\s*\}\}")


def placeholder(path: str) -> str:
    """The text the model sees (and types) for the secret at ``path``."""
    return "{{secret:" + path + "}}"


def split_secrets(payload: Any) -> tuple[Any, dict[str, str]]:
    """Return the payload with secrets replaced by placeholders, and path → secret value."""
    secrets: dict[str, str] = {}

    def walk(value: Any, path: str, key: str) -> Any:
        if isinstance(value, dict):
            if set(value) == {"$secret"}:
                secrets[path] = str(value["$secret"])
                return placeholder(path)
            return {k: walk(v, f"{path}.{k}" if path else str(k), str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]", key) for i, v in enumerate(value)]
        if key and SECRET_KEY.search(path) and isinstance(value, str | int) and value != "":
            secrets[path] = str(value)
            return placeholder(path)
        return value

    return walk(payload, "", ""), secrets


def redact(text: str, secrets: dict[str, str]) -> str:
    """Replace every occurrence of a secret's value in ``text`` by its placeholder."""
    # Longest first, so a secret that contains another is replaced whole.
    for path, value in sorted(secrets.items(), key=lambda kv: -len(kv[1])):
        if len(value) >= 3 and value in text:
            text = text.replace(value, placeholder(path))
    return text


def reveal(text: str, secrets: dict[str, str]) -> str:
    """Replace placeholders in ``text`` with the secrets' values (for the browser only)."""

    def value(match: re.Match[str]) -> str:
        return secrets.get(match.group(1), match.group(0))

    return _PLACEHOLDER.sub(value, text)


def reveal_action(action: Action, secrets: dict[str, str]) -> Action:
    """A copy of ``action`` with placeholders in its text filled in."""
    if not secrets:
        return action
    if isinstance(action, InputTextAction):
        return action.model_copy(update={"text": reveal(action.text, secrets)})
    if isinstance(action, SelectOptionAction):
        return action.model_copy(update={"option": reveal(action.option, secrets)})
    return action
