"""How the agent reads pages it has never seen: the held-out pages of ``bench/unseen/``,
ours beside browser-use 0.5.11 in the same run, judged against each page's ``truth.json``.

Each page is served from ``bench/unseen/`` by a static server thread on 127.0.0.1 and opened
at 1280x800 in a real Chromium through our Playwright driver (one browser context per page;
the page as loaded: ``load`` in every frame, network idle, 150 ms for the scripts that
render it). Then, on that one page state:

- **ours**: ``PlaywrightSession.snapshot()`` (every frame) and ``serialize(page)``, the step
  prompt's page part; for extraction, ``read_document()`` (links as the runner asks for them)
  and the requests ``LLMPlanner.extract`` sends for it (a scripted model answering ``{}``:
  every part of a page cut into parts is sent and counted);
- **theirs**: browser-use 0.5.11's ``dom_tree/index.js``, read out of its wheel (fetched once
  into ``bench/.cache/``), evaluated with its default arguments, and rendered in its prompt
  format — the helpers of ``bench/perception.py`` (``bu_render``, ``bu_state_text``); for
  extraction, its page text as ``bench/extraction.py``'s ``bu_page_text`` re-implements it.

Measures, per page and in total:

1. **Named and bound** (target for ours >= 95%). A truth control counts when the prompt
   lists an element whose line names it AND that element is bound to the control's node.

   *Named*: every significant word of the truth name occurs among the words of the
   element's prompt line. Words: the text is Unicode-folded (NFKD, accents dropped,
   casefolded, a possessive ``'s`` dropped), split at every character that is not a letter
   or digit, and each word reduced to its Snowball English stem (``needed``/``need``,
   ``accounts``/``account``). Significant: all the name's words but English function words
   (:data:`STOPWORDS`) and the words a person adds to say what kind of control it is or
   what one does with it, which a prompt line says through its role or tag instead
   (:data:`DESCRIPTORS`: ``button``, ``tab``, ``filter``, ``menu``, ``home``, ``select``,
   ``open``, ``sort`` ...); a name made only of such words keeps them all. Nor is a word
   asked for that the page never has — not in its rendered text (open shadow roots and
   frames too), its title, its elements' accessible-name attributes or the text
   ``aria-labelledby``/``-describedby`` point at: the person's own gloss (``Q1``,
   ``sign-up``), which no reading of the page could produce — unless it is what tells the
   control from another truth control whose name holds all its other words (``month`` in
   ``Date of birth: month`` beside ``Date of birth: day``), or no word of the name is on
   the page. The same words are asked of both extractors. The line: ours,
   the element's line (``e12 checkbox "Select row" checked``) and, for a radio or checkbox
   under a ``group "...":`` line, that group's text, which the serializer writes once for
   the group instead of on each line; theirs, the element's entry in its prompt
   (``[12]<input type=checkbox name=... />`` and the text up to the next element). Both
   also read with an element what a model reads beside it: the page text lines of the
   prompt right before it (back to the previous element), and, where the element sits in a
   row of the page (the nearest table row, list item or article, else the nearest of three
   or more siblings of one tag and class, a card — judged in the page, the same for both),
   the lines of the row's other listed elements, with their text before them and, ours,
   the ``row "…":`` line the serializer writes for the row; and the heading of the page
   section it is in (the nearest heading, legend or caption before it in the document, an
   open shadow root's content read where its host stands) where the prompt shows that
   heading. Words need not be in order.

   *Bound*: the listed element is resolved to its node — ours by its id through the page's
   own snapshot state, exactly as the drivers do (``api.resolve(id, locator, tag, token)``
   of ``window[Symbol.for("skyvern-core.snapshot")]``, in the element's own frame); theirs
   by its highlight index's xpath, walked in the scope it is relative to (the document, an
   open shadow root, a same-origin frame's document; the map gives the chain). A listed
   node L is bound to the truth node T when an action on L lands on T: L is T; L is a
   ``<label>`` of T, or T a ``<label>`` of L; L is a visually hidden checkbox, radio or
   file input whose stand-in (its visible label or upload button, as the drivers find it)
   is T; or T contains L and every interactive element inside T is L, inside L or on the
   way down to L (T is a wrapper around the one control L).

   A miss is put down to one cause: *listed with a name lacking the words* (an element
   bound to the node is listed, its line lacks words), *the name is on another node* (no
   bound element; a line of another element has the words), *no element listed for the
   node*.

2. **Prompt tokens** (target for ours <= 15,000 over the 12 pages): ``count_tokens``
   (o200k_base) of ``serialize(page)`` and of browser-use's whole browser-state text. Each
   page is read twice (a second snapshot, a second run of their script) and the counts
   compared: a difference is reported.

3. **Unusable controls offered without a flag** (target for ours <= 3 in total): listed
   elements with no flag saying otherwise (ours: not ``(covered)``, ``(offscreen)`` or in
   the "Further down" part, not ``(hidden)``, not ``disabled``; theirs has no flags) that a
   person cannot use now: disabled (``:disabled``, ``aria-disabled=true`` on it or an
   ancestor), not rendered (zero size, ``display:none``, ``visibility:hidden`` — neither it
   nor its label or stand-in), or covered (the hit test at the centre of the part of it in
   view — inside the viewport and every clipping scroll container — lands on another
   element that is not inside it, one of its ancestors or its label; for a control in a
   frame, the frame's point in the page too). An unflagged element entirely out of view
   cannot be hit-tested; it is counted apart ("out of view").

4. **Row coherence** (target for ours 100%): for pages with ``records``, the share whose
   values, as displayed (whitespace collapsed), all occur in one line of the extraction
   text, a line that does not also hold every value of another record.

Also the controls ours missed, grouped by cause, and ``--json PATH``: everything (both
prompts and extraction texts, each control's verdict and lines, each unusable element).

Run (Chromium at /usr/bin/chromium or on PATH; HOME is pointed at a temporary folder)::

    python bench/unseen_eval.py [--pages invoice-grid,survey] [--show PAGE] [--json PATH]

``--show PAGE`` prints both prompt texts of one page and its truth list with each verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.server
import json
import re
import sys
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
UNSEEN = BENCH / "unseen"
sys.path[:0] = [str(BENCH), str(ROOT), str(ROOT / "plugins")]

from extraction import bu_page_text  # noqa: E402
from perception import (  # noqa: E402
    BU_ARGS,
    BU_PAGE_INFO,
    BU_REMOVE_HIGHLIGHTS,
    BU_VERSION,
    VIEWPORT,
    browser_use_script,
    bu_render,
    bu_state_text,
    isolated_home,
)

from skyvern_core.testing.prompt import CHOICES, RUN_ROW  # noqa: E402

TARGET_NAMED = 0.95
TARGET_TOKENS = 15_000
TARGET_UNUSABLE = 3
RENDER_WAIT_MS = 150
"""After load and network idle: the pages render from scripts, as single-page apps do."""

# --------------------------------------------------------------------------- the server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``root`` on 127.0.0.1 from a daemon thread; the server and its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# --------------------------------------------------------------------------- names

STOPWORDS = frozenset(
    "a an the of for to and or in on at by with from into as is are be been it its this "
    "that these those my me your you our we what how".split()
)
"""Function words: left out of a truth name's significant words."""

