"""From the snapshot script's JSON to a :class:`PageState`, and from a page state to prompt text.

The snapshot script (``snapshot.js``) reports every interactable element of a document with
a stable id (``e12``; ``f1.e3`` inside child frame ``f1``) and a *locator* that finds it
again from the top document:

- a CSS path per document or shadow root (``html > body > form > input:nth-of-type(2)``,
  or ``#email`` when that id names the element);
- ``" >>> "`` enters the open shadow root of the element matched so far
  (``html > body > my-widget >>> div > button``);
- ``" |> "`` enters the document of the iframe matched so far
  (``html > body > iframe:nth-of-type(2) |> html > body > input``).

:func:`serialize` turns a page state into compact text for a language model: one line per
element, what is in the viewport first, then a terse summary of what lies further down, then
the page's headings and messages. :func:`count_tokens` counts that text as the model will.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

from skyvern_core.models import Element, ElementOption, PageState, PageText

__all__ = [
    "LOCATOR_FRAME",
    "LOCATOR_SHADOW",
    "PLACEHOLDER_TEXT",
    "SNAPSHOT_SCRIPT",
    "build_page_state",
    "count_tokens",
    "element_from_raw",
    "is_placeholder_option",
    "mark_new",
    "serialize",
    "to_json",
]

LOCATOR_SHADOW = " >>> "
"""Joins a shadow host's locator and the path inside its open shadow root."""

LOCATOR_FRAME = " |> "
"""Joins an iframe's locator and the path inside its document."""


def _snapshot_script() -> str:
    text = (Path(__file__).with_name("snapshot.js")).read_text(encoding="utf-8")
    # The page keeps the first run's function for later snapshots, by this version.
    version = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    # Sent with every snapshot: without its comment lines and indentation it is a third
    # smaller and a couple of milliseconds quicker to hand over and parse. (The script has
    # no multi-line strings, so no line inside one can look like a comment.)
    lines = (line.strip() for line in text.splitlines())
    compact = "\n".join(line for line in lines if line and not line.startswith("//"))
    return compact.replace("__SNAPSHOT_VERSION__", version)


SNAPSHOT_SCRIPT = _snapshot_script()
"""``snapshot.js`` as sent to the page (its comment lines and indentation left out, its
version filled in): an expression evaluating to ``snapshot(options)``."""

TEXT_BUDGET = 1500
CONTENT_BUDGET = 6000
OFFSCREEN_LISTED = 40
OFFSCREEN_SCALE = 3
BELOW_CHARS = 4000
"""Characters of the listing further down at most (about 1,000 tokens): long rows are
listed fewer, short ones more, within the element budget."""
PROMPT_OPTIONS = 12
PROMPT_VALUE = 80
PROMPT_LABEL = 200
ROW_IN_VIEW = 150
"""Characters of the text of a row in view (a card's facts, a table row's cells)."""
ROW_TERSE = 90
"""Characters of a row's text further down: enough to tell the rows apart (a name, a date,
an amount); scrolling there shows the rest."""
VIEW_TEXT_BUDGET = 6000
PROSE_MAX = 160
OTHER_TEXT_BUDGET = 140
SHORT_TEXT = 60
RANGE_MIN = 4

_CHECKABLE = {"checkbox", "radio", "switch", "menuitemcheckbox", "menuitemradio"}
_PLAIN_TYPES = {None, "text", "checkbox", "radio", "submit", "button", "reset", "file", "image"}
PLACEHOLDER_TEXT = re.compile(r"^\W*(please\s+)?(select|choose|pick)\b|^-+.*-+$|^$", re.I)
"""Matches what a control shows when nothing is chosen: ``Select...``, ``-- Please Select --``."""
# A trailing "*" (or "(required)") says what the word "required" on the line says again.
_REQUIRED_SUFFIX = re.compile(r"\s*(\*|\(required\))\s*:?\s*$", re.I)
_INTEGER = re.compile(r"^-?\d{1,9}$")
_TYPE_NAMED = {
    "email": re.compile(r"e-?mail", re.I),
    "tel": re.compile(r"phone|tel\b|telephone|mobile", re.I),
    "url": re.compile(r"\burl\b|website|web site|link", re.I),
    "search": re.compile(r"search", re.I),
    "password": re.compile(r"password|passcode", re.I),
}
_NOTHING = re.compile(r"(?!)")
_COLON = re.compile(r"\s*:\s*(\*?)\s*$")

# Keys of the script's element JSON that become Element.attributes (as strings).
_EXTRA_KEYS = {
    "tag": "tag",
    "readonly": "readonly",
    "coveredBy": "covered_by",
    "group": "group",
    "href": "href",
    "expanded": "expanded",
    "selected": "selected",
    "mixed": "mixed",
    "invalid": "invalid",
    "multiple": "multiple",
    "proxy": "proxy",
    "name": "name",
    "autocomplete": "autocomplete",
    "placeholder": "placeholder",
    "domId": "id",
    "above": "above",
    "wholeRow": "whole_row",
}


