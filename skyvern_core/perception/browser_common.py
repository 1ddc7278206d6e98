"""What the browser drivers share: in-page scripts, key names, wording and checks.

The Playwright and Selenium drivers (``skyvern_plugins``) see and act on a page the same
way; this module holds the parts that do not depend on the automation library, so that
both decide alike: the JavaScript they evaluate in the page, how an element of the last
snapshot is found again and described, the key names, the download of a file to upload,
the messages a failed action returns and the rules that verify an action's effect, and the
Chromium both launch.

The scripts are JavaScript function expressions (``(el, arg) => ...``): Playwright
evaluates them as they are, Selenium calls them through ``execute_script``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

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

__all__ = [
    "CHECKED_STATE",
    "DISPATCH_CHANGE",
    "DISPLAYED",
    "DOCUMENT_FRAME",
    "EDITABLE_TEXT",
    "FILE_INPUT",
    "FIND_NATIVE_OPTION",
    "FIND_OPTION",
    "HIT_TEST",
    "IS_HOVERED",
    "JPEG_QUALITY",
    "JS_CLICK",
    "KEY_NAMES",
    "LAST_OPTION",
    "LAUNCH_ARGS",
    "MAX_FRAME_DEPTH",
    "NO_PAGE_BACK",
    "PROXY_LABEL",
    "READ_DOCUMENT",
    "SCROLL_PAGE",
    "SCROLL_TO_CENTER",
    "SCROLL_TO_NEAREST",
    "SELECTED_LABELS",
    "SELECT_CONTENTS",
    "SNAPSHOT_API",
    "SNAPSHOT_STATE",
    "ActionFailed",
    "KnownElement",
    "UploadFiles",
    "check_checkable",
    "check_clickable",
    "check_text_field",
    "checked_result",
    "child_frame_options",
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
    "native_select_result",
    "no_option_message",
    "norm_text",
    "page_scroll_result",
    "resolve_args",
    "splice_frames",
    "typed_result",
    "unsupported_action",
    "wait_seconds",
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
"""Option ``i`` of those :data:`FIND_OPTION` found last."""

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

FIND_NATIVE_OPTION = """(el, want) => {
    const norm = (s) => (s || '').replace(/\\s+/g, ' ').trim().toLowerCase();
    const w = norm(want);
    const opts = Array.from(el.options);
    const match = opts.find((o) => norm(o.label || o.text) === w)
      || opts.find((o) => o.value === want || norm(o.value) === w)
      || opts.find((o) => norm(o.label || o.text).startsWith(w) && w.length > 1);
    return {
      value: match ? match.value : null,
      index: match ? match.index : -1,
      labels: opts.map((o) => (o.label || o.text).trim()),
    };
}"""
"""A ``<select>``'s option by label, value or label prefix: {value, index, labels}."""

# What a combobox shows: its text, an input's value, or — for an autocomplete whose input
# is emptied after a choice — the text beside the input (react-select's "single value").
DISPLAYED = """(el) => {
    let t = el.tagName === 'INPUT' ? el.value : (el.innerText || el.textContent || '');
    if (el.tagName === 'INPUT' && !t && el.parentElement
        && el.parentElement.childElementCount <= 5) t = el.parentElement.innerText || '';
    return t.replace(/\\s+/g, ' ').trim().slice(0, 200);
}"""
"""What a combobox shows (its text, or an input's value or the text beside it)."""

