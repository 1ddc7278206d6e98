// Stand-ins for the CAPTCHA widgets (reCAPTCHA v2, hCaptcha, Cloudflare Turnstile), drawn
// and behaving like the real ones without reaching their providers. Each container (with
// its data-sitekey and data-callback, as a site embeds the real one) gets a hidden response
// field, named as the provider names it, and an "I'm not a robot" check. Checking it opens
// a picture puzzle whose every answer is "Please try again": what an automated browser
// meets. A solver's token put into the response field, with the data-callback called, is
// what passes it, as with the real widgets; the site's backend then checks the token.
(function () {
  const kinds = [
    [".g-recaptcha", "g-recaptcha-response", "I'm not a robot", "reCAPTCHA · Privacy - Terms"],
    [".h-captcha", "h-captcha-response", "I am human", "hCaptcha · Privacy - Terms"],
    [".cf-turnstile", "cf-turnstile-response", "Verify you are human", "Cloudflare · Privacy"],
  ];
  const responses = {};
  for (const [selector, field, label, brand] of kinds) {
    for (const box of document.querySelectorAll(selector)) {
      box.classList.add("captcha-widget");
      box.innerHTML =
        '<label class="captcha-check"><input type="checkbox" class="captcha-box"> ' + label +
        '</label><span class="captcha-brand">' + brand + '</span>' +
        '<div class="captcha-puzzle" hidden><p>Select all squares with traffic lights</p>' +
        '<div class="grid">' + '<button type="button" aria-label="Square"></button>'.repeat(9) +
        '</div><button type="button" class="captcha-verify">Verify</button>' +
        '<p class="captcha-msg" role="alert"></p></div>';
      const response = document.createElement("textarea");
      response.name = field;
      response.id = field;
      response.style.display = "none";
      box.appendChild(response);
      responses[field] = response;
      const check = box.querySelector(".captcha-box");
      const puzzle = box.querySelector(".captcha-puzzle");
      check.addEventListener("change", () => {
        check.checked = false;
        puzzle.hidden = false;
      });
      box.querySelector(".captcha-verify").addEventListener("click", () => {
        box.querySelector(".captcha-msg").textContent = "Please try again.";
      });
    }
  }
  const api = (field) => ({
    getResponse: () => (responses[field] ? responses[field].value : ""),
    reset: () => { if (responses[field]) responses[field].value = ""; },
  });
  window.grecaptcha = window.grecaptcha || api("g-recaptcha-response");
  window.hcaptcha = api("h-captcha-response");
  window.turnstile = api("cf-turnstile-response");
})();

// The page's own callback, named in data-callback: the widget was passed.
function onCaptchaPassed(token) {
  for (const button of document.querySelectorAll("button.send")) button.disabled = false;
  for (const box of document.querySelectorAll(".captcha-widget")) {
    const check = box.querySelector(".captcha-check");
    if (check) check.outerHTML = '<span class="captcha-passed">&#10004; Verified</span>';
    const puzzle = box.querySelector(".captcha-puzzle");
    if (puzzle) puzzle.hidden = true;
  }
}

if (new URLSearchParams(location.search).get("error") === "captcha") {
  document.addEventListener("DOMContentLoaded", () => {
    const note = document.getElementById("form-error");
    if (note) note.textContent = "Please complete the CAPTCHA to send your request.";
  });
}
