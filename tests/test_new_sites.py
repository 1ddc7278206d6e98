"""The bills, shop and travel fixture sites work in a real Chromium, used as a person would.

Plain Playwright, no skyvern-core driver: these tests say whether a site itself behaves
(40 bills with their menus and a pay form, 60 product cards and a server-kept cart, an
airport autocomplete and a 40-control passenger form), and what the server records.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request
from typing import TYPE_CHECKING

import pytest

from skyvern_core.testing.sites import FixtureSites
from skyvern_core.testing.sites.server import ROOT

if TYPE_CHECKING:
    from playwright.async_api import Page, ViewportSize

pytestmark = pytest.mark.browser

VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


@pytest.fixture
def viewport() -> ViewportSize:
    """The size these sites are laid out for: most bills and cards are below the fold."""
    return VIEWPORT


def _bills() -> list[dict[str, object]]:
    """The bills of the site's data file (a script whose rows are JSON, one a line)."""
    text = (ROOT / "bills" / "data.js").read_text()
    return [json.loads(row) for row in re.findall(r'^\s*(\{"number": .*\}),?$', text, re.M)]


def _get_json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url) as response:
        return json.loads(response.read())


# --------------------------------------------------------------------------- pages load


@pytest.mark.parametrize(
    "path",
    [
        "bills/",
        "bills/pay.html?bill=BILL-10525",
        "shop/",
        "shop/product.html?sku=TH-10240",
        "shop/cart.html",
        "travel/",
        "travel/select.html?from=BER&to=LIS&depart=2031-05-14&cabin=economy&adults=1",
        "travel/passengers.html?from=BER&to=LIS&depart=2031-05-14&flight=SR1234&fare=212.99",
    ],
)
async def test_page_loads_without_console_errors(
    page: Page, sites: FixtureSites, path: str
) -> None:
    """Every page of the three sites loads, has a title and logs no error."""
    response = await page.goto(sites.url(path))
    assert response is not None and response.ok
    await page.wait_for_load_state("networkidle")
    assert await page.title()


def test_index_links_the_new_sites() -> None:
    """The index page lists the three sites."""
    index = (ROOT / "index.html").read_text()
    for name in ("bills", "shop", "travel"):
        assert f'href="{name}/"' in index


# --------------------------------------------------------------------------- bills


async def test_bills_table_shows_40_bills_with_their_data(page: Page, sites: FixtureSites) -> None:
    """40 rows, each with its number, vendor, dates, amount and status; most below the fold."""
    await page.goto(sites.url("bills/"))
    rows = page.locator("#bill-rows tr")
    assert await rows.count() == 40
    data = _bills()
    assert len(data) == 40
    shown = await rows.evaluate_all(
        """rows => rows.map(r => ['.lg-bill-number', '.lg-vendor__name', 'td:nth-child(4)',
            'td:nth-child(5)', '.lg-amount', '.lg-badge']
            .map(s => r.querySelector(s).innerText.trim()))"""
    )
    assert [row[0] for row in shown] == [b["number"] for b in data]
    brightline = next(row for row in shown if row[1] == "Brightline Janitorial Services")
    assert brightline[0] == "BILL-10525"
    assert brightline[2] == "Apr 28, 2025"
    assert brightline[3].splitlines()[0] == "Jun 27, 2025"
    assert brightline[4] == "$1,850.00"
    assert brightline[5] == "Due soon"
    assert {row[5] for row in shown} == {"Overdue", "Due soon", "Scheduled", "Paid"}
    # The tabs' counters are separate elements beside their labels.
    all_tab = page.get_by_role("tab", name=re.compile("^All"))
    assert await all_tab.locator(".lg-tab__label").inner_text() == "All"
    assert await all_tab.locator(".lg-tab__count").inner_text() == "212"
    unpaid = page.get_by_role("tab", name=re.compile("^Unpaid"))
    assert await unpaid.locator(".lg-tab__count").inner_text() == "38"
    # A row's checkbox is named by its aria-label alone; its menu button by its title.
    box = page.get_by_role("checkbox", name="Select BILL-10558", exact=True)
    assert await box.count() == 1
    assert await page.get_by_role("button", name="More actions").count() == 40
    assert await page.locator(".lg-row-menu").first.inner_text() == "⋯"
    last = await rows.last.bounding_box()
    assert last is not None and last["y"] > VIEWPORT["height"] * 2


