"""The whole page as text for extraction, and that text cut into parts a model can take.

``document.js`` (:data:`DOCUMENT_SCRIPT`) runs inside a page or frame and writes its whole
document — not only the viewport — with its structure: ``#`` headings, tables as one
``| cell | cell |`` line per row under their header line, one line per list item or card
(its texts joined with ``" · "``), fields as ``Label: [value]``; hidden content left out and
nothing de-duplicated (see the script's header for every rule). The browser drivers run it
in every frame (:meth:`~skyvern_core.protocols.DocumentReader.read_document`) and put each
cross-origin frame's text where the frame is, with :func:`splice_frames`.

:func:`chunk_document` cuts a document larger than a token budget at line boundaries (a
table row is one line, so it is never split), repeating the headings above and a table's
header line in each part; :func:`merge_answers` joins the answers for the parts against the
task's schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from skyvern_core.perception.serializer import count_tokens

__all__ = [
    "DOCUMENT_SCRIPT",
    "DOCUMENT_STATE",
    "FRAME_MARK",
    "MAX_FRAME_DEPTH",
    "Chunk",
    "DocumentTable",
    "chunk_document",
    "merge_answers",
    "read_tables",
    "splice_frames",
    "wants_links",
]

DOCUMENT_SCRIPT = (Path(__file__).with_name("document.js")).read_text(encoding="utf-8")
"""The text of ``document.js``: an expression evaluating to ``read(options)``."""

DOCUMENT_STATE = "window[Symbol.for('skyvern-core.document')]"
"""The reader's state in the page; its ``frames[N]`` is the N-th cross-origin frame marked."""

FRAME_MARK = re.compile("\x00frame:(\\d+)\x00")
"""Where the reader marked a cross-origin frame it could not read itself."""

MAX_FRAME_DEPTH = 6
"""Frames inside frames read at most this deep."""

_HEADING = re.compile(r"^(#{1,6}) \S")
_TABLE_RULE = re.compile(r"^\s*\|(?: --- \|)+\s*$")
_LINK_WORDS = re.compile(r"\b(url|urls|link|links|href|hrefs|website|web address)\b", re.I)


def splice_frames(text: str, children: dict[int, str]) -> str:
    """Put each frame's text where the reader marked it (``children`` by mark number).

    A mark alone on its line takes the frame's lines as they are; a mark inside a line (a
    frame in a card or a table cell) takes them joined with ``" · "``. A frame that could not
    be read leaves nothing.
    """

    def fill(match: re.Match[str]) -> str:
        return children.get(int(match.group(1)), "")

    out = []
    for line in text.split("\n"):
        if not FRAME_MARK.search(line):
            out.append(line)
            continue
        if FRAME_MARK.fullmatch(line.strip()):
            inner = FRAME_MARK.sub(fill, line.strip())
            out.extend(x for x in inner.split("\n") if x)
            continue
        joined = FRAME_MARK.sub(lambda m: " · ".join(fill(m).split("\n")), line)
        out.append(joined)
    return "\n".join(out)


def wants_links(*texts: Any) -> bool:
    """Whether an extraction goal or schema asks for links (then they are read with their
    URLs: ``[text](url)``)."""
    return any(_LINK_WORDS.search(t if isinstance(t, str) else json.dumps(t)) for t in texts if t)


class DocumentTable(NamedTuple):
    """A table of a document: its column names and its rows (a cell holding several parts
    joins them with ``" · "``)."""

    header: list[str]
    rows: list[list[str]]


_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(inner)]


def read_tables(text: str) -> list[DocumentTable]:
    """The tables of a document (or of a prompt holding one) that have a header line, in
    order: a ``| name | name |`` line, a ``| --- |`` rule, then one ``|`` line per row."""
    lines = text.split("\n")
    tables: list[DocumentTable] = []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("|") and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
            rows: list[list[str]] = []
            j = i + 2
            while j < len(lines) and lines[j].strip().startswith("|"):
                rows.append(_cells(lines[j]))
                j += 1
            tables.append(DocumentTable(_cells(line), rows))
            i = j
            continue
        i += 1
    return tables


# --------------------------------------------------------------------------- chunks


@dataclass(slots=True)
class Chunk:
    """One part of a document: its text, its tokens, and the lines it repeats from the parts
    before it (the headings above it, a table's header line) so that it reads on its own."""

    text: str
    tokens: int
    repeated: list[str] = field(default_factory=list)

    @property
    def lines(self) -> set[str]:
        """Its lines, for telling which lines two parts share."""
        return set(self.text.split("\n"))


