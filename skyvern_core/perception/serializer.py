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

from skyvern_core.models import Element, ElementOption, PageState

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

SNAPSHOT_SCRIPT = (Path(__file__).with_name("snapshot.js")).read_text(encoding="utf-8")
"""The text of ``snapshot.js``: an expression evaluating to ``snapshot(options)``."""

TEXT_BUDGET = 1500
CONTENT_BUDGET = 6000
OFFSCREEN_LISTED = 40
PROMPT_OPTIONS = 12
PROMPT_VALUE = 80
TERSE_LABEL = 48
RANGE_MIN = 4

_CHECKABLE = {"checkbox", "radio", "switch", "menuitemcheckbox", "menuitemradio"}
_PLAIN_TYPES = {None, "text", "checkbox", "radio", "submit", "button", "reset", "file", "image"}
PLACEHOLDER_TEXT = re.compile(r"^\W*(please\s+)?(select|choose|pick)\b|^-+.*-+$|^$", re.I)
"""Matches what a control shows when nothing is chosen: ``Select...``, ``-- Please Select --``."""
# A trailing "*" (or "(required)") says what the word "required" on the line says again.
_REQUIRED_SUFFIX = re.compile(r"\s*(\*|\(required\))\s*:?\s*$", re.I)
_INTEGER = re.compile(r"^-?\d{1,9}$")

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
}


# --------------------------------------------------------------------------- building


def element_from_raw(item: Mapping[str, Any]) -> Element:
    """Build an :class:`Element` from one element of the snapshot script's output."""
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
        attributes=attributes,
    )


def build_page_state(
    snapshots: Iterable[Mapping[str, Any]],
    *,
    url: str,
    title: str = "",
    screenshot: bytes | None = None,
    tabs: list[str] | None = None,
) -> PageState:
    """Merge the script's output for the top document and each child frame into one state.

    ``text`` holds what says where we are — headings, messages, dialog titles — capped at
    about 1,500 characters; ``content`` holds those and the other text in view (an order
    number, a quoted price), for extraction, capped at about 6,000. Both are deduplicated
    across frames.
    """
    elements: list[Element] = []
    seen_ids: set[str] = set()
    texts: list[str] = []
    more: list[str] = []
    for snap in snapshots:
        for item in snap.get("elements", []):
            el = element_from_raw(item)
            if el.id in seen_ids:
                continue
            seen_ids.add(el.id)
            elements.append(el)
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
        text = text[: limit - 1].rstrip() + "…"
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


def _element_lines(elements: list[Element], *, terse: bool = False) -> list[str]:
    """Element lines; radios and checkboxes of one group sit under one group line."""
    lines: list[str] = []
    group = None
    for el in elements:
        current = el.attributes.get("group")
        if current and current != group:
            lines.append(f"group {_quote(current)}:")
        group = current
        lines.append(_element_line(el, terse=terse, grouped=bool(current)))
    return lines


def _element_line(el: Element, *, terse: bool = False, grouped: bool = False) -> str:
    parts = [el.id, el.role]
    label = _REQUIRED_SUFFIX.sub("", el.label) if el.required else el.label
    if label:
        parts.append(_quote(label, TERSE_LABEL if terse else PROMPT_VALUE))
    if el.type not in _PLAIN_TYPES and el.role in ("textbox", "slider", "spinbutton"):
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
    if el.options is not None and not terse:
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


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def serialize(
    page: PageState, previous: PageState | None = None, *, offscreen_listed: int = OFFSCREEN_LISTED
) -> str:
    """Compact prompt text for ``page``: one line per element, then the page text.

    Elements in the viewport (``visible`` and ``covered``) come first, in full. Elements
    further down are listed tersely — the first ``offscreen_listed`` of them, new ones first
    — and the rest counted by role. With ``previous`` (the state at the step before),
    elements that appeared since are marked ``*new*`` (and :attr:`Element.new` is set, see
    :func:`mark_new`).

    Element lines start with the element's id: ``e12 textbox "Email" required
    value="a@b.c"``, ``e4 select "Country" options=[France, Germany, …+40]
    selected="France"``, ``e7 checkbox "I agree" checked``. What goes unsaid is the common
    case: a box is unchecked unless it says ``checked``; a select has nothing chosen unless
    it says ``selected=`` (its placeholder option is left out); a ``*`` that marks a
    required field's label is left out for the word ``required``. A run of four or more
    consecutive numbers among the options is written ``2025…2006``. Elements under a dialog
    or banner are marked ``(covered)`` and the overlay is named once. The
    page text is what says where we are (headings, messages); the rest of the text in view
    is :attr:`PageState.content`, which extraction reads. Locators
    (``" >>> "`` for shadow roots, ``" |> "`` for iframes) are kept out of the prompt and
    returned by :func:`to_json`.
    """
    mark_new(page, previous)
    lines = [f"URL: {page.url}"]
    if page.title:
        lines.append(f"Title: {page.title}")
    if len(page.tabs) > 1:
        lines.append(f"Open tabs: {', '.join(page.tabs)}")
    in_view = [e for e in page.elements if e.visibility in ("visible", "covered")]
    below = [e for e in page.elements if e.visibility == "offscreen"]
    hidden = [e for e in page.elements if e.visibility == "hidden"]
    lines.append("")
    lines.append("Elements in view:" if in_view else "Elements in view: none")
    lines.extend(_element_lines(in_view))
    lines.extend(_element_lines(hidden))
    # Said once for all the elements it hides, rather than on each of their lines.
    overlays = Counter(
        e.attributes.get("covered_by", "") for e in in_view if e.visibility == "covered"
    )
    for overlay, count in overlays.items():
        what = overlay or "another element"
        lines.append(f"({count} of them covered by {what}: deal with it first)")
    if below:
        lines.append("")
        # New elements first: they are usually what the last action revealed.
        ordered = sorted(below, key=lambda e: not e.new)
        listed = ordered[:offscreen_listed]
        rest = ordered[offscreen_listed:]
        counts = ", ".join(f"{n} {role}" for role, n in Counter(e.role for e in rest).most_common())
        if listed:
            lines.append(f"Further down (scroll to reach; {len(below)}):")
            lines.extend(_element_lines(listed, terse=True))
            if rest:
                lines.append(f"…and {len(rest)} more: {counts}")
        else:
            lines.append(f"Further down (scroll to reach): {counts}")
    labels = {" ".join(e.label.split()).casefold() for e in page.elements if e.label}
    title = f" {_words(page.title)} "
    # Headings and messages that only repeat an element's name or words of the title add
    # nothing.
    text = [
        line
        for line in page.text.splitlines()
        if line.casefold() not in labels and f" {_words(line) or line} " not in title
    ]
    if text:
        lines.append("")
        lines.append("Page text:")
        lines.extend(text)
    return "\n".join(lines)


def to_json(page: PageState, previous: PageState | None = None) -> dict[str, Any]:
    """The page as JSON: per element its id, role, label, state, frame and locator.

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
        elements.append(
            {
                "id": el.id,
                "role": el.role,
                "label": el.label,
                "state": state,
                "frame": el.frame,
                "locator": el.locator,
            }
        )
    return {
        "url": page.url,
        "title": page.title,
        "elements": elements,
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