async def test_bills_row_menu_pay_bill_records_the_payment(page: Page, sites: FixtureSites) -> None:
    """⋯ opens Pay bill / Mark as paid / Download PDF; Pay bill leads to a recorded payment."""
    await page.goto(sites.url("bills/"))
    row = page.locator("#bill-rows tr", has_text="BILL-10558")
    assert await page.get_by_role("menu").count() == 0
    await row.get_by_title("More actions").click()
    menu = page.get_by_role("menu")
    assert await menu.get_by_role("menuitem").all_inner_texts() == [
        "Pay bill",
        "Mark as paid",
        "Download PDF",
    ]
    assert await row.get_by_title("More actions").get_attribute("aria-expanded") == "true"
    await menu.get_by_role("menuitem", name="Pay bill").click()
    await page.wait_for_url("**/bills/pay.html?bill=BILL-10558")
    assert await page.get_by_label("Payment amount").input_value() == "1,796.00"
    assert await page.locator("#sum-vendor").inner_text() == "FedEx"
    pay_day = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    await page.get_by_label("Payment date").fill(pay_day)
    await page.get_by_label("Payment method").select_option(label="ACH bank transfer")
    await page.get_by_label("Pay from").select_option(label="SVB Operating ••0937")
    await page.get_by_label("Memo to vendor").fill("Invoice 88-2211, May shipments")
    await page.get_by_role("button", name="Schedule payment").click()
    await page.wait_for_url("**/bills/paid.html?ref=*")
    sub = sites.submissions_to("/bills/pay")[-1]
    assert sub.fields["bill_number"] == "BILL-10558"
    assert sub.fields["vendor"] == "FedEx"
    assert sub.fields["amount"] == "1,796.00"
    assert sub.fields["payment_date"] == pay_day
    assert sub.fields["method"] == "ach"
    assert sub.fields["pay_from"] == "svb-0937"
    assert sub.fields["memo"] == "Invoice 88-2211, May shipments"
    reference = await page.locator("#payment-reference").inner_text()
    assert re.fullmatch(r"PAY-\d{6}", reference) and reference == sub.reference
    assert await page.locator("#paid-method").inner_text() == "ACH bank transfer"
    assert await page.locator("#paid-amount").inner_text() == "$1,796.00"


async def test_bills_pay_form_refuses_incomplete_or_too_large_payments(
    page: Page, sites: FixtureSites
) -> None:
    """No method, or more than the amount due: errors on the page and nothing posted."""
    before = len(sites.submissions_to("/bills/pay"))
    await page.goto(sites.url("bills/pay.html?bill=BILL-10525"))
    await page.get_by_label("Payment amount").fill("2,000.00")
    await page.get_by_role("button", name="Schedule payment").click()
    assert "can't be more than the $1,850.00 due" in await page.inner_text("#amount-error")
    assert "Choose how to pay" in await page.inner_text("#method-error")
    assert len(sites.submissions_to("/bills/pay")) == before
    await page.goto(sites.url("bills/pay.html?bill=BILL-99999"))
    assert await page.locator("#not-found").is_visible()


