"""The offline planner's extraction: label/value pairs, lines and tables held to a schema."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from skyvern_core.models import PageState
from skyvern_core.perception.document import DocumentTable, read_tables
from skyvern_core.planner.offline.fields import _as_bool
from skyvern_core.planner.offline.words import (
    MATCH_THRESHOLD,
    _phrase_score,
    _same_word,
    _words,
    match_score,
)

__all__: list[str] = []


_MONEY = re.compile(r"[-+]?[$€£¥₹]\s?\d[\d,]*(?:\.\d+)?|[-+]?\d[\d,]*(?:\.\d+)?\s?(?:€|EUR|USD)")
_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")
_MONEY_NAME = re.compile(r"price|premium|cost|total|amount|fee|balance|salary|charge|due")
_ID_NAME = re.compile(r"number|\bid\b|code|reference|\bref\b|\bno\b")
_CONNECTORS = re.compile(r"^(?:[:#=\-\u2013\u2014]|\bis\b|\bwas\b|\bare\b|\bof\b|\s)+", re.I)


def _text_lines(page: PageState) -> list[str]:
    lines: list[str] = []
    for line in [*page.text.splitlines(), *page.content.splitlines()]:
        line = " ".join(line.split())
        if line and line not in lines:
            lines.append(line)
    return lines


_LIST_MARK = re.compile(r"^\s*(?:#{1,6} |- |\d+\. )")
_FIELD_VALUE = re.compile(r"(:\s)\[([^\]]*)\]")


def _document_lines(document: str) -> list[str]:
    """The lines of the whole page for reading values: marks of headings and list items
    taken off, a field's ``Label: [value]`` as ``Label: value``; a table's rows read as
    ``name: value`` only where the table holds one record (two columns without a header
    line, or one row under one)."""
    lines: list[str] = []
    raw = document.split("\n")
    for line in raw:
        line = line.strip()
        if not line or line.startswith("|"):
            continue
        line = _FIELD_VALUE.sub(r"\1\2", _LIST_MARK.sub("", line))
        lines.append(" ".join(line.split()))
    for table in read_tables(document):
        if len(table.rows) == 1:
            for name, value in zip(table.header, table.rows[0], strict=False):
                if name and value:
                    lines.append(f"{name}: {value}")
    for line in raw:
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if line.strip().startswith("|") and len(cells) == 2 and all(cells):
            lines.append(f"{cells[0].rstrip(':')}: {cells[1]}")
    return lines


def _label_like(line: str) -> bool:
    return len(line.split()) <= 5 and not re.search(r"\d|[.!?,;$€£]", line)


def _pairs(page: PageState, lines: list[str]) -> list[tuple[str, str]]:
    """Label/value pairs: "Label: value" lines, a label line with its value on the next
    line (definition lists, table cells; not a header row of labels), fields with values."""
    pairs: list[tuple[str, str]] = []
    for i, line in enumerate(lines):
        m = re.match(r"^([^:]{1,60}?)\s*:\s*(\S.*)$", line)
        if m and not m[2].startswith("//"):
            pairs.append((m[1], m[2]))
        elif i + 1 < len(lines) and _label_like(line) and not _label_like(lines[i + 1]):
            pairs.append((line.rstrip(":"), lines[i + 1]))
    for el in page.elements:
        value = el.value
        if el.options:
            value = ", ".join(o.label for o in el.options if o.selected)
        if el.label and value and el.type != "password":
            pairs.append((el.label, value))
    return pairs


def _fits(text: str, schema: dict[str, Any], name: str) -> list[Any]:
    """The values in ``text`` that fit a property's schema, best first."""
    types = schema.get("type", "string")
    types = types if isinstance(types, list) else [types]
    pattern = schema.get("pattern")
    if "number" in types or "integer" in types:
        if _MONEY_NAME.search(name):
            text = " ".join(m.group() for m in _MONEY.finditer(text))
        integer = "integer" in types and "number" not in types
        found = [m.group() for m in _MONEY.finditer(text)] or _NUMBER.findall(text)
        numbers = [_to_number(m, integer) for m in found]
        return [v for v in numbers if v is not None]
    if "boolean" in types:
        value = _as_bool(text)
        return [] if value is None else [value]
    tokens = [t.strip(",.;:()[]\"'") for t in text.split()]
    if pattern:
        found = [t for t in tokens if t and re.search(pattern, t)]
        return found or ([text.strip()] if re.search(pattern, text.strip()) else [])
    if _MONEY_NAME.search(name):
        return [m.group().strip() for m in _MONEY.finditer(text)]
    if _ID_NAME.search(name) and any(re.search(r"\d", t) for t in tokens):
        return [t for t in tokens if re.search(r"\d", t)]
    whole = text.strip().rstrip(".,;")
    return [whole] if whole else []


def _to_number(text: str, integer: bool) -> float | int | None:
    digits = re.sub(r"[^\d.\-+]", "", text.replace(",", ""))
    try:
        number = float(digits)
    except ValueError:
        return None
    if integer:
        return int(number) if number.is_integer() else None
    return int(number) if number.is_integer() and "." not in digits else number