# --------------------------------------------------------------------------- building


def element_from_raw(item: Mapping[str, Any], rows: Mapping[str, str] | None = None) -> Element:
    """Build an :class:`Element` from one element of the snapshot script's output.

    ``rows`` is that snapshot's ``rows`` (row key to the row's text): it gives
    :attr:`Element.context`.
    """
    attributes: dict[str, str] = {}
    for key, name in _EXTRA_KEYS.items():
        value = item.get(key)
        if value is None or value is False or value == "":
            continue
        attributes[name] = "true" if value is True else str(value)
    options = None
    raw_options = item.get("options")
    if raw_options is not None:
        options = [
            ElementOption(
                value=str(o.get("value", "")),
                label=str(o.get("label", "")),
                selected=bool(o.get("selected")),
            )
            for o in raw_options
        ]
        total = int(item.get("optionsTotal") or len(options))
        if total > len(options):
            attributes["options_total"] = str(total)
    row = item.get("row") or None
    return Element(
        id=str(item["id"]),
        role=str(item.get("role") or item.get("tag") or "element"),
        label=str(item.get("label") or ""),
        type=item.get("type"),
        value=item.get("value"),
        checked=item.get("checked"),
        options=options,
        required=bool(item.get("required")),
        disabled=bool(item.get("disabled")),
        visibility=item.get("visibility") or "visible",
        frame=item.get("frame") or None,
        locator=item.get("locator"),
        row=str(row) if row else None,
        context=str((rows or {}).get(row, "")) if row else "",
        owner=str(item["owner"]) if item.get("owner") else None,
        attributes=attributes,
    )


def _at(entry: Mapping[str, Any]) -> int:
    return int(entry.get("at", 0))


def build_page_state(
    snapshots: Iterable[Mapping[str, Any]],
    *,
    url: str,
    title: str = "",
    screenshot: bytes | None = None,
    tabs: list[str] | None = None,
) -> PageState:
    """Merge the script's output for the top document and each child frame into one state.

    Elements and texts are kept in reading order: a child frame's (its snapshot names its
    frame path) go where its iframe is in its parent's. ``text`` holds what says where we
    are — headings, messages, dialog titles — capped at about 1,500 characters; ``content``
    holds those and the other text in view (an order number, a quoted price), for
    extraction, capped at about 6,000. Both are deduplicated across frames.
    """
    raws = list(snapshots)
    by_frame: dict[str, Mapping[str, Any]] = {}
    for raw in raws:
        by_frame.setdefault(str(raw.get("frame") or ""), raw)
    elements: list[Element] = []
    page_texts: list[PageText] = []
    seen_ids: set[str] = set()
    done: set[int] = set()

    def add(raw: Mapping[str, Any]) -> None:
        done.add(id(raw))
        rows = raw.get("rows") or {}
        items = list(raw.get("elements", []))
        texts = list(raw.get("texts") or [])
        frames = sorted(raw.get("frames") or [], key=lambda f: (f.get("at", 0), f.get("ti", 0)))
        ti = fi = 0
        for i in range(len(items) + 1):
            while True:
                text = texts[ti] if ti < len(texts) and int(texts[ti].get("at", 0)) <= i else None
                frame = frames[fi] if fi < len(frames) and _at(frames[fi]) <= i else None
                if frame is not None and (text is None or int(frame.get("ti", 0)) <= ti):
                    fi += 1
                    child = by_frame.get(str(frame.get("frame") or ""))
                    if child is not None and id(child) not in done:
                        add(child)
                    continue
                if text is not None:
                    ti += 1
                    words = " ".join(str(text.get("t") or "").split())
                    if words:
                        page_texts.append(
                            PageText(
                                text=words,
                                level=min(max(int(text.get("h") or 0), 0), 6),
                                at=len(elements),
                                in_view=text.get("v") == 1,
                                above=text.get("v") == 2,
                                in_form=bool(text.get("f")),
                            )
                        )
                    continue
                break
            if i < len(items):
                el = element_from_raw(items[i], rows)
                if el.id not in seen_ids:
                    seen_ids.add(el.id)
                    elements.append(el)

    top = by_frame.get("")
    if top is not None:
        add(top)
    for raw in raws:
        if id(raw) not in done:
            add(raw)
    texts: list[str] = []
    more: list[str] = []
    for snap in raws:
        texts.extend(str(t) for t in snap.get("text", []))
        more.extend(str(t) for t in snap.get("more", []))
    return PageState(
        url=url,
        title=title,
        elements=elements,
        text=_merge_text(texts),
        content=_merge_text([*texts, *more], CONTENT_BUDGET),
        screenshot=screenshot,
        tabs=list(tabs or []),
        texts=page_texts,
    )