DESCRIPTORS = frozenset(
    "button link tab switch toggle checkbox radio field box filter menu dialog dropdown icon "
    "home open select sort go".split()
)
"""Words a person adds to say what kind of control it is (``Remote filter``, ``General
tab``, ``Aerolux home`` for a logo) or what one does with it (``Open INV-2085`` for the
invoice's link, ``Select INV-2085`` for its checkbox, ``Sort by Amount`` for a column
header): a prompt line says them through its role or tag. Left out of the significant
words, compared stemmed."""

_WORD = re.compile(r"[^\W_]+")
_POSSESSIVE = re.compile(r"['\u2019]s\b")


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _POSSESSIVE.sub("", text)


def words(text: str) -> list[str]:
    """The stemmed words of ``text`` (see the module: folded, split, Snowball stems)."""
    raw = _WORD.findall(_fold(text))
    return list(_stemmer().stemWords(raw)) if raw else []


@lru_cache(maxsize=1)
def _dropped() -> frozenset[str]:
    return frozenset({*words(" ".join(STOPWORDS)), *words(" ".join(DESCRIPTORS))})


@dataclass(frozen=True, slots=True)
class PageWords:
    """What the naming rule knows of a page: the words it shows or states anywhere
    (:data:`VOCABULARY_JS`) and the names of all its truth controls."""

    vocabulary: frozenset[str]
    names: tuple[str, ...]


@lru_cache(maxsize=8192)
def significant(name: str, page: PageWords | None = None) -> tuple[str, ...]:
    """The words of a truth name a line must hold.

    All the name's words but function words and descriptors (all of them when nothing else
    is left). With ``page``, a word the page never has is the person's own (``Q1``,
    ``sign-up``) and not asked for — unless it is what tells this control from another on
    the page (a name holding all the other words but not that one: ``month`` in ``Date of
    birth: month`` beside ``Date of birth: day``), or no word of the name is on the page.
    """
    all_words = words(name)
    kept = [w for w in all_words if w not in _dropped()] or all_words
    if page is None:
        return tuple(kept)
    shown = [w for w in kept if w in page.vocabulary]
    if not shown:
        return tuple(kept)
    others = [set(words(n)) for n in page.names if n != name]
    rest = set(shown)
    needed = {
        w
        for w in kept
        if w not in page.vocabulary and any(rest <= o and w not in o for o in others)
    }
    return tuple(w for w in kept if w in rest or w in needed)


def glosses(name: str, page: PageWords | None) -> list[str]:
    """The words of a truth name left out because the page never has them."""
    kept = set(significant(name, page))
    all_words = words(name)
    base = [w for w in all_words if w not in _dropped()] or all_words
    raw = _WORD.findall(_fold(name))
    return [r for r, w in zip(raw, all_words, strict=True) if w in base and w not in kept]


def lacking(line: str, name: str, page: PageWords | None = None) -> list[str]:
    """The words of ``name`` (as written, folded) that ``line`` would need and lacks."""
    have = set(words(line))
    need = set(significant(name, page)) - have
    raw = _WORD.findall(_fold(name))
    return list(dict.fromkeys(w for w, st in zip(raw, words(name), strict=True) if st in need))


def names(line: str, name: str, page: PageWords | None = None) -> bool:
    """Whether ``line`` names the truth control ``name`` (every significant word in it)."""
    have = set(words(line))
    return all(w in have for w in significant(name, page))


# --------------------------------------------------------------------------- in the page

INTERACTIVE = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [contenteditable=''],"
    " [contenteditable=true], [onclick], [tabindex]:not([tabindex='-1']), [role=button],"
    " [role=link], [role=checkbox], [role=radio], [role=switch], [role=tab], [role=menuitem],"
    " [role=menuitemcheckbox], [role=menuitemradio], [role=option], [role=combobox],"
    " [role=textbox], [role=searchbox], [role=slider], [role=spinbutton], [role=treeitem]"
)
"""What counts as an interactive element inside a wrapper (the binding rule)."""

_JS_COMMON = r"""
  const KEY = Symbol.for('skyvern-core.snapshot');
  const parentOf = (n) => n.parentElement || (n.parentNode && n.parentNode.host) || null;
  const contains = (a, b) => { for (let n = b; n; n = parentOf(n)) if (n === a) return true;
    return false; };
  const norm = (s) => (s || '').replace(/[\s\u00a0]+/g, ' ').trim();
  const describe = (el) => {
    let d = el.tagName.toLowerCase();
    if (el.id) d += '#' + el.id;
    else if (typeof el.className === 'string' && el.className.trim())
      d += '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.');
    const t = norm(el.innerText || el.textContent).slice(0, 40);
    return t ? d + ' "' + t + '"' : d;
  };
  const deepHit = (doc, x, y) => {
    let hit = doc.elementFromPoint(x, y);
    while (hit && hit.shadowRoot) {
      const inner = hit.shadowRoot.elementFromPoint(x, y);
      if (!inner || inner === hit) break;
      hit = inner;
    }
    return hit;
  };
  // The banner or dialog as a whole rather than the paragraph inside it.
  const overlay = (hit, el) => {
    let top = hit;
    for (let p = parentOf(hit); p; p = parentOf(p)) {
      if (p.tagName === 'BODY' || p.tagName === 'HTML' || contains(p, el)) break;
      top = p;
    }
    return top;
  };
"""

VOCABULARY_JS = r"""() => {
  const parts = [document.title, document.body ? document.body.innerText : ''];
  const NAMED = ['aria-label', 'aria-description', 'aria-placeholder', 'aria-valuetext',
    'title', 'alt', 'placeholder'];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      for (const a of NAMED) { const v = el.getAttribute(a); if (v) parts.push(v); }
      if (el.matches('input, button')) parts.push(el.getAttribute('value') || '');
      for (const a of ['aria-labelledby', 'aria-describedby']) {
        for (const id of (el.getAttribute(a) || '').split(/\s+/)) {
          const ref = id && (root.getElementById ? root.getElementById(id)
            : root.querySelector('#' + CSS.escape(id)));
          if (ref) parts.push(ref.textContent || '');
        }
      }
      if (el.shadowRoot) {
        for (const c of el.shadowRoot.children) {
          if (c.tagName !== 'STYLE' && c.tagName !== 'SCRIPT') parts.push(c.innerText || '');
        }
        visit(el.shadowRoot);
      }
    }
  };
  visit(document);
  return parts.join('\n');
}"""
"""The words a frame shows or states: its rendered text (open shadow roots too), its title,
the accessible-name attributes of its elements (aria-label, title, alt, placeholder, the
value of inputs and buttons ...) and the text aria-labelledby/-describedby point at."""


