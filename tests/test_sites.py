"""The fixture websites work in a real Chromium, independent of any skyvern-core driver.

Each site is driven with raw Playwright the way a person would use it, and the server's
recorded submissions are checked; every page must load without console errors. When a
driver's contract test fails on a site, these tests tell whether the site or the driver
is to blame.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import playwright.async_api as playwright_api
import pytest

from skyvern_core.testing.sites import FixtureSites
from skyvern_core.testing.sites.server import ROOT, iter_sites

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

pytestmark = pytest.mark.browser

PAGES = [
    "",
    "jobs/",
    "shadow/",
    "checkout/",
    "cookies/",
    "insurance/",
    "news/",
    "news/article.html",
    "news/search.html?q=markets",
    "news/print.html",
    "legacy/",
    "login/",
    "permits/",
    "permits/vehicle.html",
    "permits/review.html",
]


def _pdf(tmp_path: Path, size: int = 2048) -> Path:
    path = tmp_path / "Ada_Lovelace_Resume.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"0" * (size - 9))
    return path


# --------------------------------------------------------------------------- server


def test_server_serves_both_origins(sites: FixtureSites) -> None:
    """The other origin is a different site (host), not just another port."""
    import urllib.request

    main = urllib.request.urlopen(sites.url("jobs/")).read().decode()
    other = urllib.request.urlopen(sites.other_origin_url("checkout/card-frame.html")).read()
    assert "Senior Backend Engineer" in main
    assert b"Credit or debit card number" in other
    assert sites.url().split(":")[1] != sites.other_origin_url().split(":")[1]


def test_server_records_posts_and_resets() -> None:
    """A private server: POSTs are recorded with fields and files; reset forgets them."""
    import urllib.request

    with FixtureSites() as own:
        boundary = "XyZ"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="email"\r\n\r\n'
            f'a@b.c\r\n--{boundary}\r\nContent-Disposition: form-data; name="resume"; '
            f'filename="cv.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n'
        ).encode()
        request = urllib.request.Request(
            own.url("elsewhere/post"),
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert urllib.request.urlopen(request).status == 204
        (sub,) = own.submissions
        assert sub.path == "/elsewhere/post"
        assert sub.fields == {"email": "a@b.c"}
        assert (sub.files["resume"].filename, sub.files["resume"].size) == ("cv.txt", 5)
        own.reset()
        assert own.submissions == []


def test_index_lists_every_site() -> None:
    """The index page links every site folder."""
    index = (ROOT / "index.html").read_text()
    names = list(iter_sites())
    assert set(names) >= {"jobs", "shadow", "checkout", "cookies", "insurance", "news", "legacy"}
    for name in names:
        assert f'href="{name}/"' in index


# --------------------------------------------------------------------------- pages load


@pytest.mark.parametrize("path", PAGES)
async def test_page_loads_without_console_errors(
    page: Page, sites: FixtureSites, path: str
) -> None:
    """Every page loads, has a title, and logs no errors (checked by the fixture)."""
    response = await page.goto(sites.url(path))
    assert response is not None and response.ok
    await page.wait_for_load_state("networkidle")
    assert await page.title()


# --------------------------------------------------------------------------- submit paths


async def test_jobs_application(page: Page, sites: FixtureSites, tmp_path: Path) -> None:
    """Hidden file input via "Attach", the location combobox, consent: a confirmation number."""
    p = page
    await p.goto(sites.url("jobs/"))
    await p.fill("#first_name", "Ada")
    await p.fill("#last_name", "Lovelace")
    await p.fill("#email", "ada.jobs@example.com")
    async with p.expect_file_chooser() as chooser:
        await p.click("#resume-attach")
    assert not await p.is_visible("#resume-remove")
    await (await chooser.value).set_files(_pdf(tmp_path))
    assert await p.is_visible("#resume-remove")
    assert not await p.is_visible("#resume-attach")
    # The options are rendered only while the combobox is open; typing filters them.
    assert await p.locator("[role=option]").count() == 0
    await p.click("#location-input")
    await p.keyboard.type("berl")
    await p.get_by_role("option", name="Berlin, Germany").click()
    await p.select_option("#source", label="Employee referral")
    await p.select_option("#work_auth", "Yes")
    await p.click("label[for=consent]")  # the styled label: the box itself is hidden
    await p.click("#submit_app")
    await p.wait_for_url("**/jobs/confirmation.html?ref=*")
    sub = sites.submissions_to("/jobs/apply")[-1]
    assert sub.fields["email"] == "ada.jobs@example.com"
    assert sub.fields["location"] == "Berlin, Germany"
    assert sub.fields["source"] == "referral"
    assert sub.fields["consent"] == "yes"
    assert (sub.files["resume"].filename, sub.files["resume"].size) == (
        "Ada_Lovelace_Resume.pdf",
        2048,
    )
    shown = await p.inner_text("#confirmation-number")
    assert re.fullmatch(r"JA-\d{6}", shown)
    assert shown == sub.reference


async def test_jobs_validation_blocks_incomplete_form(page: Page, sites: FixtureSites) -> None:
    """Submitting without the required fields shows errors and posts nothing."""
    before = len(sites.submissions_to("/jobs/apply"))
    await page.goto(sites.url("jobs/"))
    await page.click("#submit_app")
    assert "highlighted fields" in await page.inner_text("#form-summary")
    assert len(sites.submissions_to("/jobs/apply")) == before


async def test_shadow_signup(page: Page, sites: FixtureSites) -> None:
    """Inputs in nested open shadow roots post through form-associated custom elements."""
    p = page
    await p.goto(sites.url("shadow/"))
    # The inputs are not in the light DOM at all.
    assert await p.evaluate("document.querySelectorAll('input').length") == 0
    await p.get_by_label("First name").fill("Grace")
    await p.get_by_label("Last name").fill("Hopper")
    await p.get_by_label("Work email").fill("grace.shadow@example.com")
    await p.get_by_label("Workspace URL").fill("navy-labs")
    await p.get_by_label("Company size").select_option("11-50")
    await p.get_by_role("checkbox").check()
    await p.get_by_role("button", name="Create account").click()
    await p.wait_for_url("**/shadow/welcome.html?ref=*")
    sub = sites.submissions_to("/shadow/register")[-1]
    assert sub.fields == {
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace.shadow@example.com",
        "workspace": "navy-labs",
        "company_size": "11-50",
        "terms": "accepted",
    }
    assert "Welcome aboard, Grace!" in await p.inner_text("h1")


async def test_checkout_card_frame(page: Page, sites: FixtureSites) -> None:
    """Card fields in the cross-site frame are tokenized there; the shop gets the token."""
    p = page
    await p.goto(sites.url("checkout/"))
    frame = p.frame_locator("iframe[title='Secure card payment input frame']")
    await p.fill("#email", "buyer@example.com")
    await frame.get_by_label("Credit or debit card number").fill("4242 4242 4242 4242")
    await frame.get_by_label("Credit or debit card expiration date").fill("12 / 34")
    await frame.get_by_label("Credit or debit card CVC/CVV").fill("123")
    await p.fill("#cardholder", "Jane Buyer")
    await p.fill("#postal", "94107")
    card_frame = next(f for f in p.frames if f.url.startswith(sites.other_origin_url()))
    assert card_frame.url.startswith(sites.other_origin_url("checkout/card-frame.html"))
    await p.click("#pay")
    await p.wait_for_url("**/checkout/complete.html?ref=*")
    token = sites.submissions_to("/checkout/tokens")[-1]
    order = sites.submissions_to("/checkout/pay")[-1]
    assert token.origin == "other"
    assert token.fields["number"] == "4242 4242 4242 4242"
    assert order.fields["card_token"] == token.reference
    assert "number" not in order.fields
    assert await p.inner_text("#last4") == "4242"


async def test_checkout_rejects_invalid_card(
    console_errors: list[str], page: Page, sites: FixtureSites
) -> None:
    """A number failing the Luhn check comes back as a readable error on the page."""
    p = page
    await p.goto(sites.url("checkout/"))
    frame = p.frame_locator("iframe[title='Secure card payment input frame']")
    await p.fill("#email", "buyer@example.com")
    await frame.get_by_label("Credit or debit card number").fill("4242 4242 4242 4241")
    await frame.get_by_label("Credit or debit card expiration date").fill("12 / 34")
    await frame.get_by_label("Credit or debit card CVC/CVV").fill("123")
    await p.fill("#cardholder", "Jane Buyer")
    await p.click("#pay")
    await p.get_by_text("Your card number is invalid.").first.wait_for()
    assert p.url == sites.url("checkout/")
    # The provider answers 402 like Stripe does, which Chromium logs: expected here.
    console_errors[:] = [e for e in console_errors if "402" not in e]


async def test_cookie_wall(context: BrowserContext, page: Page, sites: FixtureSites) -> None:
    """The consent overlay covers the form until accepted; the choice is per context."""
    p = page
    await p.goto(sites.url("cookies/"))
    covered_by = await p.evaluate(
        """() => { const r = document.querySelector('#nl-subscribe').getBoundingClientRect();
        return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)
          .closest('#cmp') !== null; }"""
    )
    assert covered_by, "the Subscribe button should be under the consent overlay"
    with pytest.raises(playwright_api.TimeoutError):
        await p.click("#nl-subscribe", timeout=800)
    await p.get_by_role("button", name="Accept all").click()
    await p.fill("#nl-email", "cook@example.com")
    await p.click("#nl-subscribe")
    await p.wait_for_url("**/cookies/thanks.html?ref=*")
    sub = sites.submissions_to("/cookies/subscribe")[-1]
    assert sub.fields["email"] == "cook@example.com"
    assert "wk_consent=accepted" in sub.cookies
    await p.goto(sites.url("cookies/"))
    assert not await p.is_visible("#cmp")
    assert context.browser is not None
    other = await context.browser.new_context()
    try:
        fresh = await other.new_page()
        await fresh.goto(sites.url("cookies/"))
        assert await fresh.is_visible("#cmp")
    finally:
        await other.close()


async def test_insurance_quote(page: Page, sites: FixtureSites) -> None:
    """Three steps (date, dependent selects, card radios, ARIA switches) to a price."""
    p = page
    await p.goto(sites.url("insurance/"))
    await p.get_by_label("First name").fill("Sam")
    await p.get_by_label("Last name").fill("Rivera")
    await p.get_by_label("Date of birth").fill("1985-04-12")
    await p.get_by_label("ZIP code").fill("30301")
    await p.get_by_label("Email").fill("sam@example.com")
    assert not await p.get_by_label("Make").is_visible()
    await p.get_by_role("button", name="Continue").click()
    assert "Step 2 of 3" in await p.inner_text("#step-count")
    await p.get_by_label("Year").select_option("2019")
    assert await p.get_by_label("Model").is_disabled()
    await p.get_by_label("Make").select_option("Honda")
    await p.get_by_label("Model").select_option("Civic")
    await p.click("label[for=usage-commute]")
    await p.get_by_role("button", name="Continue").click()
    await p.get_by_role("switch", name="Roadside assistance").click()
    await p.get_by_role("button", name="Get my quote").click()
    assert "confirm" in await p.inner_text("section[data-step='3'] .error")
    await p.get_by_role("checkbox", name="I confirm the information I provided is accurate").click()
    await p.get_by_role("button", name="Get my quote").click()
    await p.wait_for_url("**/insurance/quote.html?ref=*")
    sub = sites.submissions_to("/insurance/quote")[-1]
    assert sub.fields["dob"] == "1985-04-12"
    assert sub.fields["vehicle_model"] == "Civic"
    assert sub.fields["usage"] == "commute"
    assert (sub.fields["roadside"], sub.fields["confirm"]) == ("yes", "yes")
    assert await p.inner_text("#annual-price") == sub.extra["price"]
    assert re.fullmatch(r"\$\d{1,2},?\d{3}\.\d{2}", sub.extra["price"])


async def test_news_homepage(page: Page, sites: FixtureSites) -> None:
    """2,000+ controls, a hover-only menu, and a search box submitted with Enter."""
    p = page
    await p.goto(sites.url("news/"))
    count = await p.evaluate("document.querySelectorAll('a,button,input,select,textarea').length")
    assert count >= 2000
    assert not await p.get_by_role("link", name="Technology").is_visible()
    await p.hover("#sections-button")
    assert await p.get_by_role("link", name="Technology").is_visible()
    await p.fill("#search-q", "election")
    await p.press("#search-q", "Enter")
    await p.wait_for_url("**/news/search.html?q=election")
    assert await p.inner_text("#results-title") == "6 results for \u201celection\u201d"


async def test_news_article(context: BrowserContext, page: Page, sites: FixtureSites) -> None:
    """Lazy comments appear on scroll; print opens a tab; the PDF is a download."""
    p = page
    await p.goto(sites.url("news/article.html"))
    assert await p.locator("#post-comment").count() == 0
    for _ in range(20):
        await p.mouse.wheel(0, 700)
        await p.wait_for_timeout(100)
        if await p.locator("#post-comment").count():
            break
    await p.locator("#post-comment").wait_for()
    async with context.expect_page() as new_page:
        await p.click("#print-link")
    tab = await new_page.value
    await tab.wait_for_load_state()
    assert tab.url == sites.url("news/print.html")
    await tab.close()
    async with p.expect_download() as download:
        await p.click("#pdf-link")
    dl = await download.value
    assert dl.suggested_filename == "todays-edition.pdf"
    assert Path(await dl.path()).read_bytes().startswith(b"%PDF")


async def test_legacy_form(page: Page, sites: FixtureSites) -> None:
    """A label-less table form: fields rewrite or refuse input; the server gets the rest."""
    p = page
    await p.goto(sites.url("legacy/"))
    assert await p.locator("label").count() == 0
    await p.check("input[name=rdoTitle][value='4']")
    await p.fill("input[name=txtSurname]", "Murphy")
    await p.fill("input[name=txtForename]", "Siobhan")
    await p.fill("input[name=txtDOB]", "01/02/1960")
    await p.fill("input[name=txtPostcode]", "y35 ab12")
    assert await p.input_value("input[name=txtPostcode]") == "Y35 AB12"
    await p.locator("input[name=txtMemberNo]").press_sequentially("12ab3")
    assert await p.input_value("input[name=txtMemberNo]") == "123"
    await p.fill("input[name=txtPhone]", "053 912 3456")
    await p.select_option("select[name=selCounty]", label="Wexford")
    await p.check("input[name=chkNoMail]")
    await p.click("input[type=submit]")
    await p.wait_for_url("**/legacy/received.html?ref=*")
    sub = sites.submissions_to("/legacy/submit")[-1]
    assert sub.fields["rdoTitle"] == "4"
    assert sub.fields["txtPostcode"] == "Y35 AB12"
    assert sub.fields["txtMemberNo"] == "123"
    assert sub.fields["selCounty"] == "WX"
    assert sub.fields["chkNoMail"] == "Y"
    assert sub.reference and sub.reference in await p.inner_text("#ref")
