// CAPTCHA detection: which challenges the top document shows.
//
// ONE function expression, called by the driver in the top document with no argument; it
// resolves to a list of challenges, each:
//
//   {kind, sitekey, responseField, callback, solved, visible, imageBase64, imageType,
//    imageSrc, inputName, inputId}
//
// kind: "recaptcha_v2" (the checkbox or invisible widget), "recaptcha_v3" (the badge of the
// score-based, invisible kind), "hcaptcha", "turnstile" (Cloudflare) or "image" (a picture
// of characters to type into a field). The widgets are found by their containers
// (.g-recaptcha, .h-captcha, .cf-turnstile with data-sitekey), their frames (by the
// provider's address) and their response fields; `solved` says whether the response field
// already holds a token (or the image's field a value). For an image challenge the image
// itself is read (same-origin, with the page's cookies) for the solver.
async () => {
  const found = [];
  const seen = new Set();
  const shown = (el) => {
    if (!el || !el.isConnected) return false;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const param = (src, name) => {
    try {
      return new URL(src, location.href).searchParams.get(name);
    } catch (e) {
      return null;
    }
  };
  const fieldValue = (name, root) => {
    const scope = root || document;
    const fields = scope.querySelectorAll(`textarea[name="${name}"], input[name="${name}"]`);
    for (const f of fields) if (f.value) return f.value;
    return "";
  };
  const add = (kind, sitekey, responseField, container, extra) => {
    const key = `${kind}|${sitekey || ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    const root = container && container.closest("form");
    found.push(Object.assign({
      kind,
      sitekey: sitekey || null,
      responseField,
      callback: (container && container.getAttribute("data-callback")) || null,
      solved: responseField ? Boolean(fieldValue(responseField, root) || fieldValue(responseField)) : false,
      visible: shown(container),
      imageBase64: null,
      imageType: null,
      imageSrc: null,
      inputName: null,
      inputId: null,
    }, extra || {}));
  };
  const frames = [...document.querySelectorAll("iframe[src]")];
  const frameOf = (pattern) => frames.filter((f) => pattern.test(f.getAttribute("src") || ""));

  // reCAPTCHA: the widget (v2), or only the badge / api.js?render=KEY (v3).
  for (const el of document.querySelectorAll(".g-recaptcha[data-sitekey], [data-recaptcha-sitekey]")) {
    const key = el.getAttribute("data-sitekey") || el.getAttribute("data-recaptcha-sitekey");
    add("recaptcha_v2", key, "g-recaptcha-response", el);
  }
  for (const f of frameOf(/\/recaptcha\/(api2|enterprise)\/anchor/)) {
    const key = param(f.getAttribute("src"), "k");
    if (param(f.getAttribute("src"), "size") === "invisible" && !f.closest(".g-recaptcha")) {
      add("recaptcha_v3", key, "g-recaptcha-response", f.closest(".grecaptcha-badge") || f);
    } else {
      add("recaptcha_v2", key, "g-recaptcha-response", f.closest(".g-recaptcha") || f);
    }
  }
  if (!found.some((c) => c.kind === "recaptcha_v2")) {
    const badge = document.querySelector(".grecaptcha-badge");
    let key = badge && badge.getAttribute("data-sitekey");
    for (const s of document.querySelectorAll("script[src*='recaptcha/api.js'], script[src*='recaptcha/enterprise.js']")) {
      const render = param(s.getAttribute("src"), "render");
      if (render && render !== "explicit") key = key || render;
    }
    if (badge || key) add("recaptcha_v3", key, "g-recaptcha-response", badge);
  }

  // hCaptcha.
  for (const el of document.querySelectorAll(".h-captcha[data-sitekey]")) {
    add("hcaptcha", el.getAttribute("data-sitekey"), "h-captcha-response", el);
  }
  for (const f of frameOf(/hcaptcha\.com/)) {
    add("hcaptcha", param(f.getAttribute("src"), "sitekey"), "h-captcha-response", f.closest(".h-captcha") || f);
  }

  // Cloudflare Turnstile.
  for (const el of document.querySelectorAll(".cf-turnstile[data-sitekey]")) {
    add("turnstile", el.getAttribute("data-sitekey"), "cf-turnstile-response", el);
  }
  if (!found.some((c) => c.kind === "turnstile")) {
    for (const f of frameOf(/challenges\.cloudflare\.com/)) {
      add("turnstile", null, "cf-turnstile-response", f.closest(".cf-turnstile") || f);
    }
  }

  // A plain image challenge: a picture named like a CAPTCHA and the field its text goes to.
  const named = (el, words) => {
    const text = ["id", "name", "class", "alt", "src", "placeholder", "aria-label", "title"]
      .map((a) => el.getAttribute(a) || "").join(" ").toLowerCase();
    return words.some((w) => text.includes(w));
  };
  for (const img of document.querySelectorAll("img")) {
    if (!named(img, ["captcha"]) || !shown(img)) continue;
    const scope = img.closest("form") || document;
    const inputs = [...scope.querySelectorAll("input:not([type=hidden]):not([type=submit]):not([type=button])")];
    const input = inputs.find((i) => named(i, ["captcha", "characters", "security code"]) ||
      (i.labels && [...i.labels].some((l) => /captcha|characters/i.test(l.textContent || ""))));
    let imageBase64 = null;
    let imageType = null;
    try {
      const answer = await fetch(img.currentSrc || img.src, { credentials: "include" });
      const bytes = new Uint8Array(await answer.arrayBuffer());
      let binary = "";
      for (let i = 0; i < bytes.length; i += 0x8000) {
        binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      }
      imageBase64 = btoa(binary);
      imageType = (answer.headers.get("content-type") || "").split(";")[0] || null;
    } catch (e) {
      // Unreadable (another origin without CORS): the solver gets its address alone.
    }
    const key = `image|${img.currentSrc || img.src}`;
    if (seen.has(key)) continue;
    seen.add(key);
    found.push({
      kind: "image",
      sitekey: null,
      responseField: null,
      callback: null,
      solved: Boolean(input && input.value),
      visible: true,
      imageBase64,
      imageType,
      imageSrc: img.currentSrc || img.src,
      inputName: (input && input.getAttribute("name")) || null,
      inputId: (input && input.id) || null,
    });
  }
  return found;
}
