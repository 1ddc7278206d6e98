"""The driver contract for snapshots: what a page state holds, stable ids, big pages, labels."""

from __future__ import annotations

import time

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
    _bounded,
    _unique,
    describe,
    execute,
    expect_ok,
    find,
    maybe_find,
    normalize_label,
    snapshot,
    wait_for_submission,
)

__all__ = ["SnapshotContract"]


class SnapshotContract(DriverContractBase):
    """Snapshots: elements, ids, failures named, a 2,000-control page, labels from nearby text.

    Part of :class:`~skyvern_core.testing.driver_contract.DriverContract`.
    """

    # ------------------------------------------------------------------ basics

    async def test_snapshot_describes_the_page(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """URL, title, text and elements with unique ids, labels and roles."""
        page = await self.open(session, sites.url("jobs/"))
        assert page.url == sites.url("jobs/")
        assert page.title == "Senior Backend Engineer - Northwind Robotics"
        assert "Apply for this Job" in page.content
        ids = [e.id for e in page.elements]
        assert len(ids) == len(set(ids)), "element ids must be unique within a snapshot"
        assert find(page, label="Email", role="textbox").type == "email"
        assert find(page, label="First Name", role="textbox").required
        assert not find(page, label="Phone", role="textbox").required
        assert find(page, label="Submit application", role="button")
        assert find(page, label="Dropbox", role="button").disabled
        # Inside a [hidden] block until a file is chosen: not something a person can see.
        remove = maybe_find(page, label="Remove file", role="button")
        assert remove is None or remove.visibility == "hidden", (
            f"the 'Remove file' button is display:none, yet reported {remove.visibility!r}"
        )

    async def test_ids_are_stable_across_snapshots(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """The same element keeps its id from one snapshot to the next, also after typing."""
        first = await self.open(session, sites.url("jobs/"))
        second = await snapshot(session)
        assert [(e.id, e.role, e.label) for e in first.elements] == [
            (e.id, e.role, e.label) for e in second.elements
        ]
        email = find(first, label="Email", role="textbox")
        expect_ok(
            await execute(session, InputTextAction(element_id=email.id, text="x@y.io"), first),
            "typing the email",
        )
        third = await snapshot(session)
        after = find(third, label="Email", role="textbox")
        assert after.id == email.id
        assert after.value == "x@y.io"
        assert find(third, label="Last Name").id == find(first, label="Last Name").id

    async def test_unknown_element_is_a_readable_failure(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """An element id the page does not have fails the action; it does not raise."""
        page = await self.open(session, sites.url("jobs/"))
        result = await execute(session, ClickAction(element_id="no-such-element"), page)
        assert not result.success
        assert result.error and "no-such-element" in result.error

    async def test_disabled_button_click_fails(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Clicking a disabled control is reported, not silently ignored."""
        page = await self.open(session, sites.url("jobs/"))
        dropbox = find(page, label="Dropbox", role="button")
        result = await execute(session, ClickAction(element_id=dropbox.id), page)
        assert not result.success
        assert result.error

    # ------------------------------------------------------------------ big pages

    async def test_large_page_snapshot(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A page with 2,000+ controls is snapshotted whole, in reasonable time."""
        await _bounded(session.goto(sites.url("news/")), "goto")
        started = time.monotonic()
        page = await snapshot(session)
        elapsed = time.monotonic() - started
        assert len(page.elements) >= 2000, len(page.elements)
        assert elapsed < 15, f"snapshot of the news page took {elapsed:.1f} s"
        assert len({e.id for e in page.elements}) == len(page.elements)
        visible = [e for e in page.elements if e.visibility == "visible"]
        offscreen = [e for e in page.elements if e.visibility == "offscreen"]
        assert visible and offscreen, "the viewport shows some; most are further down"

    # ------------------------------------------------------------------ labels

    async def test_legacy_form_labels_from_nearby_text(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Controls without <label>s carry the text a person reads beside them."""
        surname = _unique("Murphy")
        page = await self.open(session, sites.url("legacy/"))
        expected = [
            ("Surname", "textbox"),
            ("Forename(s)", "textbox"),
            ("Date of birth", "textbox"),  # title attribute only
            ("Telephone No.", "textbox"),  # aria-labelledby only
            ("Postcode", "textbox"),
            ("County", "select"),
            ("Membership Type", "select"),
            ("Mr", "radio"),
            ("Mrs", "radio"),
            ("Dr", "radio"),
            ("Tick here if you do not wish to receive club mailings", "checkbox"),
            ("Send Application", "button"),
        ]
        missing = [
            f"{label} ({role})"
            for label, role in expected
            if maybe_find(page, label=label, role=role) is None
        ]
        assert not missing, f"no element labelled {missing}\n{describe(page)}"
        mr = find(page, label="Mr", role="radio")
        mrs = find(page, label="Mrs", role="radio")
        assert mr.id != mrs.id
        assert normalize_label(mr.label) == "mr", f"the 'Mr' radio is labelled {mr.label!r}"

        for label, text in [("Surname", surname), ("Forename(s)", "Siobhan")]:
            field = find(page, label=label, role="textbox")
            expect_ok(
                await execute(session, InputTextAction(element_id=field.id, text=text), page),
                f"typing {label}",
            )
        expect_ok(await execute(session, CheckAction(element_id=mrs.id), page), "Mrs")
        county = find(page, label="County", role="select")
        expect_ok(
            await execute(
                session, SelectOptionAction(element_id=county.id, option="Wexford"), page
            ),
            "choosing the county",
        )
        send = find(page, label="Send Application", role="button")
        expect_ok(await execute(session, ClickAction(element_id=send.id), page), "sending")
        sub = await wait_for_submission(sites, "/legacy/submit", where={"txtSurname": surname})
        assert sub.fields["rdoTitle"] == "2"
        assert sub.fields["selCounty"] == "WX"
        page = await snapshot(session)
        assert sub.reference and sub.reference in page.content, (
            f"the reference {sub.reference} shown on the page is not in the page state's "
            f"text: {page.content!r}"
        )
