// Headless-UI-style switches, ARIA tabs, and a toast on save.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[role=switch]"), function (sw) {
    sw.addEventListener("click", function () {
      if (sw.disabled) return;
      var on = sw.getAttribute("aria-checked") !== "true";
      sw.setAttribute("aria-checked", String(on));
      sw.classList.toggle("is-on", on);
      document.getElementById("save").classList.add("is-dirty");
    });
  });
  var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
  tabs.forEach(function (tab, i) {
    function select() {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", String(on));
        t.tabIndex = on ? 0 : -1;
        t.classList.toggle("tab-active", on);
        document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
      });
    }
    tab.addEventListener("click", select);
    tab.addEventListener("keydown", function (e) {
      var d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (d) { var n = tabs[(i + d + tabs.length) % tabs.length]; n.focus(); n.click(); }
    });
  });
  function toast(msg) {
    var t = document.getElementById("toast");
    t.textContent = msg; t.hidden = false;
    setTimeout(function () { t.hidden = true; }, 3000);
  }
  document.getElementById("save").addEventListener("click", function () { toast("Notification settings saved"); });
  document.getElementById("send-test").addEventListener("click", function () { toast("Test notification sent to priya@acme-robotics.com"); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-session] button"), function (b) {
    b.addEventListener("click", function () { b.closest("li").remove(); toast("Session revoked"); });
  });
})();
