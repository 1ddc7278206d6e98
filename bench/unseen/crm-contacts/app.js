// A contacts table: sortable headers (aria-sort), 25 rows a page with numbered pages, row
// actions as icon buttons named by title that show on row hover.
(function () {
  "use strict";
  var ALL = window.CONTACTS.slice();
  var ACT = ["Today", "Yesterday", "2 days ago", "3 days ago", "Last week", "2 weeks ago", "Jun 2, 2025", "May 21, 2025", "May 9, 2025", "Apr 30, 2025"];
  var state = { page: 1, size: 25, key: "last", dir: 1, q: "", owner: "", stage: "", picked: {} };
  var ICONS = {
    call: '<path d="M5 4h4l2 5-2.5 1.5a11 11 0 005 5L15 13l5 2v4a2 2 0 01-2 2A16 16 0 013 6a2 2 0 012-2"/>',
    email: '<path d="M4 6h16v12H4zM4 7l8 6 8-6"/>',
    edit: '<path d="M4 20h4L19 9l-4-4L4 16zM14 6l4 4"/>',
    del: '<path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3"/>'
  };
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); }
  function icon(kind, title) { return '<button type="button" class="row-act" title="' + title + '"><svg viewBox="0 0 24 24" aria-hidden="true">' + ICONS[kind] + '</svg></button>'; }
  function list() {
    var q = state.q.toLowerCase();
    var out = ALL.filter(function (c) {
      return (!q || (c.name + " " + c.email + " " + c.company).toLowerCase().indexOf(q) !== -1) &&
        (!state.owner || c.owner === state.owner) && (!state.stage || c.stage === state.stage);
    });
    return out.sort(function (a, b) {
      var x = a[state.key], y = b[state.key];
      if (state.key === "last") { x = ACT.indexOf(x); y = ACT.indexOf(y); }
      return (x < y ? -1 : x > y ? 1 : 0) * state.dir || (a.name < b.name ? -1 : 1);
    });
  }
  function render() {
    var all = list();
    var pages = Math.max(1, Math.ceil(all.length / state.size));
    state.page = Math.min(state.page, pages);
    var start = (state.page - 1) * state.size;
    var rows = all.slice(start, start + state.size);
    document.getElementById("rows").innerHTML = rows.map(function (c) {
      var initials = c.name.split(" ").map(function (w) { return w[0]; }).join("");
      return '<tr data-contact-id="' + c.id + '"' + (state.picked[c.id] ? ' class="is-picked"' : "") + '>' +
        '<td class="c-check"><input type="checkbox" aria-label="Select ' + esc(c.name) + '"' + (state.picked[c.id] ? " checked" : "") + '></td>' +
        '<td><div class="person"><span class="avatar" aria-hidden="true">' + esc(initials) + '</span><div><a href="#/contacts/' + c.id + '" class="name">' + esc(c.name) + '</a><div class="sub">' + esc(c.title) + '</div></div></div></td>' +
        '<td>' + esc(c.company) + '</td><td><a href="mailto:' + esc(c.email) + '" class="email">' + esc(c.email) + '</a></td><td class="phone">' + esc(c.phone) + '</td>' +
        '<td>' + esc(c.owner) + '</td><td><span class="stage">' + esc(c.stage) + '</span></td><td class="muted">' + esc(c.last) + '</td>' +
        '<td class="c-actions"><div class="acts">' + icon("call", "Call") + icon("email", "Send email") + icon("edit", "Edit contact") + icon("del", "Delete contact") + '</div></td></tr>';
    }).join("");
    document.getElementById("range").textContent = all.length ? (start + 1) + "–" + (start + rows.length) + " of " + all.length : "No contacts";
    var nav = '<button type="button" class="pg" data-page="' + (state.page - 1) + '" aria-label="Previous page"' + (state.page === 1 ? " disabled" : "") + '>‹</button>';
    for (var p = 1; p <= pages; p++) {
      nav += '<button type="button" class="pg' + (p === state.page ? " is-current" : "") + '" data-page="' + p + '" aria-label="Page ' + p + '"' + (p === state.page ? ' aria-current="page"' : "") + ">" + p + "</button>";
    }
    nav += '<button type="button" class="pg" data-page="' + (state.page + 1) + '" aria-label="Next page"' + (state.page === pages ? " disabled" : "") + '>›</button>';
    document.getElementById("pages").innerHTML = nav;
    var boxes = rows.map(function (c) { return !!state.picked[c.id]; });
    var sel = document.getElementById("select-page");
    sel.checked = boxes.length > 0 && boxes.every(Boolean);
    sel.indeterminate = !sel.checked && boxes.some(Boolean);
  }
  document.getElementById("pages").addEventListener("click", function (e) {
    var b = e.target.closest("[data-page]"); if (!b || b.disabled) return;
    state.page = Number(b.getAttribute("data-page")); render();
  });
  Array.prototype.forEach.call(document.querySelectorAll("th[data-key]"), function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      state.dir = state.key === key ? -state.dir : 1; state.key = key; state.page = 1;
      Array.prototype.forEach.call(document.querySelectorAll("th[data-key]"), function (o) {
        var on = o === th;
        o.setAttribute("aria-sort", on ? (state.dir > 0 ? "ascending" : "descending") : "none");
        var btn = o.querySelector("button"); btn.textContent = btn.textContent.replace(/ [↑↓]$/, "");
        if (on) { var s = document.createElement("span"); s.setAttribute("aria-hidden", "true"); s.textContent = state.dir > 0 ? " ↑" : " ↓"; btn.appendChild(s); }
      });
      render();
    });
  });
  document.getElementById("rows").addEventListener("change", function (e) {
    var tr = e.target.closest("tr"); var id = tr.getAttribute("data-contact-id");
    if (e.target.checked) state.picked[id] = true; else delete state.picked[id];
    render();
  });
  document.getElementById("select-page").addEventListener("change", function (e) {
    Array.prototype.forEach.call(document.querySelectorAll("#rows tr"), function (tr) {
      var id = tr.getAttribute("data-contact-id"); if (e.target.checked) state.picked[id] = true; else delete state.picked[id];
    });
    render();
  });
  var t = 0;
  document.getElementById("contact-search").addEventListener("input", function (e) { clearTimeout(t); t = setTimeout(function () { state.q = e.target.value.trim(); state.page = 1; render(); }, 200); });
  document.getElementById("owner-filter").addEventListener("change", function (e) { state.owner = e.target.value; state.page = 1; render(); });
  document.getElementById("stage-filter").addEventListener("change", function (e) { state.stage = e.target.value; state.page = 1; render(); });
  document.getElementById("page-size").addEventListener("change", function (e) { state.size = Number(e.target.value); state.page = 1; render(); });
  render();
})();
