"""What the backends of the bills, shop and travel fixture sites answer.

The server (:mod:`skyvern_core.testing.sites.server`) records every POST; the functions here
give some of them the answer a real backend would (a payment's confirmation details, a
cart's new item count, a booking reference) and serve the JSON GET APIs the pages call (the
cart, the airport search of the travel site's autocomplete).

- Ledgerly (``bills/``): ``POST /bills/pay`` schedules a payment (reference ``PAY-123456``)
  and its confirmation page shows it; ``POST /bills/api/mark-paid`` is recorded (204).
- Trailhead Outfitters (``shop/``): ``POST /shop/api/cart`` adds ``{"sku", "qty"}`` to the
  cart named by the ``th_cart`` cookie; ``GET /shop/api/cart`` returns that cart.
- SkyReach (``travel/``): ``GET /travel/api/cities?q=ber`` (or ``?code=BER``) finds
  airports; ``POST /travel/book`` issues a six-character booking reference.
- City of Riverton permits (``permits/``): ``GET /permits/api/zones`` lists the permit
  zones after a short pause, as a slow lookup would (the ``late`` variant's vehicle page
  shows its zone field once they came).
"""

from __future__ import annotations

import datetime as dt
import http.cookies
import re
import secrets
import time
import unicodedata
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from skyvern_core.testing.sites.server import FixtureSites, Submission

__all__ = [
    "AIRPORTS",
    "Airport",
    "bill_payment",
    "cart_add",
    "cart_get",
    "cities",
    "travel_booking",
]

# --------------------------------------------------------------------------- bills

_PAYMENT_METHODS = {
    "ach": "ACH bank transfer",
    "check": "Check by mail",
    "wire": "Wire transfer",
    "virtual_card": "Virtual card",
}
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def _display_date(iso: str) -> str:
    """``2025-06-20`` -> ``Jun 20, 2025``; anything else is shown as sent."""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def bill_payment(sub: Submission, _sites: FixtureSites) -> dict[str, str]:
    """A scheduled bill payment: the labels its confirmation page shows."""
    raw = re.sub(r"[$,\s]", "", sub.fields.get("amount", ""))
    try:
        amount_display = f"${float(raw):,.2f}"
    except ValueError:
        amount_display = sub.fields.get("amount", "")
    method = sub.fields.get("method", "")
    return {
        "amount_display": amount_display,
        "payment_date_display": _display_date(sub.fields.get("payment_date", "")),
        "method_label": _PAYMENT_METHODS.get(method, method),
    }


# --------------------------------------------------------------------------- shop

_CART_COOKIE = "th_cart"


def _cart_id(cookies: str) -> str:
    jar = http.cookies.SimpleCookie()
    try:
        jar.load(cookies)
    except http.cookies.CookieError:
        return ""
    return jar[_CART_COOKIE].value if _CART_COOKIE in jar else ""


def _qty(value: str) -> int:
    try:
        return max(1, min(99, int(value)))
    except ValueError:
        return 1


def _cart(sites: FixtureSites, cart_id: str, pending: Submission | None = None) -> dict[str, Any]:
    """The cart's lines, summed by SKU, from the cart POSTs recorded for ``cart_id``."""
    subs = [s for s in sites.submissions_to("/shop/api/cart") if s.extra.get("cart") == cart_id]
    if pending is not None:
        subs.append(pending)  # the POST being answered is recorded after its answer
    lines: dict[str, int] = {}
    for s in subs:
        sku = s.fields.get("sku", "")
        if sku:
            lines[sku] = lines.get(sku, 0) + _qty(s.fields.get("qty", "1"))
    items = [{"sku": sku, "qty": qty} for sku, qty in lines.items()]
    return {"count": sum(lines.values()), "items": items}


def cart_add(sub: Submission, sites: FixtureSites) -> dict[str, Any]:
    """``POST /shop/api/cart``: add the line, answer with the whole cart."""
    cart_id = _cart_id(sub.cookies) or "anonymous"
    sub.extra["cart"] = cart_id
    return _cart(sites, cart_id, sub)


def cart_get(_query: dict[str, list[str]], cookies: str, sites: FixtureSites) -> dict[str, Any]:
    """``GET /shop/api/cart``: the cart of the shopper's cookie (empty without one)."""
    cart_id = _cart_id(cookies)
    return _cart(sites, cart_id) if cart_id else {"count": 0, "items": []}


