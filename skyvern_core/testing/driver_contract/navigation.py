"""The driver contract for navigation: URLs, back, keys, hover, scrolling, tabs, waiting."""

from __future__ import annotations

import time

from skyvern_core.models import (
    ClickAction,
    GoBackAction,
    GotoUrlAction,
    HoverAction,
    InputTextAction,
    KeypressAction,
    ScrollAction,
    WaitAction,
)
from skyvern_core.protocols import BrowserSession
from skyvern_core.testing.driver_contract.fixtures import DriverContractBase
from skyvern_core.testing.driver_contract.sites import FixtureSitesLike
from skyvern_core.testing.driver_contract.support import (
    _path_of,
    describe,
    execute,
    expect_ok,
    find,
    maybe_find,
    snapshot,
    snapshot_until,
)

__all__ = ["NavigationContract"]


class NavigationContract(DriverContractBase):
    """Navigation: goto_url, go_back, Enter, hover menus, scrolling, new tabs, wait.

    Part of :class:`~skyvern_core.testing.driver_contract.DriverContract`.
    """

    # ------------------------------------------------------------------ navigation

    async def test_goto_url_action(self, session: BrowserSession, sites: FixtureSitesLike) -> None:
        """goto_url opens a URL in the current tab."""
        page = await self.open(session, sites.url("jobs/"))
        expect_ok(await execute(session, GotoUrlAction(url=sites.url("legacy/")), page), "goto_url")
        page = await snapshot(session)
        assert page.url == sites.url("legacy/")
        assert page.title.startswith("Membership Application Form")

    async def test_go_back(self, session: BrowserSession, sites: FixtureSitesLike) -> None:
        """go_back returns to the previous page after following a link."""
        page = await self.open(session, sites.url("news/"))
        story = find(page, label="Ports brace for a record autumn", role="link")
        expect_ok(await execute(session, ClickAction(element_id=story.id), page), "the story")
        page = await snapshot(session)
        assert _path_of(page.url) == "/news/article.html"
        expect_ok(await execute(session, GoBackAction(), page), "go_back")
        page = await snapshot(session)
        assert _path_of(page.url) == "/news/"

    async def test_keypress_enter_submits_search(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Enter in a search box submits it, as for a person."""
        page = await self.open(session, sites.url("news/"))
        box = find(page, label="Search news", role="textbox")
        expect_ok(
            await execute(session, InputTextAction(element_id=box.id, text="election"), page),
            "typing the query",
        )
        expect_ok(
            await execute(session, KeypressAction(key="Enter", element_id=box.id), page), "Enter"
        )
        page = await snapshot(session)
        assert _path_of(page.url) == "/news/search.html?q=election"
        assert "results for \u201celection\u201d" in page.content

    async def test_hover_reveals_a_menu(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A hover-only menu shows after hovering; its link can then be clicked."""
        page = await self.open(session, sites.url("news/"))
        hidden = maybe_find(page, label="Technology", role="link", exact=True)
        assert hidden is None or hidden.visibility == "hidden"
        sections = find(page, label="Sections", role="button")
        expect_ok(await execute(session, HoverAction(element_id=sections.id), page), "hover")
        page = await snapshot(session)
        tech = find(page, label="Technology", role="link", exact=True)
        assert tech.visibility == "visible", describe(page, 30)
        expect_ok(await execute(session, ClickAction(element_id=tech.id), page), "the link")
        page = await snapshot(session)
        assert _path_of(page.url) == "/news/search.html?q=technology"

    async def test_scroll_reaches_a_lazy_element(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """Scrolling down loads comments that exist only once scrolled near."""
        page = await self.open(session, sites.url("news/article.html"))
        assert maybe_find(page, label="Post comment", role="button") is None
        for _ in range(15):
            expect_ok(await execute(session, ScrollAction(direction="down"), page), "scroll")
            page = await snapshot(session)
            if maybe_find(page, label="Post comment", role="button"):
                break
        else:
            page = await snapshot_until(
                session,
                lambda p: maybe_find(p, label="Post comment", role="button") is not None,
                within=3,
                what="the lazily loaded comment form",
            )
        assert find(page, label="Post comment", role="button")

    async def test_scroll_to_an_element(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """scroll with an element id brings a control far down the page into view."""
        page = await self.open(session, sites.url("news/"))
        far = find(page, label="Sitemap", role="link", exact=True)
        assert far.visibility == "offscreen", far.visibility
        expect_ok(
            await execute(session, ScrollAction(direction="down", element_id=far.id), page),
            "scrolling to the footer link",
        )
        page = await snapshot(session)
        now = page.element(far.id)
        assert now is not None, "the element kept its id"
        assert now.visibility == "visible", now.visibility

    async def test_new_tab_is_followed(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """A link opening a new tab leaves the session on that tab."""
        page = await self.open(session, sites.url("news/article.html"))
        link = find(page, label="Print this article", role="link")
        expect_ok(await execute(session, ClickAction(element_id=link.id), page), "the link")
        page = await snapshot(session)
        assert _path_of(page.url) == "/news/print.html"
        assert "Print version" in page.content or "Ports brace" in page.content

    async def test_wait_action(self, session: BrowserSession, sites: FixtureSitesLike) -> None:
        """wait succeeds and takes about as long as asked."""
        page = await self.open(session, sites.url("legacy/"))
        started = time.monotonic()
        expect_ok(await execute(session, WaitAction(seconds=0.5), page), "wait")
        assert 0.4 <= time.monotonic() - started < 10
