"""The element lines of the step prompt: one element's line, a run of one group's lines,
rows of alike controls written once (see :func:`skyvern_core.perception.serialize`)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from skyvern_core.models import Element, ElementOption

__all__ = [
    "PLACEHOLDER_TEXT",
    "PROMPT_LABEL",
    "PROMPT_OPTIONS",
    "PROMPT_VALUE",
    "RANGE_MIN",
    "ROW_IN_VIEW",
    "ROW_TERSE",
    "RUN_MIN",
    "is_placeholder_option",
]

PROMPT_OPTIONS = 12
PROMPT_VALUE = 80
PROMPT_LABEL = 200
ROW_IN_VIEW = 150
"""Characters of the text of a row in view (a card's facts, a table row's cells)."""
ROW_TERSE = 90
"""Characters of a row's text further down: enough to tell the rows apart (a name, a date,
an amount); scrolling there shows the rest."""
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


# --------------------------------------------------------------------------- prompt text


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        cut = text[: limit - 1]
        space = cut.rfind(" ")
        # At a word boundary: a label keeps its meaning up to the cut.
        text = (cut[:space] if space > limit * 0.6 else cut).rstrip(" ,;:·-") + "…"
    return text.replace('"', "'")


def _quote(text: str, limit: int = PROMPT_VALUE) -> str:
    return '"' + _cut(text, limit) + '"'


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
        if self._join_choice(el, line, indent, bool(current) or bool(indent), kids):
            return
        self._add(indent + line, "el", _key(el.label))
        self.listed.append(el)
        for kid in kids:
            self.lines.append(f"{indent}  {_element_line(kid, terse=terse)}")
            self.keys.append(("el", _key(kid.label)))
            self.listed.append(kid)
        if kids:
            self.group = None

    def _join_choice(
        self, el: Element, line: str, indent: str, together: bool, kids: list[Element]
    ) -> bool:
        """The options of one group or row ("Mr", "Mrs", "Dr") share one line, its role said
        once: ``radio e5 "Mr", e6 "Mrs" checked, e7 "Dr"``."""
        own = f"{el.id} {el.role} "
        last = self.listed[-1] if self.listed else None
        if (
            not together
            or kids
            or el.role not in _CHOICE_ROLES
            or not el.label
            or not line.startswith(own + '"')
            or last is None
            or last.role != el.role
            or last.attributes.get("group") != el.attributes.get("group")
            or not self.keys
            or self.keys[-1][0] != "el"
        ):
            return False
        before = self.lines[-1]
        head = f"{indent}{last.id} {el.role} "
        if before.startswith(head + '"'):
            before = f"{indent}{el.role} {last.id} {before[len(head) :]}"
        elif not before.startswith(f"{indent}{el.role} "):
            return False
        self.lines[-1] = f"{before}, {el.id} {line[len(own) :]}"
        self.keys[-1] = ("el", _key(el.label))
        self.listed.append(el)
        return True


_CHOICE_ROLES = frozenset({"radio", "checkbox"})


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
        """``Wireless Mouse · $24.99: e40 "Wireless Mouse", e41``; the row's text cut at
        ``limit`` characters (``ROW_TERSE`` by default).

        The header above says these are rows: the text goes unquoted, two tokens fewer on
        every row of a long table."""
        ids = [
            f"{el.id} {_quote(_label_text(el), PROMPT_LABEL)}" if i in self.varying else el.id
            for i, el in enumerate(members)
        ]
        return f"{_cut(members[0].context, limit or ROW_TERSE)}: {', '.join(ids)}"


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
