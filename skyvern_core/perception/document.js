// The document reader: the whole page as compact text, for extraction.
//
// This file is ONE expression evaluating to a function `read(options)`. Playwright evaluates
// it in a frame, Selenium calls it through execute_script. It walks the document in flat-tree
// order (open shadow roots in place of their host's children, slotted nodes where their slot
// is, same-origin frames in place of their <iframe>) ONCE, reading each element's computed
// style, and writes:
//
//   # Heading                      headings, one "#" per level
//   | Number | Vendor | Amount |   a table (or an ARIA grid): its header line, a "---" line,
//   | --- | --- | --- |            then one line per row, each cell under its column
//   | BILL-1 | Northwind | $40 |
//   - Name · $19.99 · 4.5 stars    one line per list item, repeated card or row of a flexbox,
//                                  its texts joined with " · " (nested lists indented)
//   Term: definition               <dl> entries
//   Email: [ada@example.com]       a labelled field with its value; [x] / [ ] checkboxes,
//                                  (x) / ( ) radio buttons, [label] the chosen option
//   plain lines                    every other block of text, one line per block
//
// Left out: what a person cannot see or reach — display:none, visibility:hidden text,
// opacity:0 subtrees, aria-hidden="true" subtrees, closed <details> (their summary stays),
// <template>, scripts and styles, images (an element with role=img says its aria-label),
// icon-only buttons. Kept: text that is only visually hidden (a "sr-only" span: clipped to a
// pixel or moved off-screen), which is written for the page's screen-reader users and often
// names what a value is ("Status:", "Sale price"). Nothing is de-duplicated: a status shown
// on twelve rows is written twelve times.
//
// A cross-origin frame cannot be read from here: its place is marked with a line
// "\u0000frame:N\u0000", and window[Symbol.for('skyvern-core.document')].frames[N] is its
// <iframe> element, for the driver to read the frame itself and put its text there.
//
// options: {links: bool}: links written as [text](url). Returns
// {text, frames: number of cross-origin frames marked, ms}.
(function (options) {
  "use strict";
  options = options || {};
  var started = performance.now();
  var LINKS = !!options.links;
  var SEP = " \u00b7 ";
  var ITEM_MAX = 1200; // characters of text an item (card, row) may hold to go on one line
  var ROW_MAX = 240; // characters a side-by-side row of boxes may hold to go on one line
  var state = { frames: [] };
  window[Symbol.for("skyvern-core.document")] = state;

  var SKIP = {
    script: 1, style: 1, noscript: 1, template: 1, head: 1, meta: 1, link: 1, title: 1,
    img: 1, picture: 1, video: 1, audio: 1, canvas: 1, source: 1, track: 1, map: 1,
    object: 1, embed: 1, datalist: 1, option: 1, optgroup: 1, param: 1, base: 1,
  };
  var INLINE = {
    inline: 1, "inline-block": 1, "inline-flex": 1, "inline-grid": 1, "inline-table": 1,
    ruby: 1, "ruby-text": 1, "inline flow-root": 1, "inline flex": 1, "inline grid": 1,
    "inline list-item": 1, "inline-list-item": 1,
  };
  var NONBLANK = /[^\s\u0000]/;
  var BUTTON_INPUTS = { submit: 1, button: 1, reset: 1 };
  var NOT_FIELD = {
    checkbox: 1, radio: 1, hidden: 1, submit: 1, button: 1, reset: 1, image: 1, file: 1,
  };
  // Tags that are never "items" of a repeated card list: text blocks and structures.
  var NOT_ITEM = {
    p: 1, h1: 1, h2: 1, h3: 1, h4: 1, h5: 1, h6: 1, pre: 1, blockquote: 1, table: 1,
    ul: 1, ol: 1, dl: 1, form: 1, hr: 1, br: 1, input: 1, select: 1, textarea: 1,
    label: 1, fieldset: 1, iframe: 1, frame: 1, li: 1, tr: 1, td: 1, th: 1, dt: 1, dd: 1,
    script: 1, style: 1, template: 1, slot: 1,
  };
  // Phrasing elements: one taken out of the flow to be visually hidden ("sr-only", a
  // pixel in size) still reads as part of its sentence.
  var PHRASING = {
    span: 1, a: 1, b: 1, strong: 1, em: 1, i: 1, small: 1, label: 1, abbr: 1, code: 1,
    sup: 1, sub: 1, mark: 1, time: 1, data: 1, q: 1, cite: 1, u: 1, s: 1, bdi: 1,
  };
  var HEADING = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };
  var GRID_ROLES = { grid: 1, table: 1, treegrid: 1 };
  var CELL_ROLES = { cell: 1, gridcell: 1, columnheader: 1, rowheader: 1 };

  var consumed = new Set(); // <label>s written with their field instead
  var fieldLabel = new Map(); // field -> its <label>

  // ------------------------------------------------------------------ writing

  // A writer collects "runs": each block of text ends one. A normal writer's runs are the
  // output lines; a flat writer's runs are joined with SEP into one line (an item, a cell).
  function Writer(flat) {
    this.flat = flat;
    this.runs = [];
    this.cur = "";
    this.space = false;
    this.gap = null; // the inline box written last: its right margin may part it from what follows
  }
  // Whether text written now would be glued to the last word (no space between them).
  Writer.prototype.glued = function () {
    return this.cur !== "" && !this.space;
  };
  Writer.prototype.text = function (s) {
    if (!s) return;
    var core = s.replace(/[\s\u0000]+/g, " ");
    var lead = core.charCodeAt(0) === 32;
    var trail = core.length > 0 && core.charCodeAt(core.length - 1) === 32;
    core = core.trim();
    if (!core) {
      if (this.cur) this.space = true;
      this.gap = null;
      return;
    }
    if (this.gap && !lead && this.glued() && spacedRight(this.gap)) this.space = true;
    this.gap = null;
    if (this.cur && (this.space || lead)) this.cur += " ";
    this.cur += core;
    this.space = trail;
  };
  Writer.prototype.soft = function () {
    if (this.cur) this.space = true;
    this.gap = null;
  };
  Writer.prototype.brk = function () {
    if (this.cur) this.runs.push(this.cur);
    this.cur = "";
    this.space = false;
    this.gap = null;
  };

  // Boxes set apart by a margin or padding only (the links of a menu) are words apart.
  // Read only where the words would otherwise touch: style reads cost on a large page.
  function spacedRight(el) {
    var st = styleOf(el);
    return !!st && (st.marginRight !== "0px" || st.paddingRight !== "0px");
  }
  function spacedLeft(st) {
    return st.marginLeft !== "0px" || st.paddingLeft !== "0px";
  }
  Writer.prototype.line = function (s) {
    this.brk();
    if (s) this.runs.push(s);
  };
  Writer.prototype.done = function () {
    this.brk();
    return this.runs;
  };

  // ------------------------------------------------------------------ the flat tree

  function childrenOf(node) {
    if (node.shadowRoot) {
      labelsIn(node.shadowRoot);
      return node.shadowRoot.childNodes;
    }
    if (node.localName === "slot" && node.assignedNodes) {
      var assigned = node.assignedNodes();
      return assigned.length ? assigned : node.childNodes;
    }
    return node.childNodes;
  }

  function styleOf(el) {
    var view = el.ownerDocument && el.ownerDocument.defaultView;
    try {
      return view ? view.getComputedStyle(el) : null;
    } catch (e) {
      return null;
    }
  }

  // Whether an element is left out with everything inside it.
  function gone(el, st) {
    if (!st || st.display === "none") return true;
    // hidden="until-found" keeps the box but hides its content.
    if (el.hasAttribute("hidden") && st.contentVisibility === "hidden") return true;
    if (el.getAttribute("aria-hidden") === "true") return true;
    if (st.opacity === "0") {
      var t = el.localName;
      return !(t === "input" && (el.type === "checkbox" || el.type === "radio"));
    }
    return false;
  }

  function labelsIn(root) {
    var found = root.querySelectorAll ? root.querySelectorAll("label") : [];
    for (var i = 0; i < found.length; i++) {
      var label = found[i];
      var c = label.control;
      // Only for a field that is rendered: a hidden native select behind a custom one
      // leaves its label to be read where it is.
      if (c && isField(c) && !label.contains(c) && !fieldLabel.has(c) && c.getClientRects().length) {
        consumed.add(label);
        fieldLabel.set(c, label);
      }
    }
  }

  function isField(el) {
    var t = el.localName;
    if (t === "select" || t === "textarea") return true;
    return t === "input" && !NOT_FIELD[(el.type || "").toLowerCase()];
  }

  function roleOf(el) {
    var r = el.getAttribute("role");
    return r ? r.trim().split(/\s+/)[0].toLowerCase() : "";
  }

  // Where a walk is: the computed style of the element whose children it walks (null at a
  // document's top), inside an inline box or not, the list depth. Visibility and white
  // space are read from the style only when a text needs them: on a large page most
  // elements hold no text of their own, and every style read costs.
  function Ctx(st, inl, indent) {
    this.st = st;
    this.inl = inl;
    this.indent = indent;
    this.nested = null; // a list item's nested lists, written after its line
    this.vis = null;
    this.pre = null;
  }
  Ctx.prototype.visible = function () {
    if (this.vis === null) this.vis = !this.st || this.st.visibility === "visible";
    return this.vis;
  };
  Ctx.prototype.preformatted = function () {
    if (this.pre === null) {
      var ws = this.st ? this.st.whiteSpace : "normal";
      this.pre = ws === "pre" || ws === "pre-wrap" || ws === "pre-line" || ws === "break-spaces";
    }
    return this.pre;
  };
  function derive(ctx, st, inl) {
    var c = new Ctx(st, inl, ctx.indent);
    c.nested = ctx.nested;
    return c;
  }

  // ------------------------------------------------------------------ the walk

  function walk(node, w, ctx) {
    var kids = childrenOf(node);
    for (var i = 0; i < kids.length; i++) visit(kids[i], w, ctx);
  }

  function flatText(el, ctx, joiner) {
    var sub = new Writer(true);
    walk(el, sub, ctx);
    return sub.done().join(joiner === undefined ? SEP : joiner);
  }

  function visit(n, w, ctx) {
    var type = n.nodeType;
    if (type === 3) {
      var data = n.data;
      if (!NONBLANK.test(data)) {
        w.text(data);
        return;
      }
      if (!ctx.visible()) return;
      if (data.indexOf("\n") >= 0 && ctx.preformatted()) {
        var parts = data.split("\n");
        for (var p = 0; p < parts.length; p++) {
          if (p) w.brk();
          w.text(parts[p]);
        }
      } else {
        w.text(data);
      }
      return;
    }
    if (type !== 1) return;
    var el = n;
    var tag = el.localName;
    if (SKIP[tag] || consumed.has(el)) return;
    if (tag === "br") {
      w.brk();
      return;
    }
    var st = styleOf(el);
    if (gone(el, st)) return;
    if (tag === "svg" || tag === "math") {
      if (tag === "math") w.text(" " + el.textContent + " ");
      else if (roleOf(el) === "img" && el.getAttribute("aria-label")) inlineLabel(el, w);
      return;
    }
    if (tag === "iframe" || tag === "frame") return frame(el, w, st, ctx);
    if (tag === "input" || tag === "select" || tag === "textarea") return control(el, w, st, ctx);
    var role = roleOf(el);
    if (role === "img" && el.getAttribute("aria-label")) return inlineLabel(el, w);
    var display = st.display;
    if (display === "contents") return walk(el, w, derive(ctx, st, ctx.inl));
    var block = !ctx.inl && !INLINE[display];
    if (block && PHRASING[tag] && (st.position === "absolute" || st.position === "fixed")) {
      var box = el.getBoundingClientRect();
      if (box.width <= 1 && box.height <= 1) block = false;
    }
    var inner = derive(ctx, st, ctx.inl || !block);
    if (!block) {
      var atomic = display !== "inline" && display !== "ruby";
      if (atomic) w.soft();
      else if (w.glued() && ((w.gap && spacedRight(w.gap)) || spacedLeft(st))) w.soft();
      if (tag === "button" || role === "button") {
        w.soft();
        walk(el, w, inner);
        w.soft();
      } else if (tag === "a" && LINKS && el.href) {
        link(el, w, inner);
      } else {
        ariaCheck(el, role, w);
        walk(el, w, inner);
      }
      if (atomic) w.soft();
      else w.gap = el;
      return;
    }
    // A block.
    w.brk();
    if (tag === "details" && !el.open) {
      for (var s = el.firstElementChild; s; s = s.nextElementSibling) {
        if (s.localName === "summary") visit(s, w, inner);
      }
    } else if (HEADING[tag] || role === "heading") {
      heading(el, w, inner, HEADING[tag] || parseInt(el.getAttribute("aria-level"), 10) || 2);
    } else if (!w.flat && isTable(el, tag, role)) {
      table(el, tag, w, inner);
    } else if (tag === "ul" || tag === "ol" || role === "list" || tag === "menu") {
      if (w.flat && ctx.nested) ctx.nested.push(el);
      else if (w.flat) walk(el, w, inner);
      else list(el, tag, w, inner);
    } else if (tag === "dl" && !w.flat) {
      definitions(el, w, inner);
    } else if (w.flat) {
      ariaCheck(el, role, w);
      walk(el, w, inner);
    } else if (display === "table-row" && !el.querySelector("table")) {
      w.line(indentOf(inner) + flatText(el, inner));
    } else if (tag === "a" && LINKS && el.href) {
      link(el, w, inner);
    } else {
      ariaCheck(el, role, w);
      blockChildren(el, w, inner);
    }
    w.brk();
  }

  function indentOf(ctx) {
    var s = "";
    for (var i = 0; i < ctx.indent; i++) s += "  ";
    return s;
  }

  function inlineLabel(el, w) {
    w.soft();
    w.text(el.getAttribute("aria-label"));
    w.soft();
  }

  // An ARIA checkbox, switch or radio says its state before its text.
  function ariaCheck(el, role, w) {
    if (role !== "checkbox" && role !== "switch" && role !== "radio" &&
        role !== "menuitemcheckbox" && role !== "menuitemradio") return;
    var on = el.getAttribute("aria-checked");
    var radio = role === "radio" || role === "menuitemradio";
    w.soft();
    w.text(radio ? (on === "true" ? "(x)" : "( )") : on === "true" ? "[x]" : on === "mixed" ? "[-]" : "[ ]");
    w.soft();
  }

  function heading(el, w, ctx, level) {
    var text = flatText(el, ctx, " ");
    if (!text) return;
    if (w.flat) {
      w.line(text);
      return;
    }
    var marks = "######".slice(0, Math.min(Math.max(level, 1), 6));
    w.line(marks + " " + text);
  }

  function link(el, w, ctx) {
    var href = el.href;
    var bad = !href || /^javascript:/i.test(href);
    var text = flatText(el, ctx, " ");
    if (!text) text = el.getAttribute("aria-label") || "";
    if (!text) {
      var img = el.querySelector("img[alt]");
      text = img ? img.getAttribute("alt") : "";
    }
    if (bad) {
      w.text(" " + text + " ");
      return;
    }
    w.soft();
    w.text("[" + text + "](" + href + ")");
    w.soft();
  }

  // The children of a block: cards repeated side by side or one under another go one per
  // line, a short row of boxes laid out side by side goes on one line, the rest block by block.
  function blockChildren(el, w, ctx) {
    var kids = childrenOf(el);
    if (!w.flat) {
      if (sideBySide(el, kids)) {
        w.line(indentOf(ctx) + flatText(el, ctx));
        return;
      }
      var items = repeated(kids);
      if (items) {
        for (var i = 0; i < kids.length; i++) {
          var k = kids[i];
          if (items.has(k)) item(k, w, ctx);
          else visit(k, w, ctx);
        }
        return;
      }
    }
    for (var j = 0; j < kids.length; j++) visit(kids[j], w, ctx);
  }

  function item(el, w, ctx) {
    var st = styleOf(el);
    if (gone(el, st)) return;
    if (INLINE[st.display] || st.display === "contents") {
      visit(el, w, ctx);
      return;
    }
    var inner = derive(ctx, st, false);
    var text = flatText(el, inner);
    w.line(text ? indentOf(ctx) + "- " + text : "");
  }

  // Element children that repeat one shape (tag, first class, role) at least three times,
  // making at least half of the children, each small enough for one line: cards of a grid,
  // rows of a div "table", results of a search. Null when there are none.
  function repeated(kids) {
    if (kids.length < 3) return null;
    var counts = null, total = 0, best = "", bestCount = 0;
    for (var i = 0; i < kids.length; i++) {
      var k = kids[i];
      if (k.nodeType !== 1 || NOT_ITEM[k.localName]) {
        if (k.nodeType === 1) total++;
        continue;
      }
      total++;
      var sig = k.localName + "." + (k.classList.length ? k.classList[0] : "") + "." + (k.getAttribute("role") || "");
      counts = counts || Object.create(null);
      var c = (counts[sig] = (counts[sig] || 0) + 1);
      if (c > bestCount) {
        bestCount = c;
        best = sig;
      }
    }
    if (bestCount < 3 || bestCount * 2 < total) return null;
    var items = new Set();
    for (var j = 0; j < kids.length; j++) {
      var e = kids[j];
      if (e.nodeType !== 1 || NOT_ITEM[e.localName]) continue;
      var s = e.localName + "." + (e.classList.length ? e.classList[0] : "") + "." + (e.getAttribute("role") || "");
      if (s === best && e.textContent.length <= ITEM_MAX && !e.querySelector("table,h1,h2")) items.add(e);
    }
    return items.size >= 3 ? items : null;
  }

  // Two or more boxes laid out left to right on one line (a flex row, a grid row, floats),
  // holding little text and no heading, table or list: "Shipping · $6.00".
  function sideBySide(el, kids) {
    var n = el.shadowRoot ? 2 : el.childElementCount;
    if (n < 2 || n > 12 || el.textContent.length > ROW_MAX) return false;
    var boxes = [];
    for (var i = 0; i < kids.length; i++) {
      var k = kids[i];
      if (k.nodeType === 3 && k.data.trim()) return false; // loose text beside the boxes
      if (k.nodeType !== 1 || SKIP[k.localName]) continue;
      var r = k.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) boxes.push(r);
    }
    if (boxes.length < 2 || boxes.length > 8) return false;
    for (var j = 1; j < boxes.length; j++) {
      var a = boxes[j - 1], b = boxes[j];
      if (!(b.top < a.bottom && b.bottom > a.top) || b.left < a.left) return false;
    }
    if (el.querySelector("h1,h2,h3,h4,h5,h6,[role=heading],table,ul,ol,dl,iframe,textarea")) return false;
    return true;
  }

  // ------------------------------------------------------------------ lists

  function list(el, tag, w, ctx) {
    var ordered = tag === "ol";
    var n = ordered && el.start ? el.start : 1;
    var kids = childrenOf(el);
    for (var i = 0; i < kids.length; i++) {
      var k = kids[i];
      if (k.nodeType !== 1) {
        visit(k, w, ctx);
        continue;
      }
      if (k.localName !== "li" && roleOf(k) !== "listitem") {
        visit(k, w, ctx);
        continue;
      }
      var st = styleOf(k);
      if (gone(k, st)) continue;
      var inner = derive(ctx, st, false);
      var sub = new Writer(true);
      var own = new Ctx(inner.st, false, inner.indent);
      own.nested = [];
      walk(k, sub, own);
      var text = sub.done().join(SEP);
      var mark = ordered ? n++ + ". " : "- ";
      if (text) w.line(indentOf(ctx) + mark + text);
      var deeper = new Ctx(inner.st, false, ctx.indent + 1);
      for (var j = 0; j < own.nested.length; j++) {
        var nl = own.nested[j];
        list(nl, nl.localName, w, deeper);
      }
    }
  }

  function definitions(el, w, ctx) {
    var term = "", values = [];
    function flush() {
      if (term || values.length) {
        w.line(indentOf(ctx) + (term ? term + (values.length ? ": " : "") : "") + values.join(", "));
      }
      term = "";
      values = [];
    }
    function entry(k) {
      var st = styleOf(k);
      if (gone(k, st)) return;
      var inner = derive(ctx, st, false);
      if (k.localName === "dt") {
        if (values.length) flush();
        var t = flatText(k, inner, " ");
        term = term ? term + " / " + t : t;
      } else if (k.localName === "dd") {
        var v = flatText(k, inner);
        if (v) values.push(v);
      } else if (k.localName === "div") {
        for (var c = k.firstElementChild; c; c = c.nextElementSibling) entry(c);
      } else {
        flush();
        visit(k, w, ctx);
      }
    }
    for (var k = el.firstElementChild; k; k = k.nextElementSibling) entry(k);
    flush();
  }

  // ------------------------------------------------------------------ tables

  function isTable(el, tag, role) {
    if (tag === "table") {
      if (role === "presentation" || role === "none") return false;
      // A table holding tables lays out a page; its rows are not records.
      return !el.querySelector("table");
    }
    return !!GRID_ROLES[role];
  }

  function rowsOf(el, tag) {
    var rows = [];
    if (tag === "table") {
      var trs = el.rows;
      for (var i = 0; i < trs.length; i++) {
        var tr = trs[i];
        var cells = [];
        for (var c = 0; c < tr.cells.length; c++) cells.push(tr.cells[c]);
        var head = tr.parentNode && tr.parentNode.localName === "thead";
        rows.push({ el: tr, cells: cells, head: head, allTh: cells.length > 0 && cells.every(isHeaderCell) });
      }
      return rows;
    }
    var found = el.querySelectorAll("[role=row]");
    for (var j = 0; j < found.length; j++) {
      var row = found[j];
      if (row.closest("[role=grid],[role=table],[role=treegrid]") !== el) continue;
      var list = [];
      var inside = row.querySelectorAll("[role]");
      for (var k = 0; k < inside.length; k++) {
        var cell = inside[k];
        if (CELL_ROLES[roleOf(cell)] && cell.closest("[role=row]") === row) list.push(cell);
      }
      rows.push({ el: row, cells: list, head: false, allTh: list.length > 0 && list.every(isHeaderCell) });
    }
    return rows;
  }

  function isHeaderCell(cell) {
    var r = roleOf(cell);
    if (r) return r === "columnheader";
    return cell.localName === "th";
  }

  function cellText(cell, ctx) {
    var st = styleOf(cell);
    if (gone(cell, st)) return null;
    return flatText(cell, derive(ctx, st, false)).replace(/\|/g, "\\|");
  }

  function table(el, tag, w, ctx) {
    var rows = rowsOf(el, tag);
    var grid = [], heads = 0, spans = [];
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var rst = styleOf(row.el);
      if (gone(row.el, rst)) continue;
      var out = [], col = 0;
      var fill = function () {
        while (spans[col] && spans[col].left > 0) {
          out[col] = spans[col].text;
          spans[col].left--;
          col++;
        }
      };
      for (var c = 0; c < row.cells.length; c++) {
        var cell = row.cells[c];
        fill();
        var text = cellText(cell, ctx);
        if (text === null) continue;
        var cs = Math.max(1, Math.min(cell.colSpan || parseInt(cell.getAttribute("aria-colspan"), 10) || 1, 50));
        var rs = Math.max(1, Math.min(cell.rowSpan || parseInt(cell.getAttribute("aria-rowspan"), 10) || 1, 500));
        for (var s = 0; s < cs; s++) {
          out[col + s] = s === 0 ? text : "";
          if (rs > 1) spans[col + s] = { text: s === 0 ? text : "", left: rs - 1 };
        }
        col += cs;
      }
      fill();
      if (!out.length) continue;
      var head = (row.head || row.allTh) && heads === grid.length;
      if (head) heads++;
      grid.push(out);
    }
    if (!grid.length) return;
    var width = 0;
    for (var g = 0; g < grid.length; g++) width = Math.max(width, grid[g].length);
    // Columns empty in every row (a menu button's, a spacer's) say nothing.
    var keep = [];
    for (var x = 0; x < width; x++) {
      for (var y = 0; y < grid.length; y++) {
        if (grid[y][x]) {
          keep.push(x);
          break;
        }
      }
    }
    if (!keep.length) return;
    var caption = tag === "table" && el.caption ? cellText(el.caption, ctx) : "";
    if (caption) w.line(indentOf(ctx) + caption);
    var header = null;
    if (heads) {
      header = [];
      for (var h = 0; h < keep.length; h++) {
        var parts = [];
        for (var r = 0; r < heads; r++) {
          var t = grid[r][keep[h]];
          if (t && parts.indexOf(t) < 0) parts.push(t);
        }
        header.push(parts.join(" "));
      }
    }
    var pad = indentOf(ctx);
    if (header) {
      w.line(pad + "| " + header.join(" | ") + " |");
      var rule = "|";
      for (var q = 0; q < keep.length; q++) rule += " --- |";
      w.line(pad + rule);
    }
    for (var b = heads; b < grid.length; b++) {
      var cells = [];
      for (var z = 0; z < keep.length; z++) cells.push(grid[b][keep[z]] || "");
      w.line(pad + "| " + cells.join(" | ") + " |");
    }
  }

  // ------------------------------------------------------------------ controls and frames

  function control(el, w, st, ctx) {
    var tag = el.localName;
    var type = (el.getAttribute("type") || "").toLowerCase();
    var mark = "";
    if (tag === "input") {
      if (type === "hidden") return;
      if (type === "checkbox") {
        mark = el.checked ? "[x]" : el.indeterminate ? "[-]" : "[ ]";
      } else if (type === "radio") {
        mark = el.checked ? "(x)" : "( )";
      } else {
        if (st.visibility !== "visible") return;
        if (BUTTON_INPUTS[type]) {
          w.soft();
          w.text(el.value || "");
          w.soft();
          return;
        }
        if (type === "image") {
          w.soft();
          w.text(el.getAttribute("alt") || el.value || "");
          w.soft();
          return;
        }
        if (type === "file") {
          var names = [];
          for (var f = 0; el.files && f < el.files.length; f++) names.push(el.files[f].name);
          if (!names.length) return;
          mark = "[" + names.join(", ") + "]";
        } else if (type === "password") {
          mark = el.value ? "[\u2022\u2022\u2022\u2022]" : "";
        } else {
          mark = el.value ? "[" + el.value + "]" : "";
        }
      }
    } else {
      if (st.visibility !== "visible") return;
      if (tag === "select") {
        var chosen = [];
        for (var o = 0; o < el.selectedOptions.length; o++) {
          var opt = el.selectedOptions[o];
          chosen.push((opt.label || opt.text || "").trim());
        }
        mark = chosen.length && chosen.join("") ? "[" + chosen.join(", ") + "]" : "";
      } else {
        mark = el.value ? "[" + el.value + "]" : "";
      }
    }
    var label = fieldLabel.get(el);
    var name = "";
    var own = false;
    if (label) {
      var lst = styleOf(label);
      if (lst && !gone(label, lst)) {
        name = flatText(label, derive(ctx, lst, false), " ").replace(/\s*[:*]+\s*$/, "").trim();
        own = !ctx.inl && !INLINE[lst.display];
      }
    }
    if (!mark && !name) return;
    if (own) w.brk();
    else w.soft();
    w.text(name ? name + ": " + (mark || "[ ]") : mark);
    if (own) w.brk();
    else w.soft();
  }

  function frame(el, w, st, ctx) {
    var r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2 || st.visibility !== "visible") return;
    var doc = null;
    try {
      doc = el.contentDocument;
    } catch (e) {
      doc = null;
    }
    w.brk();
    if (doc) {
      if (doc.body) {
        labelsIn(doc);
        visit(doc.body, w, new Ctx(null, false, ctx.indent));
      }
    } else {
      state.frames.push(el);
      w.line("\u0000frame:" + (state.frames.length - 1) + "\u0000");
    }
    w.brk();
  }

  // ------------------------------------------------------------------ the document

  labelsIn(document);
  var top = new Writer(false);
  var root = document.body || document.documentElement;
  if (root) visit(root, top, new Ctx(null, false, 0));
  var lines = top.done();
  return { text: lines.join("\n"), frames: state.frames.length, ms: performance.now() - started };
})
