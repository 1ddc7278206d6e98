// Row checkboxes (role=checkbox divs), stars that toggle their title, and tabs.
(function () {
  "use strict";
  function flip(cb) {
    var on = cb.getAttribute("aria-checked") !== "true";
    cb.setAttribute("aria-checked", String(on));
    cb.classList.toggle("is-on", on);
    var tr = cb.closest("tr"); if (tr) tr.classList.toggle("x7", on);
    return on;
  }
  document.querySelector("table.F").addEventListener("click", function (e) {
    var cb = e.target.closest("[role=checkbox]"), star = e.target.closest(".aXw");
    if (cb) { flip(cb); return; }
    if (star) {
      var on = star.getAttribute("aria-pressed") !== "true";
      star.setAttribute("aria-pressed", String(on)); star.classList.toggle("is-on", on);
      star.title = on ? "Starred" : "Not starred"; star.textContent = on ? "★" : "☆";
    }
  });
  document.getElementById("select-all").addEventListener("click", function (e) {
    e.stopPropagation();
    var on = flip(this);
    Array.prototype.forEach.call(document.querySelectorAll("table.F [role=checkbox]"), function (cb) {
      if ((cb.getAttribute("aria-checked") === "true") !== on) flip(cb);
    });
  });
  var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
  tabs.forEach(function (t) { t.addEventListener("click", function () {
    tabs.forEach(function (o) { var on = o === t; o.setAttribute("aria-selected", String(on)); o.tabIndex = on ? 0 : -1; o.classList.toggle("is-on", on); });
  }); });
})();
