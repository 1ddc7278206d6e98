// The OTP boxes advance as digits are typed; "Send code" starts a countdown.
(function () {
  "use strict";
  var boxes = Array.prototype.slice.call(document.querySelectorAll(".otp-digit"));
  boxes.forEach(function (box, i) {
    box.addEventListener("input", function () {
      box.value = box.value.replace(/\D/g, "").slice(-1);
      if (box.value && boxes[i + 1]) boxes[i + 1].focus();
    });
    box.addEventListener("keydown", function (e) {
      if (e.key === "Backspace" && !box.value && boxes[i - 1]) boxes[i - 1].focus();
    });
    box.addEventListener("paste", function (e) {
      var text = (e.clipboardData.getData("text") || "").replace(/\D/g, "");
      if (!text) return;
      e.preventDefault();
      boxes.forEach(function (b, k) { b.value = text[k] || ""; });
    });
  });
  var status = document.getElementById("otp-status");
  function send() {
    status.textContent = "We sent a code to (•••) •••-0419. It expires in 10 minutes.";
    boxes[0].focus();
  }
  document.getElementById("send-code").addEventListener("click", send);
  document.getElementById("resend").addEventListener("click", send);
  document.getElementById("transfer-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var code = boxes.map(function (b) { return b.value; }).join("");
    status.textContent = code.length === 6 ? "Checking the code…" : "Enter the 6-digit code we texted you.";
  });
})();
