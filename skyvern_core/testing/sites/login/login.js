// Acme Bank sign-in behaviour: messages from the server's redirects (?error=...), client-side
// checks before posting, and the six one-digit code boxes (auto-advance, Backspace, paste).
(function () {
  "use strict";

  var MESSAGES = {
    credentials: "The username or password you entered is incorrect. Please try again.",
    session: "Your session has expired. Please sign in again.",
    code: "That code is incorrect or has expired. Check the code and try again."
  };
  var errorBox = document.getElementById("form-error");

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  var reason = new URLSearchParams(location.search).get("error");
  if (reason && MESSAGES[reason]) showError(MESSAGES[reason]);

  // ------------------------------------------------------------------ step 1: password
  var signin = document.getElementById("signin-form");
  if (signin) {
    signin.addEventListener("submit", function (event) {
      var user = signin.elements.username.value.trim();
      if (!user || !signin.elements.password.value) {
        event.preventDefault();
        showError("Enter your username and password.");
        (user ? signin.elements.password : signin.elements.username).focus();
      }
    });
  }

  // ------------------------------------------------------------------ step 2: the code
  var verify = document.getElementById("verify-form");
  if (!verify) return;

  var single = document.getElementById("code");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#otp input"));

  if (single) {
    // Digits only, like a real code field: spaces and dashes from a pasted code go.
    single.addEventListener("input", function () {
      var digits = single.value.replace(/\D/g, "").slice(0, 6);
      if (digits !== single.value) single.value = digits;
    });
    single.focus();
  }

  function spread(digits, from) {
    for (var k = 0; k < digits.length && from + k < boxes.length; k++) {
      boxes[from + k].value = digits.charAt(k);
    }
    boxes[Math.min(from + digits.length, boxes.length - 1)].focus();
  }

  boxes.forEach(function (box, i) {
    box.addEventListener("focus", function () { box.select(); });
    box.addEventListener("input", function () {
      var digits = box.value.replace(/\D/g, "");
      if (digits.length > 1) {
        spread(digits, i);  // an autofilled one-time-code lands whole in one box
        return;
      }
      box.value = digits;
      if (digits && i < boxes.length - 1) boxes[i + 1].focus();
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Backspace" && !box.value && i > 0) {
        event.preventDefault();
        boxes[i - 1].value = "";
        boxes[i - 1].focus();
      } else if (event.key === "ArrowLeft" && i > 0) {
        event.preventDefault();
        boxes[i - 1].focus();
      } else if (event.key === "ArrowRight" && i < boxes.length - 1) {
        event.preventDefault();
        boxes[i + 1].focus();
      }
    });
    box.addEventListener("paste", function (event) {
      // maxlength=1 would keep only the first digit of a pasted code: spread it instead.
      event.preventDefault();
      var digits = (event.clipboardData.getData("text") || "").replace(/\D/g, "");
      if (digits) spread(digits, i);
    });
  });
  if (boxes.length) boxes[0].focus();

  verify.addEventListener("submit", function (event) {
    var code = single ? single.value : boxes.map(function (b) { return b.value; }).join("");
    if (!/^\d{6}$/.test(code)) {
      event.preventDefault();
      showError(single ? "Enter the 6-digit code." : "Enter all 6 digits of the code.");
      return;
    }
    document.getElementById("verify").disabled = true;
  });

  document.getElementById("resend").addEventListener("click", function () {
    document.getElementById("resent").hidden = false;
  });
})();