def _merge_text(lines: Iterable[str], budget: int = TEXT_BUDGET) -> str:
    kept: list[str] = []
    size = 0
    for line in lines:
        line = " ".join(line.split())
        if not line or any(line in k for k in kept):
            continue
        if size + len(line) > budget:
            room = budget - size
            if room > 20:
                kept.append(line[: room - 1].rstrip() + "…")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def mark_new(page: PageState, previous: PageState | None) -> None:
    """Set ``Element.new`` on elements that were not on ``previous``.

    Ids restart with each new document, so comparing is only meaningful on the same
    document: when the URL (without its fragment) changed, nothing is marked. An id whose
    element changed role or tag is treated as new.
    """
    if previous is None or urldefrag(page.url).url != urldefrag(previous.url).url:
        for el in page.elements:
            el.new = False
        return
    before = {e.id: (e.role, e.attributes.get("tag")) for e in previous.elements}
    for el in page.elements:
        el.new = before.get(el.id) != (el.role, el.attributes.get("tag"))


# --------------------------------------------------------------------------- prompt text


def _quote(text: str, limit: int = PROMPT_VALUE) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        cut = text[: limit - 1]
        space = cut.rfind(" ")
        # At a word boundary: a label keeps its meaning up to the cut.
        text = (cut[:space] if space > limit * 0.6 else cut).rstrip(" ,;:·-") + "…"
    return '"' + text.replace('"', "'") + '"'


def is_placeholder_option(option: ElementOption) -> bool:
    """Whether a select's option stands for "nothing chosen" (``Choose one``, ``-- Select --``,
    or an empty value)."""
    return not option.value or bool(PLACEHOLDER_TEXT.search(option.label.strip()))


def _runs(labels: list[str]) -> list[tuple[str, int]]:
    """Labels with each run of consecutive integers (``2025, 2024, … 2006``) made one item
    ``2025…2006``; each item with the number of options it stands for."""
    out: list[tuple[str, int]] = []
    i = 0
    while i < len(labels):
        j = i + 1
        if _INTEGER.match(labels[i]):
            step = None
            while j < len(labels) and _INTEGER.match(labels[j]):
                diff = int(labels[j]) - int(labels[j - 1])
                if diff not in (1, -1) or (step is not None and diff != step):
                    break
                step = diff
                j += 1
        if j - i >= RANGE_MIN:
            out.append((f"{labels[i]}…{labels[j - 1]}", j - i))
        else:
            out.extend((label, 1) for label in labels[i:j])
        i = j
    return out


def _options_text(el: Element) -> str:
    listed = el.options or []
    # A placeholder says nothing a missing "selected=" does not; kept when it is all there is.
    options = [o for o in listed if not is_placeholder_option(o)] or listed
    total = int(el.attributes.get("options_total", len(listed))) - (len(listed) - len(options))
    shown = _runs([o.label or o.value for o in options])[:PROMPT_OPTIONS]
    more = total - sum(n for _, n in shown)
    inner = ", ".join(text.replace("]", ")") for text, _ in shown)
    if more > 0:
        inner += f", …+{more}" if inner else f"…+{more}"
    return f"options=[{inner}]"


def _label_text(el: Element) -> str:
    label = _REQUIRED_SUFFIX.sub("", el.label) if el.required else el.label
    # A trailing colon says nothing: "Surname:" is the field "Surname".
    return _COLON.sub(lambda m: " *" if m[1] else "", label)


def _element_line(
    el: Element,
    *,
    terse: bool = False,
    grouped: bool = False,
    listed_options: bool = False,
    bare: bool = False,
) -> str:
    """One element's line. ``listed_options``: its options have lines of their own;
    ``bare``: without the id, role and label (what else it says)."""
    parts = [] if bare else [el.id, el.role]
    label = _label_text(el)
    if label and not bare:
        parts.append(_quote(label, PROMPT_LABEL))
    elif el.attributes.get("whole_row"):
        parts.append("(the row itself)")
    if (
        el.type not in _PLAIN_TYPES
        and el.role in ("textbox", "slider", "spinbutton")
        and not _TYPE_NAMED.get(el.type or "", _NOTHING).search(label)
    ):
        # Said only where the label does not say it already ("Email" is an email field).
        parts.append(f"type={el.type}")
    if el.required:
        parts.append("required")
    if el.disabled:
        parts.append("disabled")
    attrs = el.attributes
    if not terse:
        if attrs.get("readonly"):
            parts.append("readonly")
        if attrs.get("invalid"):
            parts.append("invalid")
        if "group" in attrs and not grouped:
            parts.append(f"group={_quote(attrs['group'])}")
    # Unchecked is the default and goes unsaid: most boxes on a page are unchecked.
    if attrs.get("mixed"):
        parts.append("mixed")
    elif el.checked and el.role != "file":
        parts.append("checked")
    if attrs.get("selected") and el.role in ("tab", "treeitem", "option"):
        parts.append("selected")
    if not terse and "expanded" in attrs:
        parts.append("expanded" if attrs["expanded"] == "true" else "collapsed")
    if el.options is not None and not listed_options and (not terse or el.role == "select"):
        # Further down a select says only what is chosen.
        if not terse:
            parts.append(_options_text(el))
        chosen = [
            o.label or o.value for o in el.options if o.selected and not is_placeholder_option(o)
        ]
        if chosen:
            parts.append(f"selected={_quote(', '.join(chosen))}")
    elif el.value and not (el.role == "combobox" and PLACEHOLDER_TEXT.search(el.value)):
        # A combobox's "Select..." is its placeholder shown beside it, not a value.
        parts.append(f"value={_quote(el.value)}")
    if el.role == "link" and not el.label and "href" in attrs:
        parts.append(f"href={_quote(attrs['href'])}")
    if el.visibility == "covered":
        parts.append("(covered)")
    elif el.visibility == "offscreen" and not terse:
        parts.append("(offscreen)")
    elif el.visibility == "hidden":
        parts.append("(hidden)")
    if el.new:
        parts.append("*new*")
    return " ".join(parts)


