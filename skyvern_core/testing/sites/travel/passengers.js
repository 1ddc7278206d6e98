// The passenger form: trip carried from the URL into hidden fields, a select-only combobox
// for the meal, a small rich-text editor, and validation before the native POST.
(function () {
  "use strict";

  var S = window.SkyReach;
  var q = new URLSearchParams(window.location.search);
  var form = document.getElementById("passenger-form");

  ["from", "to", "depart", "return", "cabin", "adults", "flight", "fare"].forEach(function (key) {
    document.getElementById("h-" + key).value = q.get(key) || "";
  });

  // ------------------------------------------------------------------ trip summary
  var cabin = S.CABINS[q.get("cabin")] || S.CABINS.economy;
  var adults = Math.max(1, Number(q.get("adults")) || 1);
  var fare = Number(q.get("fare")) || 0;
  var back = new URLSearchParams(q);
  ["flight", "dep_time", "arr_time", "fare"].forEach(function (k) { back.delete(k); });
  document.getElementById("change-flight").href = "select.html?" + back.toString();
  document.getElementById("sum-date").textContent = S.longDate(q.get("depart") || "");
  document.getElementById("sum-flight").textContent = (q.get("flight") || "").replace(/^SR/, "SR ") +
    " · " + (q.get("dep_time") || "") + " – " + (q.get("arr_time") || "") + " · " + cabin.label;
  document.getElementById("sum-fare-label").textContent = "Fare × " + adults + (adults === 1 ? " adult" : " adults");
  document.getElementById("sum-fare").textContent = S.money(fare * adults);
  document.getElementById("sum-total").textContent = S.money(fare * adults);
  Promise.all([S.airport(q.get("from") || ""), S.airport(q.get("to") || "")]).then(function (found) {
    document.getElementById("sum-route").textContent = found.map(function (a, i) {
      return a ? a.city + " (" + a.code + ")" : q.get(i ? "to" : "from");
    }).join(" → ");
  });

  // ------------------------------------------------------------------ meal dropdown
  (function () {
    var trigger = document.getElementById("meal-trigger");
    var list = document.getElementById("meal-options");
    var value = document.getElementById("meal-value");
    var hidden = document.getElementById("meal");
    var options = Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
    var active = 0;
    options.forEach(function (o, i) { o.id = "meal-option-" + i; o.className = "sr-dropdown__option"; });

    function setActive(i) {
      active = (i + options.length) % options.length;
      options.forEach(function (o, k) { o.classList.toggle("is-active", k === active); });
      trigger.setAttribute("aria-activedescendant", options[active].id);
    }
    function open() {
      list.hidden = false;
      trigger.setAttribute("aria-expanded", "true");
      setActive(Math.max(0, options.map(function (o) { return o.getAttribute("aria-selected"); }).indexOf("true")));
    }
    function close() {
      list.hidden = true;
      trigger.setAttribute("aria-expanded", "false");
      trigger.removeAttribute("aria-activedescendant");
    }
    function choose(i) {
      options.forEach(function (o, k) { o.setAttribute("aria-selected", String(k === i)); });
      hidden.value = options[i].getAttribute("data-value");
      value.textContent = options[i].textContent;
      close();
      trigger.focus();
    }
    trigger.addEventListener("click", function () { if (list.hidden) open(); else close(); });
    trigger.addEventListener("keydown", function (e) {
      if (list.hidden) {
        if (["ArrowDown", "ArrowUp", "Enter", " "].indexOf(e.key) !== -1) { e.preventDefault(); open(); }
        return;
      }
      if (e.key === "ArrowDown") { e.preventDefault(); setActive(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); setActive(active - 1); }
      else if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(active); }
      else if (e.key === "Escape" || e.key === "Tab") { close(); }
    });
    options.forEach(function (o, i) {
      o.addEventListener("mousedown", function (e) { e.preventDefault(); });
      o.addEventListener("click", function () { choose(i); });
      o.addEventListener("mousemove", function () { if (active !== i) setActive(i); });
    });
    document.addEventListener("mousedown", function (e) {
      if (!list.hidden && !document.getElementById("meal-dropdown").contains(e.target)) close();
    });
  })();

  // ------------------------------------------------------------------ help, rich text
  var helpBtn = document.getElementById("doc-help-btn");
  helpBtn.addEventListener("click", function () {
    var help = document.getElementById("doc-help");
    help.hidden = !help.hidden;
    helpBtn.setAttribute("aria-expanded", String(!help.hidden));
  });

  var editor = document.getElementById("special-requests-editor");
  function syncEmpty() { editor.classList.toggle("is-empty", editor.textContent.trim() === ""); }
  editor.addEventListener("input", syncEmpty);
  editor.addEventListener("blur", syncEmpty);
  Array.prototype.forEach.call(document.querySelectorAll(".sr-rte__btn"), function (btn) {
    btn.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep the selection
    btn.addEventListener("click", function () {
      editor.focus();
      document.execCommand(btn.getAttribute("data-cmd"), false);
      syncEmpty();
    });
  });

  // ------------------------------------------------------------------ validation
  var errorsBox = document.getElementById("form-errors");

  function fieldOf(name) { return form.querySelector('[data-field="' + name + '"]'); }
  function mark(name, message, problems) {
    var box = fieldOf(name);
    if (!box) return;
    var old = box.querySelector(".sr-field-error");
    if (old) old.remove();
    box.classList.toggle("is-invalid", Boolean(message));
    if (message) {
      var p = document.createElement("p");
      p.className = "sr-helper sr-helper--error sr-field-error";
      p.textContent = message;
      if (box.tagName === "SELECT" || box.tagName === "INPUT") box.insertAdjacentElement("afterend", p);
      else box.appendChild(p);
      problems.push({ name: name, message: message });
    }
  }
  function val(name) {
    var el = form.elements[name];
    if (!el) return "";
    if (el instanceof RadioNodeList) return el.value;
    if (el.type === "checkbox") return el.checked ? el.value : "";
    return el.value.trim();
  }

  form.addEventListener("submit", function (e) {
    document.getElementById("special_requests").value = editor.innerText.trim();
    var problems = [];
    var required = {
      title: "Choose a title.", first_name: "Enter the first name.", last_name: "Enter the last name.",
      nationality: "Choose a nationality.", gender: "Choose the gender shown on the passport.",
      doc_type: "Choose a document type.", doc_number: "Enter the document number.",
      doc_country: "Choose the issuing country.", email: "Enter an email address.",
      phone_country: "Choose a country code.", phone: "Enter a mobile number.",
      special_items: "Answer the special handling question.",
      address_line1: "Enter the street address.", billing_city: "Enter the town or city.",
      billing_postcode: "Enter the ZIP or postal code.", billing_country: "Choose a country.",
      terms: "Accept the fare rules to book."
    };
    Object.keys(required).forEach(function (name) { mark(name, val(name) ? "" : required[name], problems); });
    var dob = ["dob_day", "dob_month", "dob_year"].map(val);
    var dobOk = dob.every(Boolean) && new Date(Number(dob[2]), Number(dob[1]) - 1, Number(dob[0])).getDate() === Number(dob[0]);
    mark("dob", dobOk ? "" : "Enter a real date of birth.", problems);
    var exp = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(val("doc_expiry"));
    mark("doc_expiry", exp ? "" : "Enter the expiry date as DD/MM/YYYY.", problems);
    if (val("email") && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(val("email"))) mark("email", "Enter a valid email address.", problems);
    mark("email_confirm", val("email_confirm") && val("email_confirm").toLowerCase() === val("email").toLowerCase()
      ? "" : "The email addresses don't match.", problems);

    if (problems.length) {
      e.preventDefault();
      errorsBox.hidden = false;
      errorsBox.innerHTML = "<p><strong>Please check " + problems.length +
        (problems.length === 1 ? " field" : " fields") + ":</strong></p><ul>" +
        problems.map(function (p) { return "<li>" + S.esc(p.message) + "</li>"; }).join("") + "</ul>";
      errorsBox.scrollIntoView({ block: "center" });
      return;
    }
    errorsBox.hidden = true;
    document.getElementById("book").disabled = true;
  });
})();
