"""From the snapshot script's JSON to a :class:`PageState`.

The snapshot script (``snapshot.js``, :data:`SNAPSHOT_SCRIPT`) reports every interactable
element of a document with a stable id and a locator (see
:mod:`skyvern_core.perception.serializer` for the locator's form); :func:`build_page_state`
merges its output for a page and its frames.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

from skyvern_core.models import Element, ElementOption, PageState, PageText

__all__ = [
    "CONTENT_BUDGET",
    "LOCATOR_FRAME",
    "LOCATOR_SHADOW",
    "SNAPSHOT_SCRIPT",
    "TEXT_BUDGET",
    "build_page_state",
    "element_from_raw",
    "mark_new",
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
