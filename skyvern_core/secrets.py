"""Secrets in ``navigation_payload``: they reach the browser, never the prompt or the logs.

The convention:

- a value wrapped as ``{"$secret": "..."}`` is a secret, whatever its key;
- a value whose key (or path) names a secret is one too (:func:`is_secret_key`). The key is
  split into words (``snake_case``, ``kebab-case``, ``camelCase``, dotted paths and list
  indexes) and a word, or two words in a row, must name a secret: ``password``, ``passwd``,
  ``pwd``, ``passcode``, ``passphrase``, ``secret``, ``token``, ``api key``, ``access key``,
  ``private key``, ``pin``, ``cvv``/``cvc`` (also ``cvv2``/``cvc2``), ``security code``,
  ``ssn``, ``social security``, ``otp``/``totp``, ``card number`` (``card no``,
  ``credit card``), ``iban`` and ``account number``; one-word spellings such as ``apikey``
  and ``cardnumber`` count, as do words ending in ``password``, ``passphrase``,
  ``passcode``, ``secret`` or ``token`` (``userpassword``, ``authtoken``). A key whose last
  word says it holds something about the secret rather than the secret (``count``,
  ``used``, ``limit``, ``type``, ``length``, ``expiry``, ``expires``, ``ttl``, ``hint``,
  ``url``, ``uri``, ``id``) is not one: ``token_type``, ``password_hint``.
  So ``passenger_name``, ``passport_country``, ``secretary``, ``tokens_used``,
  ``pinterest_url``, ``spinner`` and ``opinion`` are not secrets.

The prompt shows a placeholder instead, ``{{secret:<path>}}`` (``{{secret:password}}``,
``{{secret:card.cvv}}``); the model types the placeholder, and the runner puts the real
value in just before the browser acts. The recorded step keeps the placeholder. Any
occurrence of a secret's value in text bound for the model or the records (page values,
error messages) is replaced by its placeholder (:func:`redact`); a secret made of digits
(a card or phone number, an SSN, a PIN) is found written with any spaces, dashes, dots or
brackets between its digits, or none.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from skyvern_core.models import Action, InputTextAction, SelectOptionAction

__all__ = [
    "is_secret_key",
    "key_words",
    "placeholder",
    "redact",
    "reveal",
    "reveal_action",
    "split_secrets",
]

_PLACEHOLDER = re.compile(r"\{\{\s*secret:([A-Za-z0-9_.\-\[\]]+)\s*\}\}")

# One word that is a secret by itself.
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwords",
        "passwd",
        "pwd",
        "passcode",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "apikey",
        "accesskey",
        "privatekey",
        "secretkey",
        "pin",
        "pincode",
        "cvv",
        "cvc",
        "cvv2",
        "cvc2",
        "securitycode",
        "ssn",
        "otp",
        "totp",
        "cardnumber",
        "cardno",
        "cardnum",
        "creditcard",
        "ccnumber",
        "iban",
        "accountnumber",
        "acctnumber",
        "acctno",
    }
)
# Endings of one-word spellings (``userpassword``, ``authtoken``, ``clientsecret``).
_SECRET_ENDINGS = ("password", "passwd", "passphrase", "passcode", "secret", "token")
# Two words in a row.
_SECRET_PAIRS = frozenset(
    {
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("security", "code"),
        ("social", "security"),
        ("card", "number"),
        ("card", "no"),
        ("card", "num"),
        ("credit", "card"),
        ("cc", "number"),
        ("cc", "num"),
        ("account", "number"),
        ("account", "no"),
        ("acct", "number"),
        ("acct", "no"),
    }
)
# A last word that makes the key about a secret, not the secret itself.
_ABOUT_WORDS = frozenset(
    {"count", "used", "limit", "type", "length", "expiry", "expires", "ttl", "hint", "url"}
    | {"uri", "id"}
)
_WORD = re.compile(r"[A-Z]+(?![a-z])[0-9]*|[A-Z]?[a-z]+[0-9]*|[0-9]+")


def key_words(key: str) -> list[str]:
    """The words of a key or path, lower case: ``"card.cvvCode"`` → ``card, cvv, code``."""
    return [w.lower() for part in re.split(r"[^0-9A-Za-z]+", key) for w in _WORD.findall(part)]


def is_secret_key(key: str) -> bool:
    """Whether a payload key (or a dotted path such as ``card.cvv``) names a secret (see the
    module docstring for the rule)."""
    words = key_words(key)
    if not words or (len(words) > 1 and words[-1] in _ABOUT_WORDS):
        return False
    for index, word in enumerate(words):
        if word in _SECRET_WORDS or word.endswith(_SECRET_ENDINGS):
            return True
        if index + 1 < len(words) and (word, words[index + 1]) in _SECRET_PAIRS:
            return True
    return False


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
        if (
            key
            and isinstance(value, str | int)
            and not isinstance(value, bool)
            and value != ""
            and is_secret_key(path)
        ):
            secrets[path] = str(value)
            return placeholder(path)
        return value

    return walk(payload, "", ""), secrets


# What may stand between the digits of a number as people write it.
_DIGIT_GAP = r"[\s\-\u2010-\u2015.()]{0,3}"
_DIGIT_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015./()+]")
_MIN_DIGITS = 4


def _digits(value: str) -> str | None:
    """The digits of a secret written as a number (card, phone, SSN, PIN), else None."""
    digits = _DIGIT_SEPARATORS.sub("", value)
    if len(digits) >= _MIN_DIGITS and digits.isascii() and digits.isdigit():
        return digits
    return None


@functools.lru_cache(maxsize=256)
def _redactor(items: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], dict[str, str]] | None:
    alternatives: list[tuple[int, str, str]] = []
    for path, value in items:
        if len(value) >= 3:
            alternatives.append((len(value), re.escape(value), path))
        digits = _digits(value)
        if digits is not None:
            alternatives.append((len(digits), _DIGIT_GAP.join(digits), path))
    if not alternatives:
        return None
    # Longest first, so a secret that contains another is replaced whole; the literal
    # value before its digit form.
    alternatives.sort(key=lambda a: -a[0])
    groups = {f"s{i}": path for i, (_, _, path) in enumerate(alternatives)}
    pattern = "|".join(f"(?P<s{i}>{alt})" for i, (_, alt, _) in enumerate(alternatives))
    return re.compile(pattern), groups


def redact(text: str, secrets: dict[str, str]) -> str:
    """Replace every occurrence of a secret's value in ``text`` by its placeholder.

    One pass over ``text`` (a placeholder just put in is never matched again); its time is
    linear in the length of ``text`` for a given set of secrets. A secret written as a
    number also matches its digits with other separators between them, or none.
    """
    if not secrets or not text:
        return text
    found = _redactor(tuple(sorted(secrets.items())))
    if found is None:
        return text
    pattern, groups = found
    return pattern.sub(lambda m: placeholder(groups[m.lastgroup or ""]), text)


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