def _split_long(line: str, budget: int) -> list[str]:
    """A line longer than the budget on its own (a wall of text), cut between words into
    pieces of at most half the budget (room for the repeated headings)."""
    budget = max(budget // 2, 1)
    words = line.split(" ")
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for word in words:
        cost = count_tokens(word + " ")
        if current and size + cost > budget:
            pieces.append(" ".join(current))
            current, size = [], 0
        current.append(word)
        size += cost
    if current:
        pieces.append(" ".join(current))
    return pieces


def _level(heading: str) -> int:
    return len(heading) - len(heading.lstrip("#"))


def chunk_document(text: str, budget: int) -> list[Chunk]:
    """Cut ``text`` into parts of at most about ``budget`` tokens each, between lines.

    A line is never cut (a table row, a card and a list item are one line each) unless it is
    longer than the budget by itself. Each part after the first starts with the headings it
    is under and, when it starts inside a table, that table's header line and rule. A text
    within the budget is one part.
    """
    total = count_tokens(text)
    if total <= budget:
        return [Chunk(text=text, tokens=total)]
    headings: list[str] = []  # the heading of each level above the current line
    header: list[str] = []  # the current table's header line and rule
    chunks: list[Chunk] = []
    body: list[str] = []
    repeated: list[str] = []
    size = 0

    def close() -> None:
        nonlocal body, repeated, size
        if any(line not in repeated for line in body):
            joined = "\n".join(body)
            chunks.append(Chunk(text=joined, tokens=count_tokens(joined), repeated=repeated))
        body, repeated, size = [], [], 0

    def context() -> list[str]:
        return [*headings, *header]

    units: list[tuple[str, int]] = []
    for line in text.split("\n"):
        cost = count_tokens(line) + 1
        if cost > budget:
            units += [(piece, count_tokens(piece) + 1) for piece in _split_long(line, budget)]
        else:
            units.append((line, cost))
    for line, cost in units:
        in_table = line.lstrip().startswith("|")
        if not in_table:
            header = []
        if body and size + cost > budget:
            close()
            repeated = context()
            body = list(repeated)
            size = sum(count_tokens(x) + 1 for x in body)
        body.append(line)
        size += cost
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            headings = [h for h in headings if _level(h) < level]
            headings.append(line)
        elif in_table and _TABLE_RULE.match(line) and len(body) >= 2:
            header = [body[-2], line]
    close()
    return chunks


# --------------------------------------------------------------------------- merging


def _types(schema: Any) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    kind = schema.get("type")
    if isinstance(kind, list):
        return {str(k) for k in kind}
    if kind:
        return {str(kind)}
    if "properties" in schema:
        return {"object"}
    if "items" in schema:
        return {"array"}
    return set()


def _leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [f"{value:g}"]
    return [str(value)]


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _digits(text: str) -> str:
    return re.sub(r"[^\d.]", "", text)


def _holds(line: str, leaves: list[str]) -> bool:
    """Whether one line shows every value of an item (numbers by their digits)."""
    if not leaves:
        return False
    flat, digits = _norm(line), _digits(line.replace(",", ""))
    for leaf in leaves:
        if _norm(leaf) in flat:
            continue
        number = _digits(leaf)
        if number and number == leaf.replace(",", "") and number in digits:
            continue
        return False
    return True


def _merge_arrays(values: list[tuple[int, list[Any]]], chunks: Sequence[Chunk]) -> list[Any]:
    kept: list[tuple[int, Any, str]] = []
    for part, items in values:
        for item in items:
            key = json.dumps(item, sort_keys=True, ensure_ascii=False)
            twin = next((k for k in kept if k[2] == key and k[0] < part), None)
            if twin is not None:
                # Lines this part repeats from the parts before it (headings, a header).
                shared = set(chunks[part].repeated) & chunks[twin[0]].lines
                if any(_holds(line, _leaves(item)) for line in shared):
                    continue  # one line, read in both parts
            kept.append((part, item, key))
    return [item for _, item, _ in kept]


def _merge(schema: Any, values: list[tuple[int, Any]], chunks: Sequence[Chunk]) -> Any:
    present = [(i, v) for i, v in values if v is not None]
    if not present:
        return values[0][1] if values else None
    kinds = _types(schema)
    if "array" in kinds or (not kinds and all(isinstance(v, list) for _, v in present)):
        lists = [(i, v if isinstance(v, list) else [v]) for i, v in present]
        return _merge_arrays(lists, chunks)
    objects = [(i, v) for i, v in present if isinstance(v, dict)]
    if objects and ("object" in kinds or not kinds) and len(objects) == len(present):
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        extra = schema.get("additionalProperties") if isinstance(schema, dict) else None
        keys: list[str] = []
        for _, obj in objects:
            keys += [k for k in obj if k not in keys]
        merged: dict[str, Any] = {}
        for key in keys:
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            merged[key] = _merge(sub, [(i, obj[key]) for i, obj in objects if key in obj], chunks)
        return merged
    # A scalar (or values of mixed kinds): the first part that holds one.
    return present[0][1]


def merge_answers(schema: Any, answers: Sequence[Any], chunks: Sequence[Chunk]) -> Any:
    """Join the answers for the parts of a document into one answer, against ``schema``.

    Arrays are concatenated in document order; an item that equals one kept from an
    earlier part is dropped only when a line this part repeats from that one (a heading, a
    table's header line: a chunk's ``repeated``) shows all of its values — a row the page
    itself shows twice stays twice. Objects are
    merged property by property; a scalar comes from the first part holding one (not null).
    """
    return _merge(schema, list(enumerate(answers)), chunks)