# --------------------------------------------------------------------------- travel


class Airport(NamedTuple):
    """An airport the travel site's search knows.

    ``code`` is the IATA code (``BER``) or a metropolitan area's (``LON``, whose ``name`` is
    ``All airports``); ``city`` is shown as the site shows it (``Portland, Oregon``).
    """

    code: str
    city: str
    name: str
    country: str

    def as_json(self) -> dict[str, str]:
        """The API's form of the airport."""
        return {
            "code": self.code,
            "city": self.city,
            "airport": self.name,
            "country": self.country,
            "label": f"{self.city} ({self.code})",
        }


AIRPORTS: tuple[Airport, ...] = tuple(
    Airport(*row)
    for row in (
        ("AMS", "Amsterdam", "Amsterdam Airport Schiphol", "Netherlands"),
        ("ATH", "Athens", "Athens International Airport", "Greece"),
        ("ATL", "Atlanta", "Hartsfield-Jackson Atlanta International", "United States"),
        ("BCN", "Barcelona", "Josep Tarradellas Barcelona-El Prat", "Spain"),
        ("BER", "Berlin", "Berlin Brandenburg Airport", "Germany"),
        ("BRN", "Bern", "Bern Airport", "Switzerland"),
        ("BOS", "Boston", "Logan International Airport", "United States"),
        ("BRU", "Brussels", "Brussels Airport", "Belgium"),
        ("BUD", "Budapest", "Budapest Ferenc Liszt International", "Hungary"),
        ("CPH", "Copenhagen", "Copenhagen Airport, Kastrup", "Denmark"),
        ("DFW", "Dallas", "Dallas/Fort Worth International", "United States"),
        ("DEN", "Denver", "Denver International Airport", "United States"),
        ("DUB", "Dublin", "Dublin Airport", "Ireland"),
        ("DXB", "Dubai", "Dubai International Airport", "United Arab Emirates"),
        ("EDI", "Edinburgh", "Edinburgh Airport", "United Kingdom"),
        ("FRA", "Frankfurt", "Frankfurt am Main Airport", "Germany"),
        ("GVA", "Geneva", "Geneva Airport", "Switzerland"),
        ("HAM", "Hamburg", "Hamburg Airport", "Germany"),
        ("HEL", "Helsinki", "Helsinki-Vantaa Airport", "Finland"),
        ("HKG", "Hong Kong", "Hong Kong International Airport", "Hong Kong"),
        ("IST", "Istanbul", "Istanbul Airport", "Turkey"),
        ("LIS", "Lisbon", "Humberto Delgado Airport", "Portugal"),
        ("LON", "London", "All airports", "United Kingdom"),
        ("LHR", "London", "Heathrow Airport", "United Kingdom"),
        ("LGW", "London", "Gatwick Airport", "United Kingdom"),
        ("STN", "London", "Stansted Airport", "United Kingdom"),
        ("LCY", "London", "London City Airport", "United Kingdom"),
        ("LAX", "Los Angeles", "Los Angeles International", "United States"),
        ("MAD", "Madrid", "Adolfo Suárez Madrid-Barajas", "Spain"),
        ("MAN", "Manchester", "Manchester Airport", "United Kingdom"),
        ("MEX", "Mexico City", "Benito Juárez International", "Mexico"),
        ("MIA", "Miami", "Miami International Airport", "United States"),
        ("MUC", "Munich", "Munich Airport", "Germany"),
        ("MXP", "Milan", "Milan Malpensa Airport", "Italy"),
        ("NCE", "Nice", "Nice Côte d'Azur Airport", "France"),
        ("NYC", "New York", "All airports", "United States"),
        ("JFK", "New York", "John F. Kennedy International", "United States"),
        ("LGA", "New York", "LaGuardia Airport", "United States"),
        ("EWR", "Newark", "Newark Liberty International", "United States"),
        ("ORD", "Chicago", "O'Hare International Airport", "United States"),
        ("OSL", "Oslo", "Oslo Airport, Gardermoen", "Norway"),
        ("PAR", "Paris", "All airports", "France"),
        ("CDG", "Paris", "Charles de Gaulle Airport", "France"),
        ("ORY", "Paris", "Orly Airport", "France"),
        ("PDX", "Portland, Oregon", "Portland International Airport", "United States"),
        ("PWM", "Portland, Maine", "Portland International Jetport", "United States"),
        ("PRG", "Prague", "Václav Havel Airport Prague", "Czechia"),
        ("FCO", "Rome", "Leonardo da Vinci-Fiumicino", "Italy"),
        ("SFO", "San Francisco", "San Francisco International", "United States"),
        ("SJC", "San Jose, California", "Norman Y. Mineta San José International", "United States"),
        ("SJO", "San José", "Juan Santamaría International", "Costa Rica"),
        ("SEA", "Seattle", "Seattle-Tacoma International", "United States"),
        ("SIN", "Singapore", "Singapore Changi Airport", "Singapore"),
        ("ARN", "Stockholm", "Stockholm Arlanda Airport", "Sweden"),
        ("SYD", "Sydney", "Sydney Kingsford Smith Airport", "Australia"),
        ("HND", "Tokyo", "Haneda Airport", "Japan"),
        ("NRT", "Tokyo", "Narita International Airport", "Japan"),
        ("YYZ", "Toronto", "Toronto Pearson International", "Canada"),
        ("VIE", "Vienna", "Vienna International Airport", "Austria"),
        ("WAW", "Warsaw", "Warsaw Chopin Airport", "Poland"),
        ("ZRH", "Zurich", "Zurich Airport", "Switzerland"),
    )
)
"""The travel site's airports, cities with several airports first as "All airports"."""

