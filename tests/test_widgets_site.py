"""The widgets fixture site by hand, with Playwright alone: its widgets behave as the
libraries they copy do (react-select fetches after typing and portals its menu, drops typed
text on blur; Material UI's Select keeps its value in a hidden input), and the booking POST
carries what was chosen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
from playwright import async_api as playwright_api

from skyvern_core.testing.sites import FixtureSites

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = pytest.mark.browser


@pytest.fixture
async def page(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Page]:
    """A page of a fresh headless Chromium; the test fails on any console error."""
    errors: list[str] = []
    home = tmp_path_factory.mktemp("chromium-home")
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=chromium_executable, headless=True, env={"HOME": str(home)}
        )
        page = await browser.new_page()
        page.set_default_timeout(5000)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
        await browser.close()
    assert not errors, errors


async def test_widgets_by_hand(page: Page, sites: FixtureSites) -> None:
    await page.goto(sites.url("widgets/"))
    assert await page.title() == "Passenger details - Northwind Air"
    # react-select: nothing to choose before typing; suggestions come later, in a portal.
    await page.click("#react-select-2-input")
    assert await page.locator("#react-select-2-listbox [role=option]").count() == 0
    await page.fill("#react-select-2-input", "orly")
    assert await page.locator(".rs__menu-notice--loading").is_visible()
    option = page.locator("body > .rs__menu-portal [role=option]", has_text="Paris Orly (ORY)")
    await option.click()
    assert await page.locator(".rs__single-value").first.inner_text() == "Paris Orly (ORY)"
    assert await page.input_value("#react-select-2-input") == ""
    # Typed text that was not chosen does not stay (react-select clears it on blur).
    await page.fill("#react-select-3-input", "tokyo")
    await page.click("#first_name")
    assert await page.input_value("#react-select-3-input") == ""
    # Material UI Select: a menu over a backdrop, the value in the hidden native input.
    await page.click("#cabin-select")
    await page.click("#\\:r5\\: [data-value=business]")
    assert await page.inner_text("#cabin-select") == "Business"
    await page.fill("#first_name", "Grace")
    await page.click("text=Continue to payment")
    await page.wait_for_url("**/widgets/booked.html?ref=NW-*")
    assert "Booking confirmed" in await page.inner_text("h1")
    sub = sites.submissions_to("/widgets/book")[-1]
    assert (sub.fields["from"], sub.fields["to"], sub.fields["cabin"]) == ("ORY", "", "business")
    assert sub.fields["first_name"] == "Grace"
