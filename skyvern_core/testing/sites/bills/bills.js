// The bills list: tabs, search, filters (one of them a custom listbox), sortable columns,
// row selection with a bulk bar, and a per-row actions menu mounted in a portal.
(function () {
  "use strict";

  var L = window.Ledgerly;
  var DATA = window.LEDGERLY;
  var PAID_KEY = "ledgerly.markedPaid";

  // Bills marked as paid in this browser session (the server has recorded them too).
  var markedPaid = JSON.parse(sessionStorage.getItem(PAID_KEY) || "[]");
  var bills = DATA.bills.map(function (b) {
    var copy = Object.assign({}, b);
    if (markedPaid.indexOf(b.number) !== -1) copy.status = "Paid";
    return copy;
  });

  var state = {
    tab: "all", query: "", status: "", vendor: "", due: "",
    sort: "dueDate", dir: 1, selected: {}
  };

  var tbody = document.getElementById("bill-rows");
  var search = document.getElementById("bill-search");
  var vendorFilter = document.getElementById("vendor-filter");
  var dueFilter = document.getElementById("due-filter");
  var clearFilters = document.getElementById("clear-filters");
  var selectAll = document.getElementById("select-all");
  var portal = document.getElementById("portal-root");

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // ------------------------------------------------------------------ tabs and counts
  Object.keys(DATA.totals).forEach(function (key) {
    var el = document.querySelector('[data-count="' + key + '"]');
    if (el) el.textContent = String(DATA.totals[key]);
  });

  var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function () { selectTab(tab); });
    tab.addEventListener("keydown", function (e) {
      var next = null;
      if (e.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
      if (e.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
      if (next) { e.preventDefault(); next.focus(); selectTab(next); }
    });
  });

  function selectTab(tab) {
    tabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.classList.toggle("is-selected", on);
      t.tabIndex = on ? 0 : -1;
    });
    document.getElementById("bills-panel").setAttribute("aria-labelledby", tab.id);
    state.tab = tab.getAttribute("data-tab");
    render();
  }

  // ------------------------------------------------------------------ filters
  bills.map(function (b) { return b.vendor; })
    .filter(function (v, i, all) { return all.indexOf(v) === i; })
    .sort()
    .forEach(function (vendor) {
      var opt = document.createElement("option");
      opt.value = vendor;
      opt.textContent = vendor;
      vendorFilter.appendChild(opt);
    });

  var searchTimer = 0;
  search.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      state.query = search.value.trim().toLowerCase();
      render();
    }, 200);
  });
  vendorFilter.addEventListener("change", function () { state.vendor = vendorFilter.value; render(); });
  dueFilter.addEventListener("change", function () { state.due = dueFilter.value; render(); });
  clearFilters.addEventListener("click", function () {
    search.value = "";
    vendorFilter.value = "";
    dueFilter.value = "";
    state.query = state.vendor = state.due = "";
    statusListbox.choose("");
    render();
  });

  function matches(b) {
    if (state.tab === "unpaid" && L.isPaid(b)) return false;
    if (state.tab === "overdue" && b.status !== "Overdue") return false;
    if (state.tab === "scheduled" && b.status !== "Scheduled") return false;
    if (state.tab === "paid" && !L.isPaid(b)) return false;
    if (state.status && b.status !== state.status) return false;
    if (state.vendor && b.vendor !== state.vendor) return false;
    if (state.query && (b.vendor + " " + b.number).toLowerCase().indexOf(state.query) === -1) {
      return false;
    }
    if (state.due) {
      var days = L.daysFromNow(b.dueDate);
      if (state.due === "past" && days >= 0) return false;
      if (state.due === "7" && (days < 0 || days > 7)) return false;
      if (state.due === "30" && (days < 0 || days > 30)) return false;
      if (state.due === "later" && days <= 30) return false;
    }
    return true;
  }

  // ------------------------------------------------------------------ status listbox
  var statusListbox = (function () {
    var root = document.getElementById("status-filter");
    var button = document.getElementById("status-filter-button");
    var list = document.getElementById("status-filter-options");
    var valueEl = button.querySelector(".lg-listbox__value");
    var options = Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
    var active = 0;
    options.forEach(function (opt, i) { opt.id = "status-filter-option-" + i; });

    function setActive(i) {
      active = Math.max(0, Math.min(options.length - 1, i));
      options.forEach(function (o, k) { o.classList.toggle("is-active", k === active); });
      list.setAttribute("aria-activedescendant", options[active].id);
    }
    function open() {
      list.hidden = false;
      button.setAttribute("aria-expanded", "true");
      var sel = options.map(function (o) { return o.getAttribute("aria-selected"); }).indexOf("true");
      setActive(sel < 0 ? 0 : sel);
      list.focus();
    }
    function close(refocus) {
      list.hidden = true;
      button.setAttribute("aria-expanded", "false");
      if (refocus) button.focus();
    }
    function choose(value) {
      options.forEach(function (o) {
        o.setAttribute("aria-selected", String(o.getAttribute("data-value") === value));
      });
      var chosen = options.filter(function (o) { return o.getAttribute("data-value") === value; })[0];
      valueEl.textContent = chosen ? chosen.textContent : "Any status";
      root.classList.toggle("has-value", Boolean(value));
      state.status = value;
    }
    button.addEventListener("click", function () { if (list.hidden) open(); else close(true); });
    button.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") { e.preventDefault(); open(); }
    });
    options.forEach(function (opt, i) {
      opt.addEventListener("mousemove", function () { if (i !== active) setActive(i); });
      opt.addEventListener("click", function () {
        choose(opt.getAttribute("data-value"));
        close(true);
        render();
      });
    });
    list.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); setActive(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); setActive(active - 1); }
      else if (e.key === "Home") { e.preventDefault(); setActive(0); }
      else if (e.key === "End") { e.preventDefault(); setActive(options.length - 1); }
      else if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        choose(options[active].getAttribute("data-value"));
        close(true);
        render();
      } else if (e.key === "Escape" || e.key === "Tab") { close(e.key === "Escape"); }
    });
    document.addEventListener("mousedown", function (e) {
      if (!list.hidden && !root.contains(e.target)) close(false);
    });
    return { choose: choose };
  })();

  // ------------------------------------------------------------------ sorting
  Array.prototype.forEach.call(document.querySelectorAll("th[data-sort]"), function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.getAttribute("data-sort");
      state.dir = state.sort === key ? -state.dir : 1;
      state.sort = key;
      Array.prototype.forEach.call(document.querySelectorAll("th[data-sort]"), function (other) {
        var on = other === th;
        other.setAttribute("aria-sort", on ? (state.dir > 0 ? "ascending" : "descending") : "none");
        other.querySelector(".lg-sort__arrow").textContent = on ? (state.dir > 0 ? "↑" : "↓") : "";
      });
      render();
    });
  });

  function compare(a, b) {
    var x = a[state.sort], y = b[state.sort];
    if (x < y) return -state.dir;
    if (x > y) return state.dir;
    return a.number < b.number ? -1 : 1;
  }

  // ------------------------------------------------------------------ table
  function rowHtml(b) {
    var checked = state.selected[b.number] ? " checked" : "";
    var days = L.daysFromNow(b.dueDate);
    var hint = "";
    if (b.status === "Overdue") hint = '<span class="lg-due-hint lg-text-danger">' + -days + " days late</span>";
    else if (b.status === "Due soon") hint = '<span class="lg-due-hint">in ' + days + (days === 1 ? " day" : " days") + "</span>";
    return (
      '<tr class="lg-row' + (checked ? " is-selected" : "") + '" data-bill="' + esc(b.number) + '">' +
      '<td class="lg-col-check"><input type="checkbox" class="lg-checkbox" aria-label="Select ' +
      esc(b.number) + '"' + checked + "></td>" +
      '<td><span class="lg-bill-number">' + esc(b.number) + "</span></td>" +
      '<td><div class="lg-vendor"><span class="lg-vendor__avatar" aria-hidden="true">' +
      esc(b.vendor.charAt(0)) + '</span><span class="lg-vendor__name">' + esc(b.vendor) +
      "</span></div></td>" +
      "<td>" + L.date(b.billDate) + "</td>" +
      '<td><div class="lg-due">' + L.date(b.dueDate) + hint + "</div></td>" +
      '<td class="lg-num lg-amount">' + L.money(b.amount) + "</td>" +
      '<td><span class="' + L.statusClass(b.status) + '">' + esc(b.status) + "</span></td>" +
      '<td class="lg-col-actions"><button type="button" class="lg-icon-btn lg-row-menu" ' +
      'title="More actions" aria-haspopup="menu" aria-expanded="false">' +
      '<span aria-hidden="true">⋯</span></button></td>' +
      "</tr>"
    );
  }

  function visibleBills() {
    return bills.filter(matches).sort(compare);
  }

  function render() {
    closeMenu();
    var shown = visibleBills();
    tbody.innerHTML = shown.map(rowHtml).join("");
    document.getElementById("empty-state").hidden = shown.length > 0;
    var total = DATA.totals[state.tab];
    var filtered = state.query || state.status || state.vendor || state.due;
    document.getElementById("table-count").textContent = filtered
      ? shown.length + (shown.length === 1 ? " bill matches" : " bills match")
      : "Showing " + shown.length + " of " + total + " bills";
    clearFilters.hidden = !filtered;
    syncSelection();
  }

  tbody.addEventListener("change", function (e) {
    var box = e.target;
    if (!box.classList || !box.classList.contains("lg-checkbox")) return;
    var number = box.closest("tr").getAttribute("data-bill");
    if (box.checked) state.selected[number] = true;
    else delete state.selected[number];
    box.closest("tr").classList.toggle("is-selected", box.checked);
    syncSelection();
  });

  selectAll.addEventListener("change", function () {
    visibleBills().forEach(function (b) {
      if (selectAll.checked) state.selected[b.number] = true;
      else delete state.selected[b.number];
    });
    render();
  });

  function syncSelection() {
    var shown = visibleBills();
    var picked = shown.filter(function (b) { return state.selected[b.number]; });
    selectAll.checked = shown.length > 0 && picked.length === shown.length;
    selectAll.indeterminate = picked.length > 0 && picked.length < shown.length;
    var all = bills.filter(function (b) { return state.selected[b.number]; });
    document.getElementById("bulk-bar").hidden = all.length === 0;
    document.getElementById("bulk-count").textContent = all.length + " selected";
    document.getElementById("bulk-total").textContent = "Total " + L.money(
      all.reduce(function (sum, b) { return sum + b.amount; }, 0));
  }

  document.getElementById("bulk-clear").addEventListener("click", function () {
    state.selected = {};
    render();
  });
  document.getElementById("bulk-export").addEventListener("click", function () {
    var lines = ["Bill number,Vendor,Bill date,Due date,Amount,Status"];
    bills.filter(function (b) { return state.selected[b.number]; }).forEach(function (b) {
      lines.push([b.number, '"' + b.vendor + '"', b.billDate, b.dueDate, b.amount.toFixed(2),
        b.status].join(","));
    });
    saveBlob(new Blob([lines.join("\n") + "\n"], { type: "text/csv" }), "bills-export.csv");
  });

  // ------------------------------------------------------------------ row actions menu
  var menu = null;

  function closeMenu(refocus) {
    if (!menu) return;
    menu.button.setAttribute("aria-expanded", "false");
    if (refocus) menu.button.focus();
    menu.el.remove();
    menu = null;
  }

  function openMenu(button) {
    var number = button.closest("tr").getAttribute("data-bill");
    var bill = bills.filter(function (b) { return b.number === number; })[0];
    var paid = L.isPaid(bill);
    closeMenu();
    var el = document.createElement("div");
    el.className = "lg-menu";
    el.setAttribute("role", "menu");
    el.id = "row-actions-menu";
    el.tabIndex = -1;
    var items = [
      { action: "pay", label: "Pay bill", disabled: paid },
      { action: "mark-paid", label: "Mark as paid", disabled: paid },
      { action: "pdf", label: "Download PDF", disabled: false }
    ];
    items.forEach(function (item) {
      var mi = document.createElement("button");
      mi.type = "button";
      mi.className = "lg-menu__item";
      mi.setAttribute("role", "menuitem");
      mi.setAttribute("data-action", item.action);
      mi.tabIndex = -1;
      mi.textContent = item.label;
      if (item.disabled) mi.setAttribute("aria-disabled", "true");
      el.appendChild(mi);
    });
    portal.appendChild(el);
    var r = button.getBoundingClientRect();
    el.style.top = (r.bottom + window.scrollY + 4) + "px";
    el.style.left = (r.right + window.scrollX - el.offsetWidth) + "px";
    button.setAttribute("aria-expanded", "true");
    menu = { el: el, button: button, bill: bill };
    var first = el.querySelector(".lg-menu__item:not([aria-disabled])");
    (first || el).focus();

    el.addEventListener("click", function (e) {
      var mi = e.target.closest(".lg-menu__item");
      if (!mi || mi.getAttribute("aria-disabled") === "true") return;
      var action = mi.getAttribute("data-action");
      closeMenu();
      if (action === "pay") window.location.href = "pay.html?bill=" + encodeURIComponent(bill.number);
      if (action === "mark-paid") askMarkPaid(bill, button);
      if (action === "pdf") downloadPdf(bill);
    });
    el.addEventListener("keydown", function (e) {
      var all = Array.prototype.slice.call(el.querySelectorAll(".lg-menu__item"));
      var i = all.indexOf(document.activeElement);
      if (e.key === "ArrowDown") { e.preventDefault(); all[(i + 1) % all.length].focus(); }
      else if (e.key === "ArrowUp") { e.preventDefault(); all[(i - 1 + all.length) % all.length].focus(); }
      else if (e.key === "Escape") { e.preventDefault(); closeMenu(true); }
      else if (e.key === "Tab") { closeMenu(); }
    });
  }

  tbody.addEventListener("click", function (e) {
    var button = e.target.closest(".lg-row-menu");
    if (!button) return;
    if (menu && menu.button === button) closeMenu(true);
    else openMenu(button);
  });
  document.addEventListener("mousedown", function (e) {
    if (menu && !menu.el.contains(e.target) && !menu.button.contains(e.target)) closeMenu();
  });
  window.addEventListener("resize", function () { closeMenu(); });

  // ------------------------------------------------------------------ mark as paid
  var dialog = document.getElementById("mark-paid-dialog");
  var pending = null;

  function askMarkPaid(bill, opener) {
    pending = { bill: bill, opener: opener };
    document.getElementById("mark-paid-vendor").textContent = bill.vendor;
    document.getElementById("mark-paid-number").textContent = bill.number;
    dialog.hidden = false;
    document.getElementById("mark-paid-confirm").focus();
  }
  function closeDialog() {
    dialog.hidden = true;
    if (pending && pending.opener.isConnected) pending.opener.focus();
    pending = null;
  }
  document.getElementById("mark-paid-cancel").addEventListener("click", closeDialog);
  dialog.addEventListener("keydown", function (e) { if (e.key === "Escape") closeDialog(); });
  document.getElementById("mark-paid-confirm").addEventListener("click", function () {
    var bill = pending.bill;
    var confirmBtn = this;
    confirmBtn.disabled = true;
    fetch("/bills/api/mark-paid", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ bill_number: bill.number, vendor: bill.vendor })
    }).then(function (response) {
      confirmBtn.disabled = false;
      if (!response.ok) throw new Error("HTTP " + response.status);
      bill.status = "Paid";
      markedPaid.push(bill.number);
      sessionStorage.setItem(PAID_KEY, JSON.stringify(markedPaid));
      closeDialog();
      render();
      toast(bill.number + " marked as paid");
    }).catch(function () {
      confirmBtn.disabled = false;
      toast("Couldn't update " + bill.number + ". Try again.", true);
    });
  });

  // ------------------------------------------------------------------ downloads, upload
  function saveBlob(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function downloadPdf(bill) {
    // A one-page PDF with the bill's number, vendor and amount, built like the API's export.
    var text = "(" + bill.number + " - " + bill.vendor.replace(/[()\\]/g, "") + " - " +
      L.money(bill.amount) + ")";
    var stream = "BT /F1 14 Tf 72 720 Td " + text + " Tj ET";
    var pdf = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" +
      "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
      "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R" +
      "/Resources<</Font<</F1 5 0 R>>>>>>endobj\n" +
      "4 0 obj<</Length " + stream.length + ">>stream\n" + stream + "\nendstream endobj\n" +
      "5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
    saveBlob(new Blob([pdf], { type: "application/pdf" }), bill.number + ".pdf");
    toast("Downloading " + bill.number + ".pdf");
  }

  var uploadInput = document.getElementById("upload-input");
  document.getElementById("upload-bill").addEventListener("click", function () { uploadInput.click(); });
  uploadInput.addEventListener("change", function () {
    if (uploadInput.files.length) {
      toast("Uploaded " + uploadInput.files[0].name + " — we'll extract the details in a minute");
      uploadInput.value = "";
    }
  });

  // ------------------------------------------------------------------ toasts
  function toast(message, isError) {
    var el = document.createElement("div");
    el.className = "lg-toast" + (isError ? " lg-toast--error" : "");
    el.setAttribute("role", "status");
    el.textContent = message;
    document.getElementById("toasts").appendChild(el);
    setTimeout(function () { el.remove(); }, 5000);
  }

  // "/" focuses the global search, like most web apps.
  document.addEventListener("keydown", function (e) {
    var tag = (document.activeElement && document.activeElement.tagName) || "";
    if (e.key === "/" && !/INPUT|TEXTAREA|SELECT/.test(tag)) {
      e.preventDefault();
      document.querySelector(".lg-topbar__search input").focus();
    }
  });

  render();
})();
