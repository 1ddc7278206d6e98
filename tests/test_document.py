"""The document reader on real pages in Chromium: what extraction is given to read.

Each test reads a fixture page the way a user checks an extraction: every record of the
page, in order, with its values together on one line; frames, shadow roots and fields
there; hidden things not. The Selenium driver must read the same text as Playwright.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from skyvern_core.config import Settings
from skyvern_core.protocols import DocumentReader, SessionOptions
from skyvern_core.testing.sites.records import page_records
from skyvern_core.testing.sites.server import FixtureSites
from skyvern_plugins.playwright.driver import PlaywrightSession
from skyvern_plugins.selenium.driver import SeleniumDriver

pytestmark = pytest.mark.browser

BILLS = page_records("extraction/bills.html")
PRODUCTS = page_records("extraction/products.html")


async def _open(session: PlaywrightSession, sites: FixtureSites, path: str) -> str:
    await session.goto(sites.url(path))
    for frame in session.page.frames:  # a widget frame loads after the page itself
        await frame.wait_for_load_state("load")
    return await session.read_document()


def _line_of(lines: list[str], *values: str) -> int:
    """The index of the one line holding every value; fails when none or several do."""
    found = [i for i, line in enumerate(lines) if all(v in line for v in values)]
    assert len(found) == 1, f"{values}: lines {found}"
    return found[0]


async def test_the_session_is_a_document_reader(session: PlaywrightSession) -> None:
    assert isinstance(session, DocumentReader)


async def test_every_bill_is_one_row_with_its_number_vendor_and_amount_in_order(
    session: PlaywrightSession, sites: FixtureSites
) -> None:
    text = await _open(session, sites, "extraction/bills.html")
    lines = text.split("\n")
    # The last rows are below the fold: what is in view is not the whole table.
    below = await session.page.evaluate(
        "() => document.querySelector('#bills tbody tr:last-child')"
        ".getBoundingClientRect().top > innerHeight"
    )
    assert below
    # The header line names the columns, the rule follows it, then one line per bill.
    header = _line_of(lines, "| Bill | Vendor | Issued | Due | Amount | Status |")
    assert re.fullmatch(r"\|( --- \|)+", lines[header + 1])
    rows = [_line_of(lines, b["number"], b["vendor"], b["amount"]) for b in BILLS]
    assert rows == sorted(rows) and rows[0] == header + 2
    assert len(BILLS) == 40
    for bill, index in zip(BILLS, rows, strict=True):
        cells = [c.strip() for c in lines[index].strip("|").split(" | ")]
        # Each value sits under its column; the terms beside the vendor in its cell.
        assert cells[1:7] == [
            bill["number"],
            f"{bill['vendor']} · {bill['terms']}",
            bill["issued"],
            bill["due"],
            bill["amount"],
            bill["status"],
        ]
    # A status shown on many rows is on each of them; the checked row says so.
    overdue = sum(1 for b in BILLS if b["status"] == "Overdue")
    assert overdue == 12
    assert sum(1 for i in rows if "| Overdue |" in lines[i]) == overdue
    assert lines[rows[2]].startswith("| [x] |")
    assert sum(1 for i in rows if lines[i].startswith("| [ ] |")) == 39
    # The row menus are closed (hidden): none of their items is read.
    assert "Mark as paid" not in text and "Edit bill" not in text
    # Headings and the rest of the page are there too.
    assert "# Bills" in lines and "Showing 1-40 of 40 bills · Page 1 of 1" in lines
    assert "Period: [Last 90 days]" in lines


async def test_every_product_card_is_one_line_with_its_name_and_price(
    session: PlaywrightSession, sites: FixtureSites
) -> None:
    text = await _open(session, sites, "extraction/products.html")
    lines = text.split("\n")
    assert len(PRODUCTS) == 60
    found = [_line_of(lines, p["name"], p["price"]) for p in PRODUCTS]
    assert found == sorted(found)
    for product, index in zip(PRODUCTS, found, strict=True):
        line = lines[index]
        assert line.startswith("- ")
        assert f"{product['rating']:g} out of 5 stars ({product['reviews']})" in line
        if product["was"]:
            assert f"Sale price {product['price']}" in line
            assert f"Regular price {product['was']}" in line
        assert ("Sold out" in line) == product["sold_out"]
    # The filters show their state; the sort shows its choice.
    assert "[x] In stock only" in lines and "Sort by: [Best selling]" in lines
    assert "From [0]" in lines and "To [300]" in lines


async def test_frames_shadow_roots_fields_and_what_is_hidden(
    session: PlaywrightSession, sites: FixtureSites
) -> None:
    text = await _open(session, sites, "extraction/account.html")
    lines = text.split("\n")
    # The cross-origin frame's table, where the frame is on the page.
    rates = _line_of(lines, "## Exchange rates")
    assert lines[rates + 1 : rates + 6] == [
        "| Pair | Rate | Change |",
        "| --- | --- | --- |",
        "| USD/EUR | 0.9210 | +0.12% |",
        "| USD/GBP | 0.7874 | -0.05% |",
        "| USD/JPY | 157.32 | +0.40% |",
    ]
    assert lines[rates + 6] == "Rates by Meridian FX, delayed 15 minutes"
    # A same-origin frame too.
    assert lines[_line_of(lines, "## Notes") + 1] == (
        "Quarter close on July 3; approvals due by noon."
    )
    # The shadow root (and one nested in it), with slotted text where its slot is.
    cash = _line_of(lines, "## Cash position Healthy")
    assert lines[cash + 1 : cash + 5] == [
        "Figures as of 9:00 AM, June 30",
        "Available balance: $84,210.55",
        "Pending outflows: $3,115.20",
        "Owner: Treasury team",
    ]
    # Fields with their values; a password never.
    for line in (
        "Payee name: [Harbor Freight Co.]",
        "Payment method: [Wire transfer]",
        "Approval PIN: [••••]",
        "[x] Email me receipts",
        "Schedule: (x) Weekly ( ) Monthly",
    ):
        assert line in lines
    assert "8421" not in text
    # The ARIA grid is a table; its hidden row is not read.
    grid = _line_of(lines, "| Payment | Date | Payee | Amount | Status |")
    assert lines[grid + 2] == "| PAY-7001 | Jun 2, 2025 | Northwind Traders | $1,240.00 | Cleared |"
    assert sum(1 for line in lines if line.startswith("| PAY-")) == 4
    assert "PAY-6999" not in text
    # Hidden things stay out; a closed <details> shows its summary only.
    for hidden in ("HIDDEN-DISPLAY-NONE", "ARIA-HIDDEN", "VISIBILITY-HIDDEN", "OPACITY-ZERO"):
        assert hidden not in text
    assert "TEMPLATE-ONLY" not in text and "DIALOG-CLOSED" not in text
    assert "Older statements" in lines and "archived" not in text
    # A visible child of an invisible box is read; preformatted text keeps its lines.
    assert "Wire cut-off 2:00 PM" in lines
    remit = _line_of(lines, "## Remittance advice")
    assert lines[remit + 1 : remit + 3] == ["Ref: RA-1042", "Memo: June rent, suite 400"]
    # Text hidden only visually (for screen readers) is read, in its sentence.
    assert "Account status: Active since March 2021 · Harborview Dental Group" in lines


async def test_links_are_read_with_their_addresses_when_asked(
    session: PlaywrightSession, sites: FixtureSites
) -> None:
    await _open(session, sites, "extraction/bills.html")
    plain = await session.read_document()
    linked = await session.read_document(links=True)
    first = BILLS[0]["number"]
    url = sites.url(f"extraction/bills.html#{first.lower()}")
    assert f"| [{first}]({url}) |" in linked
    assert "](" not in plain


# --------------------------------------------------------------------------- Selenium


@pytest.fixture(scope="module")
async def selenium_driver(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SeleniumDriver]:
    driver = SeleniumDriver(
        Settings(data_dir=tmp_path_factory.mktemp("selenium"), browser_path=chromium_executable)
    )
    await driver.start()
    yield driver
    await driver.close()


@pytest.mark.parametrize(
    "path",
    [
        "extraction/bills.html",
        "extraction/products.html",
        "extraction/account.html",
        "checkout/",
        "shadow/",
        "legacy/",
        "news/",
    ],
)
async def test_selenium_reads_the_same_text_as_playwright(
    session: PlaywrightSession,
    selenium_driver: SeleniumDriver,
    sites: FixtureSites,
    tmp_path: Path,
    path: str,
) -> None:
    theirs = await selenium_driver.new_session(
        SessionOptions(task_id="t", artifact_dir=tmp_path / "selenium", record_video=False)
    )
    try:
        ours = await _open(session, sites, path)
        await theirs.goto(sites.url(path))
        text = await theirs.read_document()
    finally:
        await theirs.close()
    assert text == ours
    assert "\x00" not in text