async def test_bills_filters_tabs_and_search(page: Page, sites: FixtureSites) -> None:
    """The status listbox, the tabs, the vendor select and the search narrow the table."""
    await page.goto(sites.url("bills/"))
    data = _bills()
    rows = page.locator("#bill-rows tr")
    status = page.locator("#status-filter-button")
    assert await status.get_attribute("aria-expanded") == "false"
    await status.click()
    await page.get_by_role("option", name="Overdue").click()
    overdue = [b for b in data if b["status"] == "Overdue"]
    assert await rows.count() == len(overdue)
    assert await status.inner_text() == "Overdue"
    await page.get_by_role("button", name="Clear filters").click()
    assert await rows.count() == 40
    await page.get_by_role("tab", name=re.compile("^Paid")).click()
    assert await rows.count() == len([b for b in data if b["status"] == "Paid"])
    await page.get_by_role("tab", name=re.compile("^All")).click()
    await page.get_by_label("Vendor").select_option("Amazon Web Services")
    assert await rows.count() == 3
    await page.get_by_label("Vendor").select_option("")
    await page.get_by_label("Search bills").fill("keller")
    await page.wait_for_function("document.querySelectorAll('#bill-rows tr').length === 2")
    await page.get_by_role("checkbox", name="Select all bills").check()
    assert await page.locator("#bulk-count").inner_text() == "2 selected"


async def test_bills_mark_as_paid_and_download(page: Page, sites: FixtureSites) -> None:
    """Mark as paid asks first, posts the bill number and turns the row Paid; PDFs download."""
    await page.goto(sites.url("bills/"))
    row = page.locator("#bill-rows tr", has_text="BILL-10539")
    await row.get_by_title("More actions").click()
    await page.get_by_role("menuitem", name="Mark as paid").click()
    dialog = page.get_by_role("dialog", name="Mark bill as paid?")
    assert "Greenleaf Landscaping" in await dialog.inner_text()
    await dialog.get_by_role("button", name="Mark as paid").click()
    await page.get_by_text("BILL-10539 marked as paid").wait_for()
    assert sites.submissions_to("/bills/api/mark-paid")[-1].fields["bill_number"] == "BILL-10539"
    assert await row.locator(".lg-badge").inner_text() == "Paid"
    await row.get_by_title("More actions").click()
    pay = page.get_by_role("menuitem", name="Pay bill")
    assert await pay.get_attribute("aria-disabled") == "true"
    await page.keyboard.press("Escape")
    assert await page.get_by_role("menu").count() == 0
    await row.get_by_title("More actions").click()
    async with page.expect_download() as download:
        await page.get_by_role("menuitem", name="Download PDF").click()
    assert (await download.value).suggested_filename == "BILL-10539.pdf"


# --------------------------------------------------------------------------- shop


async def test_shop_lists_60_cards_then_loads_more(page: Page, sites: FixtureSites) -> None:
    """60 cards with name link, brand, price, stars, identical Add to cart, title-only hearts."""
    await page.goto(sites.url("shop/"))
    cards = page.locator("article.product-card")
    assert await cards.count() == 60
    assert set(await page.locator(".add-to-cart").all_inner_texts()) == {"Add to cart"}
    assert await page.get_by_role("button", name="Add to wishlist").count() == 60
    assert await page.locator(".btn-wishlist").first.inner_text() == ""
    first = cards.first
    assert await first.get_by_role("link", name="Basecamp 4 Tent").count() == 1
    assert await first.locator(".product-brand").text_content() == "Northpeak"
    assert await first.locator(".price-current").inner_text() == "$223.50"
    assert await first.get_by_role("img", name="Rated 3.4 out of 5 stars").count() == 1
    sale = cards.filter(has_text="Fleece Pullover — Men's")
    assert await sale.locator(".discount-badge").inner_text() == "-20%"
    assert await sale.locator("s.price-old").inner_text() == "$99.99"
    assert await sale.locator(".price-current").inner_text() == "$79.99"
    assert await page.locator("#viewed-count").inner_text() == "You've viewed 60 of 84 products"
    await page.get_by_role("button", name="Load more").click()
    await page.wait_for_function("document.querySelectorAll('article.product-card').length === 84")
    assert not await page.get_by_role("button", name="Load more").is_visible()


