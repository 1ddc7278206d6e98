// The checkout, built from web components with open shadow roots, some nested. Fields are
// labelled inside their own shadow root; the discount code's buttons sit directly in one.
(function () {
  "use strict";
  var BASE = ":host{display:block;font:15px/1.45 -apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328}" +
    "label{display:block;font-size:13px;color:#4b5563;margin:0 0 4px}" +
    "input:not([type=checkbox]):not([type=radio]),select{width:100%;box-sizing:border-box;height:46px;border:1px solid #d0d5dd;border-radius:6px;padding:0 12px;font:inherit;background:#fff}" +
    ".f{margin-bottom:12px}.row{display:grid;grid-template-columns:1fr 1fr;gap:12px}.row3{display:grid;grid-template-columns:1fr 1fr 1fr;gap:12px}" +
    ".check{display:flex;gap:8px;align-items:center;font-size:14px;color:#1f2328}h2{font-size:19px;font-weight:600;margin:26px 0 12px}";

  function define(name, render) {
    customElements.define(name, class extends HTMLElement {
      connectedCallback() {
        if (this.shadowRoot) return;
        var root = this.attachShadow({ mode: "open" });
        root.innerHTML = "<style>" + BASE + (render.css || "") + "</style>" + render.call(this);
        if (render.wire) render.wire(root, this);
      }
    });
  }

  function contact() {
    return '<div class="f"><label for="email">Email or mobile phone number</label><input id="email" type="email" autocomplete="email"></div>' +
      '<label class="check"><input type="checkbox" id="news" checked> Email me with news and offers</label>';
  }
  define("contact-fields", contact);

  function address() {
    var states = ["Alabama", "Arizona", "California", "Colorado", "Florida", "Georgia", "Illinois", "Massachusetts", "New York", "Oregon", "Texas", "Washington"];
    return '<div class="f"><label for="country">Country/Region</label><select id="country" autocomplete="country"><option>United States</option><option>Canada</option><option>United Kingdom</option></select></div>' +
      '<div class="row"><div class="f"><label for="first">First name</label><input id="first" autocomplete="given-name"></div>' +
      '<div class="f"><label for="last">Last name</label><input id="last" autocomplete="family-name"></div></div>' +
      '<div class="f"><label for="address1">Address</label><input id="address1" autocomplete="address-line1"></div>' +
      '<div class="f"><label for="address2">Apartment, suite, etc. (optional)</label><input id="address2" autocomplete="address-line2"></div>' +
      '<div class="row3"><div class="f"><label for="city">City</label><input id="city" autocomplete="address-level2"></div>' +
      '<div class="f"><label for="state">State</label><select id="state"><option value="">State</option>' + states.map(function (s) { return "<option>" + s + "</option>"; }).join("") + '</select></div>' +
      '<div class="f"><label for="zip">ZIP code</label><input id="zip" inputmode="numeric" autocomplete="postal-code"></div></div>' +
      '<div class="f"><label for="phone">Phone (optional)</label><input id="phone" type="tel" autocomplete="tel"></div>';
  }
  define("address-fields", address);

  function card() {
    return '<div class="box"><div class="f"><label for="cc-number">Card number</label><input id="cc-number" inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234"></div>' +
      '<div class="row"><div class="f"><label for="cc-exp">Expiration date (MM / YY)</label><input id="cc-exp" autocomplete="cc-exp"></div>' +
      '<div class="f"><label for="cc-cvc">Security code</label><input id="cc-cvc" inputmode="numeric" autocomplete="cc-csc"></div></div>' +
      '<div class="f"><label for="cc-name">Name on card</label><input id="cc-name" autocomplete="cc-name"></div></div>';
  }
  card.css = ".box{border:1px solid #d0d5dd;border-radius:8px;padding:14px;background:#fafafa}";
  define("card-fields", card);

  // The discount field and its two buttons are children of the shadow root itself.
  function discount() {
    return '<input id="code" placeholder="Discount code or gift card" aria-label="Discount code or gift card">' +
      '<button type="button" id="apply">Apply</button><button type="button" id="remove" disabled>Remove</button>' +
      '<p id="msg" role="status"></p>';
  }
  discount.css = ":host{display:grid;grid-template-columns:1fr auto auto;gap:8px;align-items:center}" +
    "button{height:46px;padding:0 16px;border-radius:6px;border:1px solid #d0d5dd;background:#f3f4f6;font:inherit;font-weight:600;cursor:pointer}" +
    "button:disabled{color:#9ca3af;cursor:default}#msg{grid-column:1/-1;margin:0;font-size:13px;color:#047857}#msg:empty{display:none}[hidden]{display:none}";
  discount.wire = function (root, host) {
    root.getElementById("apply").addEventListener("click", function () {
      var code = root.getElementById("code").value.trim().toUpperCase();
      if (!code) return;
      root.getElementById("msg").textContent = code === "WELCOME10" ? "WELCOME10 applied: −10%" : "Enter a valid discount code or gift card";
      root.getElementById("remove").disabled = code !== "WELCOME10";
      host.dispatchEvent(new CustomEvent("discount", { bubbles: true, composed: true, detail: code === "WELCOME10" ? 0.1 : 0 }));
    });
    root.getElementById("remove").addEventListener("click", function () {
      root.getElementById("code").value = "";
      root.getElementById("msg").textContent = "";
      root.getElementById("remove").disabled = true;
      host.dispatchEvent(new CustomEvent("discount", { bubbles: true, composed: true, detail: 0 }));
    });
  };
  define("discount-code", discount);

  function checkout() {
    return '<h2 id="contact-h">Contact</h2><contact-fields></contact-fields>' +
      '<h2>Delivery</h2><address-fields></address-fields>' +
      '<h2>Shipping method</h2><fieldset class="ship">' +
      '<label class="opt"><input type="radio" name="ship" value="standard" checked><span>Standard (5–7 business days)</span><b>Free</b></label>' +
      '<label class="opt"><input type="radio" name="ship" value="express"><span>Express (2 business days)</span><b>$14.00</b></label>' +
      '<label class="opt"><input type="radio" name="ship" value="overnight"><span>Overnight</span><b>$29.00</b></label></fieldset>' +
      '<h2>Payment</h2><p class="note">All transactions are secure and encrypted.</p><card-fields></card-fields>' +
      '<label class="check billing"><input type="checkbox" id="same-billing" checked> Use shipping address as billing address</label>' +
      '<div class="actions"><a href="#cart" class="back">‹ Return to cart</a><button type="button" class="pay" id="pay">Pay now</button></div>';
  }
  checkout.css = ".ship{border:1px solid #d0d5dd;border-radius:8px;padding:0;margin:0}" +
    ".opt{display:flex;gap:10px;align-items:center;padding:14px;margin:0;font-size:15px;color:#1f2328;border-bottom:1px solid #e5e7eb}.opt:last-child{border-bottom:0}.opt span{flex:1}" +
    ".note{color:#6b7280;font-size:14px;margin:-6px 0 10px}.billing{margin:14px 0}" +
    ".actions{display:flex;justify-content:space-between;align-items:center;margin-top:20px}.back{color:#1d4ed8;text-decoration:none}" +
    ".pay{height:56px;padding:0 34px;border:0;border-radius:6px;background:#1d4ed8;color:#fff;font:inherit;font-weight:700;font-size:17px;cursor:pointer}";
  define("nimbus-checkout", checkout);

  function summary() {
    var lines = window.CART.map(function (it) {
      return '<li class="line"><span class="thumb" aria-hidden="true"><span class="qty">' + it.qty + '</span></span>' +
        '<span class="desc"><span class="name">' + it.name + '</span><span class="variant">' + it.variant + '</span>' +
        '<span class="sr">Quantity ' + it.qty + '</span></span><span class="price">' + it.price + '</span></li>';
    }).join("");
    return '<h2 class="sr">Order summary</h2><ul class="lines">' + lines + '</ul><discount-code></discount-code>' +
      '<dl class="totals"><div><dt>Subtotal</dt><dd id="subtotal">$274.00</dd></div><div id="disc-row" hidden><dt>Discount</dt><dd id="disc">−$27.40</dd></div>' +
      '<div><dt>Shipping</dt><dd>Free</dd></div><div><dt>Estimated taxes</dt><dd>$22.61</dd></div>' +
      '<div class="total"><dt>Total</dt><dd><small>USD</small> <span id="total">$296.61</span></dd></div></dl>';
  }
  summary.css = ".lines{list-style:none;margin:0 0 18px;padding:0}.line{display:flex;gap:14px;align-items:center;margin-bottom:14px}" +
    ".thumb{position:relative;width:64px;height:64px;border-radius:8px;background:#e5e7eb;border:1px solid #d0d5dd;flex:none}" +
    ".qty{position:absolute;top:-8px;right:-8px;background:#6b7280;color:#fff;border-radius:10px;font-size:12px;padding:0 7px}" +
    ".desc{flex:1;display:flex;flex-direction:column}.name{font-weight:600}.variant{color:#6b7280;font-size:13px}.price{font-weight:500}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0,0,0,0)}" +
    ".totals{margin:18px 0 0}.totals div{display:flex;justify-content:space-between;padding:4px 0}.totals dd{margin:0}.total{font-size:19px;font-weight:700;padding-top:12px!important}[hidden]{display:none!important}";
  summary.wire = function (root) {
    document.addEventListener("discount", function (e) {
      var off = 274 * e.detail;
      root.getElementById("disc-row").hidden = !off;
      root.getElementById("total").textContent = "$" + (296.61 - off).toFixed(2);
    });
  };
  define("order-summary", summary);
})();
