// skyvern-core page snapshot: what an agent can see and act on in one document.
//
// This file is ONE expression evaluating to a function `snapshot(options)`. Playwright
// evaluates it directly; Selenium runs `return (<this text>)(arguments[0])`. Plain ES2019:
// no optional chaining, no `??`, no WeakRef.
//
// It returns JSON: {url, title, frame, token, elements, texts, rows, text, more, frames,
// stats}. Every interactable element gets a short id ("e12") kept in a WeakMap stored on
// `window` under a non-enumerable, Symbol-keyed property: nothing is ever written into the
// site's DOM, and the same element keeps its id across snapshots of the same document.
// Elements of child frames carry the frame's prefix ("f1.e3", nested "f1.f2.e7").
//
// Reading order: `elements` are in document order (the flat tree: a shadow root's content
// where the host is, slotted nodes where their slot is). `texts` is the text between the
// controls, each item {t, h (heading level, 0 for body text), v (1 in view, 2 above it,
// 0 further down), f (1 inside a form or dialog), at (the item comes before
// elements[at])}: everything in view, and the headings of the rest. `frames` carry `at`
// as well (and `ti`, the number of texts before the iframe), so a child frame's snapshot
// goes where its iframe is. An element above the viewport says `above`.
// A control inside a table row, card or list item carries `row` ("r3"), the key of
// `rows`, which holds that row's own text once (the text of its controls left out, cells
// joined with " · "). An option or menu item shown in the popup of a combobox or menu
// button carries `owner`, the id of that combobox or button.
//
// Locator notation (finds an element again from the top document):
//   - a CSS path per document or shadow root, e.g. `html > body > form > input:nth-of-type(2)`
//     or `#email` (an id is used as the anchor when it names this very element); inside a
//     shadow root the path starts at one of the root's own children: `:host > div > button`;
//   - " >>> " enters the open shadow root of the element matched so far:
//     `html > body > my-widget >>> :host > div > button`;
//   - " |> " enters the document of the iframe matched so far:
//     `html > body > iframe:nth-of-type(2) |> html > body > input`.
//   Each segment is resolved with querySelector on the document or shadow root reached by
//   the segments before it.
//
// Options: framePrefix ("f1." for a child frame, "" on top), locatorPrefix (the iframe's
// locator + " |> "), clip ({x, y, w, h}: the part of this frame's viewport visible in the
// top viewport), frameVisibility (the iframe element's own visibility in its parent),
// frames (false: do not descend into same-origin iframes; they are listed instead).
(function (options) {
  "use strict";
  var KEY = Symbol.for("skyvern-core.snapshot");
  // The first run in a document keeps its snapshot function in the page-side state: later
  // snapshots run that one, already compiled and optimised, rather than a fresh copy of
  // this script's functions (the text is the same; its compiled code would not be). The
  // version (filled in by skyvern_core.perception) tells another build's script apart.
  var VERSION = "__SNAPSHOT_VERSION__";
  var kept = window[KEY];
  if (kept && kept.snapshot && kept.version === VERSION) return kept.snapshot(options);
  var opts = {};
  var started = 0;
  var LABEL_MAX = 200;
  var VALUE_MAX = 200;
  var OPTIONS_MAX = 30;
  var TEXT_ITEM_MAX = 300;
  var MORE_MAX = 3000;
  var ROW_MAX = 200;
  // More controls than this (by kind: table row, list item or article, card) make a
  // section of the page rather than a row.
  var ROW_CONTROLS_MAX = [0, 12, 8, 5];
  var ROW_TEXT_CAP = 1500;
  var VIEW_TEXT_MAX = 8000;
  var FLOW_ITEM_MAX = 1200;
  var HEADINGS_ELSEWHERE_MAX = 60;
  var POPUP_LISTED_MAX = 30;
  var GAP = "\u0001";

  var WIDGET_ROLES = {
    button: 1, link: 1, checkbox: 1, switch: 1, radio: 1, combobox: 1, listbox: 1,
    tab: 1, menuitem: 1, menuitemcheckbox: 1, menuitemradio: 1, slider: 1, textbox: 1,
    searchbox: 1, spinbutton: 1, treeitem: 1, option: 1
  };
  var VALUE_ROLES = { textbox: 1, searchbox: 1, combobox: 1, listbox: 1, slider: 1, spinbutton: 1 };
  var CHECKABLE = { checkbox: 1, radio: 1, switch: 1, menuitemcheckbox: 1, menuitemradio: 1 };
  var ENTRY_ROLES = { textbox: 1, searchbox: 1, combobox: 1, select: 1, file: 1, spinbutton: 1 };
  var POPUP_ITEMS = { option: 1, menuitem: 1, menuitemcheckbox: 1, menuitemradio: 1 };
  var SKIP_TAGS = {
    SCRIPT: 1, STYLE: 1, NOSCRIPT: 1, TEMPLATE: 1, HEAD: 1, META: 1, LINK: 1, svg: 1,
    SVG: 1, BR: 1, HR: 1
  };
  // Inline elements: the text around them stays on one line of the reading order.
  var INLINE = {
    SPAN: 1, B: 1, I: 1, EM: 1, STRONG: 1, A: 1, SMALL: 1, CODE: 1, LABEL: 1, ABBR: 1,
    SUB: 1, SUP: 1, MARK: 1, U: 1, S: 1, SLOT: 1, FONT: 1, TIME: 1, Q: 1, CITE: 1, KBD: 1,
    VAR: 1, DFN: 1, BDI: 1, BDO: 1, INS: 1, DEL: 1, DATA: 1, IMG: 1, TT: 1, BIG: 1, STRIKE: 1,
    WBR: 1, OUTPUT: 1, METER: 1, PROGRESS: 1
  };
  // Formatting inside a word ("<b>W</b>ord"); every other element boundary is a word
  // boundary, so that separate nodes never run together ("All" and a badge "212").
  var FORMAT = {
    B: 1, I: 1, EM: 1, STRONG: 1, MARK: 1, U: 1, S: 1, SUB: 1, SUP: 1, CODE: 1,
    ABBR: 1, FONT: 1, Q: 1, CITE: 1, KBD: 1, VAR: 1, DFN: 1, BDI: 1, BDO: 1, INS: 1, DEL: 1,
    TT: 1, BIG: 1, STRIKE: 1, WBR: 1
  };
  var CELL = { TD: 1, TH: 1 };
  var CELL_ROLES = { cell: 1, gridcell: 1, columnheader: 1, rowheader: 1 };
  var MESSAGE_CLASS = /(^|[\s_-])(error|errors|alert|warning|invalid|danger|notice|message|toast|flash|success|confirmation|feedback|validation)([\s_-]|$)/i;
  var PLACEHOLDER_TEXT = /^\W*(please\s+)?(select|choose|pick)\b|^-+.*-+$/i;
  var MEANINGFUL = /[\p{L}\p{N}]/u;
  var EDGE_SEPARATORS = /^[\s\u00b7\u2022|,;:\u2013\u2014-]+|[\s\u00b7\u2022|,;:\u2013\u2014-]+$/g;
  var ICON_CLASS = /(^|[\s_-])(icons?|material-icons[\w-]*|material-symbols[\w-]*|fa[srlbd]?|glyphicon|bi|mdi)([\s_-]|$)/i;
  var TOOLTIP_ATTRS = ["title", "data-tooltip", "data-original-title", "data-bs-original-title",
    "data-tip", "data-title", "aria-description"];

  function isMessageCandidate(el, tag, has) {
    if (tag === "H1" || tag === "H2" || tag === "H3" || tag === "DIALOG") return true;
    if (!has) return false;
    if (el.hasAttribute("role") || el.hasAttribute("aria-live") || el.hasAttribute("aria-modal")) {
      return true;
    }
    var cls = el.getAttribute("class");
    return !!cls && MESSAGE_CLASS.test(cls);
  }

  function stateOf(win) {
    var s = win[KEY];
    if (!s) {
      s = {
        ids: new WeakMap(), frames: new WeakMap(), next: 1, nextFrame: 1, byId: new Map(),
        token: Math.random().toString(36).slice(2) + Date.now().toString(36)
      };
      Object.defineProperty(win, KEY, { value: s, enumerable: false, configurable: true });
    }
    return s;
  }

  function norm(text) {
    return (text || "").replace(/[\s\u00a0\u200b]+/g, " ").trim();
  }

  // At most `max` characters, cut at a word boundary (a label keeps its meaning up to
  // there, never a half word).
  function cap(text, max) {
    text = norm(text);
    if (text.length <= max) return text;
    var cut = text.slice(0, max - 1);
    var space = cut.lastIndexOf(" ");
    if (space > max * 0.6) cut = cut.slice(0, space);
    return cut.replace(/[\s,;:\u00b7-]+$/, "") + "\u2026";
  }

  var CLOSING = /^[,.;:!?)\]%]/;
  var OPENING = /[(\[]$/;

  // Joins text collected along the tree: GAP marks a word boundary between nodes.
  function gapJoin(s) {
    if (s.indexOf(GAP) === -1) return norm(s);
    var pieces = s.split(GAP);
    var out = "";
    for (var i = 0; i < pieces.length; i++) {
      var x = norm(pieces[i]);
      if (!x) continue;
      // No space is added before closing punctuation or after an opening bracket; the
      // page's own spaces stay.
      var glue = !out ? "" : /\s$/.test(pieces[i - 1] || "") || /^\s/.test(pieces[i]) ? " " :
        CLOSING.test(x) || OPENING.test(out) ? "" : " ";
      out += glue + x;
    }
    return out;
  }

  function shown(el) {
    // A child hidden with display:none (a tooltip, a collapsed menu) is not part of the
    // text a person reads; display:contents has no box of its own but shows its children.
    if (el.hidden) return false;
    if (!el.checkVisibility || el.checkVisibility()) return true;
    return el.ownerDocument.defaultView.getComputedStyle(el).display === "contents";
  }

  // Text along the flat tree: into shadow roots and through slots to the nodes they show,
  // skipping `skip` (the control a label wraps), hidden children and non-text elements.
  // Formatting right next to another element ("<strong>Total</strong><strong>$49</strong>")
  // is a separate piece of text, not part of a word.
  function besideElement(el) {
    var p = el.previousSibling, n = el.nextSibling;
    return (!!p && p.nodeType === 1) || (!!n && n.nodeType === 1);
  }

  function gather(node, skip, out) {
    for (var c = node.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 3) {
        out.push(c.nodeValue);
        continue;
      }
      if (c.nodeType !== 1 || c === skip) continue;
      var tag = c.tagName;
      if (tag === "STYLE" || tag === "SCRIPT" || tag === "TEMPLATE" || tag === "OPTION" ||
          tag === "SELECT" || tag === "TEXTAREA" || tag === "NOSCRIPT") continue;
      if (tag === "BR") {
        out.push(GAP);
        continue;
      }
      if (tag !== "SLOT" && !shown(c)) continue;
      var gap = !FORMAT[tag] || besideElement(c);
      // A plain inline span inside a word ("hire<span>loop</span>", a logo's styled half)
      // is read as the browser shows it: one word.
      var glued = gap && !FORMAT[tag] && gluedInline(c);
      if (gap && !glued) out.push(GAP);
      if (tag === "SLOT") {
        var assigned = c.assignedNodes({ flatten: true });
        if (assigned.length) {
          for (var i = 0; i < assigned.length; i++) {
            if (assigned[i].nodeType === 3) out.push(assigned[i].nodeValue);
            else if (assigned[i].nodeType === 1 && shown(assigned[i])) gather(assigned[i], skip, out);
          }
        } else {
          gather(c, skip, out);
        }
      } else {
        gather(c.shadowRoot || c, skip, out);
      }
      if (gap && !glued) out.push(GAP);
    }
    return out;
  }

  function gluedInline(el) {
    var p = el.previousSibling, n = el.nextSibling;
    var before = p && p.nodeType === 3 && /[\p{L}\p{N}]$/u.test(p.nodeValue);
    var after = n && n.nodeType === 3 && /^[\p{L}\p{N}]/u.test(n.nodeValue);
    if (!before && !after) return false;
    if ((p && p.nodeType === 1) || (n && n.nodeType === 1)) return false;
    var st = getComputedStyle(el);
    return st.display === "inline" && !parseFloat(st.marginLeft) && !parseFloat(st.marginRight) &&
      !parseFloat(st.paddingLeft) && !parseFloat(st.paddingRight);
  }

  function textOf(el) {
    if (!el) return "";
    if (!el.shadowRoot && el.childElementCount === 0) {
      var t = el.textContent || "";
      return norm(t.length > 4000 ? t.slice(0, 4000) : t);
    }
    var plain = el.textContent || "";
    if (plain.length > 20000 && !el.shadowRoot) {
      // A huge container (a whole page section): the quick, rough text is enough.
      return norm(plain.slice(0, 2000));
    }
    return gapJoin(gather(el.shadowRoot || el, null, []).join("")).slice(0, 2000);
  }

  function rootOf(el) {
    var r = el.getRootNode ? el.getRootNode() : el.ownerDocument;
    return r || el.ownerDocument;
  }

  function byIdIn(root, id) {
    if (!id) return null;
    if (root.getElementById) return root.getElementById(id);
    try {
      return root.querySelector("#" + CSS.escape(id));
    } catch (e) {
      return null;
    }
  }

  function isRendered(el, rect) {
    if (rect.width <= 0 || rect.height <= 0) return false;
    if (el.checkVisibility) {
      return el.checkVisibility({ visibilityProperty: true, checkVisibilityCSS: true });
    }
    var st = el.ownerDocument.defaultView.getComputedStyle(el);
    return st.visibility !== "hidden" && st.display !== "none";
  }

  function composedParent(el) {
    if (el.parentElement) return el.parentElement;
    var r = el.parentNode;
    if (r && r.host) return r.host;
    return null;
  }

  function composedContains(outer, inner) {
    var n = inner;
    while (n) {
      if (n === outer) return true;
      n = composedParent(n);
    }
    return false;
  }

  function deepHit(doc, x, y) {
    var hit = doc.elementFromPoint(x, y);
    while (hit && hit.shadowRoot) {
      var inner = hit.shadowRoot.elementFromPoint(x, y);
      if (!inner || inner === hit) break;
      hit = inner;
    }
    return hit;
  }

  // The outermost ancestor of the element on top that does not also contain the target:
  // the banner or dialog as a whole rather than the paragraph inside it.
  function overlayOf(hit, target) {
    var top = hit;
    for (var p = composedParent(hit); p; p = composedParent(p)) {
      if (p.tagName === "BODY" || p.tagName === "HTML" || composedContains(p, target)) break;
      top = p;
    }
    return top;
  }

  function describe(el) {
    var name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    else {
      var cls = norm(typeof el.className === "string" ? el.className : "");
      if (cls) name += "." + cls.split(" ").slice(0, 2).join(".");
    }
    var t = cap(textOf(el), 40);
    return t ? name + ' "' + t + '"' : name;
  }

  // ---------------------------------------------------------------- locators

  function Paths() {
    this.memo = new Map();
    this.nth = new Map();
    this.counts = new Map();
  }
  // The element's step from its parent (an element, or the shadow root it sits in).
  // nth-of-type indexes are computed once per parent: long lists stay linear.
  Paths.prototype.segment = function (el) {
    var parent = el.parentNode;
    var tag = el.tagName.toLowerCase();
    var simple = /^[a-z][a-z0-9-]*$/.test(tag);
    if (!parent || parent.nodeType === 9) return simple ? tag : "*";
    if (!simple) {
      // A tag CSS cannot name as it is (an SVG foreignObject, a namespaced tag) is counted
      // among all siblings instead.
      var k = 1;
      for (var p = el.previousElementSibling; p; p = p.previousElementSibling) k++;
      return "*:nth-child(" + k + ")";
    }
    var counts = this.counts.get(parent);
    if (!counts) {
      counts = {};
      for (var c = parent.firstElementChild; c; c = c.nextElementSibling) {
        var n = (counts[c.tagName] || 0) + 1;
        counts[c.tagName] = n;
        this.nth.set(c, n);
      }
      this.counts.set(parent, counts);
    }
    return counts[el.tagName] > 1 ? tag + ":nth-of-type(" + this.nth.get(el) + ")" : tag;
  };
  Paths.prototype.of = function (el) {
    var hit = this.memo.get(el);
    if (hit !== undefined) return hit;
    var root = rootOf(el);
    var path;
    if (el.id && byIdIn(root, el.id) === el && /^[A-Za-z_][\w-]*$/.test(el.id)) {
      path = "#" + el.id;
    } else if (el.parentElement) {
      path = this.of(el.parentElement) + " > " + this.segment(el);
    } else if (el.parentNode && el.parentNode.host) {
      // A child of a shadow root: `:host >` keeps querySelector to the root's own children
      // (a bare `button` would match the first button anywhere inside).
      path = ":host > " + this.segment(el);
    } else {
      path = this.segment(el);
    }
    this.memo.set(el, path);
    return path;
  };
  // The full locator from this document's top: shadow hosts joined with " >>> ".
  Paths.prototype.full = function (el) {
    var root = rootOf(el);
    var own = this.of(el);
    if (root.host) return this.full(root.host) + " >>> " + own;
    return own;
  };

  // ---------------------------------------------------------------- labels

  function labelsFor(root, cache) {
    var map = cache.get(root);
    if (map) return map;
    map = new Map();
    var labels = root.querySelectorAll ? root.querySelectorAll("label[for]") : [];
    for (var i = 0; i < labels.length; i++) {
      var f = labels[i].getAttribute("for");
      if (f && !map.has(f)) map.set(f, labels[i]);
    }
    cache.set(root, map);
    return map;
  }

  // The visible text of a label, without the text of the control it wraps (a select's
  // options would otherwise end up in the label).
  function labelText(label, control) {
    return gapJoin(gather(label, control, []).join(""));
  }

  function isControl(n) {
    return n.nodeType === 1 && (n.matches("input, select, textarea, button, fieldset, table") ||
      !!n.querySelector("input, select, textarea, button"));
  }

  var NOT_A_LABEL = { H1: 1, H2: 1, H3: 1, H4: 1, H5: 1, H6: 1, LEGEND: 1, CAPTION: 1, P: 1,
    UL: 1, OL: 1, NAV: 1, HEADER: 1, FOOTER: 1, SECTION: 1, ARTICLE: 1, FORM: 1 };

  // What reads like a label rather than an instruction: short, not a sentence.
  function labelLike(t) {
    if (!t || t.length > 60) return false;
    var words = t.split(" ").length;
    // A sentence is an instruction; "Membership No." is still a label.
    if (/[.!?]$/.test(t) && words > 3) return false;
    return /[:*]$/.test(t) || words <= 5;
  }

  // The text right after a checkbox or radio ("<input type=radio> Mr"), up to the next
  // control or line break.
  function followingText(el) {
    var parts = [];
    for (var s = el.nextSibling, hops = 0; s && hops < 6; s = s.nextSibling, hops++) {
      if (s.nodeType === 3) {
        parts.push(s.nodeValue);
      } else if (s.nodeType === 1) {
        if (s.tagName === "BR" || isControl(s) || !INLINE[s.tagName]) {
          if (!norm(parts.join("")) && s.nodeType === 1 && !isControl(s) &&
              !NOT_A_LABEL[s.tagName] && s.tagName !== "BR") {
            // A block right after the box, before any text ("<div>Remember me</div>").
            var bt = textOf(s);
            if (labelLike(bt) || bt.length <= 80) return bt;
          }
          break;
        }
        parts.push(gather(s, null, []).join(""));
      }
    }
    return gapJoin(parts.join(""));
  }

  function cellOf(el) {
    return el.closest ? el.closest("td, th, [role=cell], [role=gridcell]") : null;
  }

  // The text of the cell beside the control's own cell, in the direction given.
  function cellBeside(cell, forward) {
    for (var c = forward ? cell.nextElementSibling : cell.previousElementSibling; c;
         c = forward ? c.nextElementSibling : c.previousElementSibling) {
      if (c.querySelector("input, select, textarea, button")) return "";
      var t = textOf(c);
      if (t) return t;
    }
    return "";
  }

  // A legacy form's label in the cell before the field's own (<td>Surname:</td><td><input>):
  // what a person reads as its name, before any placeholder. In a data table with column
  // headers, the column's header is the field's name instead.
  function cellLabel(el) {
    var cell = cellOf(el);
    if (!cell || adjacentText(el, true)) return "";
    var first = cell.querySelector("input, select, textarea, [contenteditable], [role=textbox], [role=combobox]");
    if (first && first !== el) return "";
    var before = cellBeside(cell, false);
    var row = cell.parentElement;
    var cells = row ? row.children.length : 0;
    var prev = cell.previousElementSibling;
    if (before && (labelLike(before) && (cells <= 3 || /[:*]$/.test(before) ||
        (prev && prev.tagName === "TH")))) {
      return before;
    }
    var table = cell.closest("table");
    if (table && row && cell.tagName === "TD") {
      var index = Array.prototype.indexOf.call(row.children, cell);
      var head = table.querySelector("thead tr") || null;
      if (head && head !== row && head.children[index]) {
        var ht = textOf(head.children[index]);
        if (ht) return ht;
      }
    }
    return "";
  }

  // The text right before a field in its own container: a text node, or a short label-like
  // element ("Nickname <input>", "<b>Surname</b><br><input>"). One level up only when that
  // container holds no other field. With `any`, just whether there is text before it.
  function adjacentText(el, any) {
    var node = el;
    for (var depth = 0; depth < 2 && node; depth++) {
      for (var s = node.previousSibling, hops = 0; s && hops < 4; s = s.previousSibling, hops++) {
        if (s.nodeType === 3) {
          var tt = norm(s.nodeValue);
          // A separator between the parts of one field ("dd / mm / yyyy") names none.
          if (!tt || !MEANINGFUL.test(tt)) continue;
          if (any) return tt;
          return tt.length <= 80 ? tt : "";
        }
        if (s.nodeType !== 1) continue;
        var tag = s.tagName;
        if (tag === "STYLE" || tag === "SCRIPT" || tag === "TEMPLATE" || tag === "BR") continue;
        if (isControl(s)) return "";
        if (NOT_A_LABEL[tag]) return "";
        var st = textOf(s);
        if (!st) continue;
        if (any) return st;
        if (INLINE[tag] || tag === "LABEL") return st.length <= 80 ? st : "";
        return labelLike(st) ? st : "";
      }
      var p = node.parentElement;
      if (!p || p.matches("form, fieldset, td, th, li, label, body, [role=dialog], [role=row]")) break;
      var gp = p.parentElement;
      if (depth === 0 && gp && gp.querySelectorAll(
          "input:not([type=hidden]), select, textarea, [contenteditable]").length > 1) break;
      node = p;
    }
    return "";
  }

  function nearbyText(el) {
    // A preceding table cell, sibling text, or the text just before the control's parent.
    var cell = cellOf(el);
    if (cell) {
      var ct = cellBeside(cell, false);
      if (ct) return ct;
    }
    var node = el;
    for (var depth = 0; depth < 3 && node; depth++) {
      for (var s = node.previousSibling, hops = 0; s && hops < 4; s = s.previousSibling, hops++) {
        if (s.nodeType === 3) {
          var tt = norm(s.nodeValue);
          if (tt) return tt;
        } else if (s.nodeType === 1) {
          if (s.tagName === "STYLE" || s.tagName === "SCRIPT" || s.tagName === "TEMPLATE") continue;
          if (isControl(s)) break;
          var st = textOf(s);
          if (st) return st;
        }
      }
      node = node.parentElement;
      if (node && node.matches && node.matches("form, fieldset, body, td, li, [role=dialog]")) {
        break;
      }
    }
    var fs = el.closest ? el.closest("fieldset") : null;
    if (fs) {
      var legend = fs.querySelector("legend");
      if (legend) return textOf(legend);
    }
    return "";
  }

  function groupOf(el) {
    var fs = el.closest ? el.closest("fieldset, [role=radiogroup], [role=group]") : null;
    if (!fs) {
      // A legacy form's group of options (the cell holds several of one name): the label
      // in the cell before theirs.
      // An ASP.NET-style option list nests a table of one option per row inside that
      // cell: the cell holding the group is the nearest one with several of its name.
      var nm = el.getAttribute("name");
      if (!nm) return "";
      for (var cell = cellOf(el), up = 0; cell && up < 3; up++) {
        var boxes = cell.querySelectorAll("input[type=radio], input[type=checkbox]");
        var mates = 0;
        for (var b = 0; b < boxes.length && mates < 2; b++) {
          if (boxes[b].getAttribute("name") === nm) mates++;
        }
        if (mates >= 2) {
          var before = cellBeside(cell, false);
          return before && labelLike(before) ? cap(before, LABEL_MAX) : "";
        }
        cell = cell.parentElement ? cellOf(cell.parentElement) : null;
      }
      return "";
    }
    if (fs.tagName === "FIELDSET") {
      var legend = fs.querySelector("legend");
      return legend ? cap(textOf(legend), LABEL_MAX) : "";
    }
    return cap(ariaName(fs) || "", LABEL_MAX);
  }

  // Containers whose own name a person reads as the heading of the controls inside:
  // "Settings" over a side navigation's links, "Security code" over six digit boxes, a
  // cookie banner's name over its "Accept" and "Reject".
  // Only a name the page does not show as text already (but a dialog's): an aria-label,
  // or labelling text that is visually hidden (a heading or legend in view is on its own
  // line).
  var NAMED_CONTAINERS = "nav, [role=navigation], [role=group], [role=radiogroup], " +
    "[role=toolbar], [role=search], [role=region], [role=dialog], [role=alertdialog], " +
    "dialog, section[aria-label], section[aria-labelledby], aside[aria-label]";
  var CONTAINER_NAME_MAX = 80;
  var DIALOGS = "[role=dialog], [role=alertdialog], dialog";

  function unseenName(p) {
    var own = norm(p.getAttribute("aria-label"));
    var lb = p.getAttribute("aria-labelledby");
    if (!lb) return own;
    var root = rootOf(p);
    var ids = lb.split(/\s+/);
    var parts = [];
    for (var i = 0; i < ids.length; i++) {
      var ref = byIdIn(root, ids[i]);
      if (!ref) continue;
      var r = ref.getBoundingClientRect();
      // Shown text (a heading, a banner's sentence) is read where it stands.
      if (r.width > 2 && r.height > 2 && isRendered(ref, r)) return "";
      parts.push(textOf(ref));
    }
    return norm(parts.join(" ")) || own;
  }

  var WORDY = /[A-Za-z\u00C0-\u024F]{3,}\W+[A-Za-z\u00C0-\u024F]{3,}/;

  // A trail of links a person tells by its look ("Home › Shop › Tents"), marked by the
  // class every framework gives it (Bootstrap's, Zendesk's, WordPress's) where no
  // aria-label names it.
  var TRAIL_CLASS = /(^|[\s_-])breadcrumbs?($|[\s_-])/i;

  function containerName(el) {
    var p = el.parentElement;
    for (var hops = 0; p && hops < 12 && p.tagName !== "BODY"; hops++, p = p.parentElement) {
      if (hops < 4 && TRAIL_CLASS.test(p.getAttribute("class") || "") &&
          !p.matches(NAMED_CONTAINERS) && !p.closest("nav[aria-label], [role=navigation][aria-label]")) {
        return "Breadcrumb";
      }
      if (!p.matches(NAMED_CONTAINERS)) continue;
      // A dialog's name goes over its buttons even where it is shown: "Accept" is the
      // cookie banner's, wherever its sentence stands.
      var name = p.matches(DIALOGS) ? ariaName(p) : unseenName(p);
      if (name) return cap(name, CONTAINER_NAME_MAX);
    }
    return "";
  }

  // A button on one line with the single text field of its small box ("Apply" beside a
  // discount code, "Subscribe" beside an e-mail box) acts on that field: a person reads the
  // field's name over it.
  var COMPANION_FIELD = "input:not([type]), input[type=text], input[type=search], " +
    "input[type=email], input[type=tel], input[type=url], input[type=number], textarea";
  var COMPANION_BUTTON = "button, [role=button], input[type=submit], input[type=button]";
  var COMPANION_OTHER = "select, a[href], input[type=checkbox], input[type=radio], " +
    "[role=combobox], [role=checkbox], [role=radio], [role=switch], [role=link]";

  function companionName(el, labelCache) {
    var r = el.getBoundingClientRect();
    var cy = r.top + r.height / 2;
    var box = composedParent(el);
    for (var up = 0; box && up < 2 && box.tagName !== "BODY"; up++, box = composedParent(box)) {
      var scope = box.shadowRoot && rootOf(el) === box.shadowRoot ? box.shadowRoot : box;
      if (scope.querySelector(COMPANION_OTHER)) return "";
      // Two at most: a search bar's date, guests and search buttons are the bar's own.
      if (scope.querySelectorAll(COMPANION_BUTTON).length > 2) return "";
      var fields = scope.querySelectorAll(COMPANION_FIELD);
      if (fields.length > 1) return "";
      if (fields.length === 0) continue;
      var f = fields[0];
      var fr = f.getBoundingClientRect();
      if (!isRendered(f, fr) || cy < fr.top || cy > fr.bottom) return "";
      return cap(labelOf(f, "textbox", labelCache) || "", CONTAINER_NAME_MAX);
    }
    return "";
  }

  function ariaName(el) {
    var lb = el.getAttribute("aria-labelledby");
    if (lb) {
      var root = rootOf(el);
      var parts = [];
      var ids = lb.split(/\s+/);
      for (var i = 0; i < ids.length; i++) {
        var ref = byIdIn(root, ids[i]);
        if (ref) parts.push(textOf(ref));
      }
      var joined = norm(parts.join(" "));
      if (joined) return joined;
    }
    return norm(el.getAttribute("aria-label"));
  }

  function tooltipOf(el) {
    for (var i = 0; i < TOOLTIP_ATTRS.length; i++) {
      var v = el.getAttribute(TOOLTIP_ATTRS[i]);
      if (v && norm(v)) return norm(v);
    }
    return "";
  }

  // The name inside an element without text of its own: an image's alt, an icon's label
  // or tooltip, an SVG's <title>.
  function innerName(el) {
    if (!el.querySelector) return "";
    var found = el.querySelectorAll("img[alt], [aria-label], [title], [data-tooltip], svg title");
    for (var i = 0; i < found.length && i < 6; i++) {
      var f = found[i];
      var t = f.tagName.toLowerCase() === "title" ? f.textContent :
        f.getAttribute("alt") || f.getAttribute("aria-label") || tooltipOf(f);
      if (norm(t)) return norm(t);
    }
    return "";
  }

  // Whether a button's text is only an icon: symbols ("×", "✎") or an icon font's
  // ligature ("delete" inside <span class="material-icons">).
  // Whether all of an element's text sits in aria-hidden descendants (an icon glyph, a "B"
  // drawn for "Bold"): what the page says it is, then, is its tooltip, as for a person
  // who hovers it and for assistive technology.
  function hiddenText(el) {
    var hidden = el.querySelectorAll('[aria-hidden="true"]');
    if (!hidden.length) return false;
    var shown = norm(el.textContent);
    for (var i = 0; i < hidden.length; i++) {
      var h = norm(hidden[i].textContent);
      if (h) shown = norm(shown.replace(h, " "));
    }
    return !shown;
  }

  function iconText(el, own) {
    if (!MEANINGFUL.test(own)) return true;
    if (el.childElementCount > 0 && hiddenText(el)) return true;
    if (own.indexOf(" ") !== -1 || el.childElementCount === 0) return false;
    var icons = el.querySelectorAll("[class]");
    for (var i = 0; i < icons.length && i < 4; i++) {
      var cls = icons[i].getAttribute("class");
      if (ICON_CLASS.test(cls) && norm(icons[i].textContent) === own) return true;
    }
    return false;
  }

  function pseudoText(el) {
    var c = el.ownerDocument.defaultView.getComputedStyle(el, "::before").content;
    if (!c || c.charAt(0) !== '"') return "";
    return norm(c.slice(1, -1).replace(/\\(.)/g, "$1"));
  }

  // The placeholder of a rich-text editor: an attribute, or CSS ::before content on the
  // editor or on its first, empty paragraph (Quill, ProseMirror, TipTap).
  function editorPlaceholder(el) {
    var own = el.getAttribute("aria-placeholder") || el.getAttribute("data-placeholder");
    if (own && norm(own)) return norm(own);
    var first = el.firstElementChild;
    if (first && first.getAttribute("data-placeholder")) return norm(first.getAttribute("data-placeholder"));
    var p = pseudoText(el);
    if (p) return p;
    return first ? pseudoText(first) : "";
  }

  function labelOf(el, kind, labelCache) {
    var name = ariaName(el);
    if (name) return name;
    var tag = el.tagName;
    var isField = tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA";
    if (isField || tag === "BUTTON" || tag === "METER" || tag === "PROGRESS" || tag === "OUTPUT") {
      if (el.id) {
        var lab = labelsFor(rootOf(el), labelCache).get(el.id);
        if (lab) {
          var lt = labelText(lab, el);
          if (lt) return lt;
        }
      }
      var wrap = el.closest ? el.closest("label") : null;
      if (wrap) {
        var wt = labelText(wrap, el);
        if (wt) return wt;
      }
    }
    var type = (el.getAttribute("type") || "").toLowerCase();
    if (tag === "INPUT" && (type === "submit" || type === "button" || type === "reset")) {
      var v = el.value || (type === "submit" ? "Submit" : type === "reset" ? "Reset" : "");
      if (v) return v;
    }
    var checkable = !!CHECKABLE[kind];
    // A button or link is called by the text it shows; its title is only a tooltip, unless
    // what it shows is an icon.
    var ownText = !isField && !VALUE_ROLES[kind];
    if (ownText) {
      var own = textOf(el);
      // A monogram ("R" of a logo, "AK" of an avatar) is short for its tooltip.
      if (own && own.length <= 2 && tooltipOf(el)) return tooltipOf(el);
      if (own && !iconText(el, own)) return own;
      var tip = tooltipOf(el) || innerName(el);
      if (tip) return tip;
      if (own) return own;
    }
    if (checkable) {
      // A box's own text sits after it: "[x] Remember me", or in the next cell.
      var after = followingText(el);
      if (after) return after;
      var cell = cellOf(el);
      if (cell && !adjacentText(el, true)) {
        var next = cellBeside(cell, true);
        if (next) return next;
      }
    }
    var editable = el.isContentEditable;
    if (!checkable && (isField || VALUE_ROLES[kind] || editable)) {
      var strong = cellLabel(el) || adjacentText(el, false);
      if (strong) return strong;
    }
    var ph = el.getAttribute("placeholder") || el.getAttribute("aria-placeholder");
    if (ph && norm(ph)) return norm(ph);
    if (editable) {
      var ep = editorPlaceholder(el);
      if (ep) return ep;
    }
    var title = tooltipOf(el);
    if (title) return title;
    var alt = el.getAttribute("alt");
    if (alt && norm(alt)) return norm(alt);
    if (tag === "INPUT" && type === "image") return norm(el.getAttribute("src") || "");
    return nearbyText(el);
  }

  // ---------------------------------------------------------------- roles

  function firstRole(attr) {
    if (!attr) return "";
    return attr.trim().split(/\s+/)[0].toLowerCase();
  }

  // `attr`: the element's role attribute, when the caller has read it already.
  function roleOf(el, attr, has) {
    var r = firstRole(attr === undefined ? el.getAttribute("role") : attr);
    if (!WIDGET_ROLES[r]) r = "";
    if (r) return r;
    var tag = el.tagName;
    if (tag === "INPUT") {
      var t = (el.getAttribute("type") || "text").toLowerCase();
      if (t === "hidden") return "";
      if (t === "checkbox") return "checkbox";
      if (t === "radio") return "radio";
      if (t === "file") return "file";
      if (t === "range") return "slider";
      if (t === "submit" || t === "button" || t === "reset" || t === "image") return "button";
      return "textbox";
    }
    if (tag === "TEXTAREA") return "textbox";
    if (tag === "SELECT") return "select";
    if (tag === "BUTTON") return "button";
    if (tag === "A" && el.hasAttribute("href")) return "link";
    if (tag === "SUMMARY") return "button";
    if (tag === "IFRAME" || tag === "FRAME") return "";
    if (el.isContentEditable && (!el.parentElement || !el.parentElement.isContentEditable)) {
      return "textbox";
    }
    if (has !== false && el.hasAttribute("onclick")) return "clickable";
    return "";
  }

  function headingLevel(el, tag, roleAttr) {
    if (tag.length === 2 && tag.charAt(0) === "H") {
      var n = tag.charCodeAt(1) - 48;
      if (n >= 1 && n <= 6) return n;
    }
    if (roleAttr === "heading") {
      var lv = parseInt(el.getAttribute("aria-level") || "2", 10);
      return lv >= 1 && lv <= 6 ? lv : 2;
    }
    return 0;
  }

  // ---------------------------------------------------------------- state of a control

  function optionsOfSelect(el) {
    var out = [];
    var opts2 = el.options;
    for (var i = 0; i < opts2.length && out.length < OPTIONS_MAX; i++) {
      var o = opts2[i];
      out.push({ value: o.value, label: cap(o.label || o.textContent, LABEL_MAX), selected: o.selected });
    }
    return { list: out, total: opts2.length };
  }

  function ariaOptions(container) {
    var found = container.querySelectorAll("[role=option]");
    var out = [];
    for (var i = 0; i < found.length && out.length < OPTIONS_MAX; i++) {
      var o = found[i];
      var lab = ariaName(o) || textOf(o);
      out.push({
        value: o.getAttribute("data-value") || o.getAttribute("value") || lab,
        label: cap(lab, LABEL_MAX),
        selected: o.getAttribute("aria-selected") === "true" || o.getAttribute("aria-checked") === "true"
      });
    }
    return { list: out, total: found.length };
  }

  // What an autocomplete shows next to its empty input: the chosen value, as in
  // react-select (`<div class="select__single-value">Berlin</div><input>`). A placeholder
  // or a label shown there is not a value.
  function chosenBeside(input, label) {
    var box = input.parentElement;
    var inner = input;
    // react-select 5 wraps the input in its own container: look beside that.
    for (var up = 0; box && up < 2 && box.childElementCount <= 2 && !norm(box.textContent); up++) {
      inner = box;
      box = box.parentElement;
    }
    if (!box || box.childElementCount > 6) return "";
    var parts = [];
    var lab = norm(label).toLowerCase();
    for (var c = box.firstChild; c; c = c.nextSibling) {
      if (c === inner) continue;
      var t;
      if (c.nodeType === 3) {
        t = norm(c.nodeValue);
      } else if (c.nodeType === 1) {
        var tag = c.tagName;
        if (tag === "LABEL" || tag === "BUTTON" || tag === "INPUT" || tag === "SCRIPT" ||
            tag === "STYLE" || c.getAttribute("aria-hidden") === "true" ||
            c.getAttribute("role") === "button" || /placeholder/i.test(
              (c.getAttribute("class") || "") + " " + (c.id || "")) || !shown(c)) {
          continue;
        }
        t = textOf(c);
      } else {
        continue;
      }
      if (!t || t.toLowerCase() === lab || PLACEHOLDER_TEXT.test(t) ||
          t === norm(input.getAttribute("placeholder"))) continue;
      parts.push(t);
    }
    return parts.join(", ");
  }

  function popupOf(el) {
    var ids = el.getAttribute("aria-controls") || el.getAttribute("aria-owns");
    if (!ids) return null;
    var root = rootOf(el);
    var first = ids.split(/\s+/)[0];
    return byIdIn(root, first) || byIdIn(el.ownerDocument, first);
  }

  function fillState(el, role, item) {
    var tag = el.tagName;
    var type = tag === "INPUT" ? (el.getAttribute("type") || "text").toLowerCase() : null;
    if (type) item.type = type;
    if (tag === "INPUT" || tag === "TEXTAREA") {
      if (type === "checkbox" || type === "radio") {
        item.checked = !!el.checked;
      } else if (type === "file") {
        var names = [];
        for (var i = 0; el.files && i < el.files.length; i++) names.push(el.files[i].name);
        if (names.length) item.value = cap(names.join(", "), VALUE_MAX);
      } else if (type !== "submit" && type !== "button" && type !== "reset" && type !== "image") {
        var v = el.value || "";
        item.value = type === "password" ? (v ? "\u2022\u2022\u2022\u2022" : "") : cap(v, VALUE_MAX);
      }
      if (el.required) item.required = true;
      if (el.readOnly) item.readonly = true;
    } else if (tag === "SELECT") {
      var so = optionsOfSelect(el);
      item.options = so.list;
      item.optionsTotal = so.total;
      var sel = [];
      for (var j = 0; j < el.selectedOptions.length; j++) sel.push(el.selectedOptions[j].value);
      item.value = sel.join(", ");
      if (el.multiple) item.multiple = true;
      if (el.required) item.required = true;
    } else if (el.isContentEditable) {
      item.value = cap(textOf(el), VALUE_MAX);
    }
    if (CHECKABLE[role]) {
      if (item.checked === undefined) {
        var ac = el.getAttribute("aria-checked");
        if (ac === null) ac = el.getAttribute("aria-pressed");
        item.checked = ac === "true";
        if (ac === "mixed") item.mixed = true;
      }
    }
    if (role === "tab" || role === "treeitem" || role === "option") {
      if (el.getAttribute("aria-selected") === "true") item.selected = true;
    }
    if (role === "slider" || role === "spinbutton") {
      if (item.value === undefined || item.value === "") {
        var now = el.getAttribute("aria-valuetext") || el.getAttribute("aria-valuenow");
        if (now !== null) item.value = cap(now, VALUE_MAX);
      }
    }
    if (role === "combobox" || role === "listbox") {
      var popup = role === "listbox" ? el : popupOf(el);
      if (popup) {
        var ao = ariaOptions(popup);
        if (ao.total) {
          item.options = ao.list;
          item.optionsTotal = ao.total;
        }
      }
      if (role === "combobox" && tag !== "INPUT" && tag !== "SELECT") {
        // A button-like combobox shows its choice as its text; its own label is not one.
        var shownText = cap(textOf(el), VALUE_MAX);
        item.value = shownText && shownText !== item.label ? shownText : "";
      } else if (role === "combobox" && tag === "INPUT" && !el.value) {
        item.value = cap(chosenBeside(el, item.label || ""), VALUE_MAX);
      }
    }
    var exp = el.getAttribute("aria-expanded");
    if (exp !== null && (role === "combobox" || role === "listbox" || role === "button" ||
        el.hasAttribute("aria-haspopup"))) {
      item.expanded = exp === "true";
    }
    if (tag === "A" && el.hasAttribute("href")) {
      var href = el.getAttribute("href") || "";
      if (href && href.charAt(0) !== "#" && href.indexOf("javascript:") !== 0) {
        item.href = cap(href, 120);
      }
    }
    if (el.disabled || el.getAttribute("aria-disabled") === "true") item.disabled = true;
    if (el.getAttribute("aria-required") === "true") item.required = true;
    if (el.getAttribute("aria-readonly") === "true") item.readonly = true;
    if (el.getAttribute("aria-invalid") === "true") item.invalid = true;
  }

  // ---------------------------------------------------------------- the walk

  function Snap() {
    this.paths = new Paths();
    this.labelCache = new Map();
    this.elements = [];
    this.seqs = [];
    this.nodes = [];
    this.text = [];
    this.textSeen = new Set();
    this.frames = [];
    this.reported = new Set();
    this.styleCache = new Map();
    this.hiddenFileInputs = [];
    this.controlled = new Set();
    this.more = [];
    this.moreSize = 0;
    // Reading order.
    this.seq = 0;
    this.texts = [];
    this.buf = null;
    this.heading = 0;
    this.inForm = 0;
    this.viewChars = 0;
    this.headingsElsewhere = 0;
    this.rowStack = [];
    this.offRows = 0;
    this.rows = {};
    this.rowCount = 0;
    this.classCounts = new Map();
    this.textParent = null;
    this.textVisible = -1;
    this.owners = [];
    this.popupCounts = new Map();
  }

  Snap.prototype.cursor = function (el) {
    var c = this.styleCache.get(el);
    if (c === undefined) {
      c = el.ownerDocument.defaultView.getComputedStyle(el).cursor;
      this.styleCache.set(el, c);
    }
    return c;
  };

  Snap.prototype.addText = function (t, prefix) {
    t = cap(t, TEXT_ITEM_MAX);
    if (!t) return;
    var full = prefix ? prefix + t : t;
    if (this.textSeen.has(full)) return;
    for (var i = 0; i < this.text.length; i++) {
      if (this.text[i].indexOf(t) !== -1) return;
    }
    this.textSeen.add(full);
    this.text.push(full);
  };

  // -- reading order: text between the controls, rows and their text

  // 1 in view, 0 rendered further down (or aside), 2 above the viewport, -1 not rendered;
  // per parent element, computed once.
  Snap.prototype.textVis = function (p, ctx) {
    if (p && p.nodeType === 11) p = p.host || null;
    if (p === this.textParent) return this.textVisible;
    var v = -1;
    if (p && p.nodeType === 1) {
      var r = p.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && (!p.checkVisibility ||
          p.checkVisibility({ visibilityProperty: true }))) {
        var clip = ctx.clip;
        v = r.bottom <= clip.y ? 2 : r.top >= clip.y + clip.h || r.right <= clip.x ||
          r.left >= clip.x + clip.w ? 0 : 1;
      }
    }
    this.textParent = p;
    this.textVisible = v;
    return v;
  };


  Snap.prototype.textNode = function (node, ctx) {
    var s = node.nodeValue;
    if (!s) return;
    if (!/\S/.test(s)) {
      if (this.buf) this.buf.parts.push(" ");
      return;
    }
    var parent = node.parentNode;
    var row = this.rowTop();
    var v;
    // A row's cells are taken to show when the row does: no layout read per cell in a
    // 600-row table.
    if (row && (parent === row.el || (parent.nodeType === 1 && CELL[parent.tagName] &&
        parent.parentNode === row.el))) {
      v = !row.off ? 1 : row.rect.bottom <= ctx.clip.y ? 2 : 0;
    } else {
      v = this.textVis(parent, ctx);
      if (v < 0) return;
    }
    if (this.buf && this.buf.v !== v) this.flushText();
    if (!this.buf) this.buf = { parts: [], v: v, seq: this.seq, size: 0, f: this.inForm > 0 };
    if (this.buf.size < FLOW_ITEM_MAX * 2) {
      this.buf.parts.push(s);
      this.buf.size += s.length;
    }
  };

  // Text inside an open row waits for the row to close: it becomes the row's context if
  // the row has controls, or stays a line of the page's text.
  Snap.prototype.pushText = function (t, v, h, seq, f) {
    if (!t) return;
    this.texts.push({ t: t, h: h || 0, v: v, seq: seq, f: f ? 1 : 0 });
    if (!this.rowStack.length) this.settle(this.texts.length - 1);
  };

  // Keeps of texts[from...] what the prompt has room for: everything in view (up to a
  // budget), and of the rest of the page only the headings, where its sections are.
  Snap.prototype.settle = function (from) {
    var all = this.texts;
    var kept = from;
    for (var i = from; i < all.length; i++) {
      var x = all[i];
      if (x.v === 1) {
        if (this.viewChars >= VIEW_TEXT_MAX) continue;
        x.t = cap(x.t, Math.min(FLOW_ITEM_MAX, VIEW_TEXT_MAX - this.viewChars + 20));
        this.viewChars += x.t.length;
      } else {
        if (!x.h || this.headingsElsewhere >= HEADINGS_ELSEWHERE_MAX) continue;
        this.headingsElsewhere++;
        x.t = cap(x.t, TEXT_ITEM_MAX);
      }
      all[kept++] = x;
    }
    all.length = kept;
  };

  Snap.prototype.flushText = function () {
    var b = this.buf;
    if (!b) return;
    this.buf = null;
    this.pushText(gapJoin(b.parts.join("")), b.v, this.heading, b.seq, b.f);
  };

  // A boundary between blocks (and cells): a new line of text.
  Snap.prototype.boundary = function () {
    if (this.buf) this.flushText();
  };

  // The edge of an inline element that is not formatting inside a word: a word boundary.
  Snap.prototype.gap = function () {
    if (this.buf) this.buf.parts.push(GAP);
  };

  Snap.prototype.repeated = function (el) {
    var cls = el.getAttribute("class");
    var parent = el.parentElement;
    if (!cls || !parent) return false;
    var counts = this.classCounts.get(parent);
    if (!counts) {
      counts = new Map();
      for (var c = parent.firstElementChild; c; c = c.nextElementSibling) {
        var key = c.tagName + "." + (c.getAttribute("class") || "");
        counts.set(key, (counts.get(key) || 0) + 1);
      }
      this.classCounts.set(parent, counts);
    }
    return (counts.get(el.tagName + "." + cls) || 0) >= 3;
  };

  // A table row (1), a list item or article (2), or a card: one of three or more alike
  // siblings (3). What the controls inside are about is its own text.
  Snap.prototype.rowKind = function (el, tag, r) {
    if (tag === "TR" || r === "row") return 1;
    if (tag === "LI" || tag === "ARTICLE" || r === "listitem" || r === "article") return 2;
    if ((tag === "DIV" || tag === "SECTION") && this.repeated(el)) return 3;
    return 0;
  };

  // Where the controls of a row outside the viewport are taken to be: where the row is.
  Snap.prototype.offRowRect = function () {
    for (var i = this.rowStack.length - 1; i >= 0; i--) {
      if (this.rowStack[i].off) return this.rowStack[i].rect;
    }
    return OFF_RECT;
  };

  Snap.prototype.rowTop = function () {
    for (var i = this.rowStack.length - 1; i >= 0; i--) {
      if (!this.rowStack[i].dissolved) return this.rowStack[i];
    }
    return null;
  };

  Snap.prototype.openRow = function (el, kind, ctx) {
    this.flushText();
    // A row wholly outside the viewport holds controls that are too: the 600 rows of a
    // long table are each measured once rather than each of their controls.
    var r = el.getBoundingClientRect();
    var clip = ctx.clip;
    var off = r.width > 0 && r.height > 0 && (r.bottom <= clip.y || r.top >= clip.y + clip.h ||
      r.right <= clip.x || r.left >= clip.x + clip.w);
    if (off) this.offRows++;
    this.rowStack.push({
      el: el, kind: kind, items: [], count: 0, from: this.texts.length, dissolved: false,
      off: off, rect: r
    });
  };

  // A control inside open rows: a row holding a form's text fields (a card-like group of
  // fields) or many controls is a section rather than a row, and its text stays the
  // page's own.
  Snap.prototype.rowControl = function (item, role) {
    var top = null;
    for (var i = this.rowStack.length - 1; i >= 0; i--) {
      var row = this.rowStack[i];
      if (row.dissolved) continue;
      row.count++;
      if (row.count > ROW_CONTROLS_MAX[row.kind] || (row.kind === 3 && ENTRY_ROLES[role])) {
        row.dissolved = true;
        continue;
      }
      if (!top) top = row;
    }
    if (top) top.items.push(item);
  };

  // A layout table inside a table row: the outer row is the page's layout, not a row.
  Snap.prototype.layoutTable = function () {
    for (var i = 0; i < this.rowStack.length; i++) {
      if (this.rowStack[i].kind === 1) this.rowStack[i].dissolved = true;
    }
  };

  Snap.prototype.lineLike = function (from) {
    var all = this.texts;
    var size = 0;
    for (var i = from; i < all.length; i++) {
      if (all[i].h || all[i].t.length > 80) return false;
      size += all[i].t.length;
    }
    return size <= ROW_MAX;
  };

  function labelKey(text) {
    var s = text.toLowerCase();
    var end = s.length;
    while (end > 0) {
      var c = s.charAt(end - 1);
      if (c !== ":" && c !== "*" && c !== " ") break;
      end--;
    }
    return end === s.length ? s : s.slice(0, end);
  }

  Snap.prototype.closeRow = function (ctx) {
    this.flushText();
    var row = this.rowStack.pop();
    if (row.off) this.offRows--;
    var parent = this.rowTop();
    var all = this.texts;
    // A row whose controls all sit in rows of their own (a filter section of option rows)
    // gives its text to none of them: that text (the section's heading) is the page's.
    var unclaimed = true;
    for (var u = 0; u < row.items.length && unclaimed; u++) unclaimed = !!row.items[u].row;
    if (row.dissolved || !row.items.length || unclaimed) {
      if (parent) {
        for (var i = 0; i < row.items.length; i++) parent.items.push(row.items[i]);
      }
      // A row without controls reads as one line ("Symbol · Company · Last", "Tax ·
      // $5.00"), unless it holds headings or prose (an article).
      if (!row.dissolved && !row.items.length && all.length - row.from > 1 &&
          this.lineLike(row.from)) {
        var cells = [];
        var v = 0;
        for (var c = row.from; c < all.length; c++) {
          cells.push(all[c].t);
          if (all[c].v === 1 || (v !== 1 && all[c].v === 2)) v = all[c].v;
        }
        var first = all[row.from];
        all.length = row.from;
        all.push({ t: cells.join(" \u00b7 "), h: 0, v: v, seq: first.seq, f: first.f });
      }
      if (!this.rowStack.length) this.settle(row.from);
      return;
    }
    var mine = all.splice(row.from, all.length - row.from);
    var labels = [];
    for (var j = 0; j < row.items.length; j++) {
      if (row.items[j].label && !row.items[j].rowSelf) labels.push(labelKey(row.items[j].label));
    }
    // The row's own text, without what only repeats a label of its controls.
    var kept = [];
    for (var n = 0; n < mine.length; n++) {
      var seg = mine[n].t;
      var key = labelKey(seg);
      var dup = !key || !MEANINGFUL.test(key);
      for (var k = 0; k < labels.length && !dup; k++) {
        dup = labels[k] === key || (key.length > 1 && labels[k].indexOf(key) !== -1);
      }
      if (!dup) kept.push(seg);
    }
    var id = "";
    if (kept.length) {
      id = ctx.prefix + "r" + ++this.rowCount;
      // Without a separator left over where a control's own text was taken out.
      this.rows[id] = cap(kept.join(" \u00b7 ").replace(EDGE_SEPARATORS, ""), ROW_MAX);
    }
    for (var m = 0; m < row.items.length; m++) {
      var it = row.items[m];
      if (id && !it.row) {
        it.row = id;
        if (it.inContainer) delete it.group;
        if (it.rowSelf) {
          it.label = "";
          it.wholeRow = true;
        }
      }
      delete it.rowSelf;
      if (parent) parent.items.push(it);
    }
  };

  // -- controls

  Snap.prototype.visibility = function (el, rect, ctx) {
    var clip = ctx.clip;
    var x0 = Math.max(rect.left, clip.x), x1 = Math.min(rect.right, clip.x + clip.w);
    var y0 = Math.max(rect.top, clip.y), y1 = Math.min(rect.bottom, clip.y + clip.h);
    if (x1 <= x0 || y1 <= y0) return { vis: "offscreen", above: rect.bottom <= clip.y };
    var cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    var hit = deepHit(ctx.doc, cx, cy);
    if (!hit) return { vis: "offscreen" };
    if (hit === el || composedContains(el, hit) || composedContains(hit, el)) {
      return { vis: ctx.frameVisibility };
    }
    if (hit.tagName === "LABEL" && hit.control === el) return { vis: ctx.frameVisibility };
    // A control clipped by a scrolling container is scrolled away, not covered.
    for (var p = composedParent(el), depth = 0; p && depth < 12; p = composedParent(p), depth++) {
      var pr = p.getBoundingClientRect();
      if (pr.width > 0 && pr.height > 0 &&
          (cx < pr.left || cx > pr.right || cy < pr.top || cy > pr.bottom)) {
        return { vis: "offscreen" };
      }
    }
    return { vis: "covered", by: describe(overlayOf(hit, el)) };
  };

  Snap.prototype.report = function (el, role, rect, ctx, proxy, seq) {
    if (this.reported.has(el)) return;
    this.reported.add(el);
    var st = stateOf(ctx.win);
    var n = st.ids.get(el);
    if (!n) {
      n = "e" + st.next++;
      st.ids.set(el, n);
    }
    st.byId.set(ctx.prefix + n, el);
    var item = {
      id: ctx.prefix + n,
      tag: el.tagName.toLowerCase(),
      role: role,
      // Set later (undefined is left out of the JSON); declared here so that every item
      // keeps one shape.
      row: undefined,
      owner: undefined
    };
    var label = labelOf(el, role, this.labelCache);
    if (!label && proxy) label = textOf(proxy) || ariaName(proxy);
    // A box named by a glyph beside it ("☆" of the star next to a row's checkbox) has no
    // name a person reads: its row says which it is.
    if ((role === "checkbox" || role === "radio") && label && !MEANINGFUL.test(label)) {
      label = "";
    }
    item.label = cap(label, LABEL_MAX);
    fillState(el, role, item);
    if ((role === "textbox" || role === "searchbox" || role === "combobox") && item.label) {
      // A box's placeholder that says more than its name ("Search articles" in a box named
      // "Search") is what a person reads in it.
      var shownPh = norm(el.getAttribute("placeholder") || "");
      var lowLabel = item.label.toLowerCase();
      var lowPh = shownPh.toLowerCase();
      if (shownPh.length > item.label.length && shownPh.length <= 80 &&
          lowPh.indexOf(lowLabel) === 0) {
        item.label = shownPh;
      } else if (shownPh && shownPh.length <= 60 && WORDY.test(shownPh) && el.hasAttribute("aria-label") &&
          !el.hasAttribute("aria-labelledby") && lowLabel === norm(el.getAttribute("aria-label")).toLowerCase() &&
          lowLabel.indexOf(lowPh) < 0 && lowPh.indexOf(lowLabel) < 0 && !(el.labels && el.labels.length)) {
        // A name no one sees (aria-label "What") over the words the box shows when empty
        // ("Job title, keywords, or company"): a person knows the box by those. A format
        // ("MM / YY", "1234 1234 …") is no such words.
        item.label = cap(item.label + " (" + shownPh + ")", LABEL_MAX);
      }
    }
    var tagName = el.tagName;
    if (tagName === "INPUT" || tagName === "SELECT" || tagName === "TEXTAREA") {
      // Kept out of the prompt, but a planner that matches facts to fields reads them.
      var nm = el.getAttribute("name");
      if (nm) item.name = cap(nm, 80);
      var ac = el.getAttribute("autocomplete");
      if (ac && ac !== "on" && ac !== "off") item.autocomplete = cap(ac, 60);
      var ph = el.getAttribute("placeholder");
      if (ph && ph.trim()) item.placeholder = cap(ph, 80);
      if (el.id) item.domId = cap(el.id, 80);
    } else if (el.isContentEditable) {
      var eph = editorPlaceholder(el);
      if (eph) item.placeholder = cap(eph, 80);
    }
    var g = role === "radio" || role === "checkbox" ? groupOf(el) : "";
    if (!g && role !== "option" && role !== "menuitem" && role !== "tab") {
      g = containerName(el);
      if (!g && role === "button") {
        g = companionName(el, this.labelCache);
        // "Search" beside a box named "Search mail" says nothing more.
        if (g && item.label && g.toLowerCase().indexOf(item.label.toLowerCase()) >= 0) g = "";
      }
      // A row's own text says where its controls sit (see closeRow).
      if (g) item.inContainer = true;
    }
    if (g && g !== item.label) item.group = g;
    var v = this.visibility(proxy || el, proxy ? proxy.getBoundingClientRect() : rect, ctx);
    if (v.vis === "covered" && !proxy && el.labels && el.labels.length &&
        (role === "radio" || role === "checkbox")) {
      // A transparent radio or checkbox laid under the cards of its group: what a person
      // sees and clicks is its label, so the label's visibility is the control's.
      for (var li = 0; li < el.labels.length; li++) {
        var lr = el.labels[li].getBoundingClientRect();
        if (isRendered(el.labels[li], lr)) {
          v = this.visibility(el.labels[li], lr, ctx);
          if (v.vis !== "covered") {
            proxy = el.labels[li];
            break;
          }
        }
      }
    }
    item.visibility = v.vis;
    if (v.above) item.above = true;
    if (v.by) item.coveredBy = v.by;
    if (proxy) item.proxy = true;
    if (ctx.framePath) item.frame = ctx.framePath;
    item.locator = ctx.locatorPrefix + this.paths.full(el);
    this.elements.push(item);
    this.seqs.push(seq === undefined ? this.seq : seq);
    this.nodes.push(el);
    if (el.hasAttribute("aria-controls") || el.hasAttribute("aria-owns") ||
        el.getAttribute("aria-expanded") === "true" || role === "listbox") {
      this.owners.push({ el: el, item: item });
    }
    if (seq === undefined && this.rowStack.length) {
      // A row that is itself what one clicks (a mail list's row opens the message) is
      // still a row: its text names it, and its own line need not repeat that text.
      var open = this.rowTop();
      if (open && open.el === el) item.rowSelf = true;
      this.rowControl(item, role);
    }
  };

  // Options and menu items shown in a popup belong to the combobox or button that opened
  // it: linked by aria-controls / aria-owns, containing it, or the only one expanded.
  Snap.prototype.resolveOwners = function () {
    var popups = new Map();
    var expanded = [];
    for (var i = 0; i < this.owners.length; i++) {
      var o = this.owners[i];
      if (o.item.role === "listbox") popups.set(o.el, o.item);
      var ids = norm((o.el.getAttribute("aria-controls") || "") + " " +
        (o.el.getAttribute("aria-owns") || ""));
      var linked = false;
      if (ids) {
        var list = ids.split(" ");
        for (var j = 0; j < list.length; j++) {
          var p = byIdIn(rootOf(o.el), list[j]) || byIdIn(o.el.ownerDocument, list[j]);
          if (p && p !== o.el && !popups.has(p)) popups.set(p, o.item);
          if (p) linked = true;
        }
      }
      // An expanded control whose popup is not linked: its popup is the one open.
      if (!linked && o.el.getAttribute("aria-expanded") === "true" && (o.item.role === "combobox" ||
          o.el.hasAttribute("aria-haspopup"))) {
        expanded.push(o);
      }
    }
    if (!popups.size && !expanded.length) return;
    for (var k = 0; k < this.elements.length; k++) {
      var item = this.elements[k];
      if (!POPUP_ITEMS[item.role]) continue;
      var el = this.nodes[k];
      var owner = popups.get(el) || null;
      var pop = el.closest("[role=listbox], [role=menu]");
      if (!owner && pop) owner = popups.get(pop) || null;
      if (!owner && pop && !popups.has(pop)) {
        var inside = null;
        for (var m = 0; m < expanded.length; m++) {
          if (composedContains(expanded[m].el, pop)) inside = expanded[m];
        }
        if (inside) owner = inside.item;
        else if (expanded.length === 1) owner = expanded[0].item;
      }
      if (owner && owner !== item) item.owner = owner.id;
    }
  };

  Snap.prototype.messageText = function (el, role) {
    var tag = el.tagName;
    if (tag === "H1" || tag === "H2" || tag === "H3") {
      this.addText(textOf(el));
      return;
    }
    var r = (el.getAttribute("role") || "").toLowerCase();
    if (r === "dialog" || r === "alertdialog" || (tag === "DIALOG" && el.open) ||
        el.getAttribute("aria-modal") === "true") {
      var title = ariaName(el);
      if (!title) {
        var h = el.querySelector("h1, h2, h3, h4, [class*=title]");
        if (h) title = textOf(h);
      }
      this.addText(title || cap(textOf(el), 120), "Dialog: ");
      return;
    }
    if (role) return;
    var live = el.getAttribute("aria-live");
    var cls = el.getAttribute("class") || "";
    if (r === "alert" || r === "status" || (live && live !== "off") || MESSAGE_CLASS.test(cls)) {
      var t = textOf(el);
      if (t && t.length <= 2 * TEXT_ITEM_MAX) this.addText(t);
    }
  };

  // Other text in view (a confirmation's order number, a quoted price), kept apart from
  // the headings and messages so that those come first.
  Snap.prototype.bodyText = function (el, ctx) {
    var r = el.getBoundingClientRect();
    var clip = ctx.clip;
    if (r.bottom <= clip.y || r.top >= clip.y + clip.h || r.right <= clip.x ||
        r.left >= clip.x + clip.w || !isRendered(el, r)) {
      return;
    }
    var t = cap(textOf(el), TEXT_ITEM_MAX);
    if (!t || this.textSeen.has(t)) return;
    for (var i = 0; i < this.more.length; i++) {
      if (this.more[i].indexOf(t) !== -1) return;
    }
    this.textSeen.add(t);
    this.more.push(t);
    this.moreSize += t.length;
  };

  Snap.prototype.isLeafWithText = function (el) {
    if (el.childElementCount > 3) return false;
    for (var c = el.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 3 && norm(c.nodeValue)) return true;
    }
    return el.childElementCount === 1 && el.firstElementChild.tagName === "IMG";
  };

  // cursor:pointer on a leaf with text: report the outermost element that has it, since
  // that is where the page's click handler usually sits.
  Snap.prototype.pointerTarget = function (el) {
    if (this.cursor(el) !== "pointer") return null;
    var target = el;
    for (var depth = 0; depth < 4; depth++) {
      var p = target.parentElement;
      if (!p || p.tagName === "BODY" || this.cursor(p) !== "pointer") break;
      if (p.tagName === "LABEL") return null;
      target = p;
    }
    return target;
  };

  // The children in the flat tree: a host's shadow root stands for its light children
  // (those show through its slots, where the walk meets them).
  Snap.prototype.walk = function (root, ctx, flags) {
    if (flags.quiet) {
      for (var child = root.firstElementChild; child; child = child.nextElementSibling) {
        this.visit(child, ctx, flags);
      }
      return;
    }
    for (var node = root.firstChild; node; node = node.nextSibling) {
      if (node.nodeType === 1) this.visit(node, ctx, flags);
      else if (node.nodeType === 3 && !flags.quiet) this.textNode(node, ctx);
    }
  };

  Snap.prototype.walkSlot = function (slot, ctx, flags) {
    var assigned = slot.assignedNodes({ flatten: true });
    if (!assigned.length) {
      this.walk(slot, ctx, flags);
      return;
    }
    for (var i = 0; i < assigned.length; i++) {
      var n = assigned[i];
      if (n.nodeType === 1) this.visit(n, ctx, flags);
      else if (n.nodeType === 3 && !flags.quiet) this.textNode(n, ctx);
    }
  };

  Snap.prototype.popupFull = function (el) {
    var pop = el.closest("[role=listbox], [role=menu]");
    if (!pop) return false;
    var n = (this.popupCounts.get(pop) || 0) + 1;
    this.popupCounts.set(pop, n);
    return n > POPUP_LISTED_MAX;
  };

  var QUIET = { interactive: true, quiet: true };
  var LOUD = { interactive: false, quiet: false };
  var HUSHED = { interactive: false, quiet: true };
  // Where a control in a row outside the viewport is taken to be: outside any clip.
  var OFF_RECT = { left: -1e7, top: -1e7, right: -1e7 + 1, bottom: -1e7 + 1, width: 1, height: 1 };

  Snap.prototype.visit = function (el, ctx, flags) {
    var tag = el.tagName;
    if (SKIP_TAGS[tag]) return;
    this.seq++;
    if (tag === "IFRAME" || tag === "FRAME") {
      this.boundary();
      // A frame inside a row: the row is a section of the page, not a row.
      for (var fr = 0; fr < this.rowStack.length; fr++) this.rowStack[fr].dissolved = true;
      this.frame(el, ctx);
      return;
    }
    if (tag === "TABLE" && this.rowStack.length) this.layoutTable();
    var inInteractive = flags.interactive;
    // Most elements of a big page (cells, rows, list items) have no attributes at all.
    var has = el.hasAttributes();
    var roleAttr = has ? el.getAttribute("role") : null;
    var role = roleOf(el, roleAttr, has);
    // Past the first options of a long popup: neither listed nor read as text.
    var capped = !!role && !!POPUP_ITEMS[role] && this.popupFull(el);
    if (capped) role = "";
    var reportedHere = false;
    var selfKind = 0;
    var block = !INLINE[tag];
    var gap = !block && !flags.quiet && (!FORMAT[tag] || besideElement(el));
    if (block && !flags.quiet) this.boundary();
    else if (gap) this.gap();
    // Layout is read only for candidates: most of a page is neither a control nor a message.
    if (role) {
      var rect, isShown;
      if (this.offRows > 0 && role !== "file") {
        rect = this.offRowRect();
        isShown = !el.checkVisibility ||
          el.checkVisibility({ visibilityProperty: true, checkVisibilityCSS: true });
      } else {
        rect = el.getBoundingClientRect();
        isShown = isRendered(el, rect);
      }
      // A file input shrunk to a pixel or made transparent ("visually hidden") is reached
      // through the button beside it: what is in view is that button, not the 1px box.
      if (isShown && role === "file" && (rect.width <= 2 || rect.height <= 2 ||
          (el.checkVisibility && !el.checkVisibility({ opacityProperty: true })))) {
        isShown = false;
      }
      if (isShown) {
        if (!(role === "listbox" && this.controlled.has(el))) {
          if (!flags.quiet) this.flushText();
          // A table row or list item that is itself clicked (onclick on the <tr>) is still
          // a row: its cells are its text, its boxes and stars its controls.
          selfKind = role === "clickable" && !flags.quiet && !inInteractive ?
            this.rowKind(el, tag, roleAttr) : 0;
          if (selfKind) this.openRow(el, selfKind, ctx);
          this.report(el, role, rect, ctx, null);
          reportedHere = !selfKind;
          if (role === "combobox") {
            var popup = popupOf(el);
            if (popup) this.controlled.add(popup);
          }
        }
        this.messageText(el, role);
      } else if (role === "file" || role === "checkbox" || role === "radio") {
        this.hiddenFileInputs.push({ el: el, role: role, ctx: ctx, seq: this.seq });
      }
    } else if (!inInteractive) {
      if (isMessageCandidate(el, tag, has) && isRendered(el, el.getBoundingClientRect())) {
        this.messageText(el, role);
      }
      if (tag !== "LABEL" && tag !== "BODY" && tag !== "HTML" && this.isLeafWithText(el)) {
        if (this.moreSize < MORE_MAX && !this.offRows) this.bodyText(el, ctx);
        var target = this.pointerTarget(el);
        if (target && !this.reported.has(target) && !this.insideReported(target)) {
          var trect = target.getBoundingClientRect();
          if (isRendered(target, trect)) {
            if (!flags.quiet) this.flushText();
            this.report(target, "clickable", trect, ctx, null);
            // A row that is itself the click target keeps its first cell's text as the
            // row's (the sender of a mail row), not as this leaf's own.
            var rowEl = this.rowTop();
            reportedHere = !(rowEl && rowEl.el === target);
          }
        }
      }
    }
    var childInteractive = inInteractive || (role !== "" && role !== "listbox" &&
      role !== "combobox" && role !== "clickable");
    // Text inside a control is its name, already on its line; a label's text is its
    // control's; decoration hidden from assistive technology is left out.
    var quiet = flags.quiet || reportedHere || childInteractive || capped ||
      (tag === "LABEL" && !!el.control) || (has && el.getAttribute("aria-hidden") === "true");
    var childFlags = quiet ? (childInteractive ? QUIET : HUSHED) : LOUD;
    var kind = 0;
    var heading = 0;
    // Text inside a form or dialog (instructions, help, a field's unit) is read there.
    var form = !quiet && (tag === "FORM" || tag === "FIELDSET" || tag === "DIALOG" ||
      roleAttr === "dialog" || roleAttr === "alertdialog" || roleAttr === "form" ||
      (has && el.getAttribute("aria-modal") === "true"));
    if (form) {
      this.flushText();
      this.inForm++;
      // A card-like group holding a form is a section of the page, not a row.
      for (var g = 0; g < this.rowStack.length; g++) {
        if (this.rowStack[g].kind === 3) this.rowStack[g].dissolved = true;
      }
    }
    if (!quiet) {
      heading = headingLevel(el, tag, roleAttr);
      if (heading) {
        this.flushText();
        this.heading = heading;
      }
      kind = !role ? this.rowKind(el, tag, roleAttr) : 0;
      if (kind) this.openRow(el, kind, ctx);
      else kind = selfKind;
      if (CELL[tag] || (roleAttr && CELL_ROLES[roleAttr])) this.boundary();
    }
    if (el.shadowRoot) this.walk(el.shadowRoot, ctx, childFlags);
    else if (tag === "SLOT") this.walkSlot(el, ctx, childFlags);
    else if (tag !== "SELECT" && tag !== "TEXTAREA") this.walk(el, ctx, childFlags);
    if (kind) this.closeRow(ctx);
    if (heading) {
      this.flushText();
      this.heading = 0;
    }
    if (form) {
      this.flushText();
      this.inForm--;
    }
    if (block && !flags.quiet) this.boundary();
    else if (gap) this.gap();
  };

  Snap.prototype.insideReported = function (el) {
    for (var p = composedParent(el), d = 0; p && d < 6; p = composedParent(p), d++) {
      if (this.reported.has(p)) return true;
    }
    return false;
  };

  // A visually hidden checkbox, radio or file input usually sits behind a styled label or
  // button; report it with that proxy's name and visibility, because it is what a person
  // clicks. Hidden checkboxes without any such proxy are left out.
  Snap.prototype.hiddenInputs = function () {
    for (var i = 0; i < this.hiddenFileInputs.length; i++) {
      var h = this.hiddenFileInputs[i];
      var el = h.el;
      var proxy = null;
      if (el.labels && el.labels.length) {
        for (var j = 0; j < el.labels.length; j++) {
          var r = el.labels[j].getBoundingClientRect();
          if (isRendered(el.labels[j], r)) {
            proxy = el.labels[j];
            break;
          }
        }
      }
      if (!proxy && h.role === "file") {
        var scope = el.parentElement;
        for (var d = 0; !proxy && scope && d < 2; d++, scope = scope.parentElement) {
          var cand = scope.querySelectorAll("button, [role=button], label, a, .btn, [class*=upload]");
          for (var k = 0; k < cand.length; k++) {
            if (cand[k] === el || cand[k].contains(el) && cand[k].tagName !== "LABEL") continue;
            if (isRendered(cand[k], cand[k].getBoundingClientRect())) {
              proxy = cand[k];
              break;
            }
          }
        }
      }
      if (!proxy && h.role !== "file") continue;
      if (!proxy) {
        this.reportHidden(el, h.role, h.ctx, h.seq);
        continue;
      }
      this.report(el, h.role, null, h.ctx, proxy, h.seq);
    }
  };

  Snap.prototype.reportHidden = function (el, role, ctx, seq) {
    this.report(el, role, { left: 0, top: 0, right: 0, bottom: 0, width: 0, height: 0 }, ctx, null, seq);
    this.elements[this.elements.length - 1].visibility = "hidden";
    delete this.elements[this.elements.length - 1].coveredBy;
  };

  Snap.prototype.frame = function (iframe, ctx) {
    var rect = iframe.getBoundingClientRect();
    if (!isRendered(iframe, rect)) return;
    var st = stateOf(ctx.win);
    var fid = st.frames.get(iframe);
    if (!fid) {
      fid = "f" + st.nextFrame++;
      st.frames.set(iframe, fid);
    }
    var vis = this.visibility(iframe, rect, ctx).vis;
    if (ctx.frameVisibility !== "visible") vis = ctx.frameVisibility;
    // The content box, in the iframe's own coordinates, that shows in the top viewport.
    var style = ctx.win.getComputedStyle(iframe);
    var left = rect.left + parseFloat(style.borderLeftWidth || "0") + parseFloat(style.paddingLeft || "0");
    var top = rect.top + parseFloat(style.borderTopWidth || "0") + parseFloat(style.paddingTop || "0");
    var x0 = Math.max(left, ctx.clip.x), y0 = Math.max(top, ctx.clip.y);
    var x1 = Math.min(rect.right, ctx.clip.x + ctx.clip.w), y1 = Math.min(rect.bottom, ctx.clip.y + ctx.clip.h);
    var clip = { x: x0 - left, y: y0 - top, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
    var framePath = (ctx.framePath ? ctx.framePath + "." : "") + fid;
    var locator = ctx.locatorPrefix + this.paths.full(iframe);
    var doc = null;
    if (opts.frames !== false) {
      try {
        doc = iframe.contentDocument;
      } catch (e) {
        doc = null;
      }
    }
    if (!doc || !doc.documentElement) {
      this.frames.push({
        frame: framePath, prefix: framePath + ".", locator: locator, visibility: vis,
        clip: clip, src: iframe.getAttribute("src") || "", seq: this.seq
      });
      return;
    }
    var win = doc.defaultView;
    stateOf(win).byId = new Map();
    var child = {
      doc: doc, win: win, prefix: framePath + ".", framePath: framePath,
      locatorPrefix: locator + " |> ", clip: clip, frameVisibility: vis
    };
    var rows = this.rowStack, offRows = this.offRows;
    this.rowStack = [];
    this.offRows = 0;
    this.walk(doc, child, LOUD);
    this.flushText();
    this.rowStack = rows;
    this.offRows = offRows;
  };

  // Elements in reading order (a hidden input found late goes where it is in the page);
  // texts and frames positioned among them.
  Snap.prototype.ordered = function () {
    // Elements come in document order but for the few hidden inputs reported after the
    // walk: merge those in rather than sort everything.
    var seqs = this.seqs;
    var main = [], late = [];
    for (var i = 0; i < this.elements.length; i++) {
      if (i > 0 && seqs[i] < seqs[main.length ? main[main.length - 1] : 0]) late.push(i);
      else main.push(i);
    }
    late.sort(function (a, b) { return seqs[a] - seqs[b] || a - b; });
    var idx = [];
    for (var a = 0, b = 0; a < main.length || b < late.length;) {
      if (b >= late.length || (a < main.length && seqs[main[a]] <= seqs[late[b]])) idx.push(main[a++]);
      else idx.push(late[b++]);
    }
    var elements = [];
    var sorted = [];
    for (var j = 0; j < idx.length; j++) {
      elements.push(this.elements[idx[j]]);
      sorted.push(seqs[idx[j]]);
    }
    function position(seq) {
      var lo = 0, hi = sorted.length;
      while (lo < hi) {
        var mid = (lo + hi) >> 1;
        if (sorted[mid] <= seq) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
    // Texts are pushed in order too, except a row's text given up late ("dissolved"),
    // which goes back where the row began.
    var all = this.texts;
    var order = [];
    for (var q = 0; q < all.length; q++) order.push(q);
    var inOrder = true;
    for (var r = 1; r < all.length && inOrder; r++) inOrder = all[r - 1].seq <= all[r].seq;
    if (!inOrder) order.sort(function (x, y) { return all[x].seq - all[y].seq || x - y; });
    var texts = [];
    for (var k = 0; k < order.length; k++) {
      var t = all[order[k]];
      texts.push({ t: t.t, h: t.h, v: t.v, f: t.f, at: position(t.seq) });
    }
    // A frame also says how many of the texts come before it (`ti`).
    for (var f = 0; f < this.frames.length; f++) {
      var fs = this.frames[f].seq;
      var ti = 0;
      while (ti < order.length && all[order[ti]].seq <= fs) ti++;
      this.frames[f].at = position(fs);
      this.frames[f].ti = ti;
      delete this.frames[f].seq;
    }
    partNames(elements);
    return { elements: elements, texts: texts };
  };

  // Boxes one label covers ("Address" over three lines, "Date of birth (dd/mm/yyyy)" over
  // three boxes) are told apart the way a person reads them: by their place, or by the
  // part of the date the label's format gives each.
  var DATE_PART = { d: "day", dd: "day", m: "month", mm: "month", yy: "year", yyyy: "year" };
  var DATE_FORMAT = /\b(dd?|mm?|yy(?:yy)?)\s*[\/.\-]\s*(dd?|mm?|yy(?:yy)?)\s*[\/.\-]\s*(dd?|mm?|yy(?:yy)?)\b/i;

  function partNames(elements) {
    for (var i = 0; i < elements.length;) {
      var first = elements[i];
      var j = i + 1;
      while (j < elements.length && sharesLabel(first, elements[j])) j++;
      var n = j - i;
      if (n >= 2 && n <= 6) {
        var star = /\s*\*$/.test(first.label) ? " *" : "";
        // "Address:" is "Address" once its part follows.
        var base = first.label.replace(/\s*\*$/, "").replace(/\s*:$/, "");
        var fmt = n === 3 ? DATE_FORMAT.exec(base) : null;
        var parts = fmt ? [fmt[1], fmt[2], fmt[3]].map(function (f) {
          return DATE_PART[f.toLowerCase()];
        }) : null;
        if (parts && (parts[0] === parts[1] || parts[1] === parts[2] || parts[0] === parts[2])) {
          parts = null;
        }
        for (var k = 0; k < n; k++) {
          elements[i + k].label = base + " (" + (parts ? parts[k] : (k + 1) + " of " + n) + ")" +
            star;
        }
      }
      i = j;
    }
  }

  function sharesLabel(a, b) {
    return a.label && b.label === a.label && a.role === "textbox" && b.role === "textbox" &&
      !a.row && !b.row && a.frame === b.frame;
  }

  // ---------------------------------------------------------------- the drivers' API

  // Resolves a locator local to this document (" >>> " allowed, no " |> ").
  function locate(locator) {
    var root = document;
    var parts = locator.split(" >>> ");
    var el = null;
    for (var i = 0; i < parts.length; i++) {
      if (!root) return null;
      try {
        el = root.querySelector(parts[i]);
      } catch (e) {
        return null;
      }
      if (!el) return null;
      root = el.shadowRoot;
    }
    return el;
  }

  // Where a click at the element's centre would land, and what sits on top if not on it.
  function hitTest(el) {
    var win = el.ownerDocument.defaultView;
    var r = el.getBoundingClientRect();
    var x0 = Math.max(r.left, 0), x1 = Math.min(r.right, win.innerWidth);
    var y0 = Math.max(r.top, 0), y1 = Math.min(r.bottom, win.innerHeight);
    if (r.width <= 0 || r.height <= 0) return { inView: false, rendered: false };
    if (x1 <= x0 || y1 <= y0) return { inView: false, rendered: true };
    var cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    var hit = deepHit(el.ownerDocument, cx, cy);
    if (!hit || hit === el || composedContains(el, hit) || composedContains(hit, el) ||
        (hit.tagName === "LABEL" && hit.control === el)) {
      return { inView: true, rendered: true, ok: true };
    }
    var overlay = overlayOf(hit, el);
    var modalSel = "dialog[open], [role=dialog], [role=alertdialog], [aria-modal=true]";
    var actSel = "a[href], button, input, select, textarea, [role=button], [role=link], [onclick]";
    return {
      inView: true, rendered: true, ok: false, by: describe(overlay),
      modal: !!(overlay.matches(modalSel) || overlay.querySelector(modalSel) || hit.closest(modalSel)),
      interactive: !!(overlay.matches(actSel) || overlay.querySelector(actSel))
    };
  }

  function snapshot(options) {
    opts = options || {};
    started = Date.now();
    var state = stateOf(window);
    state.api = {
      // The element with this id at the last snapshot; if the page re-rendered it, the
      // element now at the same locator with the same tag (same document only).
      resolve: function (id, locator, tag, token) {
        var s = stateOf(window);
        if (token && s.token !== token) return null;
        var el = s.byId.get(id);
        if (el && el.isConnected) return el;
        if (!locator) return null;
        var again = locate(locator);
        if (again && (!tag || again.tagName.toLowerCase() === tag)) return again;
        return null;
      },
      locate: locate,
      hitTest: hitTest,
      describe: describe,
      label: function (el) {
        return cap(labelOf(el, roleOf(el), new Map()), LABEL_MAX);
      },
      text: textOf
    };
    state.byId = new Map();
    var clip0 = opts.clip || { x: 0, y: 0, w: window.innerWidth, h: window.innerHeight };
    var ctx0 = {
      doc: document,
      win: window,
      prefix: opts.framePrefix || "",
      framePath: opts.framePrefix ? opts.framePrefix.replace(/\.$/, "") : "",
      locatorPrefix: opts.locatorPrefix || "",
      clip: clip0,
      frameVisibility: opts.frameVisibility || "visible"
    };
    var snap = new Snap();
    snap.walk(document, ctx0, LOUD);
    snap.flushText();
    snap.hiddenInputs();
    snap.resolveOwners();
    var out = snap.ordered();
    return {
      url: location.href,
      title: document.title || "",
      frame: ctx0.framePath,
      token: state.token,
      elements: out.elements,
      texts: out.texts,
      rows: snap.rows,
      text: snap.text,
      more: snap.more,
      frames: snap.frames,
      stats: { elements: out.elements.length, ms: Date.now() - started }
    };
  }

  var home = stateOf(window);
  home.snapshot = snapshot;
  home.version = VERSION;
  return snapshot(options);
})
