"""The driver contract for a multi-step form and for input the page changes or refuses."""

from __future__ import annotations

import re

from skyvern_core.models import (
    CheckAction,
    ClickAction,
    InputTextAction,
    SelectOptionAction,
)
from skyvern_core.protocols import BrowserSession
from skyvern_core.testing.driver_contract.fixtures import DriverContractBase
from skyvern_core.testing.driver_contract.sites import FixtureSitesLike
from skyvern_core.testing.driver_contract.support import (
    _unique,
    execute,
    expect_ok,
    find,
    maybe_find,
    snapshot,
    wait_for_submission,
)

__all__ = ["FormContract"]


class FormContract(DriverContractBase):
    """A three-step quote, and typed text the page rewrites or refuses reported as failed.

    Part of :class:`~skyvern_core.testing.driver_contract.DriverContract`.
    """

    # ------------------------------------------------------------------ multi-step form

    async def test_multi_step_insurance_quote(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Three steps: a date input, dependent selects, card radios, ARIA switch/checkbox."""
        email = f"{_unique('sam')}@example.com"
        page = await self.open(session, sites.url("insurance/"))
        for label, text in [
            ("First name", "Sam"),
            ("Last name", "Rivera"),
            ("Date of birth", "1985-04-12"),
            ("ZIP code", "30301"),
            ("Email", email),
        ]:
            field = find(page, label=label)
            expect_ok(
                await execute(session, InputTextAction(element_id=field.id, text=text), page),
                f"typing {label}",
            )
        assert maybe_find(page, label="Make", role="select", visible_only=True) is None
        expect_ok(
            await execute(
                session,
                ClickAction(
                    element_id=find(page, label="Continue", role="button", visible_only=True).id
                ),
                page,
            ),
            "continuing to step 2",
        )

        page = await snapshot(session)
        assert "Step 2 of 3" in page.content, page.content
        for label, option in [("Year", "2019"), ("Make", "Honda")]:
            select = find(page, label=label, role="select", visible_only=True)
            expect_ok(
                await execute(
                    session, SelectOptionAction(element_id=select.id, option=option), page
                ),
                f"choosing the {label}",
            )
        # The model list is filled only once the make is chosen: look again.
        page = await snapshot(session)
        model = find(page, label="Model", role="select", visible_only=True)
        assert not model.disabled
        expect_ok(
            await execute(session, SelectOptionAction(element_id=model.id, option="Civic"), page),
            "choosing the model",
        )
        commute = find(page, label="Commuting", role="radio")
        expect_ok(await execute(session, CheckAction(element_id=commute.id), page), "usage")
        expect_ok(
            await execute(
                session,
                ClickAction(
                    element_id=find(page, label="Continue", role="button", visible_only=True).id
                ),
                page,
            ),
            "continuing to step 3",
        )

        page = await snapshot(session)
        assert "Step 3 of 3" in page.content, page.content
        roadside = find(page, label="Roadside assistance", role="switch")
        assert roadside.checked is False
        expect_ok(await execute(session, CheckAction(element_id=roadside.id), page), "roadside")
        confirm = find(page, label="I confirm the information", role="checkbox")
        expect_ok(await execute(session, CheckAction(element_id=confirm.id), page), "confirm")
        page = await snapshot(session)
        assert find(page, label="Roadside assistance", role="switch").checked is True
        assert find(page, label="I confirm the information", role="checkbox").checked is True
        quote = find(page, label="Get my quote", role="button")
        expect_ok(await execute(session, ClickAction(element_id=quote.id), page), "quoting")

        sub = await wait_for_submission(sites, "/insurance/quote", where={"email": email})
        assert sub.fields["dob"] == "1985-04-12"
        assert (sub.fields["vehicle_year"], sub.fields["vehicle_make"]) == ("2019", "Honda")
        assert sub.fields["vehicle_model"] == "Civic"
        assert sub.fields["usage"] == "commute"
        assert (sub.fields["roadside"], sub.fields["rental"]) == ("yes", "no")
        assert sub.fields["confirm"] == "yes"
        page = await snapshot(session)
        assert "Your quote is ready" in page.content
        assert re.search(r"\$\d{1,3}(,\d{3})*\.\d{2}", page.content), (
            f"the quoted price shown on the page is not in the page state's text: {page.content!r}"
        )

    # ------------------------------------------------------------------ verification

    async def test_input_rewritten_by_the_page_is_a_failure(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A field that rewrites what was typed (uppercases it) is reported as failed."""
        page = await self.open(session, sites.url("legacy/"))
        postcode = find(page, label="Postcode", role="textbox")
        result = await execute(
            session, InputTextAction(element_id=postcode.id, text="y35 ab12"), page
        )
        assert not result.success, "the field holds 'Y35 AB12', not the text typed"
        assert result.error

    async def test_input_refused_by_the_page_is_a_failure(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A field that refuses the characters typed (digits only) is reported as failed."""
        page = await self.open(session, sites.url("legacy/"))
        number = find(page, label="Previous Membership No.", role="textbox")
        result = await execute(session, InputTextAction(element_id=number.id, text="AB-12"), page)
        assert not result.success, "the field keeps only '12'"
        assert result.error
