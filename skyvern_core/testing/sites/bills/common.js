// Formatting shared by the Ledgerly pages (the bills list and the pay form).
(function () {
  "use strict";

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
    "Dec"];
  var money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

  window.Ledgerly = {
    /** 1796 -> "$1,796.00" */
    money: function (amount) { return money.format(amount); },
    /** 1796 -> "1,796.00" (an amount field's text, the currency sign is beside it) */
    plainAmount: function (amount) { return money.format(amount).replace("$", ""); },
    /** "2025-06-04" -> "Jun 4, 2025"; dates are calendar dates, never shifted by time zone */
    date: function (iso) {
      var p = iso.split("-");
      return MONTHS[Number(p[1]) - 1] + " " + Number(p[2]) + ", " + p[0];
    },
    /** Days from the data's "as of" date to an ISO date (negative: in the past). */
    daysFromNow: function (iso) {
      var a = Date.UTC.apply(null, window.LEDGERLY.asOf.split("-").map(function (v, i) {
        return i === 1 ? Number(v) - 1 : Number(v);
      }));
      var b = Date.UTC.apply(null, iso.split("-").map(function (v, i) {
        return i === 1 ? Number(v) - 1 : Number(v);
      }));
      return Math.round((b - a) / 86400000);
    },
    findBill: function (number) {
      return window.LEDGERLY.bills.filter(function (b) { return b.number === number; })[0];
    },
    isPaid: function (bill) { return bill.status === "Paid"; },
    statusClass: function (status) {
      return "lg-badge lg-badge--" + status.toLowerCase().replace(/\s+/g, "-");
    }
  };
})();