def _element_lines(elements: list[Element], *, terse: bool = False) -> list[str]:
    """Element lines; radios and checkboxes of one group sit under one group line."""
    out = _Lines()
    for el in elements:
        out.element(el, terse=terse)
    return out.lines


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _key(text: str) -> str:
    """A label or text line as compared: case, spacing and a trailing ``:`` or ``*`` aside."""
    return re.sub(r"[\s:*]+$", "", " ".join(text.split()).casefold())


_FIELD_ROLES = {
    "textbox",
    "searchbox",
    "combobox",
    "select",
    "listbox",
    "checkbox",
    "radio",
    "switch",
    "file",
    "slider",
    "spinbutton",
}


class _Lines:
    """The prompt's lines as they are written: element lines with the group line before a
    run of one group's radios, row lines with their controls indented under them, a popup's
    options under their owner, and text lines that do not just repeat a neighbour's name."""

    def __init__(self, children: Mapping[str, list[Element]] | None = None) -> None:
        self.lines: list[str] = []
        self.keys: list[tuple[str, str]] = []  # (kind, key) per line: "el", "text", "head"
        self.children = children or {}
        self.group: str | None = None
        self.row_key = ""
        self.listed: list[Element] = []

    def _add(self, line: str, kind: str, key: str) -> None:
        # A text line that only says the name of the element (or group) right before or
        # after it is left out.
        if kind in ("el", "head") and self.keys and self.keys[-1] == ("text", key) and key:
            self.lines.pop()
            self.keys.pop()
        if kind == "text" and self.keys and self.keys[-1] == ("el", key) and key:
            return
        self.lines.append(line)
        self.keys.append((kind, key))

    def text(self, line: str, key: str) -> None:
        # A group goes on over a help line inside it; a heading starts another part.
        if line.startswith("#"):
            self.group = None
        self._add(line, "text", key)

    def row(self, context: str, *, terse: bool = False) -> None:
        self.group = None
        self.row_key = _key(context)
        self._add(f"row {_quote(context, ROW_TERSE if terse else ROW_IN_VIEW)}:", "head", "")

    def _drop_echo(self, el: Element) -> None:
        """Leave out a text line right before the element that only shows its value or
        its placeholder ("Select..." beside a combobox)."""
        if not self.keys or self.keys[-1][0] != "text":
            return
        last = self.keys[-1][1]
        shown = _key(el.value or "")
        placeholder = el.role in ("combobox", "select") and PLACEHOLDER_TEXT.search(last)
        if (shown and last == shown) or (last and placeholder):
            self.lines.pop()
            self.keys.pop()

    def element(self, el: Element, *, terse: bool = False, indent: str = "") -> None:
        self._drop_echo(el)
        current = el.attributes.get("group")
        # A group named by its row's own text ("Title: *" then its radios) says it once.
        said = bool(indent) and _key(current or "") == self.row_key
        if current and current != self.group and not said:
            self._add(f"{indent}group {_quote(current)}:", "head", _key(current))
        self.group = current
        kids = self.children.get(el.id, [])
        line = _element_line(el, terse=terse, grouped=bool(current), listed_options=bool(kids))
        self._add(indent + line, "el", _key(el.label))
        self.listed.append(el)
        for kid in kids:
            self.lines.append(f"{indent}  {_element_line(kid, terse=terse)}")
            self.keys.append(("el", _key(kid.label)))
            self.listed.append(kid)
        if kids:
            self.group = None


_MEANINGFUL = re.compile(r"[^\W_]")
_BOILERPLATE = re.compile(r"^\s*(©|\(c\)\s|copyright\b)", re.I)
"""A footer's copyright line: nothing a step decides by."""
_FIGURE = re.compile(r"\d")
_SENTENCE_END = re.compile(r"[.!?](?=\s)")