def _candidates(name: str, lines: list[str], pairs: list[tuple[str, str]]) -> list[str]:
    """Texts that may hold a property's value, the best-named first."""
    key = _words(name)
    scored: list[tuple[float, int, str]] = []
    for order, (label, value) in enumerate(pairs):
        score = _phrase_score(key, _words(label))
        if score >= MATCH_THRESHOLD:
            scored.append((score + 0.05, order, value))
    for order, line in enumerate(lines, start=len(pairs)):
        tokens = list(re.finditer(r"\S+", line))
        hits = [
            i
            for i, t in enumerate(tokens)
            if any(_same_word(k, w) for k in key for w in _words(t.group()))
        ]
        if not hits:
            continue
        share = len({w for w in key if any(_same_word(w, x) for x in _words(line))}) / len(key)
        if share < 0.5:
            continue
        after = _CONNECTORS.sub("", line[tokens[hits[-1]].end() :])
        before = line[: tokens[hits[0]].start()]
        scored += [(share, order, after), (share - 0.1, order, before)]
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [text for _, _, text in scored if text.strip()]


def _column(prop: str, schema: dict[str, Any], table: DocumentTable) -> int | None:
    """The column of a table that holds a property: the one its name matches best, else
    the one whose cells fit the property's ``pattern`` most often."""
    scores = [(match_score(prop, [(name, 1.0)]), i) for i, name in enumerate(table.header)]
    best = max(scores, default=(0.0, -1))
    if best[0] >= MATCH_THRESHOLD:
        return best[1]
    pattern = schema.get("pattern")
    if not pattern:
        return None
    fits = [
        (sum(1 for row in table.rows if i < len(row) and re.search(pattern, row[i])), i)
        for i in range(len(table.header))
    ]
    count, index = max(fits, default=(0, -1))
    return index if count * 2 > len(table.rows) else None


def _table_items(items: dict[str, Any], tables: Sequence[DocumentTable]) -> list[Any] | None:
    """One object per row of the tables that have a column for each required property (or
    for every property, when none is required); None when no table has."""
    props: dict[str, Any] = items.get("properties") or {}
    needed = set(items.get("required") or props)
    found: list[Any] = []
    matched = False
    for table in tables:
        where = {}
        for prop, sub in props.items():
            column = _column(prop, sub if isinstance(sub, dict) else {}, table)
            if column is not None:
                where[prop] = column
        if not where or not needed <= set(where):
            continue
        matched = True
        for row in table.rows:
            item: dict[str, Any] = {}
            for prop, column in where.items():
                cell = row[column].split(" · ")[0] if column < len(row) else ""
                sub = props[prop] if isinstance(props[prop], dict) else {}
                plain = sub.get("type", "string") == "string" and "pattern" not in sub
                if plain and not (_MONEY_NAME.search(prop) or _ID_NAME.search(prop)):
                    values = [cell.strip()] if cell.strip() else []  # the cell as it is
                else:
                    values = _fits(cell, sub, prop) if cell else []
                if values:
                    item[prop] = values[0]
            if needed <= set(item):
                found.append(item)
    return found if matched else None


def _extract_property(
    name: str,
    schema: Any,
    lines: list[str],
    pairs: list[tuple[str, str]],
    skip: Any,
    tables: Sequence[DocumentTable] = (),
) -> Any:
    schema = schema if isinstance(schema, dict) else {}
    if schema.get("type") == "object" or "properties" in schema:
        return _extract_object(schema, lines, pairs, skip if isinstance(skip, dict) else {}, tables)
    if schema.get("type") == "array":
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        if items.get("properties"):
            rows = _table_items(items, tables)
            if rows is not None:
                return rows
        values: list[Any] = []
        for text in _candidates(name, lines, pairs):
            values += [v for v in _fits(text, items, name) if v not in values]
        return values
    # Without a label, only a value the schema pins down (a pattern, a number, an amount)
    # may be taken from anywhere on the page; any other line would be a guess.
    pinned = "pattern" in schema or schema.get("type") in ("number", "integer")
    anywhere = lines if pinned or _MONEY_NAME.search(name) else []
    for text in [*_candidates(name, lines, pairs), *anywhere]:
        for value in _fits(text, schema, name):
            if value != skip:
                return value
    return None


def _extract_object(
    schema: dict[str, Any],
    lines: list[str],
    pairs: list[tuple[str, str]],
    skip: dict[str, Any],
    tables: Sequence[DocumentTable] = (),
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, sub in (schema.get("properties") or {}).items():
        value = _extract_property(name, sub, lines, pairs, skip.get(name), tables)
        if value is not None:
            data[name] = value
    return data


def _rejected(previous: Any, errors: list[str]) -> Any:
    """The previous answer's values the schema errors name (all of them when the errors
    name none): a correction round offers the next candidate instead."""
    if not isinstance(previous, dict):
        return previous
    named = {
        k: v for k, v in previous.items() if any(f"at {k}" in e or repr(k) in e for e in errors)
    }
    return named or previous
