"""A :class:`~skyvern_core.protocols.BrowserDriver` on Selenium WebDriver and Chromium.

Where the browser runs: locally (the default), :meth:`SeleniumDriver.start` starts one
ChromeDriver (``SE_CHROMEDRIVER``, ``chromedriver`` on PATH, ``/usr/bin/chromedriver`` or
next to the browser) and every session asks it for a new Chromium
(:func:`~skyvern_core.browser.chromium.find_chromium`); with
``Settings.remote_webdriver_url``, every session is a new WebDriver session on that Selenium
Grid (or bare ChromeDriver), and ``Settings.browser_path``, if set, is the browser's path
on the remote machine. Selenium Manager is never needed (the paths are passed explicitly);
``SE_OFFLINE`` and ``SE_AVOID_STATS`` are set anyway, process-wide.

**One browser per session.** Selenium has no cheap isolated contexts, so every session is
its own WebDriver session and its own Chromium with a fresh profile (a temporary
``--user-data-dir`` locally): sessions never share cookies, storage or tabs, at the price of
a browser start (about half a second locally) per session.

Sessions are :class:`~skyvern_plugins.selenium.session.SeleniumSession`: a
:class:`~skyvern_core.browser.threaded.ThreadedSession` (worker threads, frames, tabs,
downloads, the recording, a close that ends a stuck browser) on WebDriver's calls. What
differs from the Playwright driver (the recording, settling, hidden checkboxes, file
choosers, proxy credentials, remote downloads) is listed in the operations guide, "The
Selenium driver".
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from skyvern_core.browser.chromium import command_line, find_chromium, profile_prefs
from skyvern_core.browser.worker import open_abandonable
from skyvern_core.config import Settings
from skyvern_core.errors import BrowserError, ConfigurationError, MissingExtraError
from skyvern_core.protocols import SessionOptions
from skyvern_plugins.selenium.primitives import readable as _readable
from skyvern_plugins.selenium.primitives import selenium_keys as _selenium_keys  # noqa: F401
from skyvern_plugins.selenium.session import SeleniumSession

__all__ = ["SeleniumDriver", "SeleniumSession", "find_chromedriver"]

SELENIUM_ENV = {"SE_OFFLINE": "true", "SE_AVOID_STATS": "true"}
"""Set process-wide before Selenium is used: no Selenium Manager downloads, no statistics."""

CLIENT_TIMEOUT = 60
"""Seconds one WebDriver HTTP call may take before the client gives up on it."""


def _import_selenium() -> Any:
    try:
        from selenium import webdriver
    except ImportError as exc:
        raise MissingExtraError("selenium", "selenium") from exc
    return webdriver


def find_chromedriver(browser: str | None = None) -> str:
    """The ChromeDriver to start: ``SE_CHROMEDRIVER``, ``chromedriver`` on PATH, the system
    one, or one next to ``browser``.

    Raises :class:`~skyvern_core.errors.ConfigurationError` when there is none.
    """
    configured = os.environ.get("SE_CHROMEDRIVER")
    if configured:
        if not Path(configured).is_file():
            raise ConfigurationError(f"SE_CHROMEDRIVER {configured!r} does not exist")
        return configured
    candidates = [shutil.which("chromedriver") or "", "/usr/bin/chromedriver"]
    if browser:
        candidates.append(str(Path(browser).resolve().parent / "chromedriver"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise ConfigurationError(
        "no chromedriver found: install one matching the browser (e.g. apt-get install "
        "chromium-driver) or set SE_CHROMEDRIVER"
    )


def _quit(wd: Any) -> None:
    with contextlib.suppress(Exception):
        wd.quit()


# --------------------------------------------------------------------------- the driver


class SeleniumDriver:
    """Chromium through Selenium: one ChromeDriver (or a Grid), one browser per session."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._service: Any = None
        self._browser: str | None = None
        self._started = False
        self._lock = anyio.Lock()
        self.sessions: list[SeleniumSession] = []

    @property
    def remote(self) -> bool:
        """Whether sessions run on ``Settings.remote_webdriver_url``."""
        return bool(self.settings.remote_webdriver_url)

    async def start(self) -> None:
        """Find Chromium and start ChromeDriver, or check the Grid URL (idempotent)."""
        async with self._lock:
            if self._started and (self.remote or self._service_alive()):
                return
            os.environ.update(SELENIUM_ENV)
            _import_selenium()
            if self.remote:
                self._browser = self.settings.browser_path
            else:
                self._browser = find_chromium(self.settings, None)
                driver_path = find_chromedriver(self._browser)
                self._service = await anyio.to_thread.run_sync(self._start_service, driver_path)
            self._started = True

    def _service_alive(self) -> bool:
        return self._service is not None and bool(self._service.is_connectable())

    @staticmethod
    def _start_service(driver_path: str) -> Any:
        from selenium.webdriver.chrome.service import Service

        service = Service(driver_path, env={**os.environ, **SELENIUM_ENV})
        try:
            service.start()
        except Exception as exc:
            raise BrowserError(f"could not start {driver_path}: {_readable(exc)}") from exc
        return service

    @property
    def server_url(self) -> str:
        """The WebDriver endpoint sessions are opened on."""
        if self.settings.remote_webdriver_url:
            return self.settings.remote_webdriver_url
        if self._service is None:
            raise BrowserError("the driver is not started")
        return str(self._service.service_url)

    async def new_session(self, options: SessionOptions) -> SeleniumSession:
        """Start a new browser (own profile, cookies and storage) with one tab."""
        await self.start()
        warnings: list[str] = []
        profile = None if self.remote else tempfile.mkdtemp(prefix="skyvern-selenium-")
        try:
            # A cancel returns at once; a browser that starts after it is quit (nobody else
            # would).
            wd = await open_abandonable(lambda: self._open(options, profile, warnings), _quit)
        except BaseException:
            if profile:
                shutil.rmtree(profile, ignore_errors=True)
            raise
        session = SeleniumSession(self, wd, options, warnings, profile)
        try:
            await session._begin()
        except BaseException:
            # Closing is bounded, so it may run even when this call was cancelled.
            with anyio.CancelScope(shield=True):
                await session.close()
            raise
        self.sessions.append(session)
        return session

    def _chrome_options(
        self, options: SessionOptions, profile: str | None, warnings: list[str]
    ) -> Any:
        webdriver = _import_selenium()
        chrome = webdriver.ChromeOptions()
        if self._browser:
            chrome.binary_location = self._browser
        headless = self.settings.headless
        for arg in command_line(options, headless=headless, profile=profile, warnings=warnings):
            chrome.add_argument(arg)
        downloads = (options.artifact_dir / "downloads").resolve()
        chrome.add_experimental_option("prefs", profile_prefs(downloads))
        # DOMContentLoaded, as the Playwright driver waits for; the rest settles afterwards.
        chrome.page_load_strategy = "eager"
        # Dialogs (alert, confirm) are dismissed, as Playwright does when no one listens.
        chrome.unhandled_prompt_behavior = "dismiss"
        return chrome

    def _open(self, options: SessionOptions, profile: str | None, warnings: list[str]) -> Any:
        webdriver = _import_selenium()
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.remote.client_config import ClientConfig
        from selenium.webdriver.remote.file_detector import UselessFileDetector

        chrome = self._chrome_options(options, profile, warnings)
        url = self.server_url
        try:
            wd = webdriver.Remote(
                command_executor=url,
                options=chrome,
                client_config=ClientConfig(remote_server_addr=url, timeout=CLIENT_TIMEOUT),
            )
        except WebDriverException as exc:
            raise BrowserError(f"could not start a browser at {url}: {_readable(exc)}") from exc
        except Exception as exc:
            # urllib3's connection errors (refused, timed out) are not WebDriverExceptions.
            reason = str(getattr(exc, "reason", None) or exc)
            raise BrowserError(f"could not reach the WebDriver server {url}: {reason}") from exc
        if not self.remote:
            # Our own ChromeDriver reads paths on this machine: no zip upload round trip
            # (which a bare ChromeDriver does not even understand).
            wd.file_detector = UselessFileDetector()
        return wd

    async def close(self) -> None:
        """Close every session and stop ChromeDriver."""
        for session in list(self.sessions):
            if not session.closed:
                with contextlib.suppress(Exception):
                    await session.close()
        if self._service is not None:
            service, self._service = self._service, None
            with contextlib.suppress(Exception):
                await anyio.to_thread.run_sync(service.stop)
        self._started = False
