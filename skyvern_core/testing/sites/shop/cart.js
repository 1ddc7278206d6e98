// The shopper's cart, kept by the store's API under a cart id cookie (shared by the pages).
(function () {
  "use strict";

  var COOKIE = "th_cart";
  var match = document.cookie.match(/(?:^|;\s*)th_cart=([^;]+)/);
  if (!match) {
    var id = "c" + Math.random().toString(36).slice(2, 12);
    document.cookie = COOKIE + "=" + id + "; path=/; SameSite=Lax";
  }

  var money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  var bySku = {};
  (window.TRAILHEAD_PRODUCTS || []).forEach(function (p) { bySku[p.sku] = p; });

  function showCount(count) {
    var badge = document.getElementById("cart-count");
    if (!badge) return;
    badge.textContent = String(count);
    badge.parentElement.setAttribute("title", "Cart, " + count + (count === 1 ? " item" : " items"));
  }

  window.TrailheadCart = {
    money: function (n) { return money.format(n); },
    product: function (sku) { return bySku[sku]; },
    /** GET the cart; resolves to {count, items: [{sku, qty}]}. */
    load: function () {
      return fetch("/shop/api/cart", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (cart) { showCount(cart.count); return cart; });
    },
    /** POST one line to the cart; resolves to the cart as the API returns it. */
    add: function (sku, qty) {
      return fetch("/shop/api/cart", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sku: sku, qty: qty || 1 })
      }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }).then(function (cart) { showCount(cart.count); return cart; });
    }
  };
})();