async def page_vocabulary(page: Any) -> frozenset[str]:
    """The stemmed words of :data:`VOCABULARY_JS` over every frame of the page."""
    texts = []
    for frame in page.frames:
        try:
            texts.append(await frame.evaluate(VOCABULARY_JS))
        except Exception:  # a frame that went away: its words are not needed
            continue
    return frozenset(words("\n".join(texts)))


JUDGE_JS = (
    "(args) => {"
    + _JS_COMMON
    + "  const proxyOf = %PROXY%;\n  const INTERACTIVE = %INTERACTIVE%;\n"
    + r"""
  const rendered = (x) => { const r = x.getBoundingClientRect();
    return r.width > 0 && r.height > 0 &&
      (!x.checkVisibility || x.checkVisibility({visibilityProperty: true})); };
  const hiddenInput = (el) => {
    if (el.tagName !== 'INPUT' || !/^(checkbox|radio|file)$/.test(el.type)) return false;
    const r = el.getBoundingClientRect();
    return !rendered(el) || r.width <= 2 || r.height <= 2 ||
      (!!el.checkVisibility && !el.checkVisibility({opacityProperty: true}));
  };
  const find = (expr) => {
    try {
      const el = (0, eval)('(' + expr + ')');
      return el && el.nodeType === 1 ? el : null;
    } catch (e) { return null; }
  };
  const ours = (x) => { const s = window[KEY];
    return s && s.api ? s.api.resolve(x.id, x.locator, x.tag, x.token) : null; };
  const theirs = %BU_RESOLVE%;
  const interactiveIn = (root) => {
    const out = [];
    const walk = (n) => { for (const c of n.children) {
      if (c.matches(INTERACTIVE)) out.push(c);
      if (c.shadowRoot) walk(c.shadowRoot);
      walk(c); } };
    if (root.shadowRoot) walk(root.shadowRoot);
    walk(root);
    return out;
  };
  const binds = (L, T) => {
    if (L === T) return 'same';
    if (L.tagName === 'LABEL' && L.control === T) return 'label';
    if (T.tagName === 'LABEL' && T.control === L) return 'label';
    if (hiddenInput(L) && proxyOf(L) === T) return 'proxy';
    if (contains(T, L) &&
        interactiveIn(T).every((x) => contains(L, x) || contains(x, L))) return 'wrapper';
    return null;
  };
  // The part of x's box inside the viewport and inside every clipping ancestor.
  const visibleBox = (x) => {
    const r = x.getBoundingClientRect();
    let box = [r.left, r.top, r.right, r.bottom];
    const cut = (b) => { box = [Math.max(box[0], b[0]), Math.max(box[1], b[1]),
      Math.min(box[2], b[2]), Math.min(box[3], b[3])]; };
    cut([0, 0, window.innerWidth, window.innerHeight]);
    for (let p = parentOf(x); p && p.nodeType === 1; p = parentOf(p)) {
      if (p === document.documentElement || p === document.body) break;
      const cs = getComputedStyle(p);
      if (cs.position === 'fixed') break;
      if (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') {
        const pr = p.getBoundingClientRect();
        cut([pr.left, pr.top, pr.right, pr.bottom]);
      }
    }
    return box[2] > box[0] && box[3] > box[1] ? box : null;
  };
  const usability = (el) => {
    if (el.matches(':disabled') || el.closest('[aria-disabled="true"]'))
      return {status: 'disabled'};
    const surfaces = [];
    if (rendered(el)) surfaces.push(el);
    for (const l of el.labels || []) if (rendered(l)) surfaces.push(l);
    if (hiddenInput(el)) {
      const p = proxyOf(el);
      if (p && !surfaces.includes(p)) surfaces.push(p);
    }
    if (!surfaces.length) return {status: 'not rendered'};
    let by = null, inView = false;
    for (const s of surfaces) {
      const box = visibleBox(s);
      if (!box) continue;
      inView = true;
      const cx = (box[0] + box[2]) / 2, cy = (box[1] + box[3]) / 2;
      const hit = deepHit(s.ownerDocument, cx, cy);
      if (!hit || hit === s || contains(s, hit) || contains(hit, s) || contains(el, hit) ||
          (hit.tagName === 'LABEL' && hit.control === el) ||
          (el.tagName === 'LABEL' && el.control === hit)) return {status: 'ok', point: [cx, cy]};
      if (!by) by = describe(overlay(hit, el));
    }
    return inView ? {status: 'covered', by: by} : {status: 'out of view'};
  };
  // The row a person sees an element in: a table row, list item or article, else a card
  // (the nearest ancestor that is one of three or more siblings of its tag and class).
  const ROWS = 'tr, [role=row], li, [role=listitem], article, [role=article]';
  const rowIds = new Map();
  const rowOf = (el) => {
    let r = null;
    for (let p = el; p && p.nodeType === 1 && !r; p = parentOf(p)) {
      if (p.matches(ROWS)) r = p;
    }
    for (let p = el.parentElement; !r && p && p !== document.body; p = p.parentElement) {
      const up = p.parentElement;
      if (!up || !p.className || typeof p.className !== 'string') continue;
      let alike = 0;
      for (const c of up.children) {
        if (c.tagName === p.tagName && c.className === p.className) alike++;
      }
      if (alike >= 3) r = p;
    }
    if (!r) return null;
    if (!rowIds.has(r)) rowIds.set(r, rowIds.size + 1);
    return rowIds.get(r);
  };
  // The heading of the section an element is in: the nearest heading before it in the
  // document (h1-h6, role=heading, a legend or a table caption) that does not contain it,
  // open shadow roots read where their host stands (a component's own heading counts).
  const HEAD_SEL = 'h1, h2, h3, h4, h5, h6, [role=heading], legend, caption';
  const place = new Map();
  const HEADS = [];
  const walkAll = (root) => {
    for (let c = root.firstElementChild; c; c = c.nextElementSibling) {
      place.set(c, place.size);
      if (c.matches(HEAD_SEL)) HEADS.push(c);
      if (c.shadowRoot) walkAll(c.shadowRoot);
      walkAll(c);
    }
  };
  walkAll(document);
  const holds = (h, el) => {
    for (let n = el; n; n = n.parentNode || n.host) if (n === h) return true;
    return false;
  };
  const sectionOf = (el) => {
    let found = '';
    const at = place.get(el);
    if (at === undefined) return found;
    for (const h of HEADS) {
      if (place.get(h) >= at) break;
      if (holds(h, el)) continue;
      found = (h.innerText || h.textContent || '').replace(/\s+/g, ' ').trim();
    }
    return found;
  };
  const truths = args.truths.map(find);
  const out = {
    truths: truths.map((t) => (t ? {found: true, desc: describe(t)} : {found: false})),
    listed: [],
  };
  for (const x of args.listed) {
    const el = x.kind === 'ours' ? ours(x) : theirs(x);
    if (!el) { out.listed.push({found: false, binds: []}); continue; }
    const b = [];
    truths.forEach((t, i) => { if (t) { const how = binds(el, t); if (how) b.push([i, how]); } });
    out.listed.push(Object.assign(
      {found: true, desc: describe(el), binds: b, row: rowOf(el), section: sectionOf(el)},
      usability(el)));
  }
  return out;
}"""
)
"""Run in one frame: find the truth nodes, resolve the listed elements, bind and judge them."""

