// The flights of the searched route and day; "Select" carries the choice to the passengers page.
(function () {
  "use strict";

  var S = window.SkyReach;
  var q = new URLSearchParams(window.location.search);
  var from = q.get("from") || "", to = q.get("to") || "", depart = q.get("depart") || "";
  var cabin = S.CABINS[q.get("cabin")] ? q.get("cabin") : "economy";
  var adults = Math.max(1, Math.min(4, Number(q.get("adults")) || 1));
  var list = document.getElementById("flights");

  if (!from || !to || !S.parseIso(depart)) {
    document.getElementById("select-error").hidden = false;
    return;
  }

  var flights = S.flights(from, to, depart, cabin);
  function minutes(d) { var p = d.split(/h |m/); return Number(p[0]) * 60 + Number(p[1]); }

  Promise.all([S.airport(from), S.airport(to)]).then(function (found) {
    var a = found[0], b = found[1];
    var fromLabel = a ? a.city + " (" + a.code + ")" : from;
    var toLabel = b ? b.city + " (" + b.code + ")" : to;
    document.title = fromLabel + " to " + toLabel + " – SkyReach";
    document.getElementById("route-title").textContent = fromLabel + " → " + toLabel;
    document.getElementById("route-meta").textContent = S.longDate(depart) + " · " + adults +
      (adults === 1 ? " adult" : " adults") + " · " + S.CABINS[cabin].label;
    render();
  });

  document.getElementById("sort-flights").addEventListener("change", render);

  function render() {
    var by = document.getElementById("sort-flights").value;
    var sorted = flights.slice().sort(function (x, y) {
      if (by === "price") return x.fare - y.fare;
      if (by === "duration") return minutes(x.duration) - minutes(y.duration);
      return x.depart < y.depart ? -1 : 1;
    });
    document.getElementById("result-count").textContent = sorted.length + " flights · prices per adult, taxes included";
    list.innerHTML = sorted.map(function (f) {
      var next = new URLSearchParams(q);
      next.set("cabin", cabin);
      next.set("flight", f.number.replace(" ", ""));
      next.set("dep_time", f.depart);
      next.set("arr_time", f.arrive);
      next.set("fare", f.fare.toFixed(2));
      return '<li class="sr-flight mdc-card">' +
        '<div class="sr-flight__times"><span class="sr-flight__time">' + f.depart + "</span>" +
        '<span class="sr-flight__line" aria-hidden="true"></span><span class="sr-flight__time">' + f.arrive +
        (f.nextDay ? '<sup title="Arrives the next day">+1</sup>' : "") + "</span></div>" +
        '<div class="sr-flight__meta"><span>' + from + " – " + to + "</span><span>" + f.duration + "</span>" +
        "<span>" + (f.stops ? "1 stop (" + f.via + ")" : "Nonstop") + "</span>" +
        '<span class="sr-muted">SkyReach Air · ' + f.number + "</span></div>" +
        '<div class="sr-flight__price"><span class="sr-price">' + S.money(f.fare) + "</span>" +
        '<span class="sr-muted">' + S.CABINS[cabin].label + "</span>" +
        '<a class="mdc-button mdc-button--raised" href="passengers.html?' + next.toString() +
        '"><span class="mdc-button__label">Select</span></a></div></li>';
    }).join("");
  }
})();
