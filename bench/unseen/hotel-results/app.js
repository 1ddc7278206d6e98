// Save hearts toggle their title; the consent banner leaves when answered.
(function () {
  "use strict";
  document.getElementById("results").addEventListener("click", function (e) {
    var b = e.target.closest(".pc-save");
    if (!b) return;
    var on = !b.classList.contains("is-saved");
    b.classList.toggle("is-saved", on);
    b.title = on ? "Saved to: My next trip" : "Save to a list";
  });
  ["accept", "decline"].forEach(function (id) {
    document.getElementById(id).addEventListener("click", function () { document.getElementById("consent").remove(); });
  });
  document.getElementById("sb").addEventListener("submit", function (e) { e.preventDefault(); });
})();
