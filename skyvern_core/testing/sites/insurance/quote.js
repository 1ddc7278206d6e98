// The quote wizard: one form, three sections shown one at a time, validated per step;
// the switches and the confirmation box are ARIA widgets mirrored into hidden inputs.
(function () {
  "use strict";

  var MODELS = {
    Ford: ["Escape", "F-150", "Focus", "Mustang"],
    Honda: ["Accord", "Civic", "CR-V", "Pilot"],
    Tesla: ["Model 3", "Model S", "Model X", "Model Y"],
    Toyota: ["Camry", "Corolla", "Prius", "RAV4"],
    Volkswagen: ["Golf", "ID.4", "Jetta", "Tiguan"]
  };

  var form = document.getElementById("quote-form");
  var steps = Array.prototype.slice.call(form.querySelectorAll(".step"));
  var current = 1;

  var year = document.getElementById("vehicle_year");
  for (var y = 2025; y >= 2005; y--) {
    var o = document.createElement("option");
    o.textContent = String(y);
    year.appendChild(o);
  }

  var make = document.getElementById("vehicle_make");
  var model = document.getElementById("vehicle_model");
  make.addEventListener("change", function () {
    model.textContent = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = make.value ? "Model" : "Choose a make first";
    model.appendChild(first);
    (MODELS[make.value] || []).forEach(function (m) {
      var opt = document.createElement("option");
      opt.textContent = m;
      model.appendChild(opt);
    });
    model.disabled = !make.value;
  });

  function show(n) {
    current = n;
    steps.forEach(function (s) { s.hidden = +s.dataset.step !== n; });
    document.querySelectorAll(".progress li").forEach(function (li) {
      var k = +li.dataset.step;
      li.className = k === n ? "active" : k < n ? "done" : "";
    });
    document.getElementById("step-count").textContent = "Step " + n + " of 3";
    window.scrollTo(0, 0);
  }

  function age(dob) {
    var d = new Date(dob + "T00:00:00");
    if (isNaN(d)) return -1;
    var now = new Date();
    var a = now.getFullYear() - d.getFullYear();
    if (now < new Date(now.getFullYear(), d.getMonth(), d.getDate())) a--;
    return a;
  }

  function validate(n) {
    var section = steps[n - 1];
    var msg = "";
    if (n === 1) {
      var f = form.elements;
      if (!f.first_name.value.trim() || !f.last_name.value.trim()) msg = "Please enter your name.";
      else if (!f.dob.value) msg = "Please enter your date of birth.";
      else if (age(f.dob.value) < 16 || age(f.dob.value) > 110) msg = "Please enter a valid date of birth.";
      else if (!/^\d{5}$/.test(f.zip.value)) msg = "Please enter a 5-digit ZIP code.";
      else if (!/^\S+@\S+\.\S+$/.test(f.email.value)) msg = "Please enter a valid email.";
    } else if (n === 2) {
      if (!year.value || !make.value || !model.value) msg = "Please choose the year, make and model.";
      else if (!form.querySelector("input[name=usage]:checked")) msg = "Please tell us how you use the car.";
    } else if (n === 3) {
      if (document.getElementById("confirm").value !== "yes") {
        msg = "Please confirm that your information is accurate.";
      }
    }
    section.querySelector(".error").textContent = msg;
    return !msg;
  }

  form.addEventListener("click", function (e) {
    if (e.target.classList.contains("next")) {
      if (validate(current)) show(current + 1);
    } else if (e.target.classList.contains("back")) {
      show(current - 1);
    }
  });

  // Enter in a text field would submit the whole form from step 1: go to the next step.
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.tagName === "INPUT" && current < 3) {
      e.preventDefault();
      if (validate(current)) show(current + 1);
    }
  });

  form.addEventListener("submit", function (e) {
    if (current !== 3 || !validate(3)) e.preventDefault();
  });

  function toggle(widget) {
    var on = widget.getAttribute("aria-checked") !== "true";
    widget.setAttribute("aria-checked", String(on));
    document.getElementById(widget.dataset.input).value = on ? "yes" : "no";
    if (on && widget.dataset.input === "confirm") steps[2].querySelector(".error").textContent = "";
  }
  document.querySelectorAll("[role=switch], [role=checkbox]").forEach(function (w) {
    w.addEventListener("click", function () { toggle(w); });
    w.addEventListener("keydown", function (e) {
      if (e.key === " " || e.key === "Enter") { e.preventDefault(); toggle(w); }
    });
  });
  // Clicking the visible text of a div "checkbox" toggles it too, as people expect.
  document.getElementById("confirm-label").addEventListener("click", function () {
    toggle(document.querySelector("[data-input=confirm]"));
  });

  show(1);
})();
