"""Callers' JSON Schemas, checked without letting their regular expressions run away.

``extracted_information_schema`` comes from API callers, and its ``pattern`` and
``patternProperties`` are regular expressions run against what a model extracted. A pattern
such as ``^(a+)+$`` backtracks for longer than the universe lasts on ``"a" * 40 + "!"``, so:

- at task creation, :func:`check_patterns` refuses a pattern that does not compile or is
  longer than a cap;
- at validation, :func:`schema_errors` runs every pattern with the `regex
  <https://pypi.org/project/regex/>`_ package under one time budget for all the matches of
  that validation; a pattern that uses it up is a validation problem that names it, never
  a frozen worker.

``unevaluatedProperties`` next to ``patternProperties`` is refused at creation: jsonschema
evaluates those patterns itself, out of reach of the time limit.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import regex
from jsonschema import validators
from jsonschema.exceptions import ValidationError

__all__ = ["PatternTimeoutError", "check_patterns", "schema_errors"]


class PatternTimeoutError(Exception):
    """The patterns of a schema used up their time on one validation."""

    def __init__(self, pattern: str, timeout: float) -> None:
        super().__init__(
            f"the pattern {pattern!r} ran out of time ({timeout:g} s for every pattern of "
            "the schema together; it backtracks too much), so the extraction cannot be "
            "checked against it"
        )
        self.pattern = pattern


def _where(path: list[str]) -> str:
    return "/".join(path) or "(root)"


def _walk(node: Any, path: list[str]) -> Iterator[tuple[list[str], str, str]]:
    """Every (location, keyword, pattern) of a schema, plus the keywords that matter here."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = [*path, str(key)]
            if key == "pattern" and isinstance(value, str):
                yield where, "pattern", value
            elif key == "patternProperties" and isinstance(value, dict):
                for pattern in value:
                    yield [*where, str(pattern)], "patternProperties", str(pattern)
            elif key == "unevaluatedProperties":
                yield where, "unevaluatedProperties", ""
            yield from _walk(value, where)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, [*path, str(index)])


def check_patterns(schema: Any, max_chars: int | None = None) -> None:
    """Raise ``ValueError`` naming the place of a pattern in ``schema`` that does not compile
    or is longer than ``max_chars``, or of ``unevaluatedProperties`` used together with
    ``patternProperties``."""
    uses_unevaluated = uses_pattern_properties = False
    for path, keyword, pattern in _walk(schema, []):
        if keyword == "unevaluatedProperties":
            uses_unevaluated = True
            continue
        uses_pattern_properties |= keyword == "patternProperties"
        if max_chars is not None and len(pattern) > max_chars:
            raise ValueError(
                f"extracted_information_schema has a {keyword} of {len(pattern)} characters at "
                f"{_where(path)}; the limit is {max_chars} (SKYVERN_MAX_SCHEMA_PATTERN_CHARS)"
            )
        try:
            regex.compile(pattern)
        except (regex.error, RecursionError, OverflowError) as exc:
            raise ValueError(
                f"extracted_information_schema has a {keyword} at {_where(path)} that is not "
                f"a valid regular expression: {exc}"
            ) from None
    if uses_unevaluated and uses_pattern_properties:
        raise ValueError(
            "extracted_information_schema combines unevaluatedProperties with "
            "patternProperties, whose patterns could then not be time-limited; use "
            "additionalProperties instead"
        )


def _bounded(cls: type[Any], timeout: float) -> type[Any]:
    """``cls`` with its pattern keywords run by ``regex``, all of them within ``timeout``."""
    # Only the time inside the searches counts: the rest of a validation (and the wait for
    # a busy machine's CPU between searches) is not the patterns' doing.
    spent = 0.0

    def search(pattern: str, text: str) -> bool:
        nonlocal spent
        left = timeout - spent
        started = time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            return regex.search(pattern, text, timeout=left) is not None
        except TimeoutError:
            raise PatternTimeoutError(pattern, timeout) from None
        finally:
            spent += time.monotonic() - started

    def pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Iterator[Any]:
        if validator.is_type(instance, "string") and not search(patrn, instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    def pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Any:
        if not validator.is_type(instance, "object"):
            return
        for patrn, subschema in patterns.items():
            for key, value in instance.items():
                if search(patrn, key):
                    yield from validator.descend(value, subschema, path=key, schema_path=patrn)

    original_additional = cls.VALIDATORS.get("additionalProperties")

    def additional_properties(validator: Any, additional: Any, instance: Any, schema: Any) -> Any:
        patterns = schema.get("patternProperties") or {}
        if not patterns or not validator.is_type(instance, "object"):
            # No patterns involved: jsonschema's own keyword, with its own messages.
            yield from original_additional(validator, additional, instance, schema)
            return
        properties = schema.get("properties") or {}
        extras = [
            key
            for key in instance
            if key not in properties and not any(search(p, key) for p in patterns)
        ]
        if validator.is_type(additional, "object"):
            for extra in extras:
                yield from validator.descend(instance[extra], additional, path=extra)
        elif not additional and extras:
            names = ", ".join(repr(e) for e in sorted(extras))
            yield ValidationError(
                f"{names} do not match any of the regexes: "
                + ", ".join(repr(p) for p in sorted(patterns))
            )

    return validators.extend(
        cls,
        {
            "pattern": pattern,
            "patternProperties": pattern_properties,
            "additionalProperties": additional_properties,
        },
    )


def schema_errors(data: Any, schema: Any, *, timeout: float = 0.2) -> list[str]:
    """What is wrong with ``data`` against ``schema``: one readable line per problem, with
    where it is (empty when ``data`` is valid). The schema's patterns may take ``timeout``
    seconds in all; past that the answer is one problem naming the pattern."""
    validator = _bounded(validators.validator_for(schema), timeout)(schema)
    problems = []
    try:
        errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.path])
    except PatternTimeoutError as exc:
        return [str(exc)]
    for error in errors:
        where = "/".join(str(p) for p in error.path) or "(root)"
        problems.append(f"at {where}: {error.message}")
    return problems
