// Puts a solver's answer into the page, as the real widget would.
//
// ONE function expression, called in the top document with {challenge, token, text}:
// a token goes into every response field of the challenge's kind (made in the widget's
// form if the page has none), with input and change events, then the widget's callback
// (its data-callback, a global function name) is called with it, as the provider's script
// does once a person passed; a text goes into the image challenge's field, as typed.
// Resolves to {applied, callback}.
(arg) => {
  const { challenge, token, text } = arg;
  const setValue = (el, value) => {
    const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement : HTMLInputElement;
    const setter = Object.getOwnPropertyDescriptor(proto.prototype, "value").set;
    setter.call(el, value);
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  };
  if (challenge.kind === "image") {
    let input = challenge.inputId ? document.getElementById(challenge.inputId) : null;
    if (!input && challenge.inputName) input = document.querySelector(`[name="${challenge.inputName}"]`);
    if (!input || text == null) return { applied: false, callback: false };
    setValue(input, text);
    return { applied: true, callback: false };
  }
  if (token == null) return { applied: false, callback: false };
  const name = challenge.responseField;
  let fields = [...document.querySelectorAll(`textarea[name="${name}"], input[name="${name}"]`)];
  if (!fields.length) {
    const selector = challenge.sitekey ? `[data-sitekey="${challenge.sitekey}"]` : null;
    const widget = (selector && document.querySelector(selector)) || null;
    const form = (widget && widget.closest("form")) || document.querySelector("form");
    if (!form) return { applied: false, callback: false };
    const field = document.createElement("textarea");
    field.name = name;
    field.style.display = "none";
    (widget || form).appendChild(field);
    fields = [field];
  }
  for (const field of fields) setValue(field, token);
  let called = false;
  if (challenge.callback) {
    let fn = window;
    for (const part of challenge.callback.split(".")) fn = fn == null ? null : fn[part];
    if (typeof fn === "function") {
      fn(token);
      called = true;
    }
  }
  return { applied: true, callback: called };
}
