"""The JavaScript both browser drivers evaluate in a page.

Every script is a JavaScript function expression (``(el, arg) => ...``, or ``(arg) => ...``
for the ones run in a frame): Playwright evaluates it as it is, Selenium calls it through
``execute_script`` (:data:`CALL`). The shared action layer (:mod:`skyvern_core.browser.actions`)
passes them to :class:`~skyvern_core.browser.primitives.BrowserPrimitives`; nothing here
depends on an automation library.
"""

from __future__ import annotations

from skyvern_core.perception import SNAPSHOT_SCRIPT
from skyvern_core.perception.document import DOCUMENT_SCRIPT, DOCUMENT_STATE

__all__ = [
    "AUTOCOMPLETE",
    "BOX_CLEAR",
    "BOX_FOCUS",
    "BOX_GROUP",
    "BOX_VALUES",
    "CALL",
    "CHECKED_STATE",
    "DISPATCH_CHANGE",
    "DOCUMENT_FRAME",
    "EDITABLE_TEXT",
    "ELEMENT_INFO",
    "FILE_INPUT",
    "FILE_NAMES",
    "FRAME_ID",
    "HIT_TEST",
    "INPUT_TYPE",
    "INSERT_TEXT",
    "IS_HOVERED",
    "JS_CLICK",
    "LABEL_ON_TOP",
    "LAST_OPTION",
    "LIST_OPTIONS",
    "LOCATE",
    "NATIVE_OPTIONS",
    "OPEN_WAIT",
    "PAGE_SIZE",
    "PROXY_LABEL",
    "READ_DOCUMENT",
    "RESOLVE",
    "RESTORE_STYLE",
    "SCROLL_IF_NEEDED",
    "SCROLL_PAGE",
    "SCROLL_TO_CENTER",
    "SCROLL_TO_NEAREST",
    "SELECTED_LABELS",
    "SELECT_CONTENTS",
    "SELECT_INDEX",
    "SETTLE_PROBE",
    "SET_VALUE",
    "SNAPSHOT",
    "SNAPSHOT_API",
    "SNAPSHOT_STATE",
    "SUGGESTION_WAIT",
    "UNHIDE",
    "VALUE_IF_ATTACHED",
    "WIDGET_STATE",
]

CALL = "return ({fn}).apply(null, arguments);"
"""How Selenium calls one of these scripts: ``CALL.format(fn=script)`` with the arguments."""

SNAPSHOT = f"(opts) => JSON.stringify(({SNAPSHOT_SCRIPT.strip()})(opts))"
"""Run ``snapshot.js`` in a frame with ``opts``; its result as JSON text."""

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

# --------------------------------------------------------------------------- elements and frames

RESOLVE = f"""(a) => {{ const s = {SNAPSHOT_STATE};
    return s && s.api ? s.api.resolve(a.id, a.locator, a.tag, a.token) : null; }}"""
"""The element of the last snapshot with ``{id, locator, tag, token}``, or null when gone."""

FRAME_ID = f"(el) => {{ const s = {SNAPSHOT_STATE}; return s ? s.frames.get(el) || null : null; }}"
"""The frame id the last snapshot gave an ``<iframe>`` element, or null."""

LOCATE = """(locator) => {
    let root = document, el = null;
    for (const part of locator.split(' >>> ')) {
      if (!root) return null;
      try { el = root.querySelector(part); } catch (e) { return null; }
      if (!el) return null;
      root = el.shadowRoot;
    }
    return el;
}"""
"""The element of a document-local locator (`` >>> `` enters shadow roots), without the
snapshot API: a child frame may have navigated since, and its API with it."""

ELEMENT_INFO = """(el) => ({
    tag: el.tagName.toLowerCase(),
    type: (el.getAttribute('type') || '').toLowerCase(),
    role: (el.getAttribute('role') || '').toLowerCase(),
    disabled: !!el.disabled || el.getAttribute('aria-disabled') === 'true',
    readonly: !!el.readOnly || el.getAttribute('aria-readonly') === 'true',
    editable: el.isContentEditable,
    maxlength: typeof el.maxLength === 'number' ? el.maxLength : -1,
    rendered: (() => { const r = el.getBoundingClientRect();
      return r.width > 2 && r.height > 2 && (!el.checkVisibility ||
        el.checkVisibility({visibilityProperty: true})); })(),
    checked: el.type === 'checkbox' || el.type === 'radio' ? el.checked :
      el.getAttribute('aria-checked'),
})"""
"""What an action needs to know of an element first. A "visually hidden" 1px control
behind its styled label counts as not rendered: a person (and a real click) goes through
the label."""

SCROLL_IF_NEEDED = """(el) => {
    const r = el.getBoundingClientRect();
    const w = window.innerWidth || document.documentElement.clientWidth;
    const h = window.innerHeight || document.documentElement.clientHeight;
    if (r.top < 0 || r.left < 0 || r.bottom > h || r.right > w) {
        el.scrollIntoView({block: 'center', inline: 'nearest'});
    }
}"""
"""Scroll an element into view only when it is not already (one round trip)."""

VALUE_IF_ATTACHED = "(el) => el.isConnected ? el.value : ''"
"""A field's value, or '' once it has left the document."""

FILE_NAMES = "(el) => el.isConnected ? Array.from(el.files || []).map((f) => f.name) : null"
"""The names of the files a file input holds, or null once it has left the document."""

