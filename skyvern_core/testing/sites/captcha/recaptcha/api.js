// A stand-in for reCAPTCHA v3's api.js (loaded as api.js?render=SITEKEY): it shows the
// badge and issues a token for each grecaptcha.execute(sitekey, {action}), as the real one
// does after scoring the visit in the background; nobody is asked anything.
(function () {
  const script = document.currentScript;
  const sitekey = new URL(script.src).searchParams.get("render");
  document.addEventListener("DOMContentLoaded", () => {
    const badge = document.createElement("div");
    badge.className = "grecaptcha-badge";
    badge.setAttribute("data-style", "bottomright");
    badge.textContent = "protected by reCAPTCHA · Privacy - Terms";
    document.body.appendChild(badge);
  });
  window.grecaptcha = {
    ready: (fn) => fn(),
    execute: (key, options) => {
      const random = Math.random().toString(36).slice(2);
      return Promise.resolve(`v3.${key === sitekey ? "ok" : "wrong-key"}.${random}`);
    },
  };
})();
