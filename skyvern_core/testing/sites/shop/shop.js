// The category listing: facets with counts, price range, sort, 60 cards then "Load more",
// wishlist hearts, and "Add to cart" through the cart API with an offcanvas confirmation.
(function () {
  "use strict";

  var ALL = window.TRAILHEAD_PRODUCTS;
  var Cart = window.TrailheadCart;
  var PAGE = 60;
  var MORE = 24;
  var WISH_KEY = "th.wishlist";

  var params = new URLSearchParams(window.location.search);
  var state = {
    q: (params.get("q") || "").trim(),
    category: {}, brand: {}, rating: 0, inStock: false, onSale: false,
    min: null, max: null, sort: "featured", limit: PAGE
  };
  var wishlist = JSON.parse(localStorage.getItem(WISH_KEY) || "[]");

  var grid = document.getElementById("product-grid");
  document.getElementById("q").value = state.q;

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function slug(text) { return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/-$/, ""); }
  function count(pred) { return ALL.filter(pred).length; }

  // ------------------------------------------------------------------ facets
  function facetCheckbox(facet, value, label, n) {
    var id = "f-" + facet + "-" + slug(value);
    return '<div class="form-check"><input class="form-check-input" type="checkbox" id="' + id +
      '" data-facet="' + facet + '" value="' + esc(value) + '">' +
      '<label class="form-check-label" for="' + id + '">' + esc(label) + "</label>" +
      '<span class="facet-count">(' + n + ")</span></div>";
  }

  function distinct(key) {
    return ALL.map(function (p) { return p[key]; })
      .filter(function (v, i, all) { return all.indexOf(v) === i; }).sort();
  }

  document.querySelector('[data-facet="category"]').innerHTML = distinct("category").map(function (c) {
    return facetCheckbox("category", c, c, count(function (p) { return p.category === c; }));
  }).join("");
  document.querySelector('[data-facet="brand"]').innerHTML = distinct("brand").map(function (b) {
    return facetCheckbox("brand", b, b, count(function (p) { return p.brand === b; }));
  }).join("");
  document.querySelector('[data-facet="rating"]').innerHTML = [4.5, 4, 3.5].map(function (r) {
    var id = "f-rating-" + String(r).replace(".", "-");
    return '<div class="form-check"><input class="form-check-input" type="radio" name="rating" id="' +
      id + '" value="' + r + '"><label class="form-check-label" for="' + id + '">' +
      '<span class="stars stars-sm" style="--rating:' + r + '" aria-hidden="true"></span> ' + r +
      " &amp; up</label>" + '<span class="facet-count">(' +
      count(function (p) { return p.rating >= r; }) + ")</span></div>";
  }).join("") + '<div class="form-check"><input class="form-check-input" type="radio" name="rating" ' +
    'id="f-rating-any" value="0" checked><label class="form-check-label" for="f-rating-any">Any rating</label></div>';
  document.querySelector('[data-facet="flags"]').innerHTML =
    facetCheckbox("flags", "in-stock", "In stock", count(function (p) { return p.stock !== "out"; })) +
    facetCheckbox("flags", "on-sale", "On sale", count(function (p) { return Boolean(p.oldPrice); }));

  document.getElementById("facets").addEventListener("change", function (e) {
    var input = e.target;
    var facet = input.getAttribute("data-facet");
    if (facet === "category" || facet === "brand") {
      if (input.checked) state[facet][input.value] = true;
      else delete state[facet][input.value];
    } else if (facet === "flags") {
      if (input.value === "in-stock") state.inStock = input.checked;
      if (input.value === "on-sale") state.onSale = input.checked;
    } else if (input.name === "rating") {
      state.rating = Number(input.value);
    } else {
      return;
    }
    state.limit = PAGE;
    render();
  });

  document.getElementById("price-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var min = document.getElementById("price-min").value;
    var max = document.getElementById("price-max").value;
    state.min = min === "" ? null : Number(min);
    state.max = max === "" ? null : Number(max);
    if (state.min !== null && state.max !== null && state.min > state.max) {
      var t = state.min; state.min = state.max; state.max = t;
      document.getElementById("price-min").value = String(state.min);
      document.getElementById("price-max").value = String(state.max);
    }
    state.limit = PAGE;
    render();
  });

  // Accordion sections collapse like Bootstrap's.
  Array.prototype.forEach.call(document.querySelectorAll(".accordion-button"), function (btn) {
    btn.addEventListener("click", function () {
      var open = btn.getAttribute("aria-expanded") === "true";
      btn.setAttribute("aria-expanded", String(!open));
      btn.classList.toggle("collapsed", open);
      document.getElementById(btn.getAttribute("aria-controls")).hidden = open;
    });
  });

  function clearAll() {
    state.category = {}; state.brand = {}; state.rating = 0; state.inStock = false;
    state.onSale = false; state.min = null; state.max = null; state.limit = PAGE;
    Array.prototype.forEach.call(document.querySelectorAll("#facets input[type=checkbox]"),
      function (i) { i.checked = false; });
    document.getElementById("f-rating-any").checked = true;
    document.getElementById("price-min").value = "";
    document.getElementById("price-max").value = "";
    render();
  }
  document.getElementById("clear-all").addEventListener("click", clearAll);
  document.getElementById("no-results-clear").addEventListener("click", clearAll);

  document.getElementById("sort").addEventListener("change", function () {
    state.sort = this.value;
    render();
  });

  // ------------------------------------------------------------------ filtering, sorting
  function matches(p) {
    if (state.q) {
      var hay = (p.name + " " + p.brand + " " + p.category).toLowerCase();
      var words = state.q.toLowerCase().split(/\s+/);
      for (var i = 0; i < words.length; i++) if (hay.indexOf(words[i]) === -1) return false;
    }
    var cats = Object.keys(state.category), brands = Object.keys(state.brand);
    if (cats.length && !state.category[p.category]) return false;
    if (brands.length && !state.brand[p.brand]) return false;
    if (state.rating && p.rating < state.rating) return false;
    if (state.inStock && p.stock === "out") return false;
    if (state.onSale && !p.oldPrice) return false;
    if (state.min !== null && p.price < state.min) return false;
    if (state.max !== null && p.price > state.max) return false;
    return true;
  }

  var ORDER = {};
  ALL.forEach(function (p, i) { ORDER[p.sku] = i; });
  var SORTS = {
    "featured": function (a, b) { return ORDER[a.sku] - ORDER[b.sku]; },
    "price-asc": function (a, b) { return a.price - b.price || ORDER[a.sku] - ORDER[b.sku]; },
    "price-desc": function (a, b) { return b.price - a.price || ORDER[a.sku] - ORDER[b.sku]; },
    "rating": function (a, b) { return b.rating - a.rating || b.reviews - a.reviews; },
    "reviews": function (a, b) { return b.reviews - a.reviews; },
    "discount": function (a, b) { return (b.discount || 0) - (a.discount || 0) || ORDER[a.sku] - ORDER[b.sku]; }
  };

  // ------------------------------------------------------------------ cards
  function card(p) {
    var url = "product.html?sku=" + encodeURIComponent(p.sku);
    var wished = wishlist.indexOf(p.sku) !== -1;
    var out = p.stock === "out";
    var flags = "";
    if (p.discount) flags += '<span class="badge bg-danger discount-badge">-' + p.discount + "%</span>";
    if (p.badge) flags += '<span class="badge bg-light text-dark product-flag">' + esc(p.badge) + "</span>";
    var price = '<span class="price-current' + (p.oldPrice ? " text-danger" : "") + '">' +
      Cart.money(p.price) + "</span>";
    if (p.oldPrice) price += ' <s class="price-old">' + Cart.money(p.oldPrice) + "</s>";
    var stock = "";
    if (p.stock === "low") stock = '<p class="stock-note text-danger">Only ' + p.left + " left</p>";
    if (out) stock = '<p class="stock-note text-muted">Out of stock online</p>';
    return (
      '<div class="col"><article class="card product-card h-100" data-sku="' + p.sku + '">' +
      '<div class="product-media">' +
      '<a href="' + url + '" tabindex="-1" aria-hidden="true"><img class="card-img-top" src="img/' +
      slug(p.category) + '.svg" alt="' + esc(p.name) + '" width="200" height="200" loading="lazy"></a>' +
      flags +
      '<button type="button" class="btn-wishlist' + (wished ? " is-active" : "") + '" title="' +
      (wished ? "Remove from wishlist" : "Add to wishlist") + '" aria-pressed="' + wished + '">' +
      '<svg viewBox="0 0 24 24" class="icon" aria-hidden="true"><path d="M12 21s-8-5.3-8-11a4.5 ' +
      '4.5 0 018-2.8A4.5 4.5 0 0120 10c0 5.7-8 11-8 11z"/></svg></button></div>' +
      '<div class="card-body">' +
      '<p class="product-brand">' + esc(p.brand) + "</p>" +
      '<h2 class="product-title"><a href="' + url + '">' + esc(p.name) + "</a></h2>" +
      '<div class="product-rating"><span class="stars" role="img" aria-label="Rated ' + p.rating +
      ' out of 5 stars" style="--rating:' + p.rating + '"></span>' +
      '<span class="rating-count">(' + p.reviews.toLocaleString("en-US") + ")</span></div>" +
      '<div class="product-price">' + price + "</div>" + stock +
      "</div>" +
      '<div class="card-footer"><button type="button" class="btn btn-primary w-100 add-to-cart"' +
      (out ? " disabled" : "") + ">Add to cart</button></div>" +
      "</article></div>"
    );
  }

  function chips() {
    var out = [];
    function chip(label, remove) { out.push({ label: label, remove: remove }); }
    if (state.q) chip("“" + state.q + "”", function () {
      state.q = ""; document.getElementById("q").value = "";
      history.replaceState(null, "", "index.html");
    });
    Object.keys(state.category).forEach(function (c) {
      chip(c, function () { delete state.category[c]; uncheck("category", c); });
    });
    Object.keys(state.brand).forEach(function (b) {
      chip(b, function () { delete state.brand[b]; uncheck("brand", b); });
    });
    if (state.rating) chip(state.rating + " stars & up", function () {
      state.rating = 0; document.getElementById("f-rating-any").checked = true;
    });
    if (state.inStock) chip("In stock", function () { state.inStock = false; uncheck("flags", "in-stock"); });
    if (state.onSale) chip("On sale", function () { state.onSale = false; uncheck("flags", "on-sale"); });
    if (state.min !== null || state.max !== null) {
      chip((state.min !== null ? "$" + state.min : "$0") + " – " +
        (state.max !== null ? "$" + state.max : "any"), function () {
        state.min = state.max = null;
        document.getElementById("price-min").value = "";
        document.getElementById("price-max").value = "";
      });
    }
    return out;
  }
  function uncheck(facet, value) {
    var box = document.getElementById("f-" + facet + "-" + slug(value));
    if (box) box.checked = false;
  }

  function render() {
    var list = ALL.filter(matches).sort(SORTS[state.sort]);
    var shown = list.slice(0, state.limit);
    grid.innerHTML = shown.map(card).join("");
    document.getElementById("no-results").hidden = list.length > 0;
    document.getElementById("result-count").textContent =
      list.length + (list.length === 1 ? " result" : " results") + (state.q ? " for “" + state.q + "”" : "");
    var box = document.getElementById("load-more-box");
    box.hidden = list.length === 0;
    document.getElementById("viewed-count").textContent =
      "You've viewed " + shown.length + " of " + list.length + " products";
    var bar = document.getElementById("viewed-bar");
    bar.setAttribute("aria-valuenow", String(shown.length));
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", String(list.length));
    bar.firstElementChild.style.width = (list.length ? (100 * shown.length / list.length) : 0) + "%";
    document.getElementById("load-more").hidden = shown.length >= list.length;

    var holder = document.getElementById("active-filters");
    holder.textContent = "";
    chips().forEach(function (c) {
      var el = document.createElement("span");
      el.className = "filter-chip";
      el.textContent = c.label;
      var x = document.createElement("button");
      x.type = "button";
      x.className = "btn-close btn-close-sm";
      x.setAttribute("aria-label", "Remove filter: " + c.label);
      x.addEventListener("click", function () { c.remove(); state.limit = PAGE; render(); });
      el.appendChild(x);
      holder.appendChild(el);
    });
  }

  document.getElementById("load-more").addEventListener("click", function () {
    var btn = this;
    btn.disabled = true;
    btn.textContent = "Loading…";
    // The next page arrives from the API a moment later.
    setTimeout(function () {
      state.limit += MORE;
      btn.disabled = false;
      btn.textContent = "Load more";
      render();
    }, 250);
  });

  // ------------------------------------------------------------------ card buttons
  grid.addEventListener("click", function (e) {
    var heart = e.target.closest(".btn-wishlist");
    var add = e.target.closest(".add-to-cart");
    var sku = (heart || add) && e.target.closest("[data-sku]").getAttribute("data-sku");
    if (heart) toggleWish(heart, sku);
    if (add) addToCart(add, sku);
  });

  function toggleWish(btn, sku) {
    var i = wishlist.indexOf(sku);
    if (i === -1) wishlist.push(sku); else wishlist.splice(i, 1);
    localStorage.setItem(WISH_KEY, JSON.stringify(wishlist));
    var on = i === -1;
    btn.classList.toggle("is-active", on);
    btn.setAttribute("aria-pressed", String(on));
    btn.title = on ? "Remove from wishlist" : "Add to wishlist";
    showWishCount();
    toast(on ? "Saved to your wishlist" : "Removed from your wishlist");
  }
  function showWishCount() {
    var badge = document.getElementById("wishlist-count");
    badge.textContent = String(wishlist.length);
    badge.hidden = wishlist.length === 0;
  }

  function addToCart(btn, sku) {
    var p = Cart.product(sku);
    btn.disabled = true;
    btn.textContent = "Adding…";
    Cart.add(sku, 1).then(function (cart) {
      btn.textContent = "Added ✓";
      setTimeout(function () { btn.disabled = false; btn.textContent = "Add to cart"; }, 1200);
      openPanel(p, cart);
    }).catch(function () {
      btn.disabled = false;
      btn.textContent = "Add to cart";
      toast("Sorry, we couldn't add that to your cart. Please try again.");
    });
  }

  var panel = document.getElementById("cart-panel");
  function openPanel(p, cart) {
    document.getElementById("cart-panel-item").innerHTML =
      '<img src="img/' + slug(p.category) + '.svg" alt="" width="64" height="64">' +
      '<div><p class="mb-0 fw-semibold">' + esc(p.name) + '</p><p class="mb-0 small text-muted">' +
      esc(p.brand) + " · Qty 1</p><p class=\"mb-0\">" + Cart.money(p.price) + "</p></div>";
    var subtotal = cart.items.reduce(function (sum, line) {
      var item = Cart.product(line.sku);
      return sum + (item ? item.price * line.qty : 0);
    }, 0);
    document.getElementById("cart-panel-summary").textContent =
      "Cart subtotal (" + cart.count + (cart.count === 1 ? " item" : " items") + "): " + Cart.money(subtotal);
    document.getElementById("view-cart").textContent = "View cart (" + cart.count + ")";
    panel.hidden = false;
    panel.classList.add("show");
    document.getElementById("cart-panel-close").focus();
  }
  function closePanel() { panel.classList.remove("show"); panel.hidden = true; }
  document.getElementById("cart-panel-close").addEventListener("click", closePanel);
  document.getElementById("keep-shopping").addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") closePanel(); });

  // ------------------------------------------------------------------ page chrome
  document.querySelector(".promo-close").addEventListener("click", function () {
    document.getElementById("promo-bar").remove();
  });
  Array.prototype.forEach.call(document.querySelectorAll(".view-toggle button"), function (btn) {
    btn.addEventListener("click", function () {
      Array.prototype.forEach.call(document.querySelectorAll(".view-toggle button"), function (b) {
        b.classList.toggle("active", b === btn);
        b.setAttribute("aria-pressed", String(b === btn));
      });
      grid.classList.toggle("is-list", btn.getAttribute("data-view") === "list");
    });
  });
  document.getElementById("newsletter").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = this;
    fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)) })
      .then(function () { form.reset(); toast("Thanks! Check your inbox to confirm."); });
  });

  function toast(message) {
    var el = document.createElement("div");
    el.className = "toast show";
    el.setAttribute("role", "status");
    el.textContent = message;
    document.getElementById("toasts").appendChild(el);
    setTimeout(function () { el.remove(); }, 3000);
  }

  showWishCount();
  render();
  Cart.load();
})();