FRAME_HIT_JS = (
    "([iframe, points]) => {"
    + _JS_COMMON
    + r"""
  const r = iframe.getBoundingClientRect();
  const cs = getComputedStyle(iframe);
  const ox = r.left + iframe.clientLeft + parseFloat(cs.paddingLeft || '0');
  const oy = r.top + iframe.clientTop + parseFloat(cs.paddingTop || '0');
  return points.map(([x, y]) => {
    const X = ox + x, Y = oy + y;
    if (X < 0 || Y < 0 || X >= window.innerWidth || Y >= window.innerHeight)
      return {status: 'out of view'};
    const hit = deepHit(document, X, Y);
    if (!hit || hit === iframe) return {status: 'ok', point: [X, Y]};
    return {status: 'covered', by: describe(overlay(hit, iframe))};
  });
}"""
)
"""Whether the points of a frame's elements show through its ``<iframe>`` in the parent."""

BU_RESOLVE_JS = r"""(x) => {
  // One step of an xpath: the n-th child of that tag (the only one when no index).
  const step = (root, seg) => {
    const m = /^([^\[]+)(?:\[(\d+)\])?$/.exec(seg);
    if (!m) return null;
    let k = 0;
    const n = m[2] ? +m[2] : 1;
    for (const c of root.children) if (c.nodeName.toLowerCase() === m[1] && ++k === n) return c;
    return null;
  };
  const walk = (node, xpath) => {
    for (const seg of xpath ? xpath.split('/') : []) {
      if (!node) return null;
      node = step(node, seg);
    }
    return node;
  };
  // In a shadow root the xpath starts below the root's top element, which it leaves out:
  // that element is the first of the map's tag from which the rest resolves.
  const from = (root, top, xpath) => {
    if (top === null) return walk(root, xpath);
    for (const c of root.children) {
      if (c.nodeName.toLowerCase() !== top) continue;
      const el = walk(c, xpath);
      if (el) return el;
    }
    return null;
  };
  let root = document, top = null;
  for (const s of x.scopes) {
    const host = from(root, top, s.host);
    if (!host || !host.shadowRoot) return null;
    root = host.shadowRoot;
    top = s.top;
  }
  return from(root, top, x.xpath);
}"""
"""An element of browser-use's map in the current frame (an ``<iframe>`` on the way down)."""


@lru_cache(maxsize=1)
def judge_script() -> str:
    """:data:`JUDGE_JS` with the drivers' stand-in finder and the interactive selector."""
    from skyvern_core.perception.browser_common import PROXY_LABEL

    return (
        JUDGE_JS.replace("%PROXY%", PROXY_LABEL.strip())
        .replace("%INTERACTIVE%", json.dumps(INTERACTIVE))
        .replace("%BU_RESOLVE%", BU_RESOLVE_JS.strip())
    )


# --------------------------------------------------------------------------- listings


@dataclass(slots=True)
class Listed:
    """One element a prompt lists: its key in the prompt, the text its name is read from,
    its flag (empty: offered as usable), the frame it lives in and how to find it there."""

    key: str
    line: str
    flag: str
    frame: Any
    spec: dict[str, Any]
    shown: bool = True
    """False for an element of our snapshot that the prompt leaves out (beyond the
    elements it lists further down): judged only to say why a control was not listed."""
    row_text: str = ""
    """Ours: the text of the row it is listed under (``row "…":``)."""
    before: str = ""
    """Theirs: the text lines of its prompt between the previous element and this one."""


@dataclass(slots=True)
class Verdict:
    """A listed element as judged in its page."""

    found: bool = False
    desc: str = ""
    binds: list[tuple[int, str]] = field(default_factory=list)
    status: str = "unresolved"
    """``ok``, ``disabled``, ``not rendered``, ``covered``, ``out of view`` or
    ``unresolved`` (no node found for it)."""
    by: str = ""
    row: int | None = None
    """The row of the page it sits in (a table row, list item, article or card), numbered
    in its frame; None outside any."""
    section: str = ""
    """The text of the heading of the page section it is in (see the module)."""


_OUR_ID = re.compile(r"^((?:f\d+\.)*e\d+) ")
_BU_INDEX = re.compile(r"^\t*\[(\d+)\]<")


def ours_listing(session: Any, state: Any, prompt: str, *, unlisted: bool = False) -> list[Listed]:
    """The elements our prompt lists, each with its line (and group), the text of the row it
    is listed under and its flag; with ``unlisted``, also the snapshot's other elements
    (``shown=False``). Lines are read with :func:`skyvern_core.testing.prompt.prompt_elements`
    (rows, options under their owner, rows of alike controls written once), and element
    lines without a name as they stand."""
    from skyvern_core.testing.prompt import prompt_elements

    out: list[Listed] = []
    lines: list[tuple[str, str, str]] = []
    for pe in prompt_elements(prompt):
        lines.append((pe.id, f'{pe.id} {pe.role} "{pe.label}"{pe.rest}', pe.row))
    named = {key for key, _, _ in lines}
    for raw in prompt.split("\n"):
        m = _OUR_ID.match(raw.strip())
        if m and m.group(1) not in named:
            named.add(m.group(1))
            lines.append((m.group(1), raw.strip(), ""))
    seen = {key for key, _, _ in lines}
    before = _text_before(prompt)
    if unlisted:
        lines += [
            (e.id, f'{e.id} {e.role} "{e.label}"', "") for e in state.elements if e.id not in seen
        ]
    for key, line, row in lines:
        el = state.element(key)
        if el is None:
            continue
        path = el.frame or ""
        group = el.attributes.get("group", "")
        flags = []
        if el.visibility != "visible":
            flags.append(el.visibility)
        if el.disabled:
            flags.append("disabled")
        out.append(
            Listed(
                key=el.id,
                line=f"{line} [group {group}]" if group else line,
                flag=", ".join(flags),
                frame=session.primitives.frames.get(path),
                spec={
                    "kind": "ours",
                    "id": el.id,
                    "locator": el.locator,
                    "tag": el.attributes.get("tag"),
                    "token": session.primitives.tokens.get(path, ""),
                },
                shown=key in seen if unlisted else True,
                row_text=row,
                before=before.get(key, ""),
            )
        )
    return out


