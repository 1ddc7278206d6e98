"""The step prompt on pages built like real ones (``sites/perception/`` and the bundled
sites): what a model reads next to each control — its row's text, its whole name, the
text around it in reading order, a popup's options under their owner — and the long-page
listing. A fake model's reading (``testing.prompt``) finds what a goal names, and the id
it finds is the very element in the page."""

from __future__ import annotations

from typing import Any

import pytest

from skyvern_core.models import InputTextAction, PageState
from skyvern_core.perception import serialize
from skyvern_core.testing.prompt import PromptElement, prompt_elements
from skyvern_core.testing.sites import FixtureSites
from skyvern_plugins.playwright.driver import PlaywrightSession

pytestmark = pytest.mark.browser


async def open_page(session: PlaywrightSession, sites: FixtureSites, path: str) -> PageState:
    await session.goto(sites.url(path))
    return await session.snapshot()


async def dom(session: PlaywrightSession, element_id: str, script: str) -> Any:
    """Evaluate ``script`` (a function of the element) on the element the snapshot gave
    ``element_id`` to."""
    frame = session.primitives.frames[element_id.rsplit(".", 1)[0] if "." in element_id else ""]
    return await frame.evaluate(
        f"(id) => ({script})(window[Symbol.for('skyvern-core.snapshot')].byId.get(id))",
        element_id,
    )


def one(elements: list[PromptElement], **want: str) -> PromptElement:
    """The one prompt element with these fields (``row`` matches a part of the row)."""
    found = [
        e
        for e in elements
        if all(
            (v in e.row) if k == "row" else getattr(e, k) == v  # a row is matched by a part
            for k, v in want.items()
        )
    ]
    assert len(found) == 1, (want, found)
    return found[0]


async def test_a_rows_text_sits_next_to_its_controls(
    session: PlaywrightSession, sites: FixtureSites
) -> None:
    page = await open_page(session, sites, "perception/bills.html")
    prompt = serialize(page)
    lines = prompt.splitlines()
    northwind = "Northwind Traders · Jun 3, 2024 · $1,240.00 · Overdue"
    # The row's controls are read with its text (alike rows in view are written once: the
    # row's text and its ids on one line under a header naming the controls).
    in_row = [e for e in prompt_elements(prompt) if e.row == northwind][:3]
    assert [(e.role, e.label) for e in in_row] == [
        ("checkbox", "Select BILL-10558"),
        ("link", "BILL-10558"),
        ("button", "More actions"),  # an icon named by its title
    ]
    at = next(n for n, line in enumerate(lines) if line.strip().startswith(f"{northwind}: "))
    assert all(e.id in " ".join(lines[at : at + 4]) for e in in_row)
    # The header row once, as a line of text, before the rows.
    assert lines.index("Select · Bill · Vendor · Due · Amount · Status") < at
    # Separate nodes read apart: a tab and its counter.
    assert any(line.endswith(' tab "All 212" selected') for line in lines)
    assert any(line.endswith(' tab "Overdue 14"') for line in lines)

    # "The bill from Contoso due on Jun 12" is the second row: a model that reads the
    # prompt finds its checkbox, and that id is that row's checkbox in the page.
    elements = prompt_elements(prompt)
    contoso = [e for e in elements if e.role == "checkbox" and "Contoso Ltd · Jun 12" in e.row]
    assert await dom(session, contoso[0].id, "(el) => el.closest('tr').dataset.bill") == (
        "BILL-10559"
    )
    # Far below the fold the rows are still there with their text, ids and names...
    far = one(elements, role="checkbox", label="Select BILL-10598")
    assert far.row == "Contoso Ltd · Jun 12, 2024 · $310.50 · Due soon"
    assert await dom(session, far.id, "(el) => el.closest('tr').dataset.bill") == "BILL-10598"
    # (the checkbox's name is the link's, "Select " before it: said once for all)
    assert 'each row below has: checkbox "Select <link>", link (its own name), button "More' in (
        prompt
    )
    # ...and the button after the table is not crowded out by them.
    assert one(elements, role="button", label="Pay selected")


