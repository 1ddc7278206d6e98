// Character counter, "None of these" clears the other channels, and required checks.
(function () {
  "use strict";
  var ta = document.getElementById("QR~QID5");
  ta.addEventListener("input", function () { document.getElementById("qid5-count").textContent = ta.value.length + " / 2000"; });
  var none = document.getElementById("QR~QID4~7");
  none.addEventListener("change", function () {
    if (!none.checked) return;
    for (var i = 1; i < 7; i++) document.getElementById("QR~QID4~" + i).checked = false;
  });
  for (var i = 1; i < 7; i++) document.getElementById("QR~QID4~" + i).addEventListener("change", function () { if (this.checked) none.checked = false; });
  document.getElementById("Page").addEventListener("submit", function (e) {
    e.preventDefault();
    var q1 = document.querySelector("input[name='QR~QID1']:checked");
    var box = document.getElementById("QID1");
    box.classList.toggle("has-error", !q1);
    if (!q1) box.scrollIntoView({ block: "center" });
  });
})();
