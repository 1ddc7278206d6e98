"""One task's browser under Selenium: the WebDriver calls a
:class:`~skyvern_core.browser.threaded.ThreadedSession` is built on (see
:mod:`skyvern_plugins.selenium.driver`)."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

import httpx

from skyvern_core.browser.primitives import NAVIGATION_TIMEOUT
from skyvern_core.browser.scripts import CALL
from skyvern_core.browser.threaded import ThreadedSession
from skyvern_core.protocols import SessionArtifacts, SessionOptions
from skyvern_plugins.selenium.primitives import SeleniumPrimitives, readable

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

    from skyvern_plugins.selenium.driver import SeleniumDriver

__all__ = ["SeleniumSession"]

log = logging.getLogger(__name__)

SCRIPT_TIMEOUT = 30
"""Seconds an asynchronous script may run."""
VIEWPORT = "() => [window.innerWidth, window.innerHeight]"


class SeleniumSession(ThreadedSession["WebElement"]):
    """One task's browser: its own Chromium and WebDriver session (``wd``)."""

    library = "WebDriver"
    driver_name = "Selenium"

    def __init__(
        self,
        driver: SeleniumDriver,
        wd: WebDriver,
        options: SessionOptions,
        warnings: list[str],
        profile: str | None,
    ) -> None:
        self.driver = driver
        self.wd = wd
        super().__init__(SeleniumPrimitives(self), options, warnings, profile)

    def _prepare(self) -> None:
        wd = self.wd
        wd.set_page_load_timeout(NAVIGATION_TIMEOUT)
        wd.set_script_timeout(SCRIPT_TIMEOUT)
        width, height = self.options.viewport
        # --window-size sizes the window, browser UI included: grow it by the difference so
        # the viewport (what screenshots show) has the size asked for.
        inner = self._execute(VIEWPORT)
        outer = wd.get_window_size()
        dw = max(0, int(outer["width"]) - int(inner[0]))
        dh = max(0, int(outer["height"]) - int(inner[1]))
        if (int(inner[0]), int(inner[1])) != (width, height):
            wd.set_window_size(width + dw, height + dh)

    def _execute(self, script: str, *args: Any) -> Any:
        return self.wd.execute_script(CALL.format(fn=script), *args)

    def _cdp(self, method: str, params: dict[str, Any]) -> Any:
        # webdriver.Remote has no execute_cdp_cmd; ChromeDriver's command goes through a Grid.
        answer = self.wd.execute("executeCdpCommand", {"cmd": method, "params": params})
        return answer["value"]

    def _enter_frame(self, iframe: WebElement) -> None:
        self.wd.switch_to.frame(iframe)

    def _parent_frame(self) -> None:
        self.wd.switch_to.parent_frame()

    def _top_document(self) -> None:
        from selenium.common.exceptions import NoSuchWindowException

        try:
            self.wd.switch_to.default_content()
        except NoSuchWindowException:
            handles = self.wd.window_handles
            if not handles:
                raise
            self.wd.switch_to.window(handles[-1])

    def _windows(self) -> list[str]:
        return list(self.wd.window_handles)

    def _current_window(self) -> str:
        return str(self.wd.current_window_handle)

    def _switch_window(self, handle: str) -> None:
        self.wd.switch_to.window(handle)

    def _current_url(self) -> str:
        return str(self.wd.current_url)

    def _load(self, url: str) -> str | None:
        from selenium.common.exceptions import TimeoutException, WebDriverException

        try:
            self.wd.get(url)
        except TimeoutException:
            # Loading goes on (a slow resource); the document is there to be read.
            log.info("%s did not finish loading within %g s", url, NAVIGATION_TIMEOUT)
        except WebDriverException as exc:
            return f"could not open {url}: {readable(exc)}"
        return None

    def _history(self, step: int) -> None:
        if step < 0:
            self.wd.back()
        else:
            self.wd.forward()

    def _viewport_png(self) -> bytes:
        png: bytes = self.wd.get_screenshot_as_png()
        return png

    def _quit(self) -> None:
        self.wd.quit()

    async def _abandon(self) -> None:
        """Delete the WebDriver session over a connection of its own."""
        session_id = getattr(self.wd, "session_id", None)
        if session_id:
            with contextlib.suppress(Exception):
                url = f"{self.driver.server_url.rstrip('/')}/session/{session_id}"
                async with httpx.AsyncClient(timeout=5.0) as client:
                    await client.delete(url)

    async def close(self) -> SessionArtifacts:
        """Quit the browser; return the recording and the downloads it produced."""
        try:
            return await super().close()
        finally:
            with contextlib.suppress(ValueError):
                self.driver.sessions.remove(self)
