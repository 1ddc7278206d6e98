// One product's page (product.html?sku=TH-10240), with a quantity and "Add to cart".
(function () {
  "use strict";

  var Cart = window.TrailheadCart;
  var sku = new URLSearchParams(window.location.search).get("sku") || "";
  var p = Cart.product(sku);
  document.querySelector(".promo-close").addEventListener("click", function () {
    document.getElementById("promo-bar").remove();
  });
  Cart.load();
  if (!p) { document.getElementById("missing").hidden = false; return; }
  var slug = p.category.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  document.title = p.name + " | " + p.brand + " | Trailhead Outfitters";
  document.getElementById("detail").hidden = false;
  document.getElementById("crumb").textContent = p.name;
  document.getElementById("pd-image").src = "img/" + slug + ".svg";
  document.getElementById("pd-image").alt = p.name;
  document.getElementById("pd-brand").textContent = p.brand;
  document.getElementById("pd-name").textContent = p.name;
  var stars = document.getElementById("pd-stars");
  stars.style.setProperty("--rating", String(p.rating));
  stars.setAttribute("aria-label", "Rated " + p.rating + " out of 5 stars");
  document.getElementById("pd-reviews").textContent = p.reviews.toLocaleString("en-US") + " reviews";
  document.getElementById("pd-price").innerHTML = '<span class="price-current">' + Cart.money(p.price) +
    "</span>" + (p.oldPrice ? ' <s class="price-old">' + Cart.money(p.oldPrice) + "</s>" : "");
  document.getElementById("pd-sku").textContent = p.sku;
  document.getElementById("pd-copy").textContent = p.brand + "'s " + p.name.toLowerCase() +
    " is built for three-season trips and backed by our 1-year satisfaction guarantee.";
  var add = document.getElementById("pd-add");
  if (p.stock === "out") { add.disabled = true; add.textContent = "Out of stock online"; }
  add.addEventListener("click", function () {
    var qty = Number(document.getElementById("qty").value);
    add.disabled = true;
    Cart.add(p.sku, qty).then(function (cart) {
      add.disabled = false;
      document.getElementById("pd-added").textContent = "Added " + qty + " to your cart (" +
        cart.count + (cart.count === 1 ? " item" : " items") + ").";
    });
  });
})();