async def test_shop_add_to_cart_is_recorded_and_counted(page: Page, sites: FixtureSites) -> None:
    """Add to cart posts the SKU; the header count and the cart page come from the server."""
    await page.goto(sites.url("shop/"))
    assert await page.locator("#cart-count").inner_text() == "0"
    card = page.locator("article.product-card", has_text="Expedition Pack 65L")
    sku = await card.get_attribute("data-sku")
    await card.get_by_role("button", name="Add to cart").click()
    panel = page.get_by_role("dialog", name="Added to your cart")
    await panel.wait_for()
    assert "Expedition Pack 65L" in await panel.inner_text()
    assert await page.locator("#cart-count").inner_text() == "1"
    posted = sites.submissions_to("/shop/api/cart")[-1]
    assert posted.fields["sku"] == sku == "TH-10254"
    await page.get_by_role("button", name="Keep shopping").click()
    other = page.locator("article.product-card", has_text="Rechargeable Lantern")
    await other.get_by_role("button", name="Add to cart").click()
    await page.wait_for_function("document.getElementById('cart-count').textContent === '2'")
    assert "Cart subtotal (2 items): $183.94" in await panel.inner_text()
    await page.get_by_role("link", name="View cart (2)").click()
    await page.wait_for_url("**/shop/cart.html")
    await page.locator("#cart-lines tr").nth(1).wait_for()
    assert await page.locator("#cart-lines tr td:nth-child(2)").all_inner_texts() == [
        "TH-10254",
        "TH-10247",
    ]
    assert await page.locator("#cart-subtotal").inner_text() == "$183.94"


async def test_shop_facets_price_and_sort(page: Page, sites: FixtureSites) -> None:
    """Category facet with its count, price range and sort change the grid."""
    await page.goto(sites.url("shop/"))
    tents = page.get_by_label("Tents")
    facet = page.locator(".form-check", has=tents)
    assert await facet.locator(".facet-count").inner_text() == "(7)"
    await tents.check()
    assert await page.locator("article.product-card").count() == 7
    await page.get_by_role("button", name="Remove filter: Tents").click()
    await page.get_by_label("Max").fill("30")
    await page.get_by_role("button", name="Go", exact=True).click()
    prices = await page.locator(".price-current").all_inner_texts()
    assert prices and all(float(p.strip("$")) <= 30 for p in prices)
    await page.get_by_label("Sort by").select_option(label="Price: High to Low")
    after = [float(p.strip("$")) for p in await page.locator(".price-current").all_inner_texts()]
    assert after == sorted(after, reverse=True)


# --------------------------------------------------------------------------- travel


def test_travel_city_api_answers_like_a_backend(sites: FixtureSites) -> None:
    """The airport search matches codes, city prefixes and words, accents aside."""
    berlin = _get_json(sites.url("travel/api/cities?q=ber"))["results"]
    assert isinstance(berlin, list)
    assert [a["code"] for a in berlin][:2] == ["BER", "BRN"]
    san_jose = _get_json(sites.url("travel/api/cities?q=san%20jose"))["results"]
    assert isinstance(san_jose, list)
    assert {a["code"] for a in san_jose} == {"SJC", "SJO"}
    assert _get_json(sites.url("travel/api/cities?q=b"))["results"] == []
    assert _get_json(sites.url("travel/api/cities?code=LIS"))["results"] == [
        {
            "code": "LIS",
            "city": "Lisbon",
            "airport": "Humberto Delgado Airport",
            "country": "Portugal",
            "label": "Lisbon (LIS)",
        }
    ]


async def test_travel_autocomplete_suggests_after_typing(page: Page, sites: FixtureSites) -> None:
    """Suggestions appear only after typing (fetched, debounced); a choice sets the field."""
    await page.goto(sites.url("travel/"))
    from_box = page.get_by_role("combobox", name="From")
    # The selects' options are options too: count the suggestions, role set by the page.
    suggestions = page.locator("[role=option]")
    assert await suggestions.count() == 0
    assert await from_box.get_attribute("aria-expanded") == "false"
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/cities" in r.url else None)
    await from_box.click()
    await page.keyboard.type("lon", delay=30)
    london = page.get_by_role("option", name=re.compile("Heathrow"))
    await london.wait_for()
    assert await from_box.get_attribute("aria-expanded") == "true"
    assert len(requests) == 1 and requests[0].endswith("q=lon")  # debounced: one call
    assert await suggestions.count() == 5
    await london.click()
    assert await from_box.input_value() == "London (LHR)"
    assert await page.locator("#from-code").input_value() == "LHR"
    assert await suggestions.count() == 0
    to_box = page.get_by_role("combobox", name="To")
    await to_box.click()
    await page.keyboard.type("lisb")
    await page.get_by_role("option", name=re.compile("Lisbon")).wait_for()
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")
    assert await to_box.input_value() == "Lisbon (LIS)"
    await page.get_by_title("Swap origin and destination").click()
    assert await from_box.input_value() == "Lisbon (LIS)"
    assert await page.locator("#to-code").input_value() == "LHR"