# Finds an option by its text among [role=option] / list items that are visible now,
# preferring the combobox's own popup; remembers them for the click that follows.
FIND_OPTION = """(el, want) => {
    const norm = (s) => (s || '').replace(/\\s+/g, ' ').trim().toLowerCase();
    const vis = (x) => { const r = x.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && (!x.checkVisibility ||
        x.checkVisibility({visibilityProperty: true})); };
    const roots = [];
    for (const attr of ['aria-controls', 'aria-owns']) {
      const id = (el.getAttribute(attr) || '').split(/\\s+/)[0];
      const popup = id && (el.getRootNode().getElementById
        ? el.getRootNode().getElementById(id) : document.getElementById(id));
      if (popup) roots.push(popup);
    }
    if (el.getAttribute('role') === 'listbox') roots.push(el);
    roots.push(el.getRootNode(), document);
    let options = [];
    for (const root of roots) {
      options = Array.from(root.querySelectorAll('[role=option]')).filter(vis);
      if (!options.length && root !== document && root !== el.getRootNode()) {
        options = Array.from(root.querySelectorAll('li')).filter(vis);
      }
      if (!options.length && root === document) {
        options = Array.from(document.querySelectorAll(
          '[role=listbox] li, ul[class*=option] li, ul[class*=menu] li, ul[class*=dropdown] li,'
          + ' [class*=option]:not(select):not(option)')).filter(vis);
      }
      if (options.length) break;
    }
    const state = window[Symbol.for('skyvern-core.snapshot')];
    if (state) state.lastOptions = options;
    const labels = options.map((o) => (o.getAttribute('aria-label') || o.innerText || '')
      .replace(/\\s+/g, ' ').trim()).filter((s, i, a) => s && a.indexOf(s) === i);
    const w = norm(want);
    const texts = options.map((o) => norm(o.getAttribute('aria-label') || o.innerText));
    let index = texts.findIndex((t) => t === w);
    if (index < 0) index = options.findIndex((o) => norm(o.getAttribute('data-value')) === w);
    if (index < 0 && w.length > 1) index = texts.findIndex((t) => t.startsWith(w));
    if (index < 0 && w.length > 2) index = texts.findIndex((t) => t.includes(w));
    const chosen = index >= 0 ? (options[index].getAttribute('aria-label')
      || options[index].innerText || '').replace(/\\s+/g, ' ').trim() : null;
    return {index, label: chosen, labels: labels.slice(0, 30).concat(labels.length > 30
      ? ['…+' + (labels.length - 30)] : [])};
}"""
"""A visible option of a custom list by its text: {index, label, labels}."""

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


class UploadFiles:
    """The files a session hands to file inputs: local paths, or URLs downloaded first into
    a temporary folder of the session's own (removed by :meth:`cleanup`)."""

    def __init__(self) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    async def local(self, file: str) -> Path:
        """The local path of ``file`` (a path, or an http(s) URL downloaded first).

        Raises :class:`ActionFailed` when there is no such file or it cannot be downloaded.
        """
        if urlsplit(file).scheme in ("http", "https"):
            return await self._download(file)
        path = await anyio.Path(file).expanduser()
        if not await path.is_file():
            raise ActionFailed(f"no such file to upload: {file}")
        return Path(await path.resolve())

    async def _download(self, url: str) -> Path:
        import httpx

        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="skyvern-upload-")
        name = Path(unquote(urlsplit(url).path)).name or "upload"
        try:
            async with httpx.AsyncClient(follow_redirects=True, timeout=30.0) as client:
                response = await client.get(url)
                response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ActionFailed(f"could not download {url} to upload it: {exc}") from exc
        disposition = response.headers.get("content-disposition", "")
        match = re.search(r'filename="?([^";]+)"?', disposition)
        if match:
            name = Path(match.group(1)).name or name
        target = anyio.Path(self._tmp.name) / name
        await target.write_bytes(response.content)
        return Path(target)

    def cleanup(self) -> None:
        """Remove the downloaded files."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


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


def native_select_result(found: dict[str, Any], chosen: list[str], name: str) -> ActionResult:
    """Success when the ``<select>`` shows the option :data:`FIND_NATIVE_OPTION` found."""
    label = found["labels"][found["index"]]
    if label not in chosen:
        raise ActionFailed(f"{name} still shows {list_labels(chosen) or 'nothing'} after choosing")
    return ActionResult(success=True, data={"selected": label, "value": found["value"]})


def custom_select_result(
    found: dict[str, Any],
    option: str,
    name: str,
    shown_before: str,
    shown_after: str,
    selected: bool,
) -> ActionResult:
    """Success when a custom list shows the chosen option, changed, or marks it selected."""
    label = found["label"] or option
    if norm_text(label) in norm_text(shown_after) or (shown_after != shown_before and selected):
        return ActionResult(success=True, data={"selected": label})
    if shown_after != shown_before or selected:
        return ActionResult(success=True, data={"selected": label, "shown": shown_after})
    raise ActionFailed(
        f"{name} still shows {shown_after!r} after choosing {label!r}; "
        f"the options are: {list_labels(found['labels'])}"
    )


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