async def test_text_between_controls_keeps_its_reading_order(
    session: PlaywrightSession, sites: FixtureSites
) -> None:
    page = await open_page(session, sites, "checkout/")
    lines = serialize(page).splitlines()

    def where(text: str) -> int:
        return next(i for i, line in enumerate(lines) if text in line)

    # The order summary, the headings, the note above the card fields, the fields of the
    # card iframe where the iframe is (between the email and the cardholder), the button.
    order = [
        "Total due $49.00",
        "## Contact information",
        'textbox "Email"',
        "## Payment method",
        "Card information",
        'f1.e1 textbox "Credit or debit card number"',
        'textbox "Cardholder name"',
        'button "Pay $49.00"',
    ]
    assert [where(t) for t in order] == sorted(where(t) for t in order), lines
    assert "Tax · $5.00" in lines


async def test_whole_names_where_a_person_reads_them(
    session: PlaywrightSession, sites: FixtureSites
) -> None:
    page = await open_page(session, sites, "perception/names.html")
    prompt = serialize(page)
    by_label = {e.label: e for e in prompt_elements(prompt)}
    question = (
        "Have you or anyone who will drive the car been convicted of a motoring offence, or "
        "had a licence suspended, in the last five years?"
    )
    assert by_label[question].role == "select"
    # Below the fold too, a question is never cut.
    renewal = (
        "Would you like us to contact you about renewing your policy before it runs out next year?"
    )
    assert "\nFurther down" in prompt.split(renewal)[0]
    # Icon buttons by their tooltip or SVG title (not "✎" or an icon font's "close").
    for name in ("Delete row", "Download invoice", "Archive", "Edit", "Remove item"):
        assert by_label[name].role == "button", name
    # A legacy form's cell or the text before a field, not its placeholder or title.
    assert await dom(session, by_label["Surname"].id, "(el) => el.name") == "sname"
    assert await dom(session, by_label["Membership No."].id, "(el) => el.name") == "memno"
    assert await dom(session, by_label["Phone"].id, "(el) => el.name") == "phone"
    assert "e.g. SMITH" not in by_label and "12345678" not in by_label
    # A box's own label, not the help text beside it.
    assert by_label["Call me before delivery"].role == "checkbox"
    assert await dom(session, by_label["Gift wrap this order"].id, "(el) => el.name") == "gift"
    # Editors by the placeholder their CSS or attributes show.
    for name in ("Compose a note to the driver", "Write a reply…", "Add a comment"):
        assert by_label[name].role == "textbox", name
    # A label shown beside an empty combobox, or its placeholder, is not its value; a
    # chosen value shown beside it is.
    assert by_label["Location (City)"].rest == ""
    assert by_label["Pickup depot"].rest == ""
    assert by_label["Office"].rest == ' value="Berlin, Germany"'
    city = next(e for e in page.elements if e.label == "Location (City)")
    await session.execute(InputTextAction(element_id=city.id, text="Par"), page)
    typed = {e.label: e for e in (await session.snapshot()).elements}
    assert typed["Location (City)"].value == "Par"


async def test_a_popups_options_under_their_owner(
    session: PlaywrightSession, sites: FixtureSites
) -> None:
    page = await open_page(session, sites, "perception/popups.html")
    lines = serialize(page).splitlines()
    combo = next(i for i, line in enumerate(lines) if 'combobox "Destination country"' in line)
    assert lines[combo].endswith('expanded value="Ger"')
    assert [line.split(" ", 3)[-1] for line in lines[combo + 1 : combo + 4]] == [
        'option "Germany"',
        'option "Georgia"',
        'option "Niger"',
    ]
    assert all(line.startswith("  ") for line in lines[combo + 1 : combo + 4])
    # The menu is linked to nothing: it belongs to the one control that is expanded.
    menu = next(i for i, line in enumerate(lines) if 'button "Actions" expanded' in line)
    assert [line.split(" ", 3)[-1] for line in lines[menu + 1 : menu + 4]] == [
        'menuitem "Duplicate"',
        'menuitem "Print label"',
        'menuitem "Cancel shipment"',
    ]
    owners = {e.label: e.owner for e in prompt_elements("\n".join(lines))}
    assert owners["Germany"] == lines[combo].split()[0]
    assert owners["Cancel shipment"] == lines[menu].split()[0]
    assert await dom(session, owners["Germany"], "(el) => el.id") == "country"


