// skyvern-core page snapshot: what an agent can see and act on in one document.
//
// This file is ONE expression evaluating to a function `snapshot(options)`. Playwright
// evaluates it directly; Selenium runs `return (<this text>)(arguments[0])`. Plain ES2019:
// no optional chaining, no `??`, no WeakRef.
//
// It returns JSON: {url, title, elements, text, frames, stats}. Every interactable element
// gets a short id ("e12") kept in a WeakMap stored on `window` under a non-enumerable,
// Symbol-keyed property: nothing is ever written into the site's DOM, and the same element
// keeps its id across snapshots of the same document. Elements of child frames carry the
// frame's prefix ("f1.e3", nested "f1.f2.e7").
//
// Locator notation (finds an element again from the top document):
//   - a CSS path per document or shadow root, e.g. `html > body > form > input:nth-of-type(2)`
//     or `#email` (an id is used as the anchor when it names this very element);
//   - " >>> " enters the open shadow root of the element matched so far:
//     `html > body > my-widget >>> div > button`;
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
  var opts = options || {};
  var KEY = Symbol.for("skyvern-core.snapshot");
  var started = Date.now();
  var LABEL_MAX = 80;
  var VALUE_MAX = 200;
  var OPTIONS_MAX = 30;
  var TEXT_ITEM_MAX = 300;
  var MORE_MAX = 3000;

  var WIDGET_ROLES = {
    button: 1, link: 1, checkbox: 1, switch: 1, radio: 1, combobox: 1, listbox: 1,
    tab: 1, menuitem: 1, menuitemcheckbox: 1, menuitemradio: 1, slider: 1, textbox: 1,
    searchbox: 1, spinbutton: 1, treeitem: 1, option: 1
  };
  var VALUE_ROLES = { textbox: 1, searchbox: 1, combobox: 1, listbox: 1, slider: 1, spinbutton: 1 };
  var SKIP_TAGS = {
    SCRIPT: 1, STYLE: 1, NOSCRIPT: 1, TEMPLATE: 1, HEAD: 1, META: 1, LINK: 1, svg: 1,
    SVG: 1, BR: 1, HR: 1
  };
  var MESSAGE_CLASS = /(^|[\s_-])(error|errors|alert|warning|invalid|danger|notice|message|toast|flash|success|confirmation|feedback|validation)([\s_-]|$)/i;

  function isMessageCandidate(el, tag) {
    if (tag === "H1" || tag === "H2" || tag === "H3" || tag === "DIALOG") return true;
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

  function cap(text, max) {
    text = norm(text);
    return text.length > max ? text.slice(0, max - 1).trimEnd() + "\u2026" : text;
  }

  function textOf(el) {
    // innerText puts spaces between blocks ("Title Description", not "TitleDescription")
    // and costs no layout once the tree is laid out; textContent is the fast path for leaves
    // and huge containers.
    if (!el) return "";
    if (el.shadowRoot || (el.childElementCount > 0 && el.querySelector("slot"))) {
      return norm(flatText(el.shadowRoot || el, null, []).join("")).slice(0, 2000);
    }
    var t = el.textContent || "";
    if (t.length > 2000) return norm(t.slice(0, 2000));
    if (el.childElementCount > 0 && typeof el.innerText === "string") t = el.innerText;
    return norm(t);
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
  // nth-of-type indexes are computed once per parent: long lists stay linear.
  Paths.prototype.segment = function (el) {
    var parent = el.parentElement;
    var tag = el.tagName.toLowerCase();
    var sel = /^[a-z][a-z0-9-]*$/.test(tag) ? tag : "*";
    if (!parent) return sel;
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
    return counts[el.tagName] > 1 ? sel + ":nth-of-type(" + this.nth.get(el) + ")" : sel;
  };
  Paths.prototype.of = function (el) {
    var hit = this.memo.get(el);
    if (hit !== undefined) return hit;
    var root = rootOf(el);
    var path;
    if (el.id && byIdIn(root, el.id) === el && /^[A-Za-z_][\w-]*$/.test(el.id)) {
      path = "#" + el.id;
    } else if (!el.parentElement) {
      path = this.segment(el);
    } else {
      path = this.of(el.parentElement) + " > " + this.segment(el);
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

  var INLINE = {
    SPAN: 1, B: 1, I: 1, EM: 1, STRONG: 1, A: 1, SMALL: 1, CODE: 1, LABEL: 1, ABBR: 1,
    SUB: 1, SUP: 1, MARK: 1, U: 1, S: 1, SLOT: 1, FONT: 1
  };

  // Text along the flat tree: into shadow roots and through slots to the nodes they show,
  // skipping `skip` (the control a label wraps) and non-text elements.
  function flatText(node, skip, out) {
    for (var c = node.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 3) {
        out.push(c.nodeValue);
        continue;
      }
      if (c.nodeType !== 1 || c === skip) continue;
      var tag = c.tagName;
      if (tag === "STYLE" || tag === "SCRIPT" || tag === "TEMPLATE" || tag === "OPTION" ||
          tag === "SELECT" || tag === "TEXTAREA") continue;
      var block = !INLINE[tag];
      if (block) out.push(" ");
      if (tag === "SLOT") {
        var assigned = c.assignedNodes({ flatten: true });
        if (assigned.length) {
          for (var i = 0; i < assigned.length; i++) {
            if (assigned[i].nodeType === 3) out.push(assigned[i].nodeValue);
            else if (assigned[i].nodeType === 1) flatText(assigned[i], skip, out);
          }
        } else {
          flatText(c, skip, out);
        }
      } else {
        flatText(c.shadowRoot || c, skip, out);
      }
      if (block) out.push(" ");
    }
    return out;
  }

  // The visible text of a label, without the text of the control it wraps (a select's
  // options would otherwise end up in the label).
  function labelText(label, control) {
    return norm(flatText(label, control, []).join(""));
  }

  function isControl(n) {
    return n.nodeType === 1 && (n.matches("input, select, textarea, button, fieldset, table") ||
      !!n.querySelector("input, select, textarea, button"));
  }

  // The text right after a checkbox or radio ("<input type=radio> Mr"), up to the next
  // control or line break.
  function followingText(el) {
    var parts = [];
    for (var s = el.nextSibling, hops = 0; s && hops < 6; s = s.nextSibling, hops++) {
      if (s.nodeType === 3) {
        parts.push(s.nodeValue);
      } else if (s.nodeType === 1) {
        if (s.tagName === "BR" || isControl(s) || !INLINE[s.tagName]) break;
        parts.push(flatText(s, null, []).join(""));
      }
    }
    return norm(parts.join(""));
  }

  function nearbyText(el) {
    // A preceding table cell, sibling text, or the text just before the control's parent.
    var type = el.tagName === "INPUT" ? (el.getAttribute("type") || "").toLowerCase() : "";
    if (type === "checkbox" || type === "radio") {
      var after = followingText(el);
      if (after) return after;
    }
    var cell = el.closest ? el.closest("td, th") : null;
    if (cell) {
      for (var prev = cell.previousElementSibling; prev; prev = prev.previousElementSibling) {
        var ct = textOf(prev);
        if (ct) return ct;
      }
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
    if (!fs) return "";
    if (fs.tagName === "FIELDSET") {
      var legend = fs.querySelector("legend");
      return legend ? cap(textOf(legend), LABEL_MAX) : "";
    }
    return cap(ariaName(fs) || "", LABEL_MAX);
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

  function labelOf(el, kind, labelCache) {
    var name = ariaName(el);
    if (name) return name;
    var tag = el.tagName;
    var isField = tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA";
    if (isField || tag === "BUTTON" || tag === "METER" || tag === "PROGRESS") {
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
    // A button or link is called by the text it shows; its title is only a tooltip.
    var ownText = !isField && !VALUE_ROLES[kind];
    if (ownText) {
      var own = textOf(el);
      if (own) return own;
    }
    var ph = el.getAttribute("placeholder") || el.getAttribute("aria-placeholder");
    if (ph && norm(ph)) return norm(ph);
    var title = el.getAttribute("title");
    if (title && norm(title)) return norm(title);
    var alt = el.getAttribute("alt");
    if (alt && norm(alt)) return norm(alt);
    if (ownText) {
      var img = el.querySelector ? el.querySelector("img[alt], [aria-label], svg title") : null;
      if (img) {
        var it = img.getAttribute("alt") || img.getAttribute("aria-label") || textOf(img);
        if (norm(it)) return norm(it);
      }
    }
    if (tag === "INPUT" && type === "image") return norm(el.getAttribute("src") || "");
    return nearbyText(el);
  }

  // ---------------------------------------------------------------- roles

  function explicitRole(el) {
    var r = (el.getAttribute("role") || "").trim().split(/\s+/)[0].toLowerCase();
    return WIDGET_ROLES[r] ? r : "";
  }

  function roleOf(el) {
    var r = explicitRole(el);
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
    if (el.hasAttribute("onclick")) return "clickable";
    return "";
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

  // What an autocomplete shows next to its empty input: the chosen value (or placeholder)
  // sits in a sibling, as in react-select.
  function shownBeside(input) {
    var box = input.parentElement;
    if (!box || box.childElementCount > 5) return "";
    var t = typeof box.innerText === "string" ? box.innerText : box.textContent;
    return norm(t);
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
    if (role === "checkbox" || role === "switch" || role === "radio" ||
        role === "menuitemcheckbox" || role === "menuitemradio") {
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
        item.value = cap(textOf(el), VALUE_MAX);
      } else if (role === "combobox" && tag === "INPUT" && !el.value) {
        item.value = cap(shownBeside(el), VALUE_MAX);
      }
      var exp = el.getAttribute("aria-expanded");
      if (exp !== null) item.expanded = exp === "true";
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
    this.text = [];
    this.textSeen = new Set();
    this.frames = [];
    this.reported = new Set();
    this.styleCache = new Map();
    this.hiddenFileInputs = [];
    this.controlled = new Set();
    this.more = [];
    this.moreSize = 0;
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

  Snap.prototype.visibility = function (el, rect, ctx) {
    var clip = ctx.clip;
    var x0 = Math.max(rect.left, clip.x), x1 = Math.min(rect.right, clip.x + clip.w);
    var y0 = Math.max(rect.top, clip.y), y1 = Math.min(rect.bottom, clip.y + clip.h);
    if (x1 <= x0 || y1 <= y0) return { vis: "offscreen" };
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

  Snap.prototype.report = function (el, role, rect, ctx, proxy) {
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
      role: role
    };
    var label = labelOf(el, role, this.labelCache);
    if (!label && proxy) label = textOf(proxy) || ariaName(proxy);
    item.label = cap(label, LABEL_MAX);
    fillState(el, role, item);
    var tagName = el.tagName;
    if (tagName === "INPUT" || tagName === "SELECT" || tagName === "TEXTAREA") {
      // Kept out of the prompt, but a planner that matches facts to fields reads them.
      var nm = el.getAttribute("name");
      if (nm) item.name = cap(nm, 80);
      var ac = el.getAttribute("autocomplete");
      if (ac && ac !== "on" && ac !== "off") item.autocomplete = cap(ac, 60);
      var ph = el.getAttribute("placeholder");
      if (ph && ph.trim()) item.placeholder = cap(ph.replace(/\s+/g, " ").trim(), 80);
      if (el.id) item.domId = cap(el.id, 80);
    }
    if (role === "radio" || role === "checkbox") {
      var g = groupOf(el);
      if (g && g !== item.label) item.group = g;
    }
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
    if (v.by) item.coveredBy = v.by;
    if (proxy) item.proxy = true;
    if (ctx.framePath) item.frame = ctx.framePath;
    item.locator = ctx.locatorPrefix + this.paths.full(el);
    this.elements.push(item);
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

  Snap.prototype.walk = function (root, ctx, inInteractive) {
    for (var el = root.firstElementChild; el; el = el.nextElementSibling) {
      this.visit(el, ctx, inInteractive);
    }
  };

  Snap.prototype.optionOwned = function (el) {
    var lb = el.closest ? el.closest("[role=listbox]") : null;
    return !!lb && (this.reported.has(lb) || this.controlled.has(lb));
  };

  Snap.prototype.visit = function (el, ctx, inInteractive) {
    var tag = el.tagName;
    if (SKIP_TAGS[tag]) return;
    if (tag === "IFRAME" || tag === "FRAME") {
      this.frame(el, ctx);
      return;
    }
    var role = roleOf(el);
    var owned = role === "option" && this.optionOwned(el);
    if (owned) role = "";
    // Layout is read only for candidates: most of a page is neither a control nor a message.
    if (role) {
      var rect = el.getBoundingClientRect();
      var shown = isRendered(el, rect);
      // A file input shrunk to a pixel or made transparent ("visually hidden") is reached
      // through the button beside it: what is in view is that button, not the 1px box.
      if (shown && role === "file" && (rect.width <= 2 || rect.height <= 2 ||
          (el.checkVisibility && !el.checkVisibility({ opacityProperty: true })))) {
        shown = false;
      }
      if (shown) {
        if (!(role === "listbox" && this.controlled.has(el))) {
          this.report(el, role, rect, ctx, null);
          if (role === "combobox") {
            var popup = popupOf(el);
            if (popup) this.controlled.add(popup);
          }
        }
        this.messageText(el, role);
      } else if (role === "file" || role === "checkbox" || role === "radio") {
        this.hiddenFileInputs.push({ el: el, role: role, ctx: ctx });
      }
    } else if (!inInteractive) {
      if (isMessageCandidate(el, tag) && isRendered(el, el.getBoundingClientRect())) {
        this.messageText(el, role);
      }
      if (!owned && tag !== "LABEL" && tag !== "BODY" && tag !== "HTML" &&
          this.isLeafWithText(el)) {
        if (this.moreSize < MORE_MAX) this.bodyText(el, ctx);
        var target = this.pointerTarget(el);
        if (target && !this.reported.has(target) && !this.insideReported(target)) {
          var trect = target.getBoundingClientRect();
          if (isRendered(target, trect)) this.report(target, "clickable", trect, ctx, null);
        }
      }
    }
    var childInteractive = inInteractive || owned || (role !== "" && role !== "listbox" &&
      role !== "combobox" && role !== "clickable");
    if (el.shadowRoot) this.walk(el.shadowRoot, ctx, childInteractive);
    if (tag === "SELECT" || tag === "TEXTAREA") return;
    this.walk(el, ctx, childInteractive);
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
        this.reportHidden(el, h.role, h.ctx);
        continue;
      }
      this.report(el, h.role, null, h.ctx, proxy);
    }
  };

  Snap.prototype.reportHidden = function (el, role, ctx) {
    this.report(el, role, { left: 0, top: 0, right: 0, bottom: 0, width: 0, height: 0 }, ctx, null);
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
        clip: clip, src: iframe.getAttribute("src") || ""
      });
      return;
    }
    var win = doc.defaultView;
    stateOf(win).byId = new Map();
    var child = {
      doc: doc, win: win, prefix: framePath + ".", framePath: framePath,
      locatorPrefix: locator + " |> ", clip: clip, frameVisibility: vis
    };
    this.walk(doc, child, false);
  };

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
  snap.walk(document, ctx0, false);
  snap.hiddenInputs();
  return {
    url: location.href,
    title: document.title || "",
    token: state.token,
    elements: snap.elements,
    text: snap.text,
    more: snap.more,
    frames: snap.frames,
    stats: { elements: snap.elements.length, ms: Date.now() - started }
  };
})
