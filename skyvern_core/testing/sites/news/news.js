// The homepage's dynamic parts: secondary stories, the markets table (about 600 rows,
// four controls each: the page ends up with well over 2,000 interactable elements) and
// the footer's link farm. The data is generated from a fixed seed, so it never changes.
(function () {
  "use strict";

  var seed = 20240917;
  function rand() {
    // A small LCG: deterministic numbers without a library.
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  }

  document.getElementById("today").textContent = "Tuesday, September 17, 2024";

  // The hover menu is pure CSS; keep aria-expanded honest for assistive technology.
  var menuItem = document.querySelector(".has-menu");
  var sections = document.getElementById("sections-button");
  menuItem.addEventListener("mouseenter", function () { sections.setAttribute("aria-expanded", "true"); });
  menuItem.addEventListener("mouseleave", function () { sections.setAttribute("aria-expanded", "false"); });

  var HEADLINES = [
    "Central bank holds rates, signals two cuts before spring",
    "The quiet return of the night train across Europe",
    "Chipmakers race to build factories as subsidies arrive",
    "City council approves plan for 40 km of protected bike lanes",
    "Inside the lab trying to grow coffee without coffee plants",
    "Drought pushes olive oil prices to a new high",
    "A century-old shipwreck is found in the Great Lakes",
    "Why your next phone might be repaired, not replaced"
  ];
  var secondary = document.getElementById("secondary-stories");
  HEADLINES.forEach(function (h, i) {
    var a = document.createElement("article");
    a.innerHTML = '<h3><a href="article.html">' + h + "</a></h3>" +
      '<div class="meta">' + (i + 2) + " min read</div>" +
      '<div class="actions"><button type="button">Save</button>' +
      '<button type="button">Share</button></div>';
    secondary.appendChild(a);
  });

  var SYL = ["Al", "Bri", "Cor", "Dyn", "El", "Fa", "Gen", "Hel", "Ion", "Jun", "Kel", "Lum",
    "Mer", "Nov", "Or", "Pax", "Qu", "Ros", "Sol", "Tri", "Ul", "Ver", "Wex", "Zen"];
  var SUF = ["Systems", "Holdings", "Energy", "Bank", "Foods", "Motors", "Labs", "Pharma",
    "Logistics", "Media", "Retail", "Mining"];
  var body = document.getElementById("quotes-body");
  var rows = [];
  for (var i = 0; i < 600; i++) {
    var name = SYL[Math.floor(rand() * SYL.length)] + SYL[Math.floor(rand() * SYL.length)]
      .toLowerCase() + " " + SUF[Math.floor(rand() * SUF.length)];
    var sym = (name.replace(/[^A-Z]/g, "") + name.slice(1, 3).toUpperCase()).slice(0, 4) + i;
    var last = (5 + rand() * 495).toFixed(2);
    var ch = ((rand() - 0.5) * 8).toFixed(2);
    rows.push(
      "<tr><td><a href=\"search.html?q=" + sym + "\">" + sym + "</a></td><td>" + name +
      "</td><td>" + last + '</td><td class="' + (ch >= 0 ? "up" : "down") + '">' +
      (ch >= 0 ? "+" : "") + ch + '%</td><td><button type="button" aria-pressed="false" ' +
      'aria-label="Watch ' + sym + '">Watch</button></td><td><input type="checkbox" ' +
      'aria-label="Price alert for ' + sym + '"></td><td><a href="search.html?q=' + sym +
      '+chart">Chart</a></td></tr>'
    );
  }
  body.innerHTML = rows.join("");
  body.addEventListener("click", function (e) {
    if (e.target.tagName === "BUTTON") {
      var on = e.target.getAttribute("aria-pressed") !== "true";
      e.target.setAttribute("aria-pressed", String(on));
      e.target.textContent = on ? "Watching" : "Watch";
    }
  });

  var footer = document.getElementById("footer-links");
  var topics = ["Africa", "Americas", "Asia", "Australia", "Europe", "Middle East", "Economy",
    "Tech", "Media", "Health", "Climate", "Education", "Books", "Film", "Music", "Travel",
    "Food", "Style", "Real estate", "Obituaries", "Crosswords", "Corrections", "Contact",
    "Careers", "Advertise", "Terms", "Privacy", "Accessibility", "Sitemap", "Help"];
  footer.innerHTML = topics.map(function (t) {
    return '<a href="search.html?q=' + encodeURIComponent(t) + '">' + t + "</a>";
  }).join("");
})();
