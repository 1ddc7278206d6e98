"""What the browser drivers share: in-page scripts, key names, wording and checks.

The Playwright and Selenium drivers (``skyvern_plugins``) see and act on a page the same
way; this module holds the parts that do not depend on the automation library, so that
both decide alike: the JavaScript they evaluate in the page, how an element of the last
snapshot is found again and described, the key names, the check of a file to upload,
the messages a failed action returns and the rules that verify an action's effect, and the
Chromium both launch.

The scripts are JavaScript function expressions (``(el, arg) => ...``): Playwright
evaluates them as they are, Selenium calls them through ``execute_script``.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from skyvern_core.config import Settings
from skyvern_core.errors import ConfigurationError
from skyvern_core.models import ActionResult, Element, PageState
from skyvern_core.perception.document import (
    DOCUMENT_SCRIPT,
    DOCUMENT_STATE,
    MAX_FRAME_DEPTH,
    splice_frames,
)
from skyvern_core.perception.matching import (
    AmbiguousOption,
    NoOptionMatch,
    OptionMatch,
    match_option,
    normalize_option,
)

__all__ = [
    "AUTOCOMPLETE",
    "CHECKED_STATE",
    "DISPATCH_CHANGE",
    "DOCUMENT_FRAME",
    "EDITABLE_TEXT",
    "FILE_INPUT",
    "HIT_TEST",
    "IS_HOVERED",
    "JPEG_QUALITY",
    "JS_CLICK",
    "KEY_NAMES",
    "LAST_OPTION",
    "LAUNCH_ARGS",
    "LIST_OPTIONS",
    "MAX_FRAME_DEPTH",
    "NATIVE_OPTIONS",
    "NO_PAGE_BACK",
    "OPEN_WAIT",
    "PROXY_LABEL",
    "READ_DOCUMENT",
    "SCROLL_PAGE",
    "SCROLL_TO_CENTER",
    "SCROLL_TO_NEAREST",
    "SELECTED_LABELS",
    "SELECT_CONTENTS",
    "SNAPSHOT_API",
    "SNAPSHOT_STATE",
    "SUGGESTION_WAIT",
    "WIDGET_STATE",
    "ActionFailed",
    "KnownElement",
    "check_checkable",
    "check_clickable",
    "check_text_field",
    "checked_result",
    "child_frame_options",
    "choose_option",
    "chosen_data",
    "covered",
    "custom_select_result",
    "describe_element",
    "element_scroll_result",
    "find_chromium",
    "has_checked_state",
    "is_list",
    "is_on",
    "key_name",
    "known_elements",
    "known_from_page",
    "list_labels",
    "local_upload",
    "native_select_result",
    "no_option_message",
    "norm_text",
    "page_scroll_result",
    "pick_suggestion",
    "resolve_args",
    "splice_frames",
    "suggestion_data",
    "typed_result",
    "unsupported_action",
    "wait_seconds",
    "widget_shows",
]

# --------------------------------------------------------------------------- Chromium

JPEG_QUALITY = 80
"""Quality of the screenshot sent to the model: text stays legible, the file stays small."""


LAUNCH_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
"""Chromium flags: nothing phones home (the machine's network may be closed)."""


def find_chromium(settings: Settings, playwright_executable: str | None) -> str | None:
    """The Chromium to launch: ``Settings.browser_path``, else Playwright's own browser if
    it is installed (``None``: let Playwright use it), else a Chromium or Chrome on PATH.

    Raises :class:`~skyvern_core.errors.ConfigurationError` when there is none.
    """
    if settings.browser_path:
        path = shutil.which(settings.browser_path) or settings.browser_path
        if not Path(path).exists():
            raise ConfigurationError(f"browser_path {settings.browser_path!r} does not exist")
        return path
    if playwright_executable and Path(playwright_executable).exists():
        return None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"):
        if Path(path).exists():
            return path
    raise ConfigurationError(
        "no Chromium found: run 'playwright install chromium', install a Chromium "
        "(e.g. apt-get install chromium) or set SKYVERN_BROWSER_PATH"
    )


# --------------------------------------------------------------------------- in-page scripts

SNAPSHOT_STATE = "window[Symbol.for('skyvern-core.snapshot')]"
"""The page-side state the snapshot script leaves behind (an expression)."""
SNAPSHOT_API = f"{SNAPSHOT_STATE}.api"
"""The snapshot script's API in the page (an expression)."""
HIT_TEST = f"(el) => {SNAPSHOT_API}.hitTest(el)"
"""What a click at the element would hit: rendered, inView, ok, by, modal, interactive."""
JS_CLICK = "(el) => el.click()"
"""A click delivered with JavaScript."""
SCROLL_TO_CENTER = "(el) => el.scrollIntoView({block: 'center', inline: 'center'})"
"""Scroll the element to the middle of the viewport, both ways."""
SCROLL_TO_NEAREST = "(el) => el.scrollIntoView({block: 'center', inline: 'nearest'})"
"""Scroll the element to the middle of the viewport vertically, as little as needed across."""
IS_HOVERED = "(el) => el.matches(':hover')"
"""Whether the pointer is over the element."""
CHECKED_STATE = (
    "(el) => el.type === 'checkbox' || el.type === 'radio' ? el.checked :"
    " el.getAttribute('aria-checked')"
)
"""A native control's ``checked``, else its ``aria-checked`` attribute."""
DISPATCH_CHANGE = "(el) => el.dispatchEvent(new Event('change', {bubbles: true}))"
"""Fire the change event a person's leaving the field would fire."""
SELECT_CONTENTS = """(el) => { el.focus(); const r = document.createRange();
    r.selectNodeContents(el); const s = getSelection();
    s.removeAllRanges(); s.addRange(r); }"""
"""Focus a contenteditable element and select all its content."""
EDITABLE_TEXT = "(el) => el.innerText.replace(/\\n$/, '')"
"""The text of a contenteditable element, without the trailing newline."""
SELECTED_LABELS = "(el) => Array.from(el.selectedOptions).map((o) => (o.label || o.text).trim())"
"""The labels of a ``<select>``'s chosen options."""
LAST_OPTION = f"(el, i) => {SNAPSHOT_STATE}.lastOptions[i]"
"""Option ``i`` of those :data:`LIST_OPTIONS` found last."""

PROXY_LABEL = """(el) => {
    const vis = (x) => { const r = x.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && (!x.checkVisibility ||
        x.checkVisibility({visibilityProperty: true})); };
    for (const l of el.labels || []) if (vis(l)) return l;
    let scope = el.parentElement;
    for (let d = 0; scope && d < 2; d++, scope = scope.parentElement) {
      for (const c of scope.querySelectorAll(
          'button, [role=button], label, a, .btn, [class*=upload]')) {
        if (c !== el && !(c.contains(el) && c.tagName !== 'LABEL') && vis(c)) return c;
      }
    }
    return null;
}"""
"""The visible label (or button) standing in for a hidden checkbox, radio or file input."""

FILE_INPUT = """(el) => {
    if (el.tagName === 'INPUT' && el.type === 'file') return el;
    if (el.control && el.control.type === 'file') return el.control;
    const inside = el.querySelector && el.querySelector('input[type=file]');
    if (inside) return inside;
    let scope = el.parentElement;
    for (let d = 0; scope && d < 3; d++, scope = scope.parentElement) {
      const found = scope.querySelectorAll('input[type=file]');
      if (found.length === 1) return found[0];
    }
    return null;
}"""
"""The file input of an element: itself, its label's control, one inside or one beside it."""

NATIVE_OPTIONS = """(el) => Array.from(el.options).map((o) => ({
    label: (o.label || o.text || '').replace(/\\s+/g, ' ').trim(),
    value: o.value, disabled: o.disabled || !!(o.parentElement && o.parentElement.disabled),
}))"""
"""A ``<select>``'s options, in order: [{label, value, disabled}]."""

# The visible options of a custom list (ARIA [role=option], else list items), preferring the
# popup the element names (aria-controls / aria-owns / its active descendant's listbox) over
# the rest of the page.
_GATHER_OPTIONS = """(el) => {
    const vis = (x) => { const r = x.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && (!x.checkVisibility ||
        x.checkVisibility({visibilityProperty: true})); };
    const home = el.getRootNode();
    const byId = (id) => (id && ((home.getElementById && home.getElementById(id))
      || document.getElementById(id))) || null;
    const roots = [];
    for (const attr of ['aria-controls', 'aria-owns']) {
      for (const id of (el.getAttribute(attr) || '').split(/\\s+/)) {
        const popup = byId(id);
        if (popup) roots.push(popup);
      }
    }
    const active = byId(el.getAttribute('aria-activedescendant'));
    const activeList = active && active.closest('[role=listbox]');
    if (activeList) roots.push(activeList);
    if (el.getAttribute('role') === 'listbox') roots.push(el);
    roots.push(home, document);
    for (const root of roots) {
      let options = Array.from(root.querySelectorAll('[role=option]')).filter(vis);
      if (!options.length && root !== document && root !== home) {
        options = Array.from(root.querySelectorAll('li')).filter(vis);
      }
      if (!options.length && root === document) {
        options = Array.from(document.querySelectorAll(
          '[role=listbox] li, ul[class*=option] li, ul[class*=menu] li, ul[class*=dropdown] li,'
          + ' ul[class*=suggest] li, [class*=option]:not(select):not(option):not(input)'))
          .filter(vis);
      }
      if (options.length) return options;
    }
    return [];
}"""

# Busy: a list still loading (aria-busy, or a loading notice in a menu or by the field).
_BUSY = """(el) => {
    const vis = (x) => { const r = x.getBoundingClientRect();
      return r.width > 0 && r.height > 0; };
    for (const b of document.querySelectorAll('[aria-busy=true]')) if (vis(b)) return true;
    const near = [];
    for (let x = el.parentElement, d = 0; x && d < 3; x = x.parentElement, d++) near.push(x);
    const sel = '[class*=loading], [class*=Loading], [class*=spinner], [class*=searching]';
    for (const scope of near) for (const b of scope.querySelectorAll(sel)) if (vis(b)) return true;
    for (const b of document.querySelectorAll('[role=listbox] ' + sel.split(', ').join(
        ', [role=listbox] ') + ', [class*=menu] [class*=notice--loading]')) {
      if (vis(b)) return true;
    }
    return false;
}"""

LIST_OPTIONS = f"""(el, wait) => {{
    const gather = {_GATHER_OPTIONS};
    const busy = {_BUSY};
    const label = (o) => (o.getAttribute('aria-label') || o.innerText || o.textContent || '')
      .replace(/\\s+/g, ' ').trim();
    const read = () => {{
      const found = gather(el);
      const state = window[Symbol.for('skyvern-core.snapshot')];
      if (state) state.lastOptions = found;
      return found.map((o) => ({{label: label(o),
        value: o.getAttribute('data-value') || o.getAttribute('value') || '',
        disabled: o.getAttribute('aria-disabled') === 'true' || o.hasAttribute('disabled')}}));
    }};
    if (!wait) return {{options: read(), busy: busy(el), waited: 0}};
    return new Promise((resolve) => {{
      const start = performance.now();
      let last = null, since = start, timer = null, queued = false, done = false;
      const check = () => {{
        if (done) return;
        const options = read();
        const key = JSON.stringify(options.map((o) => o.label));
        const now = performance.now();
        if (key !== last) {{ last = key; since = now; }}
        const loading = busy(el);
        const still = now - since;
        if ((options.length && !loading && still >= wait.quiet)
            || (!options.length && !loading && still >= wait.idle)
            || now - start >= wait.max) {{
          done = true; observer.disconnect(); clearInterval(timer);
          resolve({{options, busy: loading, waited: Math.round(now - start)}});
        }}
      }};
      const observer = new MutationObserver(() => {{
        if (!queued) {{ queued = true; setTimeout(() => {{ queued = false; check(); }}, 0); }}
      }});
      observer.observe(document.documentElement,
        {{subtree: true, childList: true, attributes: true, characterData: true}});
      timer = setInterval(check, 50);
      check();
    }});
}}"""
"""The visible options of a custom list: {options: [{label, value, disabled}], busy, waited}.

With ``wait`` ({max, quiet, idle} in ms) it waits, re-reading on every change of the page,
until the options have stayed the same for ``quiet`` ms (none at all: ``idle`` ms) and
nothing shows loading, or ``max`` ms have passed. The elements are kept for
:data:`LAST_OPTION`."""

SUGGESTION_WAIT = {"max": 3000, "quiet": 250, "idle": 1000}
"""How long suggestions are awaited after typing into an autocomplete (ms): at most 3 s;
a list unchanged for 250 ms is final; nothing at all for 1 s means none will come."""
OPEN_WAIT = {"max": 2000, "quiet": 100, "idle": 2000}
"""How long a custom dropdown's list is awaited after its trigger is clicked (ms)."""

AUTOCOMPLETE = """(el) => {
    if (el.tagName !== 'INPUT' || el.readOnly || el.disabled) return false;
    const type = (el.getAttribute('type') || 'text').toLowerCase();
    if (!['text', 'search', 'email', 'tel', 'url', ''].includes(type)) return false;
    const role = (el.getAttribute('role') || '').toLowerCase();
    const auto = (el.getAttribute('aria-autocomplete') || '').toLowerCase();
    const popup = (el.getAttribute('aria-haspopup') || '').toLowerCase();
    const search = type === 'search' || role === 'searchbox' || !!el.closest('[role=search]')
      || /search/i.test([el.name, el.id, el.getAttribute('placeholder')].join(' '));
    const combo = role === 'combobox' || auto === 'list' || auto === 'both' || popup === 'listbox'
      || /autocomplete|typeahead|autosuggest/i.test(String(el.className || ''));
    return combo ? (search ? 'search' : 'combobox') : false;
}"""
"""Whether a text input is an autocomplete: ``'combobox'``, ``'search'`` (a search box with
suggestions: they are not picked) or false."""

# What a custom widget shows after a choice: the text of its box (the trigger, an input's
# value, a single-value beside the input; not its option list nor its label), the values of
# hidden inputs (a form library's) and hidden selects, chips, the options marked
# aria-selected and the active descendant. The box is the widest ancestor (4 levels at
# most) holding no other visible control.
WIDGET_STATE = """(el) => {
    const vis = (x) => { const r = x.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && (!x.checkVisibility ||
        x.checkVisibility({visibilityProperty: true})); };
    const clean = (s) => (s || '').replace(/\\s+/g, ' ').trim();
    const home = el.getRootNode();
    const byId = (id) => (id && ((home.getElementById && home.getElementById(id))
      || document.getElementById(id))) || null;
    const hiddenInput = (c) => c.tagName === 'INPUT' && (c.type === 'hidden'
      || c.getAttribute('aria-hidden') === 'true' || !vis(c));
    const others = (x) => Array.from(x.querySelectorAll(
        'input, select, textarea, [role=combobox], [role=listbox], [contenteditable=true]'))
      .some((c) => c !== el && !el.contains(c) && !c.contains(el) && !hiddenInput(c)
        && c.tagName !== 'SELECT' && vis(c) && !c.closest('[role=listbox]'));
    let box = el;
    for (let x = el.parentElement, d = 0; x && d < 4; x = x.parentElement, d++) {
      if (x === document.body || x.tagName === 'FORM' || x.tagName === 'FIELDSET'
          || others(x)) break;
      box = x;
    }
    const parts = [];
    const walk = (n) => {
      for (const c of n.childNodes) {
        if (c.nodeType === 3) { const t = clean(c.textContent); if (t) parts.push(t); continue; }
        if (c.nodeType !== 1) continue;
        if (c.matches('[role=listbox], [role=option], script, style, template, label')) continue;
        if (c.tagName === 'INPUT' || c.tagName === 'TEXTAREA') {
          if (!hiddenInput(c) && c.value) parts.push(clean(c.value));
          continue;
        }
        if (c.tagName === 'SELECT' || !vis(c)) continue;
        walk(c);
      }
    };
    if (box === el) {
      if (el.tagName === 'INPUT') { if (el.value) parts.push(clean(el.value)); } else walk(el);
    } else walk(box);
    const hidden = [];
    for (const c of box.querySelectorAll('input, select')) {
      if (c === el) continue;
      if (c.tagName === 'SELECT') {
        for (const o of c.selectedOptions) hidden.push(o.value, clean(o.label || o.text));
      } else if (hiddenInput(c) && c.value) hidden.push(c.value);
    }
    const chips = [];
    const chipSel = '[class*=chip], [class*=Chip], [class*=multi-value], [class*=multiValue],'
      + ' [class*=tag]:not(input), [class*=token]:not(input), [class*=pill]';
    for (const c of box.querySelectorAll(chipSel)) {
      if (!vis(c) || (c.parentElement && c.parentElement.closest(chipSel)
          && box.contains(c.parentElement.closest(chipSel)))) continue;
      const t = clean(c.innerText).replace(/\\s*[\\u00d7\\u2715\\u2716]$/, '');
      if (t) chips.push(t);
    }
    const popups = [];
    for (const attr of ['aria-controls', 'aria-owns']) {
      for (const id of (el.getAttribute(attr) || '').split(/\\s+/)) {
        const p = byId(id); if (p) popups.push(p);
      }
    }
    if (el.getAttribute('role') === 'listbox') popups.push(el);
    const active = byId(el.getAttribute('aria-activedescendant'));
    if (active && active.closest('[role=listbox]')) popups.push(active.closest('[role=listbox]'));
    const selected = [];
    for (const p of popups) {
      for (const o of p.querySelectorAll('[role=option][aria-selected=true]')) {
        selected.push(clean(o.getAttribute('aria-label') || o.textContent));
      }
    }
    // Free text: an input the form sends itself, no hidden value kept beside it.
    const free = el.tagName === 'INPUT' && !!el.name && !hidden.length;
    return {shown: parts.join(' ').slice(0, 300), hidden: hidden.slice(0, 20), free,
      chips: chips.slice(0, 20), selected: selected.slice(0, 20),
      active: active ? clean(active.getAttribute('aria-label') || active.textContent) : ''};
}"""
"""What a custom widget shows: {shown, hidden, chips, selected, active, free} (see above;
``free``: a text input whose own value the form sends, so typed text may stand)."""

# Scrolls the window, or the largest scrollable box under the viewport's centre, by most of
# a screen; true when something moved.
SCROLL_PAGE = """(dir) => {
    const doc = document.scrollingElement || document.documentElement;
    const before = doc.scrollTop;
    window.scrollBy({top: dir * window.innerHeight * 0.8, behavior: 'instant'});
    if (doc.scrollTop !== before) return true;
    let el = document.elementFromPoint(window.innerWidth / 2, window.innerHeight / 2);
    while (el && el !== doc) {
      const s = getComputedStyle(el);
      if (/(auto|scroll|overlay)/.test(s.overflowY) && el.scrollHeight > el.clientHeight) {
        const top = el.scrollTop;
        el.scrollBy({top: dir * el.clientHeight * 0.8, behavior: 'instant'});
        if (el.scrollTop !== top) return true;
      }
      el = el.parentElement;
    }
    return false;
}"""
"""Scroll the page (or the box under the viewport's centre) by ``dir`` screens; moved?"""

# --------------------------------------------------------------------------- document reader

READ_DOCUMENT = f"(opts) => JSON.stringify(({DOCUMENT_SCRIPT.strip()})(opts))"
"""Read the frame's whole document as text: ``{text, frames, ms}`` as JSON (see
:mod:`skyvern_core.perception.document`); ``opts`` is ``{links: bool}``."""
DOCUMENT_FRAME = f"(k) => {DOCUMENT_STATE}.frames[k] || null"
"""The ``<iframe>`` of the k-th cross-origin frame the last :data:`READ_DOCUMENT` marked."""

# --------------------------------------------------------------------------- keys

KEY_NAMES = {
    "enter": "Enter",
    "return": "Enter",
    "tab": "Tab",
    "esc": "Escape",
    "escape": "Escape",
    "space": " ",
    "spacebar": " ",
    "backspace": "Backspace",
    "delete": "Delete",
    "del": "Delete",
    "up": "ArrowUp",
    "down": "ArrowDown",
    "left": "ArrowLeft",
    "right": "ArrowRight",
    "arrowup": "ArrowUp",
    "arrowdown": "ArrowDown",
    "arrowleft": "ArrowLeft",
    "arrowright": "ArrowRight",
    "pageup": "PageUp",
    "pagedown": "PageDown",
    "home": "Home",
    "end": "End",
    "ctrl": "Control",
    "control": "Control",
    "cmd": "Meta",
    "meta": "Meta",
    "alt": "Alt",
    "shift": "Shift",
}
"""Lower-case key names a planner may use, and the Playwright key name for each."""


def key_name(key: str) -> str:
    """A key or chord as Playwright names it (``ctrl+a`` -> ``Control+a``)."""
    parts = [p.strip() for p in key.replace(" + ", "+").split("+")] if len(key) > 1 else [key]
    out = []
    for part in parts:
        if not part:
            continue
        out.append(
            KEY_NAMES.get(part.lower(), part if len(part) == 1 else part[:1].upper() + part[1:])
        )
    return "+".join(out) or key


# --------------------------------------------------------------------------- small helpers


def norm_text(text: str) -> str:
    """``text`` with white space folded, lower case."""
    return " ".join((text or "").split()).lower()


def is_on(value: Any) -> bool:
    """Whether a checked state read from the page (``true`` or ``"true"``) is on."""
    return value is True or value == "true"


def list_labels(labels: list[str], limit: int = 30) -> str:
    """Labels joined with commas, at most ``limit`` of them and a count of the rest."""
    shown = [str(label) for label in labels[:limit]]
    more = len(labels) - len(shown)
    return ", ".join(shown) + (f", …+{more}" if more > 0 else "")


def wait_seconds(seconds: float) -> float:
    """How long a wait action waits: ``seconds``, between 0 and 10."""
    return max(0.0, min(seconds, 10.0))


def unsupported_action(action_type: str) -> ActionResult:
    """The result for an action the browser driver does not carry out."""
    return ActionResult(
        success=False, error=f"{action_type} is not carried out by the browser driver"
    )


# --------------------------------------------------------------------------- elements


class ActionFailed(Exception):
    """An action failed; the message is for people."""

    def __init__(self, message: str, *, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.data = data or {}


@dataclass(slots=True)
class KnownElement:
    """Where an element of the last snapshot lives."""

    frame: str
    locator: str | None
    tag: str | None
    label: str
    role: str


def known_elements(raws: list[Any]) -> dict[str, KnownElement]:
    """The elements of raw snapshot results (one a frame) by id."""
    known: dict[str, KnownElement] = {}
    for raw in raws:
        for item in raw["elements"]:
            locator = item.get("locator") or ""
            known[item["id"]] = KnownElement(
                frame=item.get("frame") or "",
                locator=locator.rsplit(" |> ", 1)[-1] or None,
                tag=item.get("tag"),
                label=item.get("label") or "",
                role=item.get("role") or "",
            )
    return known


def known_from_page(element_id: str, page: PageState | None) -> KnownElement | None:
    """Where the element with that id of ``page`` lives, or None."""
    if page is None:
        return None
    el = page.element(element_id)
    if el is None:
        return None
    local = (el.locator or "").rsplit(" |> ", 1)[-1] or None
    return KnownElement(el.frame or "", local, el.attributes.get("tag"), el.label, el.role)


def child_frame_options(info: dict[str, Any]) -> dict[str, Any]:
    """The snapshot script's options for a child frame its parent's snapshot reported."""
    return {
        "frames": False,
        "framePrefix": info["prefix"],
        "locatorPrefix": info["locator"] + " |> ",
        "clip": info["clip"],
        "frameVisibility": info["visibility"],
    }


def resolve_args(element_id: str, known: KnownElement, token: str) -> dict[str, Any]:
    """The argument of the snapshot API's ``resolve`` for an element of the last snapshot."""
    return {"id": element_id, "locator": known.locator, "tag": known.tag, "token": token}


def describe_element(element_id: str, known: KnownElement | None, page: PageState | None) -> str:
    """An element for people: ``e12 (button "Save")``."""
    el: Element | None = page.element(element_id) if page is not None else None
    role = known.role if known else el.role if el else ""
    label = known.label if known else el.label if el else ""
    if role and label:
        return f'{element_id} ({role} "{label}")'
    return f"{element_id} ({role})" if role else element_id


async def local_upload(file: str) -> Path:
    """The local file an ``upload_file`` action gives the page.

    The runner has already checked where the file came from and handed over a local copy
    (:mod:`skyvern_core.uploads`); a driver never fetches a URL or reads a place of its own
    choosing. Raises :class:`ActionFailed` for a URL or a path that is not a file.
    """
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]+://", file):
        raise ActionFailed(
            f"upload_file takes a local file here, not a URL ({file}): the runner downloads "
            "URLs before the driver acts"
        )
    path = anyio.Path(file)
    if not await path.is_file():
        raise ActionFailed(f"no such file to upload: {file}")
    return Path(await path.resolve())


# --------------------------------------------------------------------------- verification

NO_PAGE_BACK = "there is no page to go back to"
"""The failure of a go-back with no page the task visited before."""


def covered(name: str, by: str) -> ActionFailed:
    """The failure of a click on an element under a modal or an interactive overlay."""
    return ActionFailed(
        f"element {name} is covered by {by}; close or answer it first", data={"covered_by": by}
    )


def check_clickable(info: dict[str, Any], name: str) -> None:
    """Raise :class:`ActionFailed` for a disabled element or a file input."""
    if info["disabled"]:
        raise ActionFailed(f"element {name} is disabled")
    if info["tag"] == "input" and info["type"] == "file":
        raise ActionFailed(f"element {name} is a file input: use upload_file with a path or a URL")


def is_list(info: dict[str, Any]) -> bool:
    """Whether text typed into the element is an option to choose instead."""
    return bool(
        info["tag"] == "select"
        or (info["role"] in ("combobox", "listbox") and (info["tag"] != "input"))
    )


def has_checked_state(info: dict[str, Any]) -> bool:
    """Whether the element is a checkbox, radio button or switch (native or ARIA)."""
    return info["type"] in ("checkbox", "radio") or info["role"] in ("checkbox", "switch", "radio")


def check_text_field(info: dict[str, Any], name: str) -> None:
    """Raise :class:`ActionFailed` when text cannot be typed into the element."""
    if info["disabled"]:
        raise ActionFailed(f"element {name} is disabled")
    if info["readonly"]:
        raise ActionFailed(f"element {name} is read-only")
    if info["type"] in ("checkbox", "radio", "file", "submit", "button", "image"):
        raise ActionFailed(f"element {name} is not a text field ({info['type']})")


def typed_result(kept: str, text: str, secret: bool, name: str) -> ActionResult:
    """Success when the field kept ``text``; else a failure (a password is not shown)."""
    if kept == text:
        return ActionResult(success=True, data={})
    shown = "••••" if secret and kept else kept
    raise ActionFailed(f"the field kept {shown!r} instead of the text typed into {name}")


def no_option_message(name: str, option: str, available: str) -> str:
    """The failure of choosing an option a list does not have."""
    return f"{name} has no option {option!r}; the options are: {available}"


def choose_option(wanted: str, options: list[dict[str, Any]], name: str) -> tuple[int, OptionMatch]:
    """The option (of :data:`NATIVE_OPTIONS` or :data:`LIST_OPTIONS`, disabled ones aside)
    that ``wanted`` means, by :func:`~skyvern_core.perception.matching.match_option`:
    its index in ``options`` and the match.

    Raises :class:`ActionFailed` naming the candidates (several fit) or the options (none
    does).
    """
    usable = [i for i, o in enumerate(options) if not o.get("disabled")]
    labels = [str(options[i].get("label") or "") for i in usable]
    values = [str(options[i].get("value") or "") for i in usable]
    try:
        match = match_option(wanted, labels, values)
    except AmbiguousOption as exc:
        raise ActionFailed(f"{name}: {exc}", data={"candidates": exc.candidates}) from None
    except NoOptionMatch:
        shown = [str(o.get("label") or "") for o in options if o.get("label")]
        raise ActionFailed(
            no_option_message(name, wanted, list_labels(shown) or "none appeared")
        ) from None
    return usable[match.index], match


def chosen_data(match: OptionMatch, value: str) -> dict[str, Any]:
    """What a select's result says of the option chosen (``chosen`` is its label)."""
    data: dict[str, Any] = {"chosen": match.label, "selected": match.label, "match": match.how}
    if value:
        data["value"] = value
    return data


def native_select_result(
    match: OptionMatch, value: str, chosen: list[str], name: str
) -> ActionResult:
    """Success when the ``<select>`` shows the option matched (its labels: ``chosen``)."""
    if match.label not in chosen:
        raise ActionFailed(f"{name} still shows {list_labels(chosen) or 'nothing'} after choosing")
    return ActionResult(success=True, data=chosen_data(match, value))


def _has_words(text: str, words: str) -> bool:
    return bool(words) and f" {words} " in f" {normalize_option(text)} "


def widget_shows(state: dict[str, Any], label: str, value: str = "") -> str | None:
    """Where a custom widget's state (:data:`WIDGET_STATE`) shows the option ``label`` (of
    value ``value``) as chosen: ``"shown"`` (its text), ``"selected option"``, ``"chip"``,
    ``"hidden input"``, ``"active option"``; None when it does not."""
    want = normalize_option(label)
    if not want:
        return None
    if _has_words(state.get("shown", ""), want):
        return "shown"
    if any(normalize_option(s) == want for s in state.get("selected", [])):
        return "selected option"
    if any(_has_words(c, want) for c in state.get("chips", [])):
        return "chip"
    for held in state.get("hidden", []):
        if (value and held == value) or normalize_option(held) == want:
            return "hidden input"
    if normalize_option(state.get("active", "")) == want:
        return "active option"
    return None


def _changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return any(before.get(k) != after.get(k) for k in ("shown", "hidden", "chips", "selected"))


def custom_select_result(
    match: OptionMatch,
    value: str,
    name: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> ActionResult:
    """After clicking an option of a custom list: success when the widget shows it (its
    text, a selected option, a chip or a hidden input; ``data["shown_by"]`` says which), or
    at least changed; a failure when it shows what it showed before."""
    where = widget_shows(after, match.label, value)
    data = chosen_data(match, value)
    if where is not None:
        return ActionResult(success=True, data={**data, "shown_by": where})
    if _changed(before, after):
        return ActionResult(success=True, data={**data, "shown": after.get("shown", "")})
    shown = after.get("shown") or "nothing"
    raise ActionFailed(f"{name} still shows {shown!r} after choosing {match.label!r}")


def suggestion_data(picked: OptionMatch | None, labels: list[str], reason: str) -> dict[str, Any]:
    """What ``input_text`` on an autocomplete says it did: picked a suggestion (``chosen``)
    or kept the typed text (``autocomplete == "typed"``, with why)."""
    if picked is not None:
        return {"autocomplete": "picked", "chosen": picked.label, "match": picked.how}
    data: dict[str, Any] = {"autocomplete": "typed", "why": reason}
    if labels:
        data["suggestions"] = labels[:10]
    return data


def pick_suggestion(
    text: str, options: list[dict[str, Any]]
) -> tuple[int, OptionMatch | None, str]:
    """Which suggestion typing ``text`` into an autocomplete picks: (its index, the match)
    or (-1, None, why the typed text is kept)."""
    usable = [i for i, o in enumerate(options) if not o.get("disabled") and o.get("label")]
    if not usable:
        return -1, None, "no suggestion appeared"
    labels = [str(options[i]["label"]) for i in usable]
    values = [str(options[i].get("value") or "") for i in usable]
    try:
        match = match_option(text, labels, values)
    except AmbiguousOption as exc:
        fits = ", ".join(repr(c) for c in exc.candidates[:5])
        return -1, None, f"several suggestions fit ({fits}): choose one with select_option"
    except NoOptionMatch:
        return -1, None, "no suggestion matched"
    return usable[match.index], match, ""


def check_checkable(info: dict[str, Any], name: str, checked: bool) -> ActionResult | None:
    """Before a check action: a failure, a result when nothing is to change, else None."""
    if info["disabled"]:
        raise ActionFailed(f"element {name} is disabled")
    native = info["tag"] == "input" and info["type"] in ("checkbox", "radio")
    aria = info["role"] in ("checkbox", "switch", "radio", "menuitemcheckbox")
    if not native and not aria:
        raise ActionFailed(f"element {name} is not a checkbox, radio button or switch")
    if not checked and (info["type"] == "radio" or info["role"] == "radio"):
        if not is_on(info["checked"]):
            return ActionResult(success=True, data={"checked": False, "changed": False})
        raise ActionFailed(f"{name} is a radio button: choose another option to clear it")
    if is_on(info["checked"]) == checked:
        return ActionResult(success=True, data={"checked": checked, "changed": False})
    return None


def checked_result(state: bool, checked: bool, name: str, data: dict[str, Any]) -> ActionResult:
    """After a check action's click: success when the state is the one asked for."""
    if state != checked:
        want = "checked" if checked else "unchecked"
        raise ActionFailed(f"{name} stayed {'checked' if state else 'unchecked'}, not {want}")
    return ActionResult(success=True, data={**data, "checked": state, "changed": True})


def element_scroll_result(hit: dict[str, Any], name: str) -> ActionResult:
    """After scrolling an element into view: success with what covers it, if anything."""
    if not hit.get("inView"):
        raise ActionFailed(f"element {name} could not be scrolled into view")
    return ActionResult(success=True, data={"covered_by": hit["by"]} if hit.get("by") else {})


def page_scroll_result(moved: bool, direction: str) -> ActionResult:
    """After :data:`SCROLL_PAGE`: success, noting when the page was already at its end."""
    if not moved:
        where = "bottom" if direction == "down" else "top"
        return ActionResult(success=True, data={"moved": False, "note": f"already at the {where}"})
    return ActionResult(success=True, data={"moved": True})