_PROMPT_PARTS = re.compile(
    r"^(URL:|Title:|Open tabs:|In view:|Further (up|down)|Page text:|each row below has:|"
    r"…and \d+ more|\(\d+ of them covered)"
)


def _text_before(prompt: str) -> dict[str, str]:
    """Ours: per element id, the page text lines of the prompt between the previous
    element line and its own (what the serializer keeps in reading order)."""
    out: dict[str, str] = {}
    pending: list[str] = []
    for raw in prompt.split("\n"):
        line = raw.strip()
        if not line or _PROMPT_PARTS.match(line) or re.match(r'^(row|group) "[^"]*":$', line):
            continue
        ids = re.findall(r"(?:^|, |: |^radio |^checkbox )((?:f\d+\.)*e\d+)(?= |,|$)", line)
        own = _OUR_ID.match(line)
        if own or ((RUN_ROW.match(raw) or CHOICES.match(raw)) and ids):
            for key in ids if own is None else [own.group(1)]:
                out.setdefault(key, " ".join(pending))
            pending = []
        else:
            pending.append(line)
    return out


async def bu_listing(
    page: Any, result: dict[str, Any], entries: list[tuple[str, str]]
) -> list[Listed]:
    """The elements browser-use's prompt lists, each with its entry and the way to its node
    (the chain of shadow roots and frames its xpath is relative to)."""
    nodes: dict[str, dict[str, Any]] = result["map"]
    parent: dict[str, str] = {}
    for at, node in nodes.items():
        for child in node.get("children", []):
            parent[str(child)] = at
    by_index = {
        int(n["highlightIndex"]): k for k, n in nodes.items() if n.get("highlightIndex") is not None
    }
    frames: dict[tuple[str, ...], Any] = {(): page.main_frame}

    out: list[Listed] = []
    texts: list[str] = []
    for kind, text in entries:
        m = _BU_INDEX.match(text) if kind != "text" else None
        if m is None:
            if text.strip():
                texts.append(text.strip())
            continue
        before, texts = " ".join(texts), []
        key = by_index.get(int(m.group(1)))
        if key is None:
            continue
        # Boundaries from the node up: an <iframe> (its document), or a shadow host whose
        # child on the way is in its shadow root (that child's xpath is empty: the xpaths
        # below it start afresh, without it).
        boundaries: list[tuple[str, str, str]] = []
        child = key
        while child in parent:
            up = parent[child]
            node_up = nodes[up]
            if node_up.get("tagName") == "iframe":
                boundaries.append(("frame", up, child))
            elif node_up.get("shadowRoot") and not str(nodes[child].get("xpath", "")).startswith(
                str(node_up.get("xpath", "")) + "/"
            ):
                boundaries.append(("shadow", up, child))
            child = up
        boundaries.reverse()
        frame = page.main_frame
        scopes: list[dict[str, str]] = []
        path: tuple[str, ...] = ()
        for what, host, below in boundaries:
            if what == "shadow":
                scopes.append({"host": str(nodes[host]["xpath"]), "top": nodes[below]["tagName"]})
                continue
            path = (*path, json.dumps(scopes), str(nodes[host]["xpath"]))
            if path not in frames:
                handle = await frame.evaluate_handle(
                    BU_RESOLVE_JS, {"scopes": scopes, "xpath": nodes[host]["xpath"]}
                )
                element = handle.as_element()
                frames[path] = await element.content_frame() if element is not None else None
            frame = frames[path]
            scopes = []
            if frame is None:
                break
        out.append(
            Listed(
                key=f"[{m.group(1)}]",
                line=text.strip(),
                flag="",
                frame=frame,
                spec={"kind": "theirs", "scopes": scopes, "xpath": nodes[key]["xpath"]},
                before=before,
            )
        )
    return out


async def frame_of_truth(page: Any, expr: str | None) -> Any:
    """The frame a truth control lives in: the top one, or the ``<iframe>`` ``expr`` returns."""
    if expr is None:
        return page.main_frame
    handle = await page.evaluate_handle(f"({expr})")
    element = handle.as_element()
    return await element.content_frame() if element is not None else None


async def judge(
    page: Any, controls: list[dict[str, Any]], listed: list[Listed]
) -> tuple[list[Verdict], list[bool]]:
    """Resolve and judge every listed element in its frame against the truth controls of
    that frame; also whether each truth node was found. One evaluation per frame."""
    truth_frames = [await frame_of_truth(page, c.get("frame")) for c in controls]
    verdicts = [Verdict() for _ in listed]
    found = [False] * len(controls)
    frames: list[Any] = []
    for f in [*truth_frames, *(x.frame for x in listed)]:
        if f is not None and all(f is not g for g in frames):
            frames.append(f)
    script = judge_script()
    for frame in frames:
        t_idx = [i for i, f in enumerate(truth_frames) if f is frame]
        l_idx = [i for i, x in enumerate(listed) if x.frame is frame]
        answer = await frame.evaluate(
            script,
            {
                "truths": [controls[i]["find"] for i in t_idx],
                "listed": [listed[i].spec for i in l_idx],
            },
        )
        for local, t in enumerate(answer["truths"]):
            found[t_idx[local]] = bool(t["found"])
        for local, item in enumerate(answer["listed"]):
            v = verdicts[l_idx[local]]
            v.found = bool(item["found"])
            v.desc = item.get("desc", "")
            v.binds = [(t_idx[i], how) for i, how in item.get("binds", [])]
            v.status = item.get("status", "unresolved") if v.found else "unresolved"
            v.by = item.get("by") or ""
            v.row = item.get("row")
            v.section = item.get("section") or ""
            if v.status == "ok" and frame.parent_frame is not None:
                v.status, v.by = await _through_frames(frame, item["point"])
    return verdicts, found


async def _through_frames(frame: Any, point: list[float]) -> tuple[str, str]:
    # A frame's element is usable only where its <iframe> shows in every page above it.
    while frame.parent_frame is not None:
        iframe = await frame.frame_element()
        [hit] = await frame.parent_frame.evaluate(FRAME_HIT_JS, [iframe, [point]])
        if hit["status"] != "ok":
            return hit["status"], hit.get("by") or ""
        point = hit["point"]
        frame = frame.parent_frame
    return "ok", ""


# --------------------------------------------------------------------------- scoring


@dataclass(slots=True)
class ControlResult:
    """One truth control for one extractor."""

    name: str
    status: str
    """``ok``, ``lacking`` (bound, its line lacks words), ``elsewhere`` (the name is on
    another node), ``missing`` (no element listed for it) or ``no truth node``."""
    bound: list[str] = field(default_factory=list)
    """The listed elements bound to the node, each with how: ``e12 (same)``, ``(label)``,
    ``(proxy)``, ``(wrapper)``."""
    lines: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    """The (stemmed) words a line had to hold."""
    glosses: list[str] = field(default_factory=list)
    """Words of the name left out because the page never has them."""
    lacks: list[str] = field(default_factory=list)
    """For ``lacking``: the words the bound element's line lacks."""
    left_out: list[str] = field(default_factory=list)
    """For ``missing``: elements of our snapshot bound to the node that the prompt leaves
    out (it lists the first elements further down and counts the rest)."""


