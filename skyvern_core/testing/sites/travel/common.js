// Shared by the SkyReach pages: formatting, the airport API, the flight schedule, cookies.
(function () {
  "use strict";

  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  var DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  var money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

  function pad(n) { return String(n).padStart(2, "0"); }
  function parseIso(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
  }
  function iso(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }

  // A stable number from a string, so a route always gets the same flights.
  function hash(text) {
    var h = 2166136261;
    for (var i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 16777619); }
    return h >>> 0;
  }

  var CABINS = {
    economy: { label: "Economy / Coach", factor: 1 },
    premium: { label: "Premium Economy", factor: 1.65 },
    business: { label: "Business / Club", factor: 3.4 },
    first: { label: "First", factor: 5.2 }
  };
  var HUBS = ["FRA", "AMS", "CDG", "MUC", "ZRH", "CPH"];

  window.SkyReach = {
    MONTHS: MONTHS,
    DAYS: DAYS,
    CABINS: CABINS,
    pad: pad,
    iso: iso,
    parseIso: parseIso,
    money: function (n) { return money.format(n); },
    esc: function (text) {
      return String(text).replace(/[&<>"']/g, function (c) {
        return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
      });
    },
    today: function () { var d = new Date(); return new Date(d.getFullYear(), d.getMonth(), d.getDate()); },
    /** "2025-07-14" -> "Mon, Jul 14, 2025" */
    longDate: function (value) {
      var d = parseIso(value);
      if (!d) return value || "";
      return DAYS[d.getDay()].slice(0, 3) + ", " + MONTHS[d.getMonth()].slice(0, 3) + " " +
        d.getDate() + ", " + d.getFullYear();
    },
    /** "07/14/2025" -> "2025-07-14", or "" when it is no real date */
    usToIso: function (text) {
      var m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text || "");
      if (!m) return "";
      var d = new Date(Number(m[3]), Number(m[1]) - 1, Number(m[2]));
      if (d.getMonth() !== Number(m[1]) - 1 || d.getDate() !== Number(m[2])) return "";
      return iso(d);
    },
    isoToUs: function (value) {
      var d = parseIso(value);
      return d ? pad(d.getMonth() + 1) + "/" + pad(d.getDate()) + "/" + d.getFullYear() : "";
    },
    /** GET /travel/api/cities: {code} -> the airport, or null */
    airport: function (code) {
      return fetch("/travel/api/cities?code=" + encodeURIComponent(code))
        .then(function (r) { return r.json(); })
        .then(function (data) { return data.results[0] || null; });
    },
    /** The day's flights of a route, always the same for the same route and day. */
    flights: function (from, to, day, cabin) {
      var seed = hash(from + to + day);
      var factor = (CABINS[cabin] || CABINS.economy).factor;
      var out = [];
      for (var i = 0; i < 6; i++) {
        var r = hash(seed + ":" + i);
        var depMin = 6 * 60 + ((r % 15) * 60) + (r % 4) * 15;
        var stops = i < 2 ? 0 : (r % 3 === 0 ? 0 : 1);
        var dur = 95 + (r % 140) + stops * (70 + (r % 50));
        var arrMin = depMin + dur;
        var base = 89 + (r % 260) + (stops ? -25 : 40);
        out.push({
          number: "SR " + (1000 + (r % 8999)),
          depart: pad(Math.floor(depMin / 60) % 24) + ":" + pad(depMin % 60),
          arrive: pad(Math.floor(arrMin / 60) % 24) + ":" + pad(arrMin % 60),
          nextDay: arrMin >= 24 * 60,
          duration: Math.floor(dur / 60) + "h " + pad(dur % 60) + "m",
          stops: stops,
          via: stops ? HUBS[r % HUBS.length] : "",
          fare: Math.round(base * factor) + 0.99
        });
      }
      out.sort(function (a, b) { return a.depart < b.depart ? -1 : 1; });
      return out;
    }
  };

  // ------------------------------------------------------------------ cookie banner
  document.addEventListener("DOMContentLoaded", function () {
    var banner = document.getElementById("cookie-banner");
    if (!banner) return;
    if (localStorage.getItem("sr.cookies")) { banner.remove(); return; }
    banner.hidden = false;
    banner.addEventListener("click", function (e) {
      var btn = e.target.closest("[data-consent]");
      if (!btn) return;
      localStorage.setItem("sr.cookies", btn.getAttribute("data-consent"));
      banner.remove();
    });
  });
})();
