"""How the suite opens sessions and pages: the base every part of the contract extends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from skyvern_core.models import PageState
from skyvern_core.protocols import BrowserDriver, BrowserSession, SessionOptions
from skyvern_core.testing.driver_contract.support import _bounded, _unique, snapshot

__all__ = ["DriverContractBase"]


class DriverContractBase:
    """What every part of the driver suite shares: how sessions are opened and pages visited.

    Override :meth:`session_options` in a
    :class:`~skyvern_core.testing.driver_contract.DriverContract` subclass to change how
    sessions are opened.
    """

    # ------------------------------------------------------------------ fixtures

    def session_options(self, artifact_dir: Path, **overrides: Any) -> SessionOptions:
        """The options each test's session is opened with."""
        options: dict[str, Any] = {
            "task_id": _unique("tsk_contract_"),
            "artifact_dir": artifact_dir,
            "record_video": False,
        }
        options.update(overrides)
        return SessionOptions(**options)

    async def open_session(
        self, driver: BrowserDriver, artifact_dir: Path, **overrides: Any
    ) -> BrowserSession:
        """Open a session through the protocol."""
        await anyio.Path(artifact_dir).mkdir(parents=True, exist_ok=True)
        session = await _bounded(
            driver.new_session(self.session_options(artifact_dir, **overrides)), "new_session"
        )
        assert isinstance(session, BrowserSession)
        return session

    @pytest.fixture
    async def session(self, driver: BrowserDriver, tmp_path: Path) -> AsyncIterator[BrowserSession]:
        """A fresh session for one test, closed afterwards."""
        session = await self.open_session(driver, tmp_path / "artifacts")
        try:
            yield session
        finally:
            await _bounded(session.close(), "close")

    async def open(self, session: BrowserSession, url: str) -> PageState:
        """``goto`` a URL and return the first snapshot."""
        await _bounded(session.goto(url), f"goto({url})")
        return await snapshot(session)