MISS_KINDS = {
    "missing": "no element listed for the node",
    "lacking": "listed with a name lacking the words",
    "elsewhere": "the name is on another node",
    "no truth node": "the truth's find returned no element",
}


def score_controls(
    controls: list[dict[str, Any]],
    listed: list[Listed],
    verdicts: list[Verdict],
    found: list[bool],
    page: PageWords | None = None,
    prompt: str = "",
) -> list[ControlResult]:
    """The verdict on every truth control (see the module for the rule and the causes)."""
    # What a model reads with an element: its line, and where it sits in a row of the page,
    # that row as the prompt gives it (ours: the row line; theirs: its text lines between
    # the row's elements) and the lines of the row's other elements.
    rows: dict[tuple[int, int], list[Listed]] = {}
    for x, v in zip(listed, verdicts, strict=True):
        if v.row is not None and x.shown:
            rows.setdefault((id(x.frame), v.row), []).append(x)
    context: dict[str, str] = {}
    for x, v in zip(listed, verdicts, strict=True):
        mates = rows.get((id(x.frame), v.row), []) if v.row is not None else []
        extra = [x.row_text, x.before]
        for y in mates:
            if y is not x:
                extra += [y.line, y.row_text, y.before]
        # The heading of its section, where the prompt shows that heading.
        shown = v.section and " ".join(v.section.split()) in " ".join(prompt.split())
        if shown:
            extra.append(v.section)
        context[x.key] = " ".join([x.line, *(e for e in extra if e)])
    out = []
    for i, control in enumerate(controls):
        name = control["name"]
        how = {
            x.key: h for x, v in zip(listed, verdicts, strict=True) for t, h in v.binds if t == i
        }
        bound = [x for x in listed if x.key in how and x.shown]
        named = [x for x in bound if names(context[x.key], name, page)]
        others = [
            x for x in listed if x.shown and x not in bound and names(context[x.key], name, page)
        ]
        left_out = [x for x in listed if x.key in how and not x.shown]
        if not found[i]:
            status = "no truth node"
        elif named:
            status = "ok"
        elif bound:
            status = "lacking"
        elif others:
            status = "elsewhere"
        else:
            status = "missing"
        shown = named or sorted(bound, key=lambda x: len(lacking(context[x.key], name, page)))
        out.append(
            ControlResult(
                name=name,
                status=status,
                bound=[f"{x.key} ({how[x.key]})" for x in bound],
                lines=[x.line for x in shown][:3],
                elsewhere=[x.line for x in others][:3],
                words=list(significant(name, page)),
                glosses=glosses(name, page),
                lacks=lacking(context[shown[0].key], name, page) if status == "lacking" else [],
                left_out=[x.line for x in left_out][:3] if status == "missing" else [],
            )
        )
    return out


def unusable(listed: list[Listed], verdicts: list[Verdict]) -> tuple[list[str], list[str]]:
    """Unflagged listed elements a person cannot use now, and those out of view (not
    hit-tested), each as ``line — reason``."""
    bad, away = [], []
    for x, v in zip(listed, verdicts, strict=True):
        if x.flag or not x.shown:
            continue
        if v.status in ("disabled", "not rendered", "covered"):
            reason = f"covered by {v.by}" if v.status == "covered" else v.status
            bad.append(f"{_short(x.line)} — {reason} ({v.desc})")
        elif v.status == "out of view":
            away.append(f"{_short(x.line)} ({v.desc})")
        elif v.status == "unresolved":
            away.append(f"{_short(x.line)} (does not resolve to a node)")
    return bad, away


