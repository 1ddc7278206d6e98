// The pay form of one bill (pay.html?bill=BILL-10558): prefilled from the bill, checked
// before the native POST to /bills/pay.
(function () {
  "use strict";

  var L = window.Ledgerly;
  var number = new URLSearchParams(window.location.search).get("bill") || "";
  var bill = L.findBill(number);
  var form = document.getElementById("pay-form");

  if (!bill) {
    document.getElementById("not-found").hidden = false;
    document.getElementById("pay-layout").hidden = true;
    return;
  }

  var paidHere = JSON.parse(sessionStorage.getItem("ledgerly.markedPaid") || "[]");
  var status = paidHere.indexOf(bill.number) !== -1 ? "Paid" : bill.status;

  document.title = "Pay " + bill.number + " · " + bill.vendor + " · Ledgerly";
  document.getElementById("crumb-number").textContent = bill.number;
  document.getElementById("pay-sub").textContent =
    "Schedule a payment of " + bill.number + " to " + bill.vendor + ".";
  document.getElementById("bill_number").value = bill.number;
  document.getElementById("vendor").value = bill.vendor;
  document.getElementById("amount").value = L.plainAmount(bill.amount);
  document.getElementById("amount-due").textContent = L.money(bill.amount);
  document.getElementById("sum-number").textContent = bill.number;
  document.getElementById("sum-vendor").textContent = bill.vendor;
  document.getElementById("sum-bill-date").textContent = L.date(bill.billDate);
  document.getElementById("sum-due-date").textContent = L.date(bill.dueDate);
  document.getElementById("sum-amount").textContent = L.money(bill.amount);
  var badge = document.getElementById("sum-status");
  badge.className = L.statusClass(status);
  badge.textContent = status;
  document.getElementById("already-paid").hidden = status !== "Paid";

  // Today in the browser's time zone, as a yyyy-mm-dd date input value.
  var now = new Date();
  var today = now.getFullYear() + "-" + String(now.getMonth() + 1).padStart(2, "0") + "-" +
    String(now.getDate()).padStart(2, "0");
  var dateInput = document.getElementById("payment_date");
  dateInput.value = today;
  dateInput.min = today;

  var memo = document.getElementById("memo");
  memo.addEventListener("input", function () {
    document.getElementById("memo-count").textContent = memo.value.length + "/140";
  });

  function setError(name, message) {
    var field = form.querySelector('[data-field="' + name + '"]');
    var old = field.querySelector(".lg-field__error");
    if (old) old.remove();
    field.classList.toggle("has-error", Boolean(message));
    var control = field.querySelector("input, select, textarea");
    if (message) {
      var el = document.createElement("div");
      el.className = "lg-field__error";
      el.id = name + "-error";
      el.textContent = message;
      field.appendChild(el);
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-errormessage", el.id);
    } else {
      control.removeAttribute("aria-invalid");
      control.removeAttribute("aria-errormessage");
    }
    return Boolean(message);
  }

  form.addEventListener("submit", function (e) {
    var raw = document.getElementById("amount").value.replace(/[$,\s]/g, "");
    var amount = Number(raw);
    var bad = false;
    if (!raw || !isFinite(amount) || amount <= 0) {
      bad = setError("amount", "Enter an amount greater than $0.00.") || bad;
    } else if (amount > bill.amount + 0.001) {
      bad = setError("amount", "The amount can't be more than the " + L.money(bill.amount) +
        " due.") || bad;
    } else {
      setError("amount", "");
    }
    var date = dateInput.value;
    if (!date) bad = setError("payment_date", "Choose the day the payment is sent.") || bad;
    else if (date < today) bad = setError("payment_date", "The payment date can't be in the past.") || bad;
    else setError("payment_date", "");
    if (!document.getElementById("method").value) {
      bad = setError("method", "Choose how to pay " + bill.vendor + ".") || bad;
    } else {
      setError("method", "");
    }
    if (bad) {
      e.preventDefault();
      var first = form.querySelector("[aria-invalid=true]");
      if (first) first.focus();
      return;
    }
    document.getElementById("pay-submit").disabled = true;
    document.getElementById("pay-submit").textContent = "Scheduling…";
  });
})();
