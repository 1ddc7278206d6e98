// The flight search: two airport comboboxes fed by the API as the user types (debounced,
// stale answers dropped), a typed-or-picked date with a calendar popup, and validation.
(function () {
  "use strict";

  var S = window.SkyReach;
  var DEBOUNCE_MS = 250;

  // ------------------------------------------------------------------ airport combobox
  function Combobox(prefix) {
    var input = document.getElementById(prefix + "-input");
    var code = document.getElementById(prefix + "-code");
    var list = document.getElementById(prefix + "-listbox");
    var error = document.getElementById(prefix + "-error");
    var timer = 0, seq = 0, results = [], active = -1;

    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function setActive(i) {
      var opts = list.querySelectorAll("[role=option]");
      if (!opts.length) return;
      active = (i + opts.length) % opts.length;
      for (var k = 0; k < opts.length; k++) {
        opts[k].classList.toggle("is-active", k === active);
        opts[k].setAttribute("aria-selected", String(k === active));
      }
      input.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    }

    function show(items, query) {
      results = items;
      list.textContent = "";
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "sr-listbox__empty";
        none.setAttribute("role", "presentation");
        none.textContent = "No airports match “" + query + "”";
        list.appendChild(none);
      }
      items.forEach(function (a, i) {
        var li = document.createElement("li");
        li.id = prefix + "-option-" + i;
        li.className = "sr-option";
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var area = a.airport === "All airports";
        li.innerHTML =
          '<span class="sr-option__icon" aria-hidden="true">' + (area ? "◎" : "✈") + "</span> " +
          '<span class="sr-option__main">' + S.esc(a.city) + ", " + S.esc(a.country) + "</span> " +
          '<span class="sr-option__sub">' + S.esc(a.airport) + "</span> " +
          '<span class="sr-option__code">' + S.esc(a.code) + "</span>";
        // mousedown keeps focus in the input, so blur does not close the list first.
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(a); });
        li.addEventListener("mousemove", function () { if (active !== i) setActive(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function choose(a) {
      input.value = a.label;
      code.value = a.code;
      error.hidden = true;
      input.closest(".mdc-text-field").classList.remove("is-invalid");
      input.removeAttribute("aria-invalid");
      close();
      input.dispatchEvent(new CustomEvent("airport-chosen", { bubbles: true, detail: a }));
    }

    input.addEventListener("input", function () {
      code.value = "";  // typed text is no choice until a suggestion is picked
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { seq++; close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        list.hidden = false;
        list.innerHTML = '<li class="sr-listbox__empty" role="presentation">Searching…</li>';
        fetch("/travel/api/cities?q=" + encodeURIComponent(q))
          .then(function (r) { return r.json(); })
          .then(function (data) {
            if (mine !== seq || document.activeElement !== input) return;  // a newer query won
            show(data.results, q);
          })
          .catch(function () { if (mine === seq) close(); });
      }, DEBOUNCE_MS);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); setActive(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); setActive(active - 1); }
      else if (e.key === "Enter") {
        if (active >= 0 && results[active]) { e.preventDefault(); choose(results[active]); }
      } else if (e.key === "Escape") { e.preventDefault(); close(); }
    });
    input.addEventListener("blur", function () { seq++; clearTimeout(timer); close(); });
    input.addEventListener("focus", function () { input.select(); });

    return {
      input: input,
      code: code,
      fail: function (message) {
        error.textContent = message;
        error.hidden = false;
        input.closest(".mdc-text-field").classList.add("is-invalid");
        input.setAttribute("aria-invalid", "true");
      },
      set: function (label, value) { input.value = label; code.value = value; }
    };
  }

  var from = Combobox("from");
  var to = Combobox("to");

  document.getElementById("swap").addEventListener("click", function () {
    var label = from.input.value, value = from.code.value;
    from.set(to.input.value, to.code.value);
    to.set(label, value);
  });

  // ------------------------------------------------------------------ dates
  var calendar = document.getElementById("calendar");
  var daysBody = document.getElementById("calendar-days");
  var calTitle = document.getElementById("calendar-title");
  var cal = { field: null, month: null };

  function DateField(prefix) {
    var wrap = document.getElementById(prefix + "-field");
    var input = document.getElementById(prefix + "-input");
    var hidden = document.getElementById(prefix + "-iso");
    var field = { wrap: wrap, input: input, hidden: hidden };
    function sync() { hidden.value = S.usToIso(input.value); }
    input.addEventListener("input", function () {
      // Typing digits adds the slashes, like most masked date inputs.
      var digits = input.value.replace(/\D/g, "").slice(0, 8);
      var out = digits.slice(0, 2);
      if (digits.length > 2) out += "/" + digits.slice(2, 4);
      if (digits.length > 4) out += "/" + digits.slice(4);
      if (input.value.length >= out.length) input.value = out;
      sync();
    });
    input.addEventListener("change", sync);
    wrap.querySelector(".sr-date__open").addEventListener("click", function () {
      if (!calendar.hidden && cal.field === field) closeCalendar();
      else openCalendar(field);
    });
    field.set = function (value) { input.value = S.isoToUs(value); hidden.value = value; };
    return field;
  }

  function openCalendar(field) {
    cal.field = field;
    var chosen = S.parseIso(field.hidden.value) || S.today();
    cal.month = new Date(chosen.getFullYear(), chosen.getMonth(), 1);
    field.wrap.appendChild(calendar);
    calendar.hidden = false;
    drawCalendar();
    var focus = daysBody.querySelector("[aria-pressed=true]") || daysBody.querySelector("button:not([disabled])");
    if (focus) focus.focus();
  }
  function closeCalendar() { calendar.hidden = true; cal.field = null; }

  function drawCalendar() {
    var m = cal.month;
    calTitle.textContent = S.MONTHS[m.getMonth()] + " " + m.getFullYear();
    var today = S.today();
    var start = new Date(m.getFullYear(), m.getMonth(), 1 - m.getDay());
    var html = "";
    for (var w = 0; w < 6; w++) {
      html += "<tr>";
      for (var d = 0; d < 7; d++) {
        var day = new Date(start.getFullYear(), start.getMonth(), start.getDate() + w * 7 + d);
        if (day.getMonth() !== m.getMonth()) { html += "<td></td>"; continue; }
        var value = S.iso(day);
        var label = S.DAYS[day.getDay()] + ", " + S.MONTHS[day.getMonth()] + " " + day.getDate() +
          ", " + day.getFullYear();
        html += '<td><button type="button" class="sr-day" data-date="' + value + '" aria-label="' +
          label + '" aria-pressed="' + (value === cal.field.hidden.value) + '"' +
          (day < today ? " disabled" : "") + ">" + day.getDate() + "</button></td>";
      }
      html += "</tr>";
    }
    daysBody.innerHTML = html;
  }

  calendar.addEventListener("click", function (e) {
    var nav = e.target.closest("[data-cal]");
    if (nav) {
      var step = nav.getAttribute("data-cal") === "next" ? 1 : -1;
      cal.month = new Date(cal.month.getFullYear(), cal.month.getMonth() + step, 1);
      drawCalendar();
      return;
    }
    var day = e.target.closest(".sr-day");
    if (day && !day.disabled) {
      var field = cal.field;
      field.set(day.getAttribute("data-date"));
      closeCalendar();
      field.input.focus();
    }
  });
  calendar.addEventListener("keydown", function (e) { if (e.key === "Escape") { var f = cal.field; closeCalendar(); f.input.focus(); } });
  document.addEventListener("mousedown", function (e) {
    if (!calendar.hidden && !cal.field.wrap.contains(e.target)) closeCalendar();
  });

  var depart = DateField("depart");
  var ret = DateField("return");

  // ------------------------------------------------------------------ trip type
  Array.prototype.forEach.call(document.querySelectorAll("input[name=trip]"), function (radio) {
    radio.addEventListener("change", function () {
      var oneWay = document.querySelector("input[name=trip]:checked").value === "oneway";
      ret.input.disabled = oneWay;
      ret.wrap.classList.toggle("is-disabled", oneWay);
      ret.wrap.querySelector(".sr-date__open").disabled = oneWay;
      if (oneWay) ret.set("");
    });
  });

  // ------------------------------------------------------------------ submit
  document.getElementById("search-form").addEventListener("submit", function (e) {
    var problems = [];
    if (!from.code.value) { from.fail("Choose a departure airport from the list."); problems.push(from.input); }
    if (!to.code.value) { to.fail("Choose a destination airport from the list."); problems.push(to.input); }
    if (from.code.value && from.code.value === to.code.value) {
      to.fail("Origin and destination must differ."); problems.push(to.input);
    }
    var err = document.getElementById("search-error");
    var today = S.iso(S.today());
    var oneWay = document.querySelector("input[name=trip]:checked").value === "oneway";
    var message = "";
    if (!depart.hidden.value) { message = "Enter a departure date as MM/DD/YYYY."; problems.push(depart.input); }
    else if (depart.hidden.value < today) { message = "The departure date is in the past."; problems.push(depart.input); }
    else if (!oneWay && !ret.hidden.value) { message = "Enter a return date, or choose One way."; problems.push(ret.input); }
    else if (!oneWay && ret.hidden.value < depart.hidden.value) {
      message = "The return date must be after the departure date."; problems.push(ret.input);
    }
    err.textContent = message;
    if (problems.length) {
      e.preventDefault();
      problems[0].focus();
    }
  });
})();