SELECT_INDEX = """(el, index) => {
    for (const o of el.options) o.selected = o.index === index;
    el.dispatchEvent(new Event('input', {bubbles: true, composed: true}));
    el.dispatchEvent(new Event('change', {bubbles: true}));
}"""
"""Choose option ``index`` of a ``<select>`` and fire the events a person's choice fires."""

# The boxes of a code split one character per input (maxlength=1) that ``el`` starts, ``el``
# first, in page order: the inputs of its type in the nearest ancestor holding two or more,
# up to the first other input. When those are too few for the text (a "123-456" layout
# splits them over two containers), wider ancestors are tried, keeping only inputs as deep
# below the ancestor as ``el`` (the other half, not a one-letter field elsewhere) and only
# as many as the text needs. The group is kept for BOX_FOCUS, BOX_CLEAR and BOX_VALUES.
_BOXES = "window[Symbol.for('skyvern-core.boxes')]"
BOX_GROUP = f"""(el, length) => {{
    const kind = (x) => (x.getAttribute('type') || 'text').toLowerCase();
    const depth = (x, scope) => {{ let d = 0; for (; x && x !== scope; x = x.parentElement) d++;
      return d; }};
    const found = (() => {{
      let nearest = null;
      let scope = el.parentElement;
      for (let level = 0; scope && level < 3; level++, scope = scope.parentElement) {{
        const inputs = Array.from(scope.querySelectorAll('input'));
        const want = depth(el, scope);
        const group = [];
        for (const x of inputs.slice(inputs.indexOf(el))) {{
          if (x.maxLength !== 1 || kind(x) !== kind(el) || x.disabled || x.readOnly
              || depth(x, scope) !== want) break;
          group.push(x);
        }}
        if (group.length < 2) continue;
        nearest = nearest || group;
        if (nearest.length >= length) return nearest;
        if (group.length >= length) return group.slice(0, length);
      }}
      return nearest || [];
    }})();
    {_BOXES} = found;
    return found.length;
}}"""
"""How many single-character boxes of a code ``el`` starts (0: it starts none)."""
BOX_FOCUS = f"""(el, i) => {{ const b = {_BOXES}[i];
    if (b.getRootNode().activeElement !== b) b.focus(); try {{ b.select(); }} catch (e) {{}} }}"""
"""Focus box ``i`` of :data:`BOX_GROUP` (unless the page's script moved there) and select it."""
BOX_CLEAR = f"(el) => {{ for (const b of {_BOXES}) b.value = ''; }}"
"""Empty the boxes of :data:`BOX_GROUP` (left-overs of an earlier attempt would stay)."""
BOX_VALUES = f"(el) => {_BOXES}.map((b) => b.value)"
"""What the boxes of :data:`BOX_GROUP` hold."""

# --------------------------------------------------------------------------- WebDriver's gaps
# What a driver on WebDriver (Selenium) needs where the protocol's own commands fall short.

SET_VALUE = """(el, value) => {
    const proto = el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype
      : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
    el.dispatchEvent(new Event('input', {bubbles: true, composed: true}));
    el.dispatchEvent(new Event('change', {bubbles: true}));
    return el.value;
}"""
"""Set a value the way a person's edit would end up (the native setter, so frameworks that
track the value notice), for inputs that take no typing key by key (dates, colours)."""
INSERT_TEXT = """(el, text) => {
    el.focus();
    if (el.select) el.select();
    document.execCommand('insertText', false, text);
    return el.value;
}"""
"""Replace a field's text as an edit (characters WebDriver cannot type: emoji)."""
INPUT_TYPE = "(el) => (el.getAttribute('type') || '').toLowerCase()"
"""An input's type attribute, lower case."""
LABEL_ON_TOP = """(el) => {
    const r = el.getBoundingClientRect();
    const x = Math.min(Math.max((r.left + r.right) / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max((r.top + r.bottom) / 2, 0), innerHeight - 1);
    const root = el.getRootNode().elementFromPoint ? el.getRootNode() : document;
    const hit = root.elementFromPoint(x, y);
    return !!hit && hit !== el && !el.contains(hit) && hit.tagName === 'LABEL'
      && hit.control === el;
}"""
"""Whether a click at the element's centre lands on its own ``<label>`` (a visually hidden
checkbox under a styled label): ChromeDriver calls that intercepted, a person does not."""
UNHIDE = """(el) => {
    const before = el.getAttribute('style');
    el.style.setProperty('display', 'block', 'important');
    el.style.setProperty('visibility', 'visible', 'important');
    el.style.setProperty('opacity', '1', 'important');
    el.style.setProperty('width', '10px', 'important');
    el.style.setProperty('height', '10px', 'important');
    return before;
}"""
"""Show a hidden element for a moment (a file input WebDriver will not type into); returns
its style attribute for :data:`RESTORE_STYLE`."""
RESTORE_STYLE = """(el, before) => {
    if (before === null) el.removeAttribute('style'); else el.setAttribute('style', before);
}"""
"""Put back the style attribute :data:`UNHIDE` returned."""
PAGE_SIZE = """() => { const d = document.documentElement, b = document.body || d;
    return [Math.max(d.scrollWidth, b.scrollWidth, innerWidth),
      Math.max(d.scrollHeight, b.scrollHeight, innerHeight)]; }"""
"""The whole page's size in CSS pixels (for a full-page screenshot)."""
SETTLE_PROBE = (
    "() => [document.readyState, performance.getEntriesByType('resource').length, location.href]"
)
"""What changes while a page is still loading: its state, its resources so far, its URL."""
