"""The driver contract for forms in shadow roots, a cross-site iframe and under an overlay."""

from __future__ import annotations

from pathlib import Path

from skyvern_core.models import (
    CheckAction,
    ClickAction,
    InputTextAction,
    SelectOptionAction,
)
from skyvern_core.protocols import BrowserDriver, BrowserSession
from skyvern_core.testing.driver_contract.fixtures import DriverContractBase
from skyvern_core.testing.driver_contract.sites import FixtureSitesLike
from skyvern_core.testing.driver_contract.support import (
    _bounded,
    _unique,
    describe,
    execute,
    expect_ok,
    find,
    maybe_find,
    snapshot,
    snapshot_until,
    wait_for_submission,
)

__all__ = ["EmbeddedContract"]


class EmbeddedContract(DriverContractBase):
    """Shadow roots, card fields in a cross-origin iframe, a cookie wall, separate sessions.

    Part of :class:`~skyvern_core.testing.driver_contract.DriverContract`.
    """

    # ------------------------------------------------------------------ shadow DOM

    async def test_shadow_dom_form(self, session: BrowserSession, sites: FixtureSitesLike) -> None:
        """Fields inside nested open shadow roots are found, filled and submitted."""
        workspace = _unique("team-")
        page = await self.open(session, sites.url("shadow/"))
        for label, text in [
            ("First name", "Grace"),
            ("Last name", "Hopper"),
            ("Work email", "grace@example.com"),
            ("Workspace URL", workspace),
        ]:
            field = find(page, label=label, role="textbox")
            expect_ok(
                await execute(session, InputTextAction(element_id=field.id, text=text), page),
                f"typing {label}",
            )
        size = find(page, label="Company size", role="select")
        expect_ok(
            await execute(session, SelectOptionAction(element_id=size.id, option="11-50"), page),
            "choosing the company size",
        )
        terms = find(page, label="I agree to the Terms of Service", role="checkbox")
        expect_ok(await execute(session, CheckAction(element_id=terms.id), page), "terms")
        button = find(page, label="Create account", role="button")
        expect_ok(await execute(session, ClickAction(element_id=button.id), page), "submitting")

        sub = await wait_for_submission(sites, "/shadow/register", where={"workspace": workspace})
        assert dict(sub.fields) == {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "workspace": workspace,
            "company_size": "11-50",
            "terms": "accepted",
        }
        page = await snapshot(session)
        assert "Welcome aboard, Grace!" in page.content

    # ------------------------------------------------------------------ cross-origin iframe

    async def test_card_fields_in_cross_origin_iframe(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Card fields in a frame from another site are filled; the payment goes through."""
        name = _unique("Jane Buyer ")
        page = await self.open(session, sites.url("checkout/"))
        number = find(page, label="card number", role="textbox")
        assert number.frame, "card fields live in a child frame: Element.frame must say so"
        assert find(page, label="Email", role="textbox").frame is None
        for label, text in [
            ("Email", "buyer@example.com"),
            ("card number", "4242 4242 4242 4242"),
            ("expiration date", "12 / 34"),
            ("CVC", "123"),
            ("Cardholder name", name),
            ("ZIP", "94107"),
        ]:
            field = find(page, label=label, role="textbox")
            expect_ok(
                await execute(session, InputTextAction(element_id=field.id, text=text), page),
                f"typing {label}",
            )
        pay = find(page, label="Pay $49.00", role="button")
        expect_ok(await execute(session, ClickAction(element_id=pay.id), page), "paying")

        order = await wait_for_submission(sites, "/checkout/pay", where={"cardholder": name})
        token = next(
            s
            for s in sites.submissions
            if s.path == "/checkout/tokens" and s.reference == order.fields["card_token"]
        )
        assert token.fields["number"] == "4242 4242 4242 4242"
        assert token.fields["exp"] == "12 / 34"
        assert token.fields["cvc"] == "123"
        page = await snapshot_until(
            session, lambda p: "Thanks for your order" in p.content, what="the order confirmation"
        )
        assert order.reference and order.reference in page.content, (
            f"the order number {order.reference} shown on the page is not in the page "
            f"state's text, so it cannot be extracted: {page.content!r}"
        )

    # ------------------------------------------------------------------ overlays

    async def test_cookie_modal_covers_the_form(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Under a consent overlay the button is reported covered; after Accept it works."""
        email = f"{_unique('cook')}@example.com"
        page = await self.open(session, sites.url("cookies/"))
        subscribe = find(page, label="Subscribe", role="button", exact=True)
        assert subscribe.visibility == "covered", describe(page)
        accept = find(page, label="Accept all", role="button")
        assert accept.visibility == "visible"

        result = await execute(session, ClickAction(element_id=subscribe.id), page)
        if result.success:
            # Acceptable only if the driver really got the overlay out of the way first.
            after = await snapshot(session)
            still = maybe_find(after, label="Accept all", role="button", visible_only=True)
            assert still is None, "the click 'succeeded' through the overlay"
        else:
            assert result.error and len(result.error) > 10
            assert "Traceback" not in result.error
            page = await snapshot(session)
            accept = find(page, label="Accept all", role="button")
            expect_ok(await execute(session, ClickAction(element_id=accept.id), page), "Accept")

        page = await snapshot(session)
        assert maybe_find(page, label="Accept all", role="button", visible_only=True) is None
        subscribe = find(page, label="Subscribe", role="button", exact=True)
        assert subscribe.visibility == "visible", describe(page)
        field = find(page, label="Email address", role="textbox")
        expect_ok(
            await execute(session, InputTextAction(element_id=field.id, text=email), page),
            "typing the email",
        )
        expect_ok(await execute(session, ClickAction(element_id=subscribe.id), page), "subscribing")
        sub = await wait_for_submission(sites, "/cookies/subscribe", where={"email": email})
        page = await snapshot(session)
        assert "You're on the list!" in page.content
        assert sub.reference

    async def test_sessions_do_not_share_cookies(
        self, driver: BrowserDriver, sites: FixtureSitesLike, tmp_path: Path
    ) -> None:
        """Consent given in one session is not seen by another open at the same time."""
        first = await self.open_session(driver, tmp_path / "a")
        second = await self.open_session(driver, tmp_path / "b")
        try:
            page = await self.open(first, sites.url("cookies/"))
            accept = find(page, label="Accept all", role="button")
            expect_ok(await execute(first, ClickAction(element_id=accept.id), page), "Accept")
            page = await self.open(first, sites.url("cookies/"))
            assert maybe_find(page, label="Accept all", role="button", visible_only=True) is None, (
                "the consent cookie should persist within a session"
            )
            other = await self.open(second, sites.url("cookies/"))
            assert find(other, label="Accept all", role="button").visibility == "visible"
        finally:
            await _bounded(first.close(), "close")
            await _bounded(second.close(), "close")