_MAX_SUGGESTIONS = 8


def _fold(text: str) -> str:
    """Lower case without accents, so "san jose" finds "San José"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


ZONES_PAUSE = 0.3
"""Seconds ``GET /permits/api/zones`` takes to answer."""


def zones(_query: dict[str, list[str]], _cookies: str, _sites: FixtureSites) -> dict[str, Any]:
    """``GET /permits/api/zones``: the permit zones, after :data:`ZONES_PAUSE`."""
    time.sleep(ZONES_PAUSE)
    return {"zones": ["Zone A - Old Town", "Zone B - Riverside", "Zone C - Hillcrest"]}


def cities(query: dict[str, list[str]], _cookies: str, _sites: FixtureSites) -> dict[str, Any]:
    """``GET /travel/api/cities?q=...``: airports whose city, name, country or code match.

    A code match comes first, then cities starting with the query, then any word of the
    city, airport or country starting with it; at most eight. ``?code=BER`` looks up one.
    """
    code = (query.get("code") or [""])[0].strip().upper()
    if code:
        found = [a.as_json() for a in AIRPORTS if a.code == code]
        return {"results": found}
    q = _fold((query.get("q") or [""])[0].strip())
    if len(q) < 2:
        return {"results": []}
    ranked: list[tuple[int, int, Airport]] = []
    for i, airport in enumerate(AIRPORTS):
        words = re.split(r"[\s,/()'.-]+", _fold(f"{airport.city} {airport.name} {airport.country}"))
        if airport.code.lower() == q:
            rank = 0
        elif _fold(airport.city).startswith(q):
            rank = 1
        elif any(w.startswith(q) for w in words if w):
            rank = 2
        else:
            continue
        ranked.append((rank, i, airport))
    ranked.sort()
    return {"results": [a.as_json() for _, _, a in ranked[:_MAX_SUGGESTIONS]]}


_MEALS = {
    "STND": "Standard meal",
    "VGML": "Vegan",
    "VLML": "Vegetarian (lacto-ovo)",
    "KSML": "Kosher",
    "MOML": "Muslim / Halal",
    "GFML": "Gluten-free",
    "CHML": "Child meal",
}
# A booking reference has no 0/O or 1/I, like an airline's record locator.
_LOCATOR_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def travel_booking(sub: Submission, _sites: FixtureSites) -> dict[str, str]:
    """``POST /travel/book``: a record locator and the labels the confirmation shows."""
    sub.reference = "".join(secrets.choice(_LOCATOR_ALPHABET) for _ in range(6))
    by_code = {a.code: a for a in AIRPORTS}
    labels = {}
    for key in ("from", "to"):
        airport = by_code.get(sub.fields.get(key, ""))
        labels[f"{key}_label"] = f"{airport.city} ({airport.code})" if airport else ""
    meal = sub.fields.get("meal", "")
    return {
        **labels,
        "meal_label": _MEALS.get(meal, meal or "No preference"),
        "depart_display": _display_date(sub.fields.get("depart", "")),
    }