def _short(line: str, limit: int = 110) -> str:
    line = " ".join(line.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _norm_value(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def coherence(text: str, records: list[dict[str, Any]]) -> list[bool]:
    """Per record: whether its values all stand on one line of ``text`` that does not also
    hold every value of another record (see the module)."""
    lines = [_norm_value(line) for line in text.split("\n")]
    values = [tuple(_norm_value(str(v)) for v in r["fields"].values()) for r in records]
    out = []
    for i, mine in enumerate(values):
        others = [v for j, v in enumerate(values) if j != i and v != mine]
        ok = False
        for line in lines:
            if all(v in line for v in mine) and not any(
                all(v in line for v in theirs) for theirs in others
            ):
                ok = True
                break
        out.append(ok)
    return out


def extraction_goal(records: list[dict[str, Any]]) -> str:
    """The extraction goal asked of a page: every record with the fields of its truth."""
    keys = list(records[0]["fields"]) if records else []
    return "Every record the page lists, each with its " + ", ".join(keys)


# --------------------------------------------------------------------------- a page


@dataclass(slots=True)
class Side:
    """What one extractor gives for one page."""

    tokens: int = 0
    tokens_again: int = 0
    listed: int = 0
    controls: list[ControlResult] = field(default_factory=list)
    unusable: list[str] = field(default_factory=list)
    out_of_view: list[str] = field(default_factory=list)
    coherent: int = 0
    incoherent: list[dict[str, Any]] = field(default_factory=list)
    extraction_tokens: int = 0
    prompt: str = ""
    extraction_text: str = ""

    @property
    def named(self) -> int:
        """Truth controls named and bound."""
        return sum(c.status == "ok" for c in self.controls)

    @property
    def bound(self) -> int:
        """Truth controls with a listed element bound to them, named or not."""
        return sum(bool(c.bound) for c in self.controls)


@dataclass(slots=True)
class PageResult:
    """One held-out page, both extractors."""

    name: str
    controls: int
    records: int
    ours: Side
    theirs: Side
    seconds: float = 0.0


def load_truth(name: str, root: Path = UNSEEN) -> dict[str, Any]:
    """A page's ``truth.json``."""
    return dict(json.loads((root / name / "truth.json").read_text(encoding="utf-8")))


async def open_page(driver: Any, url: str, tmp: Path, task_id: str) -> Any:
    """A new session on ``url``, the page as loaded (see the module)."""
    from skyvern_core.protocols import SessionOptions

    session = await driver.new_session(
        SessionOptions(
            task_id=task_id, artifact_dir=tmp / task_id, record_video=False, viewport=VIEWPORT
        )
    )
    await session.goto(url)
    page = session.page
    for frame in page.frames:
        await frame.wait_for_load_state("load")
    try:
        await page.wait_for_load_state("networkidle", timeout=5000)
    except Exception:  # a page that keeps polling: measured as it is
        pass
    await page.wait_for_timeout(RENDER_WAIT_MS)
    return session


async def our_side(session: Any) -> tuple[Side, list[Listed], Any]:
    """Our prompt and its listing for the page (the judging comes after theirs ran)."""
    from skyvern_core.perception import count_tokens, serialize

    state = await session.snapshot()
    prompt = serialize(state)
    side = Side(tokens=count_tokens(prompt), prompt=prompt)
    listed = ours_listing(session, state, prompt, unlisted=True)
    side.listed = sum(x.shown for x in listed)
    return side, listed, state


async def their_side(page: Any, script: str) -> tuple[Side, list[Listed]]:
    """browser-use's prompt and its listing for the page."""
    from skyvern_core.perception import count_tokens

    await page.evaluate(BU_REMOVE_HIGHLIGHTS)
    result = await page.evaluate(script, BU_ARGS)
    info = await page.evaluate(BU_PAGE_INFO)
    entries = bu_render(result, info)
    text = bu_state_text(entries, page.url, await page.title())
    listed = await bu_listing(page, result, entries)
    await page.evaluate(BU_REMOVE_HIGHLIGHTS)  # its overlay would take the hit tests
    side = Side(tokens=count_tokens(text), prompt=text, listed=len(listed))
    return side, listed


async def our_extraction(session: Any, state: Any, goal: str) -> str:
    """The user messages of the requests ``LLMPlanner.extract`` sends for the page."""
    from skyvern_core.config import Settings
    from skyvern_core.models import Task, TaskRequest
    from skyvern_core.perception.document import wants_links
    from skyvern_core.planner.llm import LLMPlanner
    from skyvern_core.protocols import ExtractContext
    from skyvern_core.testing import ScriptedLLM

    document = await session.read_document(links=wants_links(goal))
    llm = ScriptedLLM(["{}"] * 200, supports_images=False)
    planner = LLMPlanner(llm, Settings())
    task = Task(
        task_id="tsk_unseen",
        organization_id="o_unseen",
        max_steps=1,
        request=TaskRequest(url=state.url, data_extraction_goal=goal),
    )
    await planner.extract(ExtractContext(task=task, page=state, document=document))
    return "\n".join(m.content for r in llm.requests for m in r.messages if m.role == "user")


async def measure_page(driver: Any, base: str, tmp: Path, name: str, script: str) -> PageResult:
    """Both extractors on one held-out page: all four measures."""
    from skyvern_core.perception import count_tokens, serialize

    started = time.perf_counter()
    truth = load_truth(name)
    controls = truth["controls"]
    records = truth.get("records", [])
    session = await open_page(driver, f"{base}/{name}/", tmp, f"unseen-{name}")
    page = session.page
    try:
        ours, our_listed, state = await our_side(session)
        wording = PageWords(
            await page_vocabulary(page),  # before their script adds its labels
            tuple(c["name"] for c in controls),
        )
        theirs, their_listed = await their_side(page, script)
        for side, listed in ((ours, our_listed), (theirs, their_listed)):
            verdicts, found = await judge(page, controls, listed)
            side.controls = score_controls(controls, listed, verdicts, found, wording, side.prompt)
            side.unusable, side.out_of_view = unusable(listed, verdicts)
        if records:
            goal = extraction_goal(records)
            ours.extraction_text = await our_extraction(session, state, goal)
            theirs.extraction_text = await bu_page_text(page, goal)
            for side in (ours, theirs):
                side.extraction_tokens = count_tokens(side.extraction_text)
                flags = coherence(side.extraction_text, records)
                side.coherent = sum(flags)
                side.incoherent = [
                    r["fields"] for r, ok in zip(records, flags, strict=True) if not ok
                ]
        # The same page read again: the counts must not move.
        ours.tokens_again = count_tokens(serialize(await session.snapshot()))
        again, _ = await their_side(page, script)
        theirs.tokens_again = again.tokens
    finally:
        await session.close()
    return PageResult(
        name=name,
        controls=len(controls),
        records=len(records),
        ours=ours,
        theirs=theirs,
        seconds=time.perf_counter() - started,
    )


async def collect(names_: Iterable[str]) -> list[PageResult]:
    """Measure the pages with one Chromium and one static server."""
    from skyvern_core.config import Settings
    from skyvern_plugins.playwright.driver import PlaywrightDriver

    script = browser_use_script()
    server, base = serve(UNSEEN)
    try:
        with isolated_home() as home:
            driver = PlaywrightDriver(Settings(data_dir=home / "data", record_video=False))
            await driver.start()
            try:
                return [await measure_page(driver, base, home, n, script) for n in names_]
            finally:
                await driver.close()
    finally:
        server.shutdown()


# --------------------------------------------------------------------------- report


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f}%" if b else "-"


def report(results: list[PageResult]) -> None:
    """Per page and total figures, targets, unusable elements and our misses by cause."""
    print(
        f"unseen pages: ours vs browser-use {BU_VERSION} (its DOM script and prompt format), "
        f"viewport {VIEWPORT[0]}x{VIEWPORT[1]}\n"
    )
    head = (
        f"{'page':<16} {'controls':>8} | {'named+bound ours/theirs':>25} |"
        f" {'bound ours/theirs':>17} | {'tokens ours/theirs':>18} |"
        f" {'unusable ours/theirs':>20} | {'coherent ours/theirs':>22}"
    )
    print(head)
    print("-" * len(head))
    tot = dict(n=0, on=0, tn=0, ob=0, tb=0, ot=0, tt=0, ou=0, tu=0, r=0, oc=0, tc=0)
    for r in results:
        o, t = r.ours, r.theirs
        coh = f"{o.coherent:>3}/{t.coherent:<3} of {r.records:<3}" if r.records else f"{'-':>13}"
        print(
            f"{r.name:<16} {r.controls:>8} | {o.named:>4} {_pct(o.named, r.controls):>5} /"
            f" {t.named:>3} {_pct(t.named, r.controls):>5}    |"
            f" {o.bound:>7}/{t.bound:<9} | {o.tokens:>8,}/{t.tokens:<9,} |"
            f" {len(o.unusable):>10}/{len(t.unusable):<9} | {coh:>22}"
        )
        tot["n"] += r.controls
        tot["on"] += o.named
        tot["tn"] += t.named
        tot["ob"] += o.bound
        tot["tb"] += t.bound
        tot["ot"] += o.tokens
        tot["tt"] += t.tokens
        tot["ou"] += len(o.unusable)
        tot["tu"] += len(t.unusable)
        tot["r"] += r.records
        tot["oc"] += o.coherent
        tot["tc"] += t.coherent
    print("-" * len(head))
    coh = f"{_pct(tot['oc'], tot['r']):>4}/{_pct(tot['tc'], tot['r']):<4} of {tot['r']:<3}"
    print(
        f"{'total':<16} {tot['n']:>8} | {tot['on']:>4} {_pct(tot['on'], tot['n']):>5} /"
        f" {tot['tn']:>3} {_pct(tot['tn'], tot['n']):>5}    |"
        f" {tot['ob']:>7}/{tot['tb']:<9} | {tot['ot']:>8,}/{tot['tt']:<9,} |"
        f" {tot['ou']:>10}/{tot['tu']:<9} | {coh:>22}"
    )
    print()
    share = tot["on"] / tot["n"] if tot["n"] else 0.0
    coherent = tot["oc"] / tot["r"] if tot["r"] else 1.0
    checks = [
        (f"named and bound >= {TARGET_NAMED:.0%}", f"{share:.1%}", share >= TARGET_NAMED),
        (f"prompt tokens <= {TARGET_TOKENS:,}", f"{tot['ot']:,}", tot["ot"] <= TARGET_TOKENS),
        (f"unusable unflagged <= {TARGET_UNUSABLE}", str(tot["ou"]), tot["ou"] <= TARGET_UNUSABLE),
        ("row coherence 100%", f"{coherent:.1%}", coherent >= 1.0),
    ]
    for what, value, ok in checks:
        print(f"target (ours) {what:<30} {value:>8}  {'met' if ok else 'MISSED'}")
    print(
        "extraction requests (pages with records), tokens ours/theirs: "
        f"{sum(r.ours.extraction_tokens for r in results):,}/"
        f"{sum(r.theirs.extraction_tokens for r in results):,}"
    )
    moved = [
        f"{r.name} ({side} {s.tokens} then {s.tokens_again})"
        for r in results
        for side, s in (("ours", r.ours), ("theirs", r.theirs))
        if s.tokens != s.tokens_again
    ]
    print(
        "token counts on a second read of each page: "
        + ("the same" if not moved else "CHANGED: " + "; ".join(moved))
    )

    print("\nunusable controls offered without a flag:")
    for r in results:
        for side, s in (("ours", r.ours), ("theirs", r.theirs)):
            for item in s.unusable:
                print(f"  {r.name:<16} {side:<6} {item}")
    away = [
        (r.name, side, x)
        for r in results
        for side, s in (("ours", r.ours), ("theirs", r.theirs))
        for x in s.out_of_view
    ]
    if away:
        print(f"\nunflagged but out of view, not hit-tested ({len(away)}):")
        for name, side, item in away:
            print(f"  {name:<16} {side:<6} {item}")

    print("\ncontrols ours missed, by cause:")
    for kind, title in MISS_KINDS.items():
        misses = [(r.name, c) for r in results for c in r.ours.controls if c.status == kind]
        if not misses:
            continue
        print(f"  {title} ({len(misses)}):")
        for name, c in misses:
            detail = ""
            if c.lines:
                detail = f"  ->  {_short(c.lines[0], 80)}"
            if c.lacks:
                detail += f"  (lacks: {' '.join(c.lacks)})"
            if c.left_out:
                detail += (
                    f"  [in the snapshot, left out of the prompt: {_short(c.left_out[0], 60)}]"
                )
            if c.elsewhere:
                detail += f"  [words on: {_short(c.elsewhere[0], 70)}]"
            print(f"    {name:<16} {c.name!r}{detail}")
    their_kinds = {
        kind: sum(c.status == kind for r in results for c in r.theirs.controls)
        for kind in MISS_KINDS
    }
    print(
        "  theirs, by cause: "
        + ", ".join(f"{MISS_KINDS[k]} {n}" for k, n in their_kinds.items() if n)
    )

    bad = [(r.name, rec) for r in results for rec in r.ours.incoherent]
    if bad:
        print(f"\nrecords ours does not keep on one line ({len(bad)}):")
        for name, rec in bad:
            print(f"  {name:<16} {rec}")


def show(result: PageResult) -> None:
    """Both prompt texts of one page and its truth list with each extractor's verdict."""
    for side, s in (("ours", result.ours), (f"browser-use {BU_VERSION}", result.theirs)):
        print(f"===== {side} ({s.tokens} tokens)\n{s.prompt}\n")
    print(f"===== truth ({result.controls} controls): ours / theirs")

    def verdict(c: ControlResult) -> str:
        if c.status == "ok":
            text = "ok    " + " | ".join(_short(x, 90) for x in c.lines)
        else:
            text = f"MISS ({MISS_KINDS[c.status]})"
            if c.lines:
                text += " " + " | ".join(_short(x, 90) for x in c.lines)
            if c.lacks:
                text += f"  (lacks: {' '.join(c.lacks)})"
            if c.elsewhere:
                text += f"\n            words on: {_short(c.elsewhere[0], 90)}"
            if c.left_out:
                text += f"\n            left out of the prompt: {_short(c.left_out[0], 80)}"
        return text

    for o, t in zip(result.ours.controls, result.theirs.controls, strict=True):
        gloss = f"  (not on the page: {', '.join(o.glosses)})" if o.glosses else ""
        print(f"{o.name!r}{gloss}\n    ours:   {verdict(o)}\n    theirs: {verdict(t)}")
    for side, s in (("ours", result.ours), ("theirs", result.theirs)):
        for item in s.unusable:
            print(f"unusable {side}: {item}")
        for rec in s.incoherent:
            print(f"incoherent {side}: {rec}")


def to_json(results: list[PageResult]) -> dict[str, Any]:
    """Everything measured, as JSON."""
    pages = []
    for r in results:
        item = asdict(r)
        for side in ("ours", "theirs"):
            s = getattr(r, side)
            item[side]["named"] = s.named
            item[side]["bound_any"] = s.bound
        pages.append(item)
    return {
        "browser_use": BU_VERSION,
        "viewport": list(VIEWPORT),
        "rules": {"stopwords": sorted(STOPWORDS), "descriptors": sorted(DESCRIPTORS)},
        "pages": pages,
    }


def all_pages() -> list[str]:
    """The held-out pages: every folder of ``bench/unseen/`` with a ``truth.json``."""
    return sorted(p.parent.name for p in UNSEEN.glob("*/truth.json"))


def main() -> int:
    """Parse the arguments, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", default="", help="comma-separated page names (default all)")
    parser.add_argument("--show", default="", help="print both prompts and verdicts of a page")
    parser.add_argument("--json", default="", help="write everything measured to this file")
    args = parser.parse_args()
    every = all_pages()
    chosen = [n for n in args.pages.split(",") if n] or every
    if args.show:
        chosen = [args.show]
    unknown = [n for n in chosen if n not in every]
    if unknown:
        parser.error(f"unknown page(s): {', '.join(unknown)}; pages are {', '.join(every)}")
    started = time.perf_counter()
    results = asyncio.run(collect(chosen))
    if args.show:
        show(results[0])
    else:
        report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(to_json(results), indent=1, ensure_ascii=False))
        print(f"\n(wrote {args.json})")
    print(f"\n(wall time {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