def _gist(text: str) -> str:
    """A line of body text: whole up to ``PROSE_MAX`` characters; a longer paragraph (prose,
    seldom what an action hinges on) by its first sentence, or its first words."""
    if len(text) <= PROSE_MAX:
        return text
    end = _SENTENCE_END.search(text, 40)
    if end and end.end() <= PROSE_MAX:
        return text[: end.end()] + " …"
    return _quote(text, PROSE_MAX * 3 // 4)[1:-1]


class _Run:
    """Consecutive rows with alike controls (the same roles and states in the same order):
    written once as a header, then one line per row with its text and the ids.

    A control whose name is another control's name of the same row with the same words
    around it in every row ("Select Mateo Schmidt" beside the link "Mateo Schmidt") says so
    in the header (``checkbox "Select <link>"``) and needs no name in the row lines."""

    def __init__(self, shape: list[tuple[str, str]], labels: list[list[str]]) -> None:
        self.shape = shape  # (role, the rest of its line) per position
        self.fixed = [ls[0] if len(set(ls)) == 1 else None for ls in labels]
        self.derived: dict[int, tuple[int, str, str]] = {}
        varying = [i for i, f in enumerate(self.fixed) if f is None]
        for i in varying:
            for j in varying:
                if j != i and j not in self.derived:
                    found = _around(labels[i], labels[j])
                    if found is not None:
                        self.derived[i] = (j, *found)
                        break
        self.varying = [i for i in varying if i not in self.derived]

    def _ref(self, j: int) -> str:
        role = self.shape[j][0]
        same = [k for k, (r, _) in enumerate(self.shape) if r == role]
        return f"<{role}>" if len(same) == 1 else f"<{role} {same.index(j) + 1}>"

    def header(self) -> str:
        """``button "Add to cart"``, ``link (its own name)``, ``checkbox "Select <link>"``,
        ... for each position."""
        out = []
        for i, ((role, rest), fixed) in enumerate(zip(self.shape, self.fixed, strict=True)):
            if i in self.derived:
                j, before, after = self.derived[i]
                name = _quote(before + self._ref(j) + after, PROMPT_LABEL)
            else:
                # Unnamed in every row (a row's checkbox): the row's text names it.
                name = (
                    _quote(fixed, PROMPT_LABEL)
                    if fixed
                    else ""
                    if fixed == ""
                    else "(its own name)"
                )
            out.append(" ".join(p for p in (role, name, rest) if p))
        return ", ".join(out)

    def line(self, members: list[Element], limit: int = 0) -> str:
        """``row "Wireless Mouse · $24.99": e40 "Wireless Mouse", e41``; the row's text
        cut at ``limit`` characters (``ROW_TERSE`` by default)."""
        ids = [
            f"{el.id} {_quote(_label_text(el), PROMPT_LABEL)}" if i in self.varying else el.id
            for i, el in enumerate(members)
        ]
        return f"row {_quote(members[0].context, limit or ROW_TERSE)}: {', '.join(ids)}"


def _around(names: list[str], inner: list[str]) -> tuple[str, str] | None:
    """The words around ``inner[r]`` in ``names[r]`` when they are the same in every row
    (and there are some): ("Select ", "") for "Select Mateo Schmidt" around "Mateo
    Schmidt"."""
    found: tuple[str, str] | None = None
    for name, part in zip(names, inner, strict=True):
        at = name.find(part) if part else -1
        if at < 0:
            return None
        around = (name[:at], name[at + len(part) :])
        if found is None:
            found = around
        elif around != found:
            return None
    return found if found and (found[0] or found[1]) and "<" not in found[0] + found[1] else None


RUN_MIN = 3


def _row_runs(
    row_units: list[list[Element]], children: Mapping[str, list[Element]], *, terse: bool = True
) -> dict[str, _Run]:
    """Runs of ``RUN_MIN`` or more consecutive alike rows, by the id of each row's first
    element; alike as their lines are written (``terse`` further up and down)."""

    def shape(members: list[Element]) -> tuple[tuple[str, str], ...] | None:
        if any(children.get(m.id) or m.attributes.get("group") or m.new for m in members):
            return None
        return tuple((m.role, _element_line(m, terse=terse, bare=True)) for m in members)

    out: dict[str, _Run] = {}
    shapes = [shape(members) for members in row_units]
    i = 0
    while i < len(row_units):
        first = shapes[i]
        j = i + 1
        while first is not None and j < len(row_units) and shapes[j] == first:
            j += 1
        if first is not None and j - i >= RUN_MIN:
            group = row_units[i:j]
            labels = [[_label_text(members[k]) for members in group] for k in range(len(first))]
            run = _Run(list(first), labels)
            for members in group:
                out[members[0].id] = run
        i = j
    return out


def _text_in_view(texts: list[PageText]) -> dict[int, str]:
    """The text lines in view the prompt keeps, by ``id`` of the PageText.

    Tokens go where they decide: every heading, and the text inside forms and dialogs
    (instructions, help, a field's unit) are kept; of the rest (a page's prose, footers),
    short lines with a figure first (a price, a total), then other short lines, then the
    gist of longer ones, within ``OTHER_TEXT_BUDGET`` characters; in all at most
    ``VIEW_TEXT_BUDGET``.
    """
    kept: dict[int, str] = {}
    others: list[tuple[int, int, PageText, str]] = []
    room = VIEW_TEXT_BUDGET
    for n, text in enumerate(texts):
        if not text.in_view or not _MEANINGFUL.search(text.text) or _BOILERPLATE.match(text.text):
            continue
        line = _text_line(text) if text.level else _gist(text.text)
        if text.level or text.in_form:
            if len(line) <= room:
                kept[id(text)] = line
                room -= len(line)
            continue
        # Short lines with a figure (a price, a total, a date) first, then other short
        # lines, then prose.
        tier = 2 if len(line) > SHORT_TEXT else 0 if _FIGURE.search(line) else 1
        others.append((tier, n, text, line))
    budget = min(OTHER_TEXT_BUDGET, room)
    for _, _, text, line in sorted(others, key=lambda o: (o[0], o[1])):
        if len(line) <= budget:
            kept[id(text)] = line
            budget -= len(line)
    return kept


def _text_line(text: PageText) -> str:
    return f"{'#' * text.level} {text.text}" if text.level else text.text


def _listing_budget(setting: int, below: int) -> int:
    """Elements listed further down: the setting, and on a long page a third of the rest,
    up to twice the setting; 0 lists none."""
    if setting <= 0:
        return 0
    return max(setting, min(2 * setting, setting + (below - setting) // OFFSCREEN_SCALE))


def serialize(
    page: PageState, previous: PageState | None = None, *, offscreen_listed: int = OFFSCREEN_LISTED
) -> str:
    """Compact prompt text for ``page``: what is in view in reading order, then a summary of
    what lies further down, then the headings and messages not shown yet.

    *In view* holds the viewport's text and its elements in document order: text lines as
    the page shows them (``## Markets data`` for a heading), one line per element starting
    with its id (``e12 textbox "Email" required value="a@b.c"``, ``e4 select "Country"
    options=[France, Germany, …+40] selected="France"``, ``e7 checkbox "I agree"
    checked``). The controls of a table row, card or list item sit indented under one line
    with that row's own text (``row "BILL-10558 · Northwind Traders · $1,240.00":``); the
    options of an open popup under their combobox or menu button.

    *Further down* lists elements below the viewport tersely: new ones first, then the form
    fields, the other controls, and whole rows in document order, within a budget of
    ``offscreen_listed`` elements (more on a long page, see :func:`_listing_budget`); the
    headings there show where the sections are, and the rest is counted by role. With
    ``previous`` (the state at the step before), elements that appeared since are marked
    ``*new*`` (and :attr:`Element.new` is set, see :func:`mark_new`).

    What goes unsaid is the common case: a box is unchecked unless it says ``checked``; a
    select has nothing chosen unless it says ``selected=`` (its placeholder option is left
    out); a ``*`` that marks a required field's label is left out for the word
    ``required``, a label's trailing colon too, and ``type=email`` where the label says
    "Email". A run of four or more consecutive numbers among the options is written
    ``2025…2006``. Elements under a dialog or banner are marked ``(covered)`` and the
    overlay is named once. Locators (``" >>> "`` for shadow roots, ``" |> "`` for iframes)
    are kept out of the prompt and returned by :func:`to_json`.
    """
    mark_new(page, previous)
    lines = [f"URL: {page.url}"]
    if page.title:
        lines.append(f"Title: {page.title}")
    if len(page.tabs) > 1:
        lines.append(f"Open tabs: {', '.join(page.tabs)}")
    elements = page.elements
    ids = {e.id for e in elements}
    children: dict[str, list[Element]] = {}
    owned: set[str] = set()
    for el in elements:
        if el.owner and el.owner in ids and el.owner != el.id:
            children.setdefault(el.owner, []).append(el)
            owned.add(el.id)
    rows: dict[str, list[Element]] = {}
    for el in elements:
        if el.row and el.context and el.id not in owned:
            rows.setdefault(el.row, []).append(el)
    in_view_rows = {
        key
        for key, members in rows.items()
        if any(m.visibility in ("visible", "covered") for m in members)
    }

    def place(el: Element) -> str:
        if el.id in owned:
            return "owned"
        if el.row in in_view_rows and el.row in rows:
            return "view"
        if el.visibility in ("visible", "covered"):
            return "view"
        return "hidden" if el.visibility == "hidden" else "below"

    places = [place(el) for el in elements]
    texts_at: dict[int, list[PageText]] = {}
    for text in page.texts:
        texts_at.setdefault(text.at, []).append(text)

    # ---- in view, in reading order
    kept_text = _text_in_view(page.texts)
    view = _Lines(children)
    shown_rows: set[str] = set()
    # Alike rows in view are written once too (a mail list's rows, a results table's).
    view_units: dict[str, list[Element]] = {}
    for i, el in enumerate(elements):
        if places[i] == "view" and el.row in in_view_rows and el.row in rows:
            view_units.setdefault(el.row, rows[el.row])
    view_runs = _row_runs(list(view_units.values()), children, terse=False)
    run_at: tuple[_Run, int] | None = None  # the run being written, and where it ends
    for i in range(len(elements) + 1):
        for text in texts_at.get(i, []):
            line = kept_text.get(id(text))
            if line is not None:
                view.text(line, _key(text.text))
        if i == len(elements) or places[i] != "view":
            continue
        el = elements[i]
        if el.row in in_view_rows and el.row in rows:
            if el.row in shown_rows:
                continue
            shown_rows.add(el.row)
            run = view_runs.get(rows[el.row][0].id)
            if run is not None:
                if run_at is None or run_at != (run, len(view.lines)):
                    view.text(f"each row below has: {run.header()}:", "")
                view.lines.append("  " + run.line(rows[el.row], ROW_IN_VIEW))
                view.keys.append(("el", ""))
                view.listed.extend(rows[el.row])
                run_at = (run, len(view.lines))
                continue
            view.row(rows[el.row][0].context)
            for member in rows[el.row]:
                view.element(member, indent="  ")
            view.group = None
            continue
        view.element(el)
    for i, el in enumerate(elements):
        if places[i] == "hidden":
            view.element(el)
    lines.append("")
    lines.append("In view:" if view.lines else "In view: nothing")
    lines.extend(view.lines)
    # Said once for all the elements it hides, rather than on each of their lines.
    overlays = Counter(
        e.attributes.get("covered_by", "") for e in view.listed if e.visibility == "covered"
    )
    for overlay, count in overlays.items():
        what = overlay or "another element"
        lines.append(f"({count} of them covered by {what}: deal with it first)")

    # ---- further down: a budget of elements, whole rows, headings as landmarks
    below = [el for i, el in enumerate(elements) if places[i] == "below"]
    below_total = len(below) + sum(len(children.get(el.id, [])) for el in below)
    if below:
        units: list[tuple[int, int, list[Element]]] = []  # (priority, order, elements)
        row_units: dict[str, list[Element]] = {}
        order = 0
        for el in below:
            if el.row and el.row in rows:
                if el.row not in row_units:
                    row_units[el.row] = []
                    units.append((3, order, row_units[el.row]))
                row_units[el.row].append(el)
            else:
                units.append((2 if el.role not in _FIELD_ROLES else 1, order, [el]))
            order += 1
        units = [
            (
                0
                if any(e.new for e in members)
                # A row of one field (a filter's option with its count) is a field.
                else 1
                if prio == 3 and len(members) == 1 and members[0].role in _FIELD_ROLES
                else prio,
                n,
                members,
            )
            for prio, n, members in units
        ]
        budget: float = _listing_budget(offscreen_listed, below_total)
        runs = _row_runs([u[2] for u in units if u[0] == 3], children)
        # Rows go nearest the viewport first: those above it from the last one up.
        ups = [u[1] for u in units if u[0] == 3 and u[2][0].attributes.get("above")]
        downs = [u[1] for u in units if u[0] == 3 and not u[2][0].attributes.get("above")]
        near = {n: k for k, n in enumerate(reversed(ups))} | {n: k for k, n in enumerate(downs)}

        def rank(unit: tuple[int, int, list[Element]]) -> tuple[int, int, int]:
            return (unit[0], near.get(unit[1], 0) if unit[0] == 3 else 0, unit[1])

        chosen: set[str] = set()
        room = BELOW_CHARS
        for prio, _, members in sorted(units, key=rank):
            run = runs.get(members[0].id) if prio == 3 else None
            if run is not None:
                # A row of a run of alike rows is one short line: its text and its ids.
                cost = 0.5 + 0.5 * len(run.varying)
                size = len(run.line(members))
            else:
                cost = sum(1 + len(children.get(e.id, [])) for e in members)
                size = sum(len(_element_line(e, terse=True)) for e in members)
            if cost > budget or (prio == 3 and size > room):
                if prio == 3:
                    break
                continue
            budget -= cost
            room -= size
            chosen.update(e.id for e in members)
        rest = [e for el in below if el.id not in chosen for e in (el, *children.get(el.id, []))]
        rest_rows = {el.row for el in below if el.id not in chosen and el.row in rows}
        counts = ", ".join(f"{n} {role}" for role, n in Counter(e.role for e in rest).most_common())
        if rest_rows:
            counts += f" (in {len(rest_rows)} more rows)"

        def listing(up: bool) -> list[str]:
            """The listed elements above (``up``) or below the viewport, in document order,
            with the headings there."""
            out = _Lines(children)
            listed_rows: set[str] = set()
            current_run: _Run | None = None
            for i in range(len(elements) + 1):
                for text in texts_at.get(i, []):
                    if not text.in_view and text.level and text.above == up:
                        out.text(_text_line(text), _key(text.text))
                if i == len(elements) or places[i] != "below" or elements[i].id not in chosen:
                    continue
                el = elements[i]
                if bool(el.attributes.get("above")) != up:
                    continue
                if el.row and el.row in rows:
                    if el.row in listed_rows:
                        continue
                    listed_rows.add(el.row)
                    run = runs.get(el.id)
                    if run is not None:
                        if run is not current_run:
                            out.text(f"each row below has: {run.header()}:", "")
                            current_run = run
                        out.lines.append("  " + run.line(row_units[el.row]))
                        out.keys.append(("el", ""))
                        continue
                    current_run = None
                    out.row(el.context, terse=True)
                    for member in row_units[el.row]:
                        out.element(member, terse=True, indent="  ")
                    out.group = None
                    continue
                current_run = None
                out.element(el, terse=True)
            # Below, headings with no listed element after them say nothing about where to
            # go; above, they are what lies between it and the viewport.
            while not up and out.keys and out.keys[-1][0] == "text":
                out.lines.pop()
                out.keys.pop()
            return out.lines

        above = [el for el in below if el.attributes.get("above")]
        up = listing(True) if chosen else []
        if up:
            lines.append("")
            lines.append(f"Further up (scroll up to reach; {len(above)}):")
            lines.extend(up)
        down = listing(False) if chosen else []
        if not chosen:
            where = "Further down" if not above else "Elsewhere on the page"
            lines.extend(["", f"{where} (scroll to reach): {counts}"])
        elif down or rest:
            lines.extend(["", f"Further down (scroll to reach; {below_total - len(above)}):"])
            lines.extend(down)
            if rest:
                lines.append(f"…and {len(rest)} more: {counts}")

    # ---- headings and messages not shown yet
    labels = {" ".join(e.label.split()).casefold() for e in elements if e.label}
    title = f" {_words(page.title)} "
    shown_text = {_key(line.lstrip("# ")) for line in lines}
    remaining = [
        line
        for line in page.text.splitlines()
        if line.casefold() not in labels
        and f" {_words(line) or line} " not in title
        and _key(line.removeprefix("Dialog: ")) not in shown_text
    ]
    if remaining:
        lines.append("")
        lines.append("Page text:")
        lines.extend(remaining)
    return "\n".join(lines)


def to_json(page: PageState, previous: PageState | None = None) -> dict[str, Any]:
    """The page as JSON: per element its id, role, label, state, row context, owner,
    frame and locator; the page's texts in reading order.

    Also ``prompt`` (exactly what :func:`serialize` returns) and its ``tokens``.
    """
    prompt = serialize(page, previous)
    elements = []
    for el in page.elements:
        state: dict[str, Any] = {"visibility": el.visibility}
        if el.type is not None:
            state["type"] = el.type
        if el.value is not None:
            state["value"] = el.value
        if el.checked is not None:
            state["checked"] = el.checked
        if el.options is not None:
            state["options"] = [o.model_dump() for o in el.options]
        for flag in ("required", "disabled", "new"):
            if getattr(el, flag):
                state[flag] = True
        state.update(el.attributes)
        entry: dict[str, Any] = {
            "id": el.id,
            "role": el.role,
            "label": el.label,
            "state": state,
            "frame": el.frame,
            "locator": el.locator,
        }
        if el.row:
            entry["row"] = el.row
            entry["context"] = el.context
        if el.owner:
            entry["owner"] = el.owner
        elements.append(entry)
    return {
        "url": page.url,
        "title": page.title,
        "elements": elements,
        "texts": [t.model_dump() for t in page.texts],
        "text": page.text,
        "content": page.content,
        "prompt": prompt,
        "tokens": count_tokens(prompt),
    }


# --------------------------------------------------------------------------- tokens

_O200K_CACHE_NAME = "fb374d419588a4632f3f557e76b4b70aebbca790"
"""tiktoken's cache file name for o200k_base: the sha1 of its download URL."""


def _bundled_cache_dir() -> Path | None:
    # find_spec locates litellm without importing it (importing it takes seconds).
    try:
        spec = importlib.util.find_spec("litellm")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "litellm_core_utils" / "tokenizers"
        if (folder / _O200K_CACHE_NAME).is_file():
            return folder
    return None


@lru_cache(maxsize=1)
def _encoding() -> Any:
    try:
        import tiktoken
    except ImportError:
        return None
    own = os.environ.get("TIKTOKEN_CACHE_DIR")
    if own and (Path(own) / _O200K_CACHE_NAME).is_file():
        folder: Path | None = Path(own)
    else:
        folder = _bundled_cache_dir()
    if folder is None:
        return None
    previous = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
    try:
        return tiktoken.get_encoding("o200k_base")
    except Exception:
        return None
    finally:
        if previous is None:
            os.environ.pop("TIKTOKEN_CACHE_DIR", None)
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = previous


def count_tokens(text: str) -> int:
    """Count tokens with the o200k_base encoding (GPT-4o and later), offline.

    tiktoken would download the encoding; the copy shipped inside litellm's wheel
    (``litellm/litellm_core_utils/tokenizers/``) is used instead, through
    ``TIKTOKEN_CACHE_DIR``. When tiktoken or that file is unavailable, the count is an
    estimate of one token per four characters.
    """
    encoding = _encoding()
    if encoding is None:
        return math.ceil(len(text) / 4)
    return len(encoding.encode(text, disallowed_special=()))
