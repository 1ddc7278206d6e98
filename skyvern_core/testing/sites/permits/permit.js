// The application is three pages; each keeps its answers in sessionStorage (like a
// multi-page service with a server session) and the review page posts them all at once.
(function () {
  "use strict";
  var KEY = "riverton-permit";

  function saved() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "{}"); } catch (e) { return {}; }
  }

  function keep(values) {
    var all = saved();
    Object.keys(values).forEach(function (k) { all[k] = values[k]; });
    sessionStorage.setItem(KEY, JSON.stringify(all));
  }

  function fieldsOf(form) {
    var out = {};
    new FormData(form).forEach(function (value, name) { out[name] = String(value).trim(); });
    return out;
  }

  var form = document.querySelector("form[data-page]");
  if (!form) return;
  var page = form.getAttribute("data-page");
  var error = form.querySelector("[role=alert]");

  // Coming back to a page shows what was entered.
  var before = saved();
  Array.prototype.forEach.call(form.elements, function (el) {
    if (el.name && before[el.name] && el.type !== "hidden" && el.type !== "checkbox") {
      el.value = before[el.name];
    }
  });

  function problem(values) {
    if (page === "applicant") {
      if (!values.first_name || !values.last_name) return "Enter your first and last name.";
      if (!/^\S+@\S+\.\S+$/.test(values.email || "")) return "Enter a valid email address.";
      if (!/^[\d\s()+-]{7,}$/.test(values.phone || "")) return "Enter a phone number.";
    } else if (page === "vehicle") {
      if (!/^[A-Z0-9 -]{2,10}$/i.test(values.plate || "")) return "Enter the licence plate.";
      if (!values.make) return "Choose the make of the vehicle.";
      if (!values.zone) return "Choose a permit zone.";
    } else if (page === "review") {
      if (!form.querySelector("input[name=confirm]").checked) {
        return "Confirm that the details are correct.";
      }
    }
    return "";
  }

  if (page === "review") {
    var all = saved();
    Array.prototype.forEach.call(document.querySelectorAll("[data-show]"), function (dd) {
      dd.textContent = all[dd.getAttribute("data-show")] || "";
    });
    Object.keys(all).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = all[name];
      form.appendChild(input);
    });
  }

  form.addEventListener("submit", function (event) {
    var values = fieldsOf(form);
    var msg = problem(values);
    error.textContent = msg;
    if (msg) {
      event.preventDefault();
      return;
    }
    if (page !== "review") {
      event.preventDefault();
      keep(values);
      window.location.href = form.getAttribute("data-next");
    } else {
      sessionStorage.removeItem(KEY);
    }
  });

  var dismiss = document.querySelector("[data-dismiss]");
  if (dismiss) {
    dismiss.addEventListener("click", function () {
      dismiss.closest(".notice").hidden = true;
    });
  }
})();
