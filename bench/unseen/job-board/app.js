// Filter chips toggle, save buttons bookmark, the consent banner goes away once answered.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll(".chip[data-chip]"), function (chip) {
    chip.addEventListener("click", function () {
      var on = chip.getAttribute("aria-pressed") !== "true";
      chip.setAttribute("aria-pressed", String(on));
      chip.classList.toggle("chip--on", on);
      var n = document.querySelectorAll(".chip[aria-pressed=true]").length;
      document.querySelector(".chip-count").textContent = String(n);
    });
  });
  document.getElementById("job-list").addEventListener("click", function (e) {
    var b = e.target.closest(".save-btn");
    if (!b) return;
    var on = b.getAttribute("aria-pressed") !== "true";
    b.setAttribute("aria-pressed", String(on));
    b.classList.toggle("is-saved", on);
  });
  document.getElementById("search").addEventListener("submit", function (e) { e.preventDefault(); });
  Array.prototype.forEach.call(document.querySelectorAll("#onetrust-button-group button"), function (b) {
    b.addEventListener("click", function () { document.getElementById("onetrust-banner-sdk").remove(); });
  });
})();
