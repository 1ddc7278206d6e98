// The nesty priority dropdown, a contenteditable description with a CSS placeholder, and
// the attachments drop zone.
(function () {
  "use strict";
  var input = document.getElementById("priority-input"), panel = document.getElementById("priority-panel"), hidden = document.getElementById("request_priority");
  function toggle(open) { panel.hidden = !open; input.setAttribute("aria-expanded", String(open)); }
  input.addEventListener("click", function (e) { e.preventDefault(); toggle(panel.hidden); });
  input.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " " || e.key === "ArrowDown") { e.preventDefault(); toggle(true); } });
  panel.addEventListener("click", function (e) {
    var li = e.target.closest("[role=option]"); if (!li) return;
    hidden.value = li.getAttribute("data-value"); input.textContent = li.textContent;
    Array.prototype.forEach.call(panel.children, function (o) { o.setAttribute("aria-selected", String(o === li)); });
    toggle(false); input.focus();
  });
  document.addEventListener("mousedown", function (e) { if (!panel.hidden && !panel.contains(e.target) && e.target !== input) toggle(false); });
  var ed = document.getElementById("request_description");
  function sync() { ed.classList.toggle("is-empty", !ed.textContent.trim()); }
  ed.addEventListener("input", sync); ed.addEventListener("blur", sync);
  var CMD = { bold: "bold", italic: "italic", bullets: "insertUnorderedList", numbers: "insertOrderedList", quote: "formatBlock" };
  Array.prototype.forEach.call(document.querySelectorAll(".rte-btn"), function (b) {
    b.addEventListener("mousedown", function (e) { e.preventDefault(); });
    b.addEventListener("click", function () {
      ed.focus(); var c = b.getAttribute("data-cmd");
      if (CMD[c]) document.execCommand(CMD[c], false, c === "quote" ? "blockquote" : null);
      sync();
    });
  });
  document.getElementById("add-file").addEventListener("click", function (e) { e.preventDefault(); document.getElementById("request-attachments").click(); });
  document.getElementById("new_request").addEventListener("submit", function (e) { e.preventDefault(); });
  document.getElementById("hc-search").addEventListener("submit", function (e) { e.preventDefault(); });
})();
