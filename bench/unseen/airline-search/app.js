// ARIA 1.2 comboboxes whose listboxes live in a portal at the end of <body>, positioned
// under their inputs; a sign-up modal on arrival; a travelers popover.
(function () {
  "use strict";
  var A = window.AIRPORTS;
  function fold(s) { return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }
  Array.prototype.forEach.call(document.querySelectorAll("[data-combobox]"), function (root) {
    var key = root.getAttribute("data-combobox");
    var input = document.getElementById(key + "-input");
    var list = document.getElementById(key + "-listbox");
    var clear = root.querySelector(".fs-clear");
    var items = [], active = -1;
    function place() {
      var r = input.getBoundingClientRect();
      list.style.left = (r.left + window.scrollX) + "px";
      list.style.top = (r.bottom + window.scrollY + 4) + "px";
      list.style.width = Math.max(r.width, 320) + "px";
    }
    function close() { list.hidden = true; list.innerHTML = ""; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; }
    function open() {
      var q = fold(input.value.trim());
      items = A.filter(function (a) { return !q || fold(a.code + " " + a.city + " " + a.name + " " + a.country).indexOf(q) !== -1; }).slice(0, 8);
      list.innerHTML = items.map(function (a, i) {
        return '<div role="option" id="' + key + '-opt-' + i + '" aria-selected="false" class="fs-option"><span class="fs-option__city">' + a.city + ', ' + a.country + '</span> <span class="fs-option__name">' + a.name + ' (' + a.code + ')</span></div>';
      }).join("") || '<div class="fs-empty">No matching airports</div>';
      place(); list.hidden = false; input.setAttribute("aria-expanded", "true");
    }
    function choose(i) { var a = items[i]; input.value = a.city + " (" + a.code + ")"; clear.hidden = false; close(); }
    function setActive(i) {
      var opts = list.querySelectorAll("[role=option]"); if (!opts.length) return;
      active = (i + opts.length) % opts.length;
      for (var k = 0; k < opts.length; k++) { opts[k].setAttribute("aria-selected", String(k === active)); }
      input.setAttribute("aria-activedescendant", opts[active].id);
    }
    input.addEventListener("input", function () { clear.hidden = !input.value; if (input.value.trim().length >= 1) open(); else close(); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); if (list.hidden) open(); setActive(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); setActive(active - 1); }
      else if (e.key === "Enter" && !list.hidden && active >= 0) { e.preventDefault(); choose(active); }
      else if (e.key === "Escape") close();
    });
    input.addEventListener("blur", function () { setTimeout(close, 120); });
    list.addEventListener("mousedown", function (e) {
      var o = e.target.closest("[role=option]"); if (!o) return;
      e.preventDefault(); choose(Number(o.id.split("-").pop()));
    });
    clear.addEventListener("click", function () { input.value = ""; clear.hidden = true; input.focus(); });
  });
  document.querySelector(".al-swap").addEventListener("click", function () {
    var a = document.getElementById("origin-input"), b = document.getElementById("destination-input");
    var t = a.value; a.value = b.value; b.value = t;
  });
  var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () {
      tabs.forEach(function (t) { var on = t === tab; t.setAttribute("aria-selected", String(on)); t.tabIndex = on ? 0 : -1; t.classList.toggle("is-selected", on); });
      document.getElementById("search-panel").setAttribute("aria-labelledby", tab.id);
      document.getElementById("return-field").hidden = tab.id !== "trip-rt";
    });
  });
  var pax = document.getElementById("pax-btn"), pop = document.getElementById("pax-pop");
  pax.addEventListener("click", function () { pop.hidden = !pop.hidden; pax.setAttribute("aria-expanded", String(!pop.hidden)); });
  document.getElementById("pax-done").addEventListener("click", function () { pop.hidden = true; pax.setAttribute("aria-expanded", "false"); pax.focus(); });
  pop.addEventListener("click", function (e) {
    var b = e.target.closest("button[aria-label]"); if (!b) return;
    var out = b.parentElement.querySelector("output");
    var n = Math.max(0, Number(out.value || out.textContent) + (b.textContent === "+" ? 1 : -1));
    if (out.id === "n-adults") n = Math.max(1, n);
    out.textContent = String(n);
    var ad = document.getElementById("n-adults").textContent, ch = document.getElementById("n-children").textContent;
    document.getElementById("pax-summary").textContent = ad + (ad === "1" ? " Adult" : " Adults") + (ch !== "0" ? ", " + ch + (ch === "1" ? " Child" : " Children") : "") + ", Economy";
  });
  var modal = document.getElementById("signup-modal");
  function closeModal() { modal.remove(); }
  modal.querySelector(".al-modal__close").addEventListener("click", closeModal);
  document.getElementById("signup-no").addEventListener("click", closeModal);
  document.getElementById("signup-go").addEventListener("click", closeModal);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && modal.isConnected) closeModal(); });
  document.getElementById("search-panel").addEventListener("submit", function (e) { e.preventDefault(); });
})();
