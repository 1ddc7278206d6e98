// A tiny design system of form-associated custom elements with open shadow roots, the
// way Shoelace or a Lit-based kit builds them: the real <input>s live inside shadow trees,
// and the signup card holding them is itself a shadow root (nesting one level deep).
(function () {
  "use strict";

  var FIELD_CSS =
    ":host { display: block; margin-bottom: 16px; }" +
    "label { display: block; font-weight: 600; font-size: 14px; margin-bottom: 6px; }" +
    "input, select { width: 100%; box-sizing: border-box; padding: 10px 12px; font: inherit;" +
    "  border: 1px solid #cfcbe3; border-radius: 8px; background: #fff; color: inherit; }" +
    "input:focus, select:focus { outline: 2px solid #5b3cc4; border-color: transparent; }" +
    ".affix { display: flex; align-items: center; }" +
    ".affix input { border-radius: 8px 0 0 8px; }" +
    ".suffix { padding: 10px 12px; background: #f1eefb; border: 1px solid #cfcbe3;" +
    "  border-left: 0; border-radius: 0 8px 8px 0; color: #6a6785; white-space: nowrap; }" +
    ".error { color: #c0264b; font-size: 13px; display: block; min-height: 0; }" +
    ":host([invalid]) input { border-color: #c0264b; }";

  function escapeHtml(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  class AcmeTextField extends HTMLElement {
    static formAssociated = true;
    constructor() {
      super();
      this.internals = this.attachInternals();
      this.attachShadow({ mode: "open" });
    }
    connectedCallback() {
      if (this.shadowRoot.childNodes.length) return;
      var type = this.getAttribute("type") || "text";
      var suffix = this.getAttribute("suffix");
      var input = '<input id="control" part="input" type="' + type + '"' +
        (this.hasAttribute("autocomplete") ? ' autocomplete="' + this.getAttribute("autocomplete") + '"' : "") +
        (this.hasAttribute("placeholder") ? ' placeholder="' + escapeHtml(this.getAttribute("placeholder")) + '"' : "") +
        (this.hasAttribute("required") ? " required" : "") + ">";
      this.shadowRoot.innerHTML = "<style>" + FIELD_CSS + "</style>" +
        '<label for="control" part="label">' + escapeHtml(this.getAttribute("label")) + "</label>" +
        (suffix ? '<div class="affix">' + input + '<span class="suffix">' + escapeHtml(suffix) +
          "</span></div>" : input) +
        '<small class="error" part="error" role="alert"></small>';
      this.input = this.shadowRoot.getElementById("control");
      var self = this;
      this.input.addEventListener("input", function () {
        self.internals.setFormValue(self.input.value);
        self.removeAttribute("invalid");
        self.shadowRoot.querySelector(".error").textContent = "";
      });
      this.internals.setFormValue("");
    }
    get name() { return this.getAttribute("name"); }
    get value() { return this.input ? this.input.value : ""; }
    set value(v) { this.input.value = v; this.internals.setFormValue(v); }
    validate() {
      var v = this.value.trim();
      var msg = "";
      if (this.hasAttribute("required") && !v) msg = this.getAttribute("label") + " is required";
      else if (this.getAttribute("type") === "email" && v && !/^\S+@\S+\.\S+$/.test(v)) {
        msg = "Enter a valid work email";
      } else if (this.hasAttribute("pattern") && v && !new RegExp(this.getAttribute("pattern")).test(v)) {
        msg = this.getAttribute("pattern-message") || "Invalid value";
      }
      this.shadowRoot.querySelector(".error").textContent = msg;
      this.toggleAttribute("invalid", !!msg);
      return !msg;
    }
  }

  class AcmeSelect extends HTMLElement {
    static formAssociated = true;
    constructor() {
      super();
      this.internals = this.attachInternals();
      this.attachShadow({ mode: "open" });
    }
    connectedCallback() {
      if (this.shadowRoot.childNodes.length) return;
      var opts = (this.getAttribute("options") || "").split("|");
      this.shadowRoot.innerHTML = "<style>" + FIELD_CSS + "</style>" +
        '<label for="control" part="label">' + escapeHtml(this.getAttribute("label")) + "</label>" +
        '<select id="control" part="select"><option value="">Choose one</option>' +
        opts.map(function (o) { return "<option>" + escapeHtml(o) + "</option>"; }).join("") +
        "</select>";
      this.select = this.shadowRoot.getElementById("control");
      var self = this;
      this.select.addEventListener("change", function () {
        self.internals.setFormValue(self.select.value);
      });
      this.internals.setFormValue("");
    }
    get value() { return this.select ? this.select.value : ""; }
  }

  class AcmeCheckbox extends HTMLElement {
    static formAssociated = true;
    constructor() {
      super();
      this.internals = this.attachInternals();
      this.attachShadow({ mode: "open" });
    }
    connectedCallback() {
      if (this.shadowRoot.childNodes.length) return;
      // The label text is slotted from the light DOM, as design-system checkboxes do.
      this.shadowRoot.innerHTML = "<style>" +
        ":host { display: block; margin: 8px 0 18px; font-size: 14px; }" +
        "label { display: flex; gap: 10px; align-items: flex-start; cursor: pointer; }" +
        "input { width: 18px; height: 18px; margin: 2px 0 0; accent-color: #5b3cc4; }" +
        ".error { color: #c0264b; font-size: 13px; display: block; }" +
        '</style><label part="base"><input type="checkbox" id="box" part="control">' +
        '<span part="label"><slot></slot></span></label>' +
        '<small class="error" role="alert"></small>';
      this.box = this.shadowRoot.getElementById("box");
      var self = this;
      this.box.addEventListener("change", function () {
        self.internals.setFormValue(self.box.checked ? (self.getAttribute("value") || "on") : null);
        self.shadowRoot.querySelector(".error").textContent = "";
      });
      this.internals.setFormValue(null);
    }
    get checked() { return this.box ? this.box.checked : false; }
    validate() {
      var ok = !this.hasAttribute("required") || this.checked;
      this.shadowRoot.querySelector(".error").textContent = ok ? "" : "Please accept to continue";
      return ok;
    }
  }

  class AcmeButton extends HTMLElement {
    static formAssociated = true;
    constructor() {
      super();
      this.internals = this.attachInternals();
      this.attachShadow({ mode: "open" });
      this.shadowRoot.innerHTML = "<style>" +
        ":host { display: block; }" +
        "button { width: 100%; padding: 12px; border: 0; border-radius: 8px; font: inherit;" +
        "  font-weight: 700; color: #fff; background: #5b3cc4; cursor: pointer; }" +
        "button:hover { background: #4a2fa8; }" +
        '</style><button part="base" type="button"><slot></slot></button>';
      var self = this;
      this.shadowRoot.querySelector("button").addEventListener("click", function () {
        if (self.getAttribute("type") === "submit" && self.internals.form) {
          self.internals.form.requestSubmit();
        }
      });
    }
  }

  class AcmeSignupCard extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: "open" });
    }
    connectedCallback() {
      if (this.shadowRoot.childNodes.length) return;
      this.shadowRoot.innerHTML = "<style>" +
        ":host { display: block; background: #fff; border-radius: 16px; padding: 32px;" +
        "  box-shadow: 0 20px 50px rgba(45, 30, 110, .15); }" +
        "h2 { margin: 0 0 4px; font-size: 22px; } p.sub { margin: 0 0 22px; color: #6a6785; }" +
        ".row { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }" +
        ".banner { padding: 10px 12px; border-radius: 8px; background: #fdecf1; color: #a3173f;" +
        "  margin-bottom: 14px; font-size: 14px; }" +
        "a { color: #5b3cc4; }" +
        "</style>" +
        "<h2>Create your account</h2><p class=\"sub\">Start your 14-day free trial.</p>" +
        '<div class="banner" id="banner" role="alert" hidden></div>' +
        '<form id="signup-form" action="/shadow/register" method="post" novalidate>' +
        '<div class="row">' +
        '<acme-text-field name="first_name" label="First name" autocomplete="given-name" required></acme-text-field>' +
        '<acme-text-field name="last_name" label="Last name" autocomplete="family-name" required></acme-text-field>' +
        "</div>" +
        '<acme-text-field name="email" label="Work email" type="email" autocomplete="email" required></acme-text-field>' +
        '<acme-text-field name="workspace" label="Workspace URL" suffix=".acme.cloud" required' +
        ' pattern="^[a-z0-9-]{3,}$" pattern-message="Use 3+ lowercase letters, digits or dashes"></acme-text-field>' +
        '<acme-select name="company_size" label="Company size" options="Just me|2-10|11-50|51-200|201-1000|1000+"></acme-select>' +
        '<acme-checkbox name="terms" value="accepted" required>I agree to the <a href="#">Terms of Service</a> and <a href="#">Privacy Policy</a></acme-checkbox>' +
        '<acme-button type="submit">Create account</acme-button>' +
        "</form>";
      var root = this.shadowRoot;
      root.getElementById("signup-form").addEventListener("submit", function (e) {
        var ok = true;
        root.querySelectorAll("acme-text-field, acme-checkbox").forEach(function (f) {
          if (!f.validate()) ok = false;
        });
        var banner = root.getElementById("banner");
        if (!ok) {
          e.preventDefault();
          banner.hidden = false;
          banner.textContent = "Please fix the errors below.";
        }
      });
    }
  }

  customElements.define("acme-text-field", AcmeTextField);
  customElements.define("acme-select", AcmeSelect);
  customElements.define("acme-checkbox", AcmeCheckbox);
  customElements.define("acme-button", AcmeButton);
  customElements.define("acme-signup-card", AcmeSignupCard);
})();