async def test_travel_booking_long_form_records_every_field(
    page: Page, sites: FixtureSites
) -> None:
    """Search, pick a flight, fill the 40-control passenger form: the server gets all of it."""
    p = page
    await p.goto(sites.url("travel/"))
    await p.get_by_role("button", name="Accept all").click()
    await p.get_by_label("One way").check()
    await p.get_by_role("combobox", name="From").fill("berl")
    await p.get_by_role("option", name=re.compile("Berlin Brandenburg")).click()
    await p.get_by_role("combobox", name="To").fill("lisbon")
    await p.get_by_role("option", name=re.compile("Lisbon")).click()
    day = dt.date.today() + dt.timedelta(days=30)
    await p.get_by_role("textbox", name="Depart").fill(day.strftime("%m/%d/%Y"))
    await p.get_by_label("Cabin").select_option(label="Business / Club")
    await p.get_by_role("button", name="Search flights").click()
    await p.wait_for_url("**/travel/select.html?*")
    await p.get_by_role("link", name="Select", exact=True).first.click()
    await p.wait_for_url("**/travel/passengers.html?*")

    controls = await p.evaluate(
        """() => document.querySelectorAll('#passenger-form input:not([type=hidden]), '
           + '#passenger-form select, #passenger-form textarea, #passenger-form button, '
           + '#passenger-form [contenteditable], #passenger-form [role=combobox]').length"""
    )
    assert controls >= 30
    await p.get_by_label("Title").select_option(label="DR.")
    await p.get_by_label("First / given name(s)").fill("Ada")
    await p.get_by_label("Middle name(s)").fill("Augusta")
    await p.get_by_label("Last / family name").fill("King")
    await p.get_by_label("Day", exact=True).select_option("10")
    await p.get_by_label("Month", exact=True).select_option(label="12 - DEC")
    await p.get_by_label("Year", exact=True).select_option("1985")
    await p.get_by_label("Female").check()
    await p.get_by_label("Nationality").select_option(
        label="United Kingdom of Great Britain and Northern Ireland"
    )
    # The document section labels its fields with table cells only.
    doc = p.locator("table.apis-table")
    await doc.locator("select[name=doc_type]").select_option(label="PASSPORT")
    await doc.locator("input[name=doc_number]").fill("X1234567")
    await p.get_by_title("Where do I find my document number?").click()
    assert await p.locator("#doc-help").is_visible()
    await doc.locator("select[name=doc_country]").select_option("GB")
    await doc.locator("input[name=doc_expiry]").fill("31/01/2032")
    await p.get_by_label("Email address *", exact=True).fill("ada.king@example.com")
    await p.get_by_label("Confirm email address").fill("ada.king@example.com")
    await p.get_by_label("Country code").select_option(
        label="United Kingdom of Great Britain and Northern Ireland (+44)"
    )
    await p.get_by_label("Mobile number").fill("7700 900123")
    await p.get_by_label("Emergency contact name").fill("Charles Babbage")
    await p.get_by_label("Emergency contact phone").fill("+44 20 7946 0000")
    await p.get_by_label("Frequent flyer programme").select_option(label="SkyReach Miles")
    await p.get_by_label("Membership number").fill("SR88120044")
    await p.get_by_label("Window").check()
    meal = p.get_by_role("combobox", name=re.compile("^Meal preference"))
    await meal.click()
    await p.get_by_role("option", name="Vegetarian, lacto-ovo (VLML)").click()
    assert await p.locator("#meal-value").inner_text() == "Vegetarian, lacto-ovo (VLML)"
    await p.get_by_label("Checked baggage (23 kg each)").select_option("1")
    question = p.get_by_role("group", name=re.compile("^Will you be travelling with sporting"))
    assert len(await question.locator("legend").inner_text()) > 80
    await question.get_by_label("Yes").check()
    await p.get_by_label("Wheelchair").check()
    await p.get_by_label("Trip protection").check()
    editor = p.get_by_role("textbox", name="Special requests")
    placeholder = await editor.evaluate("e => getComputedStyle(e, '::before').content")
    assert placeholder.startswith('"Anything the crew should know?')
    await editor.click()
    await p.keyboard.type("Travelling with a cello in its own seat.")
    assert await editor.evaluate("e => getComputedStyle(e, '::before').content") == "none"
    await p.get_by_label("Street address").fill("12 St James's Square")
    await p.get_by_label("Apartment, suite, etc. (optional)").fill("Flat 3")
    await p.get_by_label("Town / City").fill("London")
    await p.get_by_label("State / Province / Region").fill("Greater London")
    await p.get_by_label("ZIP / Postal code").fill("SW1Y 4JH")
    await p.get_by_label("Country / Region").select_option("GB")
    await p.get_by_label("Send me fare alerts and offers").check()
    await p.get_by_role("checkbox", name=re.compile("^I accept the fare rules")).check()
    await p.get_by_role("button", name="Confirm and book").click()
    await p.wait_for_url("**/travel/confirmation.html?ref=*")

    sub = sites.submissions_to("/travel/book")[-1]
    expected = {
        "from": "BER",
        "to": "LIS",
        "depart": day.isoformat(),
        "return": "",
        "cabin": "business",
        "adults": "1",
        "title": "DR",
        "first_name": "Ada",
        "middle_name": "Augusta",
        "last_name": "King",
        "dob_day": "10",
        "dob_month": "12",
        "dob_year": "1985",
        "gender": "F",
        "nationality": "GB",
        "doc_type": "P",
        "doc_number": "X1234567",
        "doc_country": "GB",
        "doc_expiry": "31/01/2032",
        "email": "ada.king@example.com",
        "email_confirm": "ada.king@example.com",
        "phone_country": "GB",
        "phone": "7700 900123",
        "emergency_name": "Charles Babbage",
        "emergency_phone": "+44 20 7946 0000",
        "ff_program": "SR",
        "ff_number": "SR88120044",
        "seat": "window",
        "meal": "VLML",
        "bags": "1",
        "special_items": "yes",
        "wheelchair": "WCHR",
        "insurance": "yes",
        "special_requests": "Travelling with a cello in its own seat.",
        "address_line1": "12 St James's Square",
        "address_line2": "Flat 3",
        "billing_city": "London",
        "billing_state": "Greater London",
        "billing_postcode": "SW1Y 4JH",
        "billing_country": "GB",
        "marketing": "yes",
        "terms": "accepted",
    }
    assert {k: sub.fields.get(k) for k in expected} == expected
    assert re.fullmatch(r"SR\d{4}", sub.fields["flight"])
    assert float(sub.fields["fare"]) > 0
    reference = await p.locator("#booking-reference").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{6}", reference) and reference == sub.reference
    assert await p.locator("#c-route").inner_text() == "Berlin (BER) → Lisbon (LIS)"
    assert await p.locator("#c-meal").inner_text() == "Vegetarian (lacto-ovo)"


async def test_travel_passenger_form_lists_what_is_missing(page: Page, sites: FixtureSites) -> None:
    """Submitting the empty form names each missing field and posts nothing."""
    before = len(sites.submissions_to("/travel/book"))
    await page.goto(sites.url("travel/passengers.html?from=BER&to=LIS&depart=2031-05-14"))
    await page.get_by_role("button", name="Confirm and book").click()
    errors = page.get_by_role("alert")
    text = await errors.inner_text()
    assert "Please check 20 fields" in text
    assert "Accept the fare rules to book." in text
    assert len(sites.submissions_to("/travel/book")) == before
