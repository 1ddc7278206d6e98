// The booking form's widgets, built the way react-select, Material UI and a plain address
// autocomplete render them (same classes, roles and ARIA attributes, menus portalled to the
// end of <body>), so that what works here works on the real libraries.
(function () {
  "use strict";

  var NATIONALITIES = ["Canada", "C\u00f4te d'Ivoire", "France", "Germany", "Ireland", "Japan",
    "Korea, Republic of", "Portugal", "United Kingdom", "United States"];
  var ASSISTANCE = [
    { value: "WCHR", label: "Wheelchair (WCHR)" },
    { value: "BLND", label: "Visual impairment (BLND)" },
    { value: "DEAF", label: "Hearing impairment (DEAF)" },
    { value: "SVAN", label: "Service animal (SVAN)" }
  ];
  var CABINS = [
    { value: "economy", label: "Economy / Coach" },
    { value: "premium", label: "Premium Economy" },
    { value: "business", label: "Business" },
    { value: "first", label: "First" }
  ];
  var ADDRESSES = ["12 Rue du Bac, 75007 Paris", "12 Rue Cler, 75007 Paris",
    "350 Fifth Avenue, New York, NY 10118", "1 Infinite Loop, Cupertino, CA 95014",
    "221B Baker Street, London NW1 6XE", "10 Downing Street, London SW1A 2AA"];

  // What a search service does with a query: accents and case aside, word by word.
  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function words(s) { return fold(s).split(/[^a-z0-9]+/).filter(Boolean); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function below(anchor, node) {
    var r = anchor.getBoundingClientRect();
    node.style.top = (r.bottom + window.scrollY + 4) + "px";
    node.style.left = (r.left + window.scrollX) + "px";
    node.style.width = r.width + "px";
  }

  // ---------------------------------------------------------------- react-select
  function ReactSelect(container) {
    var id = "react-select-" + container.dataset.instance;
    var name = container.dataset.name;
    var multi = container.dataset.multi === "true";
    var isAsync = container.dataset.async === "airports";
    var values = [];
    var inputValue = "";
    var options = [];
    var focused = -1;
    var loading = false;
    var portal = null;
    var timer = null;
    var query = 0;

    container.innerHTML =
      '<span id="' + id + '-live-region" class="a11yText"></span>' +
      '<div class="rs__control"><div class="rs__value-container' +
      (multi ? " rs__value-container--is-multi" : "") + '"></div>' +
      '<div class="rs__indicators"><span class="rs__indicator-separator"></span>' +
      '<div class="rs__indicator rs__dropdown-indicator" aria-hidden="true">&#9662;</div>' +
      "</div></div>";
    var control = container.querySelector(".rs__control");
    var valueBox = container.querySelector(".rs__value-container");
    var indicators = container.querySelector(".rs__indicators");
    var inputBox = el("div", { "class": "rs__input-container", "data-value": "" });
    var input = el("input", {
      "class": "rs__input", autocapitalize: "none", autocomplete: "off", autocorrect: "off",
      id: id + "-input", spellcheck: "false", tabindex: "0", type: "text",
      "aria-autocomplete": "list", "aria-expanded": "false", "aria-haspopup": "true",
      role: "combobox", "aria-describedby": id + "-placeholder",
      "aria-labelledby": name + "-label"
    });
    inputBox.appendChild(input);

    function renderValue() {
      // The input stays where it is (React keeps the node): only what is beside it changes.
      Array.prototype.slice.call(valueBox.children).forEach(function (c) {
        if (c !== inputBox) c.remove();
      });
      if (inputBox.parentNode !== valueBox) valueBox.appendChild(inputBox);
      var before = function (node) { valueBox.insertBefore(node, inputBox); };
      if (multi) {
        values.forEach(function (v) {
          var chip = el("div", { "class": "rs__multi-value" });
          chip.appendChild(el("div", { "class": "rs__multi-value__label" }, v.label));
          var remove = el("div", { role: "button", "class": "rs__multi-value__remove",
            "aria-label": "Remove " + v.label }, "\u00d7");
          remove.addEventListener("mousedown", function (e) {
            e.preventDefault(); e.stopPropagation();
            values = values.filter(function (x) { return x !== v; });
            renderValue();
          });
          chip.appendChild(remove);
          before(chip);
        });
      }
      if (!inputValue && !values.length) {
        before(el("div", { "class": "rs__placeholder", id: id + "-placeholder" },
          isAsync ? "Type to search..." : "Select..."));
      } else if (!multi && values.length && !inputValue) {
        before(el("div", { "class": "rs__single-value" }, values[0].label));
      }
      inputBox.setAttribute("data-value", inputValue);
      Array.prototype.slice.call(container.querySelectorAll("input[type=hidden]"))
        .forEach(function (h) { h.remove(); });
      (values.length ? values : [{ value: "" }]).forEach(function (v) {
        container.appendChild(el("input", { name: name, type: "hidden", value: v.value }));
      });
      var spinner = indicators.querySelector(".rs__loading-indicator");
      if (loading && !spinner) {
        indicators.insertBefore(el("div", { "class": "rs__indicator rs__loading-indicator",
          "aria-hidden": "true" }, "\u2026"), indicators.firstChild);
      } else if (!loading && spinner) {
        spinner.remove();
      }
    }

    function renderMenu() {
      if (!portal) return;
      below(control, portal);
      var list = portal.querySelector(".rs__menu-list");
      list.textContent = "";
      if (loading) {
        list.appendChild(el("div", { "class": "rs__menu-notice rs__menu-notice--loading" },
          "Loading..."));
      } else if (!options.length) {
        list.appendChild(el("div", { "class": "rs__menu-notice rs__menu-notice--no-options" },
          "No options"));
      }
      options.forEach(function (o, i) {
        var chosen = values.some(function (v) { return v.value === o.value; });
        var node = el("div", {
          "class": "rs__option" + (i === focused ? " rs__option--is-focused" : ""),
          "aria-disabled": "false", id: id + "-option-" + i, tabindex: "-1", role: "option",
          "aria-selected": String(chosen)
        }, o.label);
        node.addEventListener("mousemove", function () { setFocused(i); });
        node.addEventListener("click", function () { choose(o); });
        list.appendChild(node);
      });
      if (focused >= 0 && options[focused]) {
        input.setAttribute("aria-activedescendant", id + "-option-" + focused);
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function setFocused(i) {
      if (i === focused) return;
      focused = i;
      var nodes = portal ? portal.querySelectorAll(".rs__option") : [];
      for (var k = 0; k < nodes.length; k++) {
        nodes[k].classList.toggle("rs__option--is-focused", k === i);
      }
      if (options[i]) input.setAttribute("aria-activedescendant", id + "-option-" + i);
    }

    function openMenu() {
      if (portal) return;
      portal = el("div", { "class": "rs__menu-portal" });
      var menu = el("div", { "class": "rs__menu" });
      menu.appendChild(el("div", { "class": "rs__menu-list", role: "listbox",
        "aria-multiselectable": String(multi), id: id + "-listbox" }));
      // A press in the menu must not take the focus from the input (it would close it).
      menu.addEventListener("mousedown", function (e) { e.preventDefault(); });
      portal.appendChild(menu);
      portal.style.position = "absolute";
      portal.style.zIndex = "1000";
      menu.style.position = "static";
      document.body.appendChild(portal);
      input.setAttribute("aria-expanded", "true");
      input.setAttribute("aria-controls", id + "-listbox");
      input.setAttribute("aria-owns", id + "-listbox");
      control.classList.add("rs__control--menu-is-open");
      search(inputValue);
    }

    function closeMenu() {
      if (portal) portal.remove();
      portal = null;
      focused = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-controls");
      input.removeAttribute("aria-owns");
      input.removeAttribute("aria-activedescendant");
      control.classList.remove("rs__control--menu-is-open");
    }

    function search(q) {
      if (!isAsync) {
        var w = words(q);
        options = ASSISTANCE.filter(function (o) {
          var have = words(o.label);
          return w.every(function (x) {
            return have.some(function (h) { return h.indexOf(x) === 0; });
          });
        });
        focused = options.length && q ? 0 : -1;
        renderMenu();
        return;
      }
      clearTimeout(timer);
      var mine = ++query;
      if (!q.trim()) {
        loading = false; options = []; renderValue(); renderMenu();
        return;
      }
      loading = true; options = []; renderValue(); renderMenu();
      // Debounced, then fetched: suggestions exist only some time after the typing.
      timer = setTimeout(function () {
        fetch("airports.json").then(function (r) { return r.json(); }).then(function (all) {
          setTimeout(function () {
            if (mine !== query) return;
            var w = words(q);
            options = all.filter(function (a) {
              var have = words(a.label);
              return w.every(function (x) {
                return have.some(function (h) { return h.indexOf(x) === 0; });
              });
            }).map(function (a) { return { value: a.code, label: a.label }; });
            loading = false;
            focused = options.length ? 0 : -1;
            renderValue();
            renderMenu();
          }, 200);
        });
      }, 250);
    }

    function choose(o) {
      if (multi) {
        if (!values.some(function (v) { return v.value === o.value; })) values.push(o);
      } else {
        values = [o];
      }
      inputValue = "";
      input.value = "";
      closeMenu();
      renderValue();
      container.querySelector(".a11yText").textContent = "option " + o.label + ", selected.";
    }

    control.addEventListener("mousedown", function (e) {
      if (e.target !== input) e.preventDefault();
      input.focus();
      if (!portal) openMenu();
      else if (e.target !== input) closeMenu();
    });
    input.addEventListener("focus", function () { control.classList.add("rs__control--is-focused"); });
    input.addEventListener("blur", function () {
      control.classList.remove("rs__control--is-focused");
      // As react-select does: leaving the field drops what was typed and closes the menu.
      inputValue = "";
      input.value = "";
      closeMenu();
      renderValue();
    });
    input.addEventListener("input", function () {
      inputValue = input.value;
      renderValue();
      input.focus();
      if (!portal) openMenu();
      else search(inputValue);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (!portal) openMenu();
        else setFocused(Math.min(focused + 1, options.length - 1));
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        setFocused(Math.max(focused - 1, 0));
      } else if (e.key === "Enter") {
        if (portal) {
          e.preventDefault();
          if (focused >= 0 && options[focused]) choose(options[focused]);
        }
      } else if (e.key === "Escape") {
        if (portal) {
          closeMenu();
          inputValue = "";
          input.value = "";
          renderValue();
        }
      }
    });
    renderValue();
  }

  // ---------------------------------------------------------------- MUI Autocomplete
  function MuiAutocomplete(input, all) {
    var root = input.closest(".MuiAutocomplete-root");
    var base = input.closest(".MuiInputBase-root");
    var listId = input.id + "-listbox";
    var value = null;
    var popper = null;
    var shown = [];
    var highlighted = -1;

    function filter(q) {
      var f = fold(q.trim());
      return all.filter(function (label) { return fold(label).indexOf(f) !== -1; });
    }

    function render() {
      if (!popper) return;
      below(base, popper);
      var paper = popper.firstChild;
      paper.textContent = "";
      if (!shown.length) {
        paper.appendChild(el("div", { "class": "MuiAutocomplete-noOptions" }, "No options"));
        input.removeAttribute("aria-controls");
        return;
      }
      var list = el("ul", { "class": "MuiAutocomplete-listbox", role: "listbox", id: listId,
        "aria-labelledby": input.id + "-label" });
      list.addEventListener("mousedown", function (e) { e.preventDefault(); });
      shown.forEach(function (label, i) {
        var li = el("li", { tabindex: "-1", role: "option", id: input.id + "-option-" + i,
          "data-option-index": String(i), "aria-disabled": "false",
          "aria-selected": String(value === label),
          "class": "MuiAutocomplete-option" + (i === highlighted ? " Mui-focused" : "") }, label);
        li.addEventListener("mousemove", function () {
          highlighted = i;
          input.setAttribute("aria-activedescendant", li.id);
        });
        li.addEventListener("click", function () { choose(label); });
        list.appendChild(li);
      });
      paper.appendChild(list);
      input.setAttribute("aria-controls", listId);
    }

    function open() {
      if (popper) return;
      popper = el("div", { "class": "MuiPopper-root MuiAutocomplete-popper", role: "presentation" });
      popper.appendChild(el("div", { "class": "MuiPaper-root MuiAutocomplete-paper" }));
      document.body.appendChild(popper);
      input.setAttribute("aria-expanded", "true");
      root.classList.add("Mui-expanded");
      shown = filter(value === input.value ? "" : input.value);
      render();
    }

    function close() {
      if (popper) popper.remove();
      popper = null;
      highlighted = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-controls");
      input.removeAttribute("aria-activedescendant");
      root.classList.remove("Mui-expanded");
    }

    function choose(label) {
      value = label;
      input.value = label;
      close();
    }

    input.addEventListener("mousedown", function () { if (!popper) open(); });
    root.querySelector(".MuiAutocomplete-popupIndicator").addEventListener("click", function () {
      if (popper) close(); else { input.focus(); open(); }
    });
    input.addEventListener("input", function () {
      if (!popper) open();
      shown = filter(input.value);
      highlighted = -1;
      render();
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && popper) { e.preventDefault(); close(); }
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (!popper) open();
        highlighted = Math.min(highlighted + 1, shown.length - 1);
        render();
        if (highlighted >= 0) input.setAttribute("aria-activedescendant", input.id + "-option-" + highlighted);
      }
      if (e.key === "Enter" && popper && highlighted >= 0) {
        e.preventDefault();
        choose(shown[highlighted]);
      }
    });
    input.addEventListener("blur", function () {
      close();
      // Not freeSolo: text that is not an option does not stay.
      input.value = value || "";
    });
  }

  // ---------------------------------------------------------------- MUI Select
  function MuiSelect(trigger, nativeInput, choices) {
    var listId = trigger.getAttribute("aria-controls");
    var modal = null;

    function open() {
      if (modal) return;
      modal = el("div", { role: "presentation", "class": "MuiPopover-root MuiMenu-root MuiModal-root",
        id: "menu-" + nativeInput.name });
      var backdrop = el("div", { "aria-hidden": "true", "class": "MuiBackdrop-root MuiBackdrop-invisible" });
      backdrop.addEventListener("click", close);
      modal.appendChild(backdrop);
      var paper = el("div", { tabindex: "-1", "class": "MuiPaper-root MuiPopover-paper MuiMenu-paper" });
      var r = trigger.getBoundingClientRect();
      paper.style.top = r.top + "px";
      paper.style.left = r.left + "px";
      paper.style.minWidth = r.width + "px";
      var list = el("ul", { "class": "MuiList-root MuiMenu-list", role: "listbox", tabindex: "-1",
        "aria-labelledby": "cabin-label", id: listId });
      choices.forEach(function (c) {
        var li = el("li", { "class": "MuiMenuItem-root", tabindex: "-1", role: "option",
          "aria-selected": String(nativeInput.value === c.value), "data-value": c.value }, c.label);
        li.addEventListener("click", function () {
          nativeInput.value = c.value;
          trigger.textContent = c.label;
          close();
          trigger.focus();
        });
        list.appendChild(li);
      });
      paper.appendChild(list);
      modal.appendChild(paper);
      document.body.appendChild(modal);
      trigger.setAttribute("aria-expanded", "true");
    }

    function close() {
      if (modal) modal.remove();
      modal = null;
      trigger.setAttribute("aria-expanded", "false");
    }

    trigger.addEventListener("mousedown", function (e) {
      if (e.button !== 0) return;
      e.preventDefault();
      trigger.focus();
      open();
    });
    trigger.addEventListener("keydown", function (e) {
      if ([" ", "ArrowUp", "ArrowDown", "Enter"].indexOf(e.key) !== -1) { e.preventDefault(); open(); }
      if (e.key === "Escape") close();
    });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  }

  // ---------------------------------------------------------------- address autocomplete
  function AddressAutocomplete(input, list) {
    var timer = null;
    var active = -1;
    var shown = [];

    function hide() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function suggest() {
      var w = words(input.value).filter(function (x) { return x.length >= 1; });
      shown = ADDRESSES.filter(function (a) {
        var have = words(a);
        return w.some(function (x) { return have.indexOf(x) !== -1; });
      }).slice(0, 5);
      list.textContent = "";
      if (!shown.length || !input.value.trim()) { hide(); return; }
      shown.forEach(function (a, i) {
        var li = el("li", { role: "option", id: "address-option-" + i }, a);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); });
        li.addEventListener("click", function () { input.value = a; hide(); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(suggest, 200);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") hide();
      if (e.key === "ArrowDown" && shown.length) {
        active = Math.min(active + 1, shown.length - 1);
        input.setAttribute("aria-activedescendant", "address-option-" + active);
      }
      if (e.key === "Enter" && !list.hidden && active >= 0) {
        e.preventDefault();
        input.value = shown[active];
        hide();
      }
    });
    input.addEventListener("blur", function () { setTimeout(hide, 100); });
  }

  document.querySelectorAll(".rs-container").forEach(function (c) { ReactSelect(c); });
  MuiAutocomplete(document.getElementById("nationality"), NATIONALITIES);
  MuiSelect(document.getElementById("cabin-select"),
    document.querySelector("input.MuiSelect-nativeInput[name=cabin]"), CABINS);
  AddressAutocomplete(document.getElementById("address"),
    document.getElementById("address-suggestions"));
})();