async def test_a_long_page_keeps_its_form_fields_and_every_card(
    session: PlaywrightSession, sites: FixtureSites
) -> None:
    page = await open_page(session, sites, "perception/shop.html")
    prompt = serialize(page)
    elements = prompt_elements(prompt)
    # The promo code field after 60 product cards is listed, and the footer...
    assert one(elements, role="textbox", label="Promo code")
    assert one(elements, role="link", label="Contact us")
    # ...and so is every card's "Add to cart", each with its card's text and product.
    adds = [e for e in elements if e.role == "button" and e.label == "Add to cart"]
    assert len(adds) == 60
    assert 'each row below has: link (its own name), button "Add to cart":' in prompt
    link = one(elements, role="link", label="Portable SSD 4")
    assert link.row == "$57.99 · In stock"
    button = one(elements, role="button", row="$57.99")
    assert await dom(
        session, button.id, "(el) => el.closest('.card').querySelector('a').textContent"
    ) == ("Portable SSD 4")
    assert "…and" not in prompt  # nothing left out


async def test_news_footer_and_filters_survive_the_long_table(
    session: PlaywrightSession, sites: FixtureSites
) -> None:
    page = await open_page(session, sites, "news/")
    prompt = serialize(page)
    elements = prompt_elements(prompt)
    for name in ("Gainers", "Losers"):
        assert one(elements, role="button", label=name)
    assert one(elements, role="link", label="Careers")  # below 600 rows of quotes
    first = one(elements, role="checkbox", label="Price alert for FHAB0")
    assert first.row.startswith("Fabri Holdings · ")
    assert "## Markets data" in prompt.splitlines()


async def test_a_council_portal_reads_as_a_person_reads_it(
    session: PlaywrightSession, sites: FixtureSites
) -> None:
    page = await open_page(session, sites, "perception/council.html")
    prompt = serialize(page)
    elements = prompt_elements(prompt)
    by_id = {e.id: e for e in page.elements}
    # A monogram logo is called by its tooltip; a logo split in two styled halves is one
    # word; a search box by the placeholder that says more than its "Search".
    assert one(elements, role="link", label="Eastbrook home")
    assert one(elements, role="link", label="eastbrook")
    assert one(elements, role="textbox", label="Search services and news")
    # A side navigation's links sit under its name, which the page shows nowhere else.
    lines = prompt.splitlines()
    at = lines.index('group "Account settings":')
    assert [line.split(" ", 2)[2] for line in lines[at + 1 : at + 4]] == [
        '"Profile"',
        '"Notifications"',
        '"Payments"',
    ]
    # Message rows that are clicked as a whole are rows: the sender and subject are the
    # row's text, the box and the star are its controls, the row itself is one of them.
    tax = [e for e in elements if e.row.startswith("Council Tax · Your annual bill")]
    assert [e.role for e in tax] == ["clickable", "checkbox", "button"]
    assert tax[1].label == ""  # not named by the star's glyph beside it
    assert await dom(session, tax[0].id, "(el) => el.tagName") == "TR"
    assert await dom(session, tax[1].id, "(el) => el.closest('tr').cells[2].textContent") == (
        "Council Tax"
    )
    # Boxes under one label are told apart: a date's parts by its format, lines by place.
    for part, name in (("day", "dob_d"), ("month", "dob_m"), ("year", "dob_y")):
        box = one(elements, role="textbox", label=f"Date of birth (dd/mm/yyyy) ({part}) *")
        assert by_id[box.id].attributes["name"] == name
    assert by_id[one(elements, label="Address (2 of 2)").id].attributes["name"] == "addr2"
    # Options of a legacy nested table, code boxes and a banner's buttons under the name
    # of what holds them.
    assert by_id[one(elements, role="radio", label="Post").id].attributes["group"] == (
        "Contact by *"
    )
    assert by_id[one(elements, label="Digit 3 of 4").id].attributes["group"] == (
        "Verification code"
    )
    assert 'group "We use cookies to make this site work.":' in lines
    accept = one(elements, role="button", label="Accept")
    assert by_id[accept.id].attributes["group"] == "We use cookies to make this site work."
