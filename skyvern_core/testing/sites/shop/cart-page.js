// The cart page: the lines the cart API holds for this shopper.
(function () {
  "use strict";

  var Cart = window.TrailheadCart;
  document.querySelector(".promo-close").addEventListener("click", function () {
    document.getElementById("promo-bar").remove();
  });
  Cart.load().then(function (cart) {
    var body = document.getElementById("cart-lines");
    var subtotal = 0;
    cart.items.forEach(function (line) {
      var p = Cart.product(line.sku);
      if (!p) return;
      subtotal += p.price * line.qty;
      var tr = document.createElement("tr");
      [p.name, p.sku, String(line.qty), Cart.money(p.price), Cart.money(p.price * line.qty)]
        .forEach(function (text, i) {
          var td = document.createElement("td");
          if (i >= 2) td.className = "num";
          td.textContent = text;
          tr.appendChild(td);
        });
      body.appendChild(tr);
    });
    document.getElementById("cart-subtotal").textContent = Cart.money(subtotal);
    document.getElementById("cart-table").hidden = cart.items.length === 0;
    document.getElementById("cart-empty").hidden = cart.items.length > 0;
  });
})();
