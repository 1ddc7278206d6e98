"""The driver contract on form widgets: native selects, react-select, Material UI, chips."""

from __future__ import annotations

from skyvern_core.models import (
    ClickAction,
    InputTextAction,
    PageState,
    SelectOptionAction,
)
from skyvern_core.protocols import BrowserSession
from skyvern_core.testing.driver_contract.fixtures import DriverContractBase
from skyvern_core.testing.driver_contract.sites import (
    FixtureSitesLike,
    SubmissionLike,
)
from skyvern_core.testing.driver_contract.support import (
    _unique,
    execute,
    expect_ok,
    find,
    maybe_find,
    snapshot,
    wait_for_submission,
)

__all__ = ["WidgetContract"]


class WidgetContract(DriverContractBase):
    """Form widgets: native selects, async react-select, Material UI, chips, autocompletes.

    Part of :class:`~skyvern_core.testing.driver_contract.DriverContract`.
    """

    # ------------------------------------------------------------------ form widgets

    async def _widgets_submit(
        self, session: BrowserSession, sites: FixtureSitesLike, page: PageState, who: str
    ) -> SubmissionLike:
        """Type ``who`` as the first name, submit the booking form and return what it got."""
        first = find(page, label="First name", role="textbox")
        expect_ok(
            await execute(session, InputTextAction(element_id=first.id, text=who), page), "name"
        )
        button = find(page, label="Continue to payment", role="button")
        expect_ok(await execute(session, ClickAction(element_id=button.id), page), "submitting")
        return await wait_for_submission(sites, "/widgets/book", where={"first_name": who})

    async def test_native_selects_match_case_punctuation_and_words(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A native select takes "mr" for "MR.", "united states" for "United States of
        America" (not the Minor Outlying Islands), "1 bag" for "1 bag (23 kg)"; the result
        names the option chosen."""
        page = await self.open(session, sites.url("widgets/"))
        asked = {
            "Title": ("mr", "MR."),
            "Gender": ("female", "Female"),
            "Checked bags": ("1 bag", "1 bag (23 kg)"),
            "Meal": ("vegetarian", "Vegetarian / Lacto-ovo (VLML)"),
            "Frequent flyer programme": ("mileageplus", "MileagePlus (United)"),
            "Phone country code": ("+44", "+44 United Kingdom"),
            "Country": ("united states", "United States of America"),
            "State / Province": ("new york", "New York"),
        }
        for label, (option, chosen) in asked.items():
            field = find(page, label=label, role="select")
            result = expect_ok(
                await execute(
                    session, SelectOptionAction(element_id=field.id, option=option), page
                ),
                f"choosing {option!r} in {label}",
            )
            assert result.data["chosen"] == chosen, (label, result.data)
        sub = await self._widgets_submit(session, sites, page, _unique("Ada-"))
        assert {k: sub.fields[k] for k in ("title", "gender", "bags", "meal", "ff_program")} == {
            "title": "MR",
            "gender": "F",
            "bags": "1",
            "meal": "VLML",
            "ff_program": "UA",
        }
        assert (sub.fields["phone_code"], sub.fields["country"]) == ("+44", "US")
        assert sub.fields["state"] == "New York"

    async def test_select_option_ambiguity_and_absence_name_the_options(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Several equally good options fail naming them; none at all lists the options;
        neither changes the field."""
        page = await self.open(session, sites.url("widgets/"))
        country = find(page, label="Country", role="select")
        result = await execute(
            session, SelectOptionAction(element_id=country.id, option="United"), page
        )
        assert not result.success and result.error
        for candidate in ("United Kingdom of Great Britain", "United States of America"):
            assert candidate in result.error, result.error
        assert "give the option's full text" in result.error
        title = find(page, label="Title", role="select")
        result = await execute(session, SelectOptionAction(element_id=title.id, option="Sir"), page)
        assert not result.success and result.error
        assert "has no option 'Sir'; the options are: Select..., MR., MRS., MS., MX., DR." in (
            result.error
        )
        page = await snapshot(session)
        assert find(page, label="Country", role="select").value in ("", None)

    async def test_react_select_async_suggestions_in_a_portal(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A react-select whose suggestions are fetched after typing, in a menu at the end
        of <body>: select_option types and picks; input_text types and picks the suggestion
        that matches; the form library's hidden inputs get the codes."""
        page = await self.open(session, sites.url("widgets/"))
        origin = find(page, label="From", role="combobox")
        assert not origin.options, "the suggestions must not be listed before typing"
        result = expect_ok(
            await execute(
                session, SelectOptionAction(element_id=origin.id, option="Paris CDG"), page
            ),
            "choosing the departure airport",
        )
        assert result.data["chosen"] == "Paris Charles de Gaulle (CDG)"
        destination = find(page, label="To", role="combobox")
        result = expect_ok(
            await execute(
                session, InputTextAction(element_id=destination.id, text="new york jfk"), page
            ),
            "typing the arrival airport",
        )
        assert result.data["autocomplete"] == "picked"
        assert result.data["chosen"] == "New York John F. Kennedy (JFK)"
        sub = await self._widgets_submit(session, sites, await snapshot(session), _unique("A-"))
        assert (sub.fields["from"], sub.fields["to"]) == ("CDG", "JFK")

    async def test_react_select_ambiguous_suggestions_fail_naming_them(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """ "Paris" fits three airports: the select fails naming them and leaves the field
        empty."""
        page = await self.open(session, sites.url("widgets/"))
        origin = find(page, label="From", role="combobox")
        result = await execute(
            session, SelectOptionAction(element_id=origin.id, option="Paris"), page
        )
        assert not result.success and result.error
        for airport in ("Paris Charles de Gaulle (CDG)", "Paris Orly (ORY)", "Paris Beauvais"):
            assert airport in result.error, result.error
        sub = await self._widgets_submit(session, sites, await snapshot(session), _unique("A-"))
        assert sub.fields["from"] == ""

    async def test_material_ui_autocomplete_and_select(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A Material UI Autocomplete (options in a popper) takes "cote d'ivoire" for
        "Côte d'Ivoire"; a Material UI Select (a div with a hidden input) takes "Economy"
        for "Economy / Coach", checked by what the trigger shows."""
        page = await self.open(session, sites.url("widgets/"))
        nationality = find(page, label="Nationality", role="combobox")
        result = expect_ok(
            await execute(
                session, SelectOptionAction(element_id=nationality.id, option="cote d'ivoire"), page
            ),
            "choosing the nationality",
        )
        assert result.data["chosen"] == "Côte d'Ivoire"
        cabin = find(page, label="Cabin class", role="combobox")
        result = expect_ok(
            await execute(session, SelectOptionAction(element_id=cabin.id, option="Economy"), page),
            "choosing the cabin",
        )
        assert result.data["chosen"] == "Economy / Coach"
        assert result.data.get("shown_by") == "shown"
        sub = await self._widgets_submit(session, sites, await snapshot(session), _unique("A-"))
        assert (sub.fields["nationality"], sub.fields["cabin"]) == ("Côte d'Ivoire", "economy")

    async def test_chip_multi_select_is_checked_by_its_chip(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A react-select multi shows a choice only as a chip (its input stays empty): the
        choice counts as made, and the site gets the value."""
        page = await self.open(session, sites.url("widgets/"))
        assistance = find(page, label="Special assistance", role="combobox")
        result = expect_ok(
            await execute(
                session, SelectOptionAction(element_id=assistance.id, option="wheelchair"), page
            ),
            "choosing the assistance",
        )
        assert result.data["chosen"] == "Wheelchair (WCHR)"
        page = await snapshot(session)
        assert maybe_find(page, label="Remove Wheelchair (WCHR)") is not None
        sub = await self._widgets_submit(session, sites, page, _unique("A-"))
        assert sub.fields["assistance"] == "WCHR"

    async def test_plain_autocomplete_keeps_typed_text_without_a_matching_suggestion(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """An address autocomplete whose suggestions do not fit keeps the typed text (and
        says so), under input_text and select_option alike; one that fits is picked."""
        page = await self.open(session, sites.url("widgets/"))
        address = find(page, label="Street address", role="combobox")
        result = expect_ok(
            await execute(
                session, InputTextAction(element_id=address.id, text="350 Fifth Avenue"), page
            ),
            "typing an address a suggestion fits",
        )
        assert result.data["chosen"] == "350 Fifth Avenue, New York, NY 10118"
        result = expect_ok(
            await execute(
                session, InputTextAction(element_id=address.id, text="1 Amphitheatre Pkwy"), page
            ),
            "typing an address no suggestion fits",
        )
        assert result.data["autocomplete"] == "typed"
        assert result.data["suggestions"] == ["1 Infinite Loop, Cupertino, CA 95014"]
        result = expect_ok(
            await execute(
                session, SelectOptionAction(element_id=address.id, option="9 Elm Street"), page
            ),
            "choosing an address no suggestion fits",
        )
        assert result.data["autocomplete"] == "typed"
        sub = await self._widgets_submit(session, sites, await snapshot(session), _unique("A-"))
        assert sub.fields["address"] == "9 Elm Street"
