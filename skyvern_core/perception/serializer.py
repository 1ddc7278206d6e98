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

import re
from collections import Counter
from typing import Any

from skyvern_core.models import Element, PageState, PageText
from skyvern_core.perception.lines import (
    _FIELD_ROLES,
    PLACEHOLDER_TEXT,
    ROW_IN_VIEW,
    _element_line,
    _key,
    _Lines,
    _quote,
    _row_runs,
    _Run,
    _words,
    is_placeholder_option,
)
from skyvern_core.perception.pagestate import (
    LOCATOR_FRAME,
    LOCATOR_SHADOW,
    SNAPSHOT_SCRIPT,
    build_page_state,
    element_from_raw,
    mark_new,
)
from skyvern_core.perception.tokens import count_tokens

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
OFFSCREEN_LISTED = 40
OFFSCREEN_SCALE = 3
BELOW_CHARS = 4000
"""Characters of the listing further down at most (about 1,000 tokens): long rows are
listed fewer, short ones more, within the element budget."""
VIEW_TEXT_BUDGET = 6000
PROSE_MAX = 160
OTHER_TEXT_BUDGET = 140
SHORT_TEXT = 60


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

    What is *in view* comes first, after the URL and title and a blank line (``In view:
    nothing`` when the viewport is empty): the viewport's text and its elements in document
    order: text lines as
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
    # What is in view comes first, after a blank line: it needs no heading of its own.
    lines.append("")
    if not view.lines:
        lines.append("In view: nothing")
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
            # The count says how much is not listed; with everything listed it says nothing.
            unlisted = f"; {below_total - len(above)}" if rest else ""
            lines.extend(["", f"Further down (scroll to reach{unlisted}):"])
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
