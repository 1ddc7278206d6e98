// The shop's side of a Stripe-Elements-like payment flow: mount the card frame from the
// payment provider's origin, ask it for a token on submit, then post the order with the token.
// The shop never sees the card number; only the frame's origin does.
(function () {
  "use strict";

  var providerOrigin = window.FIXTURE.otherOrigin;
  var form = document.getElementById("payment-form");
  var errorBox = document.getElementById("payment-error");
  var pay = document.getElementById("pay");

  var frame = document.createElement("iframe");
  frame.name = "__privateFernPayFrame0";
  frame.title = "Secure card payment input frame";
  frame.setAttribute("allow", "payment *");
  frame.src = providerOrigin + "/checkout/card-frame.html?parent=" +
    encodeURIComponent(location.origin);
  document.getElementById("card-element").appendChild(frame);

  window.addEventListener("message", function (e) {
    if (e.origin !== providerOrigin || !e.data || typeof e.data !== "object") return;
    if (e.data.type === "token") {
      document.getElementById("card_token").value = e.data.id;
      form.submit();
    } else if (e.data.type === "error") {
      errorBox.textContent = e.data.message;
      pay.disabled = false;
      pay.textContent = "Pay $49.00";
    } else if (e.data.type === "change") {
      errorBox.textContent = e.data.error || "";
    }
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var email = document.getElementById("email").value.trim();
    var name = document.getElementById("cardholder").value.trim();
    if (!/^\S+@\S+\.\S+$/.test(email)) { errorBox.textContent = "Your email is incomplete."; return; }
    if (!name) { errorBox.textContent = "Your cardholder name is incomplete."; return; }
    errorBox.textContent = "";
    pay.disabled = true;
    pay.textContent = "Processing...";
    frame.contentWindow.postMessage(
      { type: "tokenize", name: name, postal: document.getElementById("postal").value },
      providerOrigin
    );
  });
})();
