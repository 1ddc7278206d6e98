"""The Selenium driver's recording: CDP screenshots of the current tab while the WebDriver
is free, encoded to a WebM when the session closes
(:class:`~skyvern_core.browser.video.ScreenshotRecorder`)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from skyvern_core.browser.video import FRAME_INTERVAL, ScreenshotRecorder

if TYPE_CHECKING:
    from skyvern_plugins.selenium.session import SeleniumSession

__all__ = ["FRAME_INTERVAL", "Recorder"]


class Recorder(ScreenshotRecorder):
    """A :class:`~skyvern_core.browser.video.ScreenshotRecorder` of a Selenium session."""

    def __init__(self, session: SeleniumSession, ffmpeg: str) -> None:
        def grab() -> bytes:
            shot = session._cdp("Page.captureScreenshot", {"format": "jpeg", "quality": 70})
            return base64.b64decode(shot["data"])

        super().__init__(grab, session.lock, session.warnings, ffmpeg)
        self.session = session
