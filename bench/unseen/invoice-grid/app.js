// A data grid in the manner of MUI X: every row positioned absolutely in a scroll viewport
// (the look of a virtualized grid), MUI's generic "Select row" checkbox, a row kebab menu
// rendered into a portal at the end of <body>.
(function () {
  "use strict";
  var ROWS = [
{
"id": "INV-2085",
"customer": "Cyberdyne Robotics",
"issued": "Apr 27, 2025",
"due": "May 27, 2025",
"amount": "$324.44",
"status": "Paid"
},
{
"id": "INV-2084",
"customer": "Pied Piper",
"issued": "Apr 26, 2025",
"due": "May 10, 2025",
"amount": "$145.31",
"status": "Paid"
},
{
"id": "INV-2083",
"customer": "Umbrella Health",
"issued": "Apr 25, 2025",
"due": "May 25, 2025",
"amount": "$6,089.92",
"status": "Pending"
},
{
"id": "INV-2082",
"customer": "Umbrella Health",
"issued": "Apr 25, 2025",
"due": "Jun 9, 2025",
"amount": "$6,194.41",
"status": "Draft"
},
{
"id": "INV-2081",
"customer": "Pied Piper",
"issued": "Apr 22, 2025",
"due": "May 6, 2025",
"amount": "$1,376.50",
"status": "Overdue"
},
{
"id": "INV-2080",
"customer": "Pied Piper",
"issued": "Apr 21, 2025",
"due": "May 5, 2025",
"amount": "$9,543.25",
"status": "Pending"
},
{
"id": "INV-2079",
"customer": "Soylent Foods",
"issued": "Apr 19, 2025",
"due": "May 19, 2025",
"amount": "$9,424.16",
"status": "Pending"
},
{
"id": "INV-2078",
"customer": "Globex Corporation",
"issued": "Apr 18, 2025",
"due": "Jun 2, 2025",
"amount": "$1,922.91",
"status": "Paid"
},
{
"id": "INV-2077",
"customer": "Hooli",
"issued": "Apr 18, 2025",
"due": "May 18, 2025",
"amount": "$172.08",
"status": "Draft"
},
{
"id": "INV-2076",
"customer": "Globex Corporation",
"issued": "Apr 17, 2025",
"due": "Jun 1, 2025",
"amount": "$570.25",
"status": "Pending"
},
{
"id": "INV-2075",
"customer": "Wonka Confectionery",
"issued": "Apr 16, 2025",
"due": "Apr 30, 2025",
"amount": "$86.89",
"status": "Pending"
},
{
"id": "INV-2074",
"customer": "Stark Industries",
"issued": "Apr 13, 2025",
"due": "May 13, 2025",
"amount": "$933.43",
"status": "Draft"
},
{
"id": "INV-2073",
"customer": "Hooli",
"issued": "Apr 12, 2025",
"due": "Apr 26, 2025",
"amount": "$1,985.12",
"status": "Overdue"
},
{
"id": "INV-2072",
"customer": "Dunder Mifflin",
"issued": "Apr 12, 2025",
"due": "May 27, 2025",
"amount": "$807.49",
"status": "Paid"
},
{
"id": "INV-2071",
"customer": "Globex Corporation",
"issued": "Apr 12, 2025",
"due": "Apr 26, 2025",
"amount": "$14,141.25",
"status": "Overdue"
},
{
"id": "INV-2070",
"customer": "Pied Piper",
"issued": "Apr 11, 2025",
"due": "May 26, 2025",
"amount": "$341.70",
"status": "Paid"
},
{
"id": "INV-2069",
"customer": "Wonka Confectionery",
"issued": "Apr 9, 2025",
"due": "May 9, 2025",
"amount": "$10,995.24",
"status": "Draft"
},
{
"id": "INV-2068",
"customer": "Prestige Worldwide",
"issued": "Apr 8, 2025",
"due": "May 23, 2025",
"amount": "$226.86",
"status": "Overdue"
},
{
"id": "INV-2067",
"customer": "Oscorp Labs",
"issued": "Apr 7, 2025",
"due": "May 22, 2025",
"amount": "$8,894.47",
"status": "Paid"
},
{
"id": "INV-2066",
"customer": "Oscorp Labs",
"issued": "Apr 7, 2025",
"due": "May 7, 2025",
"amount": "$1,431.22",
"status": "Pending"
},
{
"id": "INV-2065",
"customer": "Hooli",
"issued": "Apr 7, 2025",
"due": "May 22, 2025",
"amount": "$12,017.85",
"status": "Paid"
},
{
"id": "INV-2064",
"customer": "Acme Ltd",
"issued": "Apr 7, 2025",
"due": "May 22, 2025",
"amount": "$766.36",
"status": "Pending"
},
{
"id": "INV-2063",
"customer": "Hooli",
"issued": "Apr 6, 2025",
"due": "Apr 20, 2025",
"amount": "$4,670.06",
"status": "Draft"
},
{
"id": "INV-2062",
"customer": "Bluth Company",
"issued": "Apr 4, 2025",
"due": "Apr 18, 2025",
"amount": "$396.53",
"status": "Draft"
},
{
"id": "INV-2061",
"customer": "Prestige Worldwide",
"issued": "Apr 4, 2025",
"due": "May 4, 2025",
"amount": "$5,977.84",
"status": "Overdue"
},
{
"id": "INV-2060",
"customer": "Stark Industries",
"issued": "Apr 3, 2025",
"due": "May 18, 2025",
"amount": "$188.38",
"status": "Pending"
},
{
"id": "INV-2059",
"customer": "Hooli",
"issued": "Apr 2, 2025",
"due": "May 17, 2025",
"amount": "$3,356.99",
"status": "Paid"
},
{
"id": "INV-2058",
"customer": "Bluth Company",
"issued": "Mar 30, 2025",
"due": "May 14, 2025",
"amount": "$1,896.16",
"status": "Overdue"
},
{
"id": "INV-2057",
"customer": "Wayne Enterprises",
"issued": "Mar 29, 2025",
"due": "May 13, 2025",
"amount": "$184.17",
"status": "Draft"
},
{
"id": "INV-2056",
"customer": "Globex Corporation",
"issued": "Mar 28, 2025",
"due": "Apr 27, 2025",
"amount": "$11,985.78",
"status": "Paid"
},
{
"id": "INV-2055",
"customer": "Soylent Foods",
"issued": "Mar 27, 2025",
"due": "May 11, 2025",
"amount": "$636.57",
"status": "Pending"
},
{
"id": "INV-2054",
"customer": "Umbrella Health",
"issued": "Mar 25, 2025",
"due": "Apr 24, 2025",
"amount": "$288.65",
"status": "Paid"
},
{
"id": "INV-2053",
"customer": "Umbrella Health",
"issued": "Mar 24, 2025",
"due": "Apr 23, 2025",
"amount": "$1,051.81",
"status": "Paid"
},
{
"id": "INV-2052",
"customer": "Massive Dynamic",
"issued": "Mar 22, 2025",
"due": "May 6, 2025",
"amount": "$5,434.22",
"status": "Draft"
},
{
"id": "INV-2051",
"customer": "Prestige Worldwide",
"issued": "Mar 21, 2025",
"due": "Apr 20, 2025",
"amount": "$106.59",
"status": "Paid"
},
{
"id": "INV-2050",
"customer": "Prestige Worldwide",
"issued": "Mar 18, 2025",
"due": "May 2, 2025",
"amount": "$111.06",
"status": "Pending"
},
{
"id": "INV-2049",
"customer": "Prestige Worldwide",
"issued": "Mar 15, 2025",
"due": "Apr 14, 2025",
"amount": "$74.02",
"status": "Overdue"
},
{
"id": "INV-2048",
"customer": "Oscorp Labs",
"issued": "Mar 14, 2025",
"due": "Apr 13, 2025",
"amount": "$88.58",
"status": "Pending"
},
{
"id": "INV-2047",
"customer": "Dunder Mifflin",
"issued": "Mar 13, 2025",
"due": "Apr 12, 2025",
"amount": "$10,888.54",
"status": "Overdue"
},
{
"id": "INV-2046",
"customer": "Bluth Company",
"issued": "Mar 11, 2025",
"due": "Apr 10, 2025",
"amount": "$376.03",
"status": "Paid"
},
{
"id": "INV-2045",
"customer": "Stark Industries",
"issued": "Mar 10, 2025",
"due": "Apr 9, 2025",
"amount": "$4,576.76",
"status": "Paid"
},
{
"id": "INV-2044",
"customer": "Hooli",
"issued": "Mar 9, 2025",
"due": "Apr 8, 2025",
"amount": "$1,615.81",
"status": "Paid"
},
{
"id": "INV-2043",
"customer": "Bluth Company",
"issued": "Mar 7, 2025",
"due": "Apr 6, 2025",
"amount": "$8,808.10",
"status": "Paid"
},
{
"id": "INV-2042",
"customer": "Massive Dynamic",
"issued": "Mar 6, 2025",
"due": "Apr 5, 2025",
"amount": "$6,202.02",
"status": "Paid"
},
{
"id": "INV-2041",
"customer": "Acme Ltd",
"issued": "Mar 3, 2025",
"due": "Apr 17, 2025",
"amount": "$1,250.00",
"status": "Pending"
}
];
  var ROW_H = 52;
  var zone = document.getElementById("render-zone");
  var content = document.getElementById("scroller-content");
  var selected = {};
  var sort = { field: null, dir: 1 };
  var query = "";

  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); }
  function cents(a) { return Number(a.replace(/[$,]/g, "")); }
  function visible() {
    var list = ROWS.filter(function (r) {
      return !query || (r.id + " " + r.customer + " " + r.status).toLowerCase().indexOf(query) !== -1;
    });
    if (sort.field) {
      list = list.slice().sort(function (a, b) {
        var x = a[sort.field], y = b[sort.field];
        if (sort.field === "amount") { x = cents(x); y = cents(y); }
        if (sort.field === "issued" || sort.field === "due") { x = Date.parse(x); y = Date.parse(y); }
        return x < y ? -sort.dir : x > y ? sort.dir : 0;
      });
    }
    return list;
  }
  function render() {
    var list = visible();
    content.style.height = (list.length * ROW_H) + "px";
    zone.innerHTML = list.map(function (r, i) {
      var sel = !!selected[r.id];
      return '<div class="MuiDataGrid-row' + (sel ? ' Mui-selected' : '') + '" role="row" data-id="' + r.id +
        '" data-rowindex="' + i + '" aria-rowindex="' + (i + 2) + '" aria-selected="' + sel +
        '" style="transform: translateY(' + (i * ROW_H) + 'px)">' +
        '<div class="MuiDataGrid-cell col-check" role="gridcell" aria-colindex="1"><span class="MuiCheckbox-root">' +
        '<input type="checkbox" class="PrivateSwitchBase-input" aria-label="Select row"' + (sel ? " checked" : "") + '></span></div>' +
        '<div class="MuiDataGrid-cell col-id" role="gridcell" aria-colindex="2"><a class="MuiLink-root" href="#/invoices/' + r.id + '">' + r.id + '</a></div>' +
        '<div class="MuiDataGrid-cell col-customer" role="gridcell" aria-colindex="3">' + esc(r.customer) + '</div>' +
        '<div class="MuiDataGrid-cell col-date" role="gridcell" aria-colindex="4">' + r.issued + '</div>' +
        '<div class="MuiDataGrid-cell col-date" role="gridcell" aria-colindex="5">' + r.due + '</div>' +
        '<div class="MuiDataGrid-cell col-amount" role="gridcell" aria-colindex="6">' + r.amount + '</div>' +
        '<div class="MuiDataGrid-cell col-status" role="gridcell" aria-colindex="7"><div class="MuiChip-root chip-' + r.status.toLowerCase() + '"><span class="MuiChip-label">' + r.status + '</span></div></div>' +
        '<div class="MuiDataGrid-cell col-actions" role="gridcell" aria-colindex="8"><button class="MuiIconButton-root row-menu" type="button" aria-label="More actions for ' + r.id + '" aria-haspopup="menu" aria-expanded="false">' +
        '<svg class="MuiSvgIcon-root" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 8a2 2 0 100-4 2 2 0 000 4zm0 2a2 2 0 100 4 2 2 0 000-4zm0 6a2 2 0 100 4 2 2 0 000-4z"/></svg></button></div>' +
        '</div>';
    }).join("");
    var n = Object.keys(selected).length;
    document.getElementById("selected-count").textContent = n ? n + (n === 1 ? " row selected" : " rows selected") : "";
    var all = document.getElementById("select-all");
    all.checked = list.length > 0 && list.every(function (r) { return selected[r.id]; });
    all.indeterminate = n > 0 && !all.checked;
  }
  zone.addEventListener("change", function (e) {
    var row = e.target.closest("[role=row]");
    if (!row) return;
    var id = row.getAttribute("data-id");
    if (e.target.checked) selected[id] = true; else delete selected[id];
    render();
  });
  document.getElementById("select-all").addEventListener("change", function (e) {
    visible().forEach(function (r) { if (e.target.checked) selected[r.id] = true; else delete selected[r.id]; });
    render();
  });
  Array.prototype.forEach.call(document.querySelectorAll("[role=columnheader][data-field]"), function (h) {
    h.addEventListener("click", function () {
      var f = h.getAttribute("data-field");
      sort.dir = sort.field === f ? -sort.dir : 1;
      sort.field = f;
      Array.prototype.forEach.call(document.querySelectorAll("[role=columnheader][data-field]"), function (o) {
        o.setAttribute("aria-sort", o === h ? (sort.dir > 0 ? "ascending" : "descending") : "none");
        o.querySelector(".sort-icon").textContent = o === h ? (sort.dir > 0 ? "↑" : "↓") : "";
      });
      render();
    });
  });
  var timer = 0;
  document.getElementById("quick-filter").addEventListener("input", function (e) {
    clearTimeout(timer);
    timer = setTimeout(function () { query = e.target.value.trim().toLowerCase(); render(); }, 150);
  });

  // Row menu in a portal, like MUI's Popper.
  var portal = null;
  function closeMenu() {
    if (!portal) return;
    portal.button.setAttribute("aria-expanded", "false");
    portal.el.remove();
    portal = null;
  }
  zone.addEventListener("click", function (e) {
    var btn = e.target.closest(".row-menu");
    if (!btn) return;
    if (portal && portal.button === btn) { closeMenu(); return; }
    closeMenu();
    var el = document.createElement("div");
    el.className = "MuiPopover-root";
    el.innerHTML = '<ul class="MuiMenu-list" role="menu" tabindex="-1">' +
      ["View invoice", "Send reminder", "Download PDF", "Duplicate", "Void invoice"].map(function (t) {
        return '<li class="MuiMenuItem-root" role="menuitem" tabindex="-1">' + t + '</li>';
      }).join("") + '</ul>';
    document.body.appendChild(el);
    var r = btn.getBoundingClientRect();
    el.style.top = (r.bottom + window.scrollY) + "px";
    el.style.left = (r.right + window.scrollX - 180) + "px";
    btn.setAttribute("aria-expanded", "true");
    portal = { el: el, button: btn };
    el.querySelector("[role=menuitem]").focus();
    el.addEventListener("click", function (ev) { if (ev.target.closest("[role=menuitem]")) closeMenu(); });
  });
  document.addEventListener("mousedown", function (e) {
    if (portal && !portal.el.contains(e.target) && !portal.button.contains(e.target)) closeMenu();
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") closeMenu(); });
  document.getElementById("scroller").addEventListener("scroll", closeMenu);
  render();
})();
