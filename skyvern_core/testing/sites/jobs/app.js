// Application form behaviour: a react-select-like location picker, the hidden resume
// input behind "Attach", and client-side validation before the native multipart POST.
(function () {
  "use strict";

  var LOCATIONS = [
    "Amsterdam, Netherlands", "Austin, Texas, United States", "Barcelona, Spain",
    "Berlin, Germany", "Boston, Massachusetts, United States", "Dublin, Ireland",
    "Hamburg, Germany", "Lisbon, Portugal", "London, United Kingdom", "Madrid, Spain",
    "Munich, Germany", "New York, New York, United States", "Paris, France",
    "Prague, Czechia", "San Francisco, California, United States", "Stockholm, Sweden",
    "Toronto, Ontario, Canada", "Vienna, Austria", "Warsaw, Poland", "Zurich, Switzerland"
  ];

  var form = document.getElementById("application-form");

  // ------------------------------------------------------------------ location combobox
  var control = document.getElementById("location-control");
  var input = document.getElementById("location-input");
  var menu = document.getElementById("location-menu");
  var listbox = document.getElementById("location-listbox");
  var placeholder = document.getElementById("location-placeholder");
  var single = document.getElementById("location-value");
  var hidden = document.getElementById("location");
  var focusedIndex = -1;
  var shown = [];

  function renderOptions() {
    var q = input.value.trim().toLowerCase();
    shown = LOCATIONS.filter(function (c) { return c.toLowerCase().indexOf(q) !== -1; });
    listbox.textContent = "";
    if (!shown.length) {
      var none = document.createElement("div");
      none.className = "select__no-options";
      none.textContent = "No options";
      listbox.appendChild(none);
    }
    shown.forEach(function (city, i) {
      var opt = document.createElement("div");
      opt.className = "select__option" + (i === focusedIndex ? " is-focused" : "");
      opt.id = "location-option-" + i;
      opt.setAttribute("role", "option");
      opt.setAttribute("aria-selected", String(hidden.value === city));
      opt.textContent = city;
      // mousedown, not click: the input must keep focus or blur would close the menu first.
      opt.addEventListener("mousedown", function (e) { e.preventDefault(); choose(city); });
      opt.addEventListener("mousemove", function () { setFocused(i); });
      listbox.appendChild(opt);
    });
    if (focusedIndex >= 0 && shown.length) {
      input.setAttribute("aria-activedescendant", "location-option-" + focusedIndex);
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  // Highlighting changes classes in place: re-creating option nodes under the pointer
  // would make a click land on a detached node.
  function setFocused(i) {
    if (i === focusedIndex) return;
    focusedIndex = i;
    var opts = listbox.querySelectorAll("[role=option]");
    for (var k = 0; k < opts.length; k++) opts[k].classList.toggle("is-focused", k === i);
    var el = document.getElementById("location-option-" + i);
    if (el) {
      input.setAttribute("aria-activedescendant", el.id);
      el.scrollIntoView({ block: "nearest" });
    }
  }

  function open() {
    if (!menu.hidden) return;
    menu.hidden = false;
    input.setAttribute("aria-expanded", "true");
    control.classList.add("focused");
    focusedIndex = -1;
    renderOptions();
  }

  function close() {
    menu.hidden = true;
    input.setAttribute("aria-expanded", "false");
    listbox.textContent = "";
    input.removeAttribute("aria-activedescendant");
  }

  function syncPlaceholder() {
    var typing = input.value.length > 0;
    placeholder.hidden = typing || !!hidden.value;
    single.hidden = typing || !hidden.value;
  }

  function choose(city) {
    hidden.value = city;
    single.textContent = city;
    input.value = "";
    close();
    syncPlaceholder();
    clearError("location");
  }

  // As react-select does: a press on the control opens the menu; a press on the control
  // (not the text input) while it is open closes it; typing keeps it open.
  control.addEventListener("mousedown", function (e) {
    if (e.target !== input) e.preventDefault();
    input.focus();
    if (menu.hidden) open();
    else if (e.target !== input) close();
  });
  input.addEventListener("focus", function () { control.classList.add("focused"); });
  input.addEventListener("blur", function () { control.classList.remove("focused"); close(); });
  input.addEventListener("input", function () {
    open();
    focusedIndex = input.value ? 0 : -1;
    renderOptions();
    syncPlaceholder();
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (menu.hidden) open();
      setFocused(Math.min(focusedIndex + 1, shown.length - 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setFocused(Math.max(focusedIndex - 1, 0));
    } else if (e.key === "Enter") {
      // Enter picks the highlighted option instead of submitting the form.
      if (!menu.hidden) {
        e.preventDefault();
        if (focusedIndex >= 0 && shown[focusedIndex]) choose(shown[focusedIndex]);
      }
    } else if (e.key === "Escape") {
      close();
    }
  });

  // ------------------------------------------------------------------ resume
  var fileInput = document.getElementById("resume");
  var chosen = document.getElementById("resume-chosen");
  var controls = document.getElementById("resume-controls");
  var pasted = document.getElementById("resume_text");

  document.getElementById("resume-attach").addEventListener("click", function () {
    fileInput.click();
  });
  document.getElementById("resume-paste").addEventListener("click", function () {
    pasted.hidden = false;
    pasted.focus();
  });
  fileInput.addEventListener("change", function () {
    if (fileInput.files.length) {
      document.getElementById("resume-filename").textContent = fileInput.files[0].name;
      chosen.hidden = false;
      controls.hidden = true;
      clearError("resume");
    }
  });
  document.getElementById("resume-remove").addEventListener("click", function () {
    fileInput.value = "";
    chosen.hidden = true;
    controls.hidden = false;
  });

  // ------------------------------------------------------------------ validation
  function showError(name, message) {
    var box = document.getElementById(name + "-error");
    box.textContent = message;
    box.parentElement.classList.add("invalid");
  }
  function clearError(name) {
    var box = document.getElementById(name + "-error");
    if (box) { box.textContent = ""; box.parentElement.classList.remove("invalid"); }
  }

  form.addEventListener("input", function (e) { if (e.target.id) clearError(e.target.id); });
  form.addEventListener("change", function (e) { if (e.target.id) clearError(e.target.id); });

  form.addEventListener("submit", function (e) {
    var errors = [];
    ["first_name", "last_name"].forEach(function (id) {
      if (!document.getElementById(id).value.trim()) {
        showError(id, "This field is required.");
        errors.push(id);
      }
    });
    var email = document.getElementById("email").value.trim();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      showError("email", email ? "Please enter a valid email address." : "This field is required.");
      errors.push("email");
    }
    if (!fileInput.files.length && !pasted.value.trim()) {
      showError("resume", "Please attach a resume.");
      errors.push("resume");
    }
    if (!hidden.value) { showError("location", "Please select a location."); errors.push("location"); }
    if (!document.getElementById("work_auth").value) {
      showError("work_auth", "This field is required.");
      errors.push("work_auth");
    }
    if (!document.getElementById("consent").checked) {
      showError("consent", "You must consent to continue.");
      errors.push("consent");
    }
    var summary = document.getElementById("form-summary");
    if (errors.length) {
      e.preventDefault();
      summary.hidden = false;
      summary.textContent = "Please complete the " + errors.length + " highlighted field" +
        (errors.length > 1 ? "s" : "") + " before submitting.";
      return;
    }
    summary.hidden = true;
    var button = document.getElementById("submit_app");
    button.disabled = true;
    button.textContent = "Submitting...";
  });
})();
