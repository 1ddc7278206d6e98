"""Reading the extraction prompt, for fake models that extract from what they are sent.

The LLM planner's extraction prompt carries the schema on one line and the page as text,
where a table is a header line, a ``| --- |`` rule and one ``| cell | cell |`` line per row
(:mod:`skyvern_core.perception.document`). :func:`prompt_tables` and :func:`prompt_schema`
read those two parts back; :class:`TableExtractor` is a fake model that answers from them
alone, so a test fails when the prompt does not hold the rows a model needs — all of them,
each with its values together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from skyvern_core.perception.document import DocumentTable, read_tables

__all__ = ["PromptTable", "TableExtractor", "prompt_schema", "prompt_tables"]

_SCHEMA = re.compile(r"^The answer must be JSON matching this JSON Schema: (.*)$", re.MULTILINE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")

PromptTable = DocumentTable
"""One table of the prompt: its column names and its rows."""


def prompt_tables(prompt: str) -> list[DocumentTable]:
    """The tables of a prompt that have a header line, in order (rows of a table the page
    shows in several parts of the prompt count in each part that holds them)."""
    return read_tables(prompt)


def prompt_schema(prompt: str) -> dict[str, Any] | None:
    """The JSON Schema the extraction prompt asks the answer to match, if it gives one."""
    found = _SCHEMA.search(prompt)
    if not found:
        return None
    schema = json.loads(found.group(1))
    return schema if isinstance(schema, dict) else None


def _value(cell: str, schema: Mapping[str, Any]) -> Any:
    """A cell as a careful model would give it: its first part (``Northwind · Net 30`` is a
    vendor and its terms), as a number where the schema wants one."""
    text = cell.split(" · ")[0].strip()
    if not text:
        return None
    kinds = schema.get("type", "string")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "number" in kinds or "integer" in kinds:
        match = _NUMBER.search(text)
        if not match:
            return None
        number = float(match.group().replace(",", ""))
        return int(number) if "integer" in kinds and number.is_integer() else number
    return text


@dataclass
class TableExtractor:
    """A fake extraction model that answers from the tables in the prompt text alone.

    It reads the schema from the prompt, takes its first array property whose items are
    objects (``{"bills": [{"number", "vendor", "amount"}]}``), and gives one item per row of
    every table whose header has a column for each of the item's properties: the column
    named in ``columns`` (property -> column name), else the column whose name is the
    property's (case aside). A cell holding several parts (``Northwind Traders · Net 30``)
    gives its first; a number where the item's schema wants one. The answer's other
    properties are null. It never sees the screenshot.

    Call it with the prompt's text for the answer as JSON; with
    :class:`~skyvern_core.testing.ScriptedLLM` or a local model server, through a function
    reading the request's text.
    """

    columns: Mapping[str, str] = field(default_factory=dict)

    def extract(self, prompt: str) -> dict[str, Any]:
        """The answer for one extraction prompt, as the JSON object a model would give."""
        schema = prompt_schema(prompt) or {}
        props: Mapping[str, Any] = schema.get("properties") or {}
        answer: dict[str, Any] = {name: None for name in props}
        target = next(
            (
                (name, sub["items"])
                for name, sub in props.items()
                if isinstance(sub, dict)
                and sub.get("type") == "array"
                and isinstance(sub.get("items"), dict)
                and sub["items"].get("properties")
            ),
            None,
        )
        if target is None:
            return answer
        name, items = target
        wanted: Mapping[str, Any] = items["properties"]
        found: list[dict[str, Any]] = []
        for table in prompt_tables(prompt):
            header = [h.casefold() for h in table.header]
            where: dict[str, int] = {}
            for prop in wanted:
                column = self.columns.get(prop, prop).casefold()
                if column in header:
                    where[prop] = header.index(column)
            if len(where) < len(wanted):
                continue
            for row in table.rows:
                item = {
                    prop: _value(row[i], wanted[prop]) if i < len(row) else None
                    for prop, i in where.items()
                }
                if any(v is not None for v in item.values()):
                    found.append(item)
        answer[name] = found
        return answer

    def __call__(self, prompt: str) -> str:
        """The answer for one extraction prompt, as JSON text."""
        return json.dumps(self.extract(prompt))
