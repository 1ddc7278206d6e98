"""The driver contract for browser profiles: a session starts with the cookies and local
storage it is given, gives them back, and keeps them from other sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from skyvern_core.models import ClickAction
from skyvern_core.protocols import BrowserDriver, StorageKeeper
from skyvern_core.testing.driver_contract.fixtures import DriverContractBase
from skyvern_core.testing.driver_contract.sites import FixtureSitesLike
from skyvern_core.testing.driver_contract.support import _bounded, execute, expect_ok, find

__all__ = ["StorageStateContract"]


def _state(origin: str, host: str) -> dict[str, Any]:
    return {
        "cookies": [
            {
                "name": "remember_me",
                "value": "r-7f3a9c",
                "domain": host,
                "path": "/",
                "expires": -1,
                "httpOnly": True,
                "secure": False,
                "sameSite": "Lax",
            }
        ],
        "origins": [{"origin": origin, "localStorage": [{"name": "theme", "value": "dark"}]}],
    }


class StorageStateContract(DriverContractBase):
    """Browser profiles: ``storage_state`` in, :meth:`StorageKeeper.storage_state` out.

    Part of :class:`~skyvern_core.testing.driver_contract.DriverContract`.
    """

    async def test_a_session_starts_with_the_storage_it_is_given_and_gives_it_back(
        self, driver: BrowserDriver, sites: FixtureSitesLike, tmp_path: Path
    ) -> None:
        url = sites.url("news/article.html")
        parts = urlsplit(url)
        origin, host = f"{parts.scheme}://{parts.netloc}", parts.hostname or ""
        session = await self.open_session(
            driver, tmp_path / "a", storage_state=_state(origin, host)
        )
        try:
            assert isinstance(session, StorageKeeper)
            await _bounded(session.goto(url), "goto")
            # Seen again on a second page of the origin: restored once, not lost on the way.
            await _bounded(session.goto(sites.url("jobs/")), "goto")
            state = await _bounded(session.storage_state(), "storage_state")
        finally:
            await _bounded(session.close(), "close")
        cookies = {c["name"]: c for c in state["cookies"]}
        assert cookies["remember_me"]["value"] == "r-7f3a9c"
        assert cookies["remember_me"]["httpOnly"] is True
        storage = {o["origin"]: o["localStorage"] for o in state["origins"]}
        assert {"name": "theme", "value": "dark"} in storage[origin]

        fresh = await self.open_session(driver, tmp_path / "b")
        try:
            assert isinstance(fresh, StorageKeeper)
            await _bounded(fresh.goto(url), "goto")
            other = await _bounded(fresh.storage_state(), "storage_state")
        finally:
            await _bounded(fresh.close(), "close")
        assert "remember_me" not in {c["name"] for c in other["cookies"]}
        assert all(item["name"] != "theme" for o in other["origins"] for item in o["localStorage"])

    async def test_storage_a_page_wrote_is_given_back_after_the_task_left_its_site(
        self, driver: BrowserDriver, sites: FixtureSitesLike, tmp_path: Path
    ) -> None:
        """A cookie banner's choice, kept in local storage, is in the state the session
        gives back although the session went on to another site."""
        url = sites.url("travel/index.html")
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        empty: dict[str, Any] = {"cookies": [], "origins": []}
        session = await self.open_session(driver, tmp_path / "a", storage_state=empty)
        try:
            assert isinstance(session, StorageKeeper)
            page = await self.open(session, url)
            accept = find(page, label="Accept all", role="button")
            expect_ok(await execute(session, ClickAction(element_id=accept.id), page), "accept")
            await _bounded(session.goto(sites.other_origin_url("checkout/")), "goto")
            state = await _bounded(session.storage_state(), "storage_state")
        finally:
            await _bounded(session.close(), "close")
        storage = {o["origin"]: o["localStorage"] for o in state["origins"]}
        assert {"name": "sr.cookies", "value": "all"} in storage.get(origin, []), storage
