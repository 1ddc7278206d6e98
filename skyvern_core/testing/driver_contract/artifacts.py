"""The driver contract for what a session leaves: screenshots, downloads, the recording."""

from __future__ import annotations

from pathlib import Path

from skyvern_core.models import ClickAction
from skyvern_core.protocols import BrowserDriver, BrowserSession, SessionArtifacts
from skyvern_core.testing.driver_contract.fixtures import DriverContractBase
from skyvern_core.testing.driver_contract.sites import FixtureSitesLike
from skyvern_core.testing.driver_contract.support import (
    _bounded,
    _png_size,
    execute,
    expect_ok,
    find,
)

__all__ = ["SessionArtifactsContract"]


class SessionArtifactsContract(DriverContractBase):
    """Artifacts: PNG screenshots, downloads and the recording returned on close.

    Part of :class:`~skyvern_core.testing.driver_contract.DriverContract`.
    """

    # ------------------------------------------------------------------ artifacts

    async def test_screenshot_is_png(
        self, session: BrowserSession, sites: FixtureSitesLike
    ) -> None:
        """screenshot returns PNG bytes of the viewport, or of the whole page."""
        await _bounded(session.goto(sites.url("news/article.html")), "goto")
        shot = await _bounded(session.screenshot(), "screenshot")
        width, height = _png_size(shot)
        assert (width, height) == (1280, 800)
        full = await _bounded(session.screenshot(full_page=True), "screenshot")
        assert _png_size(full)[1] > height

    async def test_download_is_returned_on_close(
        self, driver: BrowserDriver, sites: FixtureSitesLike, tmp_path: Path
    ) -> None:
        """A file the site sends as an attachment is in SessionArtifacts.downloads."""
        session = await self.open_session(driver, tmp_path / "artifacts")
        try:
            page = await self.open(session, sites.url("news/article.html"))
            link = find(page, label="Download today's PDF edition", role="link")
            expect_ok(await execute(session, ClickAction(element_id=link.id), page), "download")
        finally:
            artifacts = await _bounded(session.close(), "close")
        assert isinstance(artifacts, SessionArtifacts)
        names = [p.name for p in artifacts.downloads]
        assert any(name.endswith(".pdf") for name in names), names
        pdf = next(p for p in artifacts.downloads if p.name.endswith(".pdf"))
        assert pdf.is_file()
        assert pdf.read_bytes().startswith(b"%PDF")

    async def test_close_returns_artifacts(
        self, driver: BrowserDriver, sites: FixtureSitesLike, tmp_path: Path
    ) -> None:
        """close returns SessionArtifacts: a recording when asked, or a warning why not."""
        session = await self.open_session(driver, tmp_path / "artifacts", record_video=True)
        await self.open(session, sites.url("cookies/"))
        artifacts = await _bounded(session.close(), "close")
        assert isinstance(artifacts, SessionArtifacts)
        if artifacts.recording is None:
            assert artifacts.warnings, "no recording and no warning saying why"
        else:
            assert artifacts.recording.is_file()
            assert artifacts.recording.stat().st_size > 0
