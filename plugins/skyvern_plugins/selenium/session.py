"""One task's browser under Selenium: tabs, frames, snapshots, downloads and the worker
thread every WebDriver call runs in (see :mod:`skyvern_plugins.selenium.driver`)."""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread
import httpx

from skyvern_core.browser.chromium import (
    capture_params,
    finished_downloads,
    full_page_params,
    kill_profile_processes,
)
from skyvern_core.browser.elements import ActionFailed
from skyvern_core.browser.primitives import NAVIGATION_TIMEOUT, QUIET_WINDOW, SETTLE_CAP
from skyvern_core.browser.scripts import CALL, PAGE_SIZE
from skyvern_core.browser.session import PrimitiveSession
from skyvern_core.browser.worker import LockedWorker
from skyvern_core.errors import BrowserError
from skyvern_core.protocols import SessionArtifacts, SessionOptions
from skyvern_plugins.selenium.primitives import (
    FrameSteps,
    SeleniumElement,
    SeleniumFrame,
    SeleniumPrimitives,
)
from skyvern_plugins.selenium.primitives import readable as _readable
from skyvern_plugins.selenium.recording import Recorder

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from skyvern_plugins.selenium.driver import SeleniumDriver

__all__ = ["SeleniumSession"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

SCRIPT_TIMEOUT = 30
DOWNLOAD_WAIT = 30.0
"""Seconds to wait for downloads in progress to finish."""
CLOSE_WAIT = 5.0
"""Seconds closing waits for the WebDriver to be free before ending the browser by force."""
QUIT_TIMEOUT = 30.0
"""Seconds ``quit`` may take before the browser is ended by force."""

_SETTLE_PROBE = (
    "return [document.readyState, performance.getEntriesByType('resource').length, location.href];"
)


class SeleniumSession(PrimitiveSession[SeleniumElement, SeleniumFrame]):
    """One task's browser: its tabs, its downloads and its recording."""

    primitives: SeleniumPrimitives

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
        self.options = options
        self.warnings = warnings
        self.closed = False
        self.downloads: list[Path] = []
        self._worker = LockedWorker("WebDriver")
        self.lock = self._worker.lock
        """Held by every call on :attr:`wd`: Selenium's WebDriver is not for two threads."""
        self._profile = profile
        self._download_dir = (options.artifact_dir / "downloads").resolve()
        self._handles: list[str] = []
        self._tab_urls: dict[str, str] = {}
        self._here: FrameSteps | None = None
        """The frames the WebDriver is in (None: not known)."""
        self._recorder: Recorder | None = None
        super().__init__(SeleniumPrimitives(self))

    # ------------------------------------------------------------------ plumbing

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` in a worker thread holding :attr:`lock`
        (:meth:`~skyvern_core.browser.worker.LockedWorker.run`); after a call was abandoned,
        :meth:`close` ends the browser by force."""
        return await self._worker.run(fn, *args, **kwargs)

    def _js(self, fn: str, *args: Any) -> Any:
        """Call a JavaScript function (source text) with ``args`` in the current frame."""
        return self.wd.execute_script(CALL.format(fn=fn), *args)

    def _cdp(self, cmd: str, params: dict[str, Any] | None = None) -> Any:
        """A Chrome DevTools command on the current tab (works through a Grid as well)."""
        answer = self.wd.execute("executeCdpCommand", {"cmd": cmd, "params": params or {}})
        return answer["value"]

    async def _begin(self) -> None:
        await self._run(self._begin_sync)
        if self.options.record_trace:
            self.warnings.append("trace not recorded: the Selenium driver records no traces")
        if self.options.record_video:
            ffmpeg = shutil.which("ffmpeg")
            if ffmpeg is None:
                self.warnings.append(
                    "video not recorded: no ffmpeg on PATH to encode the Selenium driver's "
                    "screenshots; install it with your package manager"
                )
            else:
                self._recorder = Recorder(self, ffmpeg)
                self._recorder.start()

    def _begin_sync(self) -> None:
        wd = self.wd
        wd.set_page_load_timeout(NAVIGATION_TIMEOUT)
        wd.set_script_timeout(SCRIPT_TIMEOUT)
        width, height = self.options.viewport
        # --window-size sizes the window, browser UI included: grow it by the difference so
        # the viewport (what screenshots show) has the size asked for.
        inner = wd.execute_script("return [window.innerWidth, window.innerHeight];")
        outer = wd.get_window_size()
        dw = max(0, int(outer["width"]) - int(inner[0]))
        dh = max(0, int(outer["height"]) - int(inner[1]))
        if (int(inner[0]), int(inner[1])) != (width, height):
            wd.set_window_size(width + dw, height + dh)
        self._handles = list(wd.window_handles)
        self._download_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._cdp(
                "Browser.setDownloadBehavior",
                {"behavior": "allow", "downloadPath": str(self._download_dir)},
            )
        except Exception as exc:
            self.warnings.append(f"downloads may not be kept: {_readable(exc)}")

    def _settle(self, cap: float = SETTLE_CAP) -> None:
        """Wait until the document has loaded and no new resource arrived for a moment."""
        start = time.monotonic()
        deadline = start + cap
        last: Any = None
        since = start
        while True:
            try:
                state = self.wd.execute_script(_SETTLE_PROBE)
            except Exception:
                state = None
                # The frame the action ran in went away (its page navigated): watch the top.
                with contextlib.suppress(Exception):
                    self._top()
            now = time.monotonic()
            if state != last:
                last, since = state, now
            elif state is not None and state[0] != "loading" and now - since >= QUIET_WINDOW:
                return
            if now >= deadline:
                return
            time.sleep(0.04)

    def _top(self) -> None:
        """Back to the top document of the current tab (a closed tab: the last one left)."""
        from selenium.common.exceptions import NoSuchWindowException

        self._here = None
        try:
            self.wd.switch_to.default_content()
        except NoSuchWindowException:
            handles = self.wd.window_handles
            if not handles:
                raise
            self.wd.switch_to.window(handles[-1])
        self._here = ()

    def _url(self) -> str:
        try:
            return str(self.wd.current_url)
        except Exception:
            return ""

    def _follow_new_tab(self, data: dict[str, Any]) -> None:
        """Switch to a tab the action opened; leave a tab it closed."""
        wd = self.wd
        try:
            handles = list(wd.window_handles)
        except Exception:
            return
        new = [h for h in handles if h not in self._handles]
        self._handles = handles
        try:
            current: str | None = wd.current_window_handle
        except Exception:
            current = None
        if new:
            self._here = None
            wd.switch_to.window(new[-1])
            self._here = ()
            self._settle()
            data["new_tab"] = self._url()
        elif current not in handles and handles:
            self._here = None
            wd.switch_to.window(handles[-1])
            self._here = ()

    def _scan_downloads(self, wait: float) -> list[Path]:
        """Downloads finished since the last scan; waits up to ``wait`` s for partial ones."""
        fresh = finished_downloads(self._download_dir, self.downloads, wait)
        self.downloads.extend(fresh)
        return fresh

    def _collect_downloads(self, data: dict[str, Any]) -> None:
        paths = [str(p) for p in self._scan_downloads(DOWNLOAD_WAIT)]
        if paths:
            data["download"] = paths[0] if len(paths) == 1 else paths

    # ------------------------------------------------------------------ protocol

    def _navigate(self, url: str) -> str | None:
        from selenium.common.exceptions import TimeoutException, WebDriverException

        self._top()
        try:
            self.wd.get(url)
        except TimeoutException:
            # Loading goes on (a slow resource); the document is there to be read.
            log.info("%s did not finish loading within %g s", url, NAVIGATION_TIMEOUT)
        except WebDriverException as exc:
            return f"could not open {url}: {_readable(exc)}"
        self._settle()
        return None

    def _tabs(self) -> list[str]:
        """The open tabs' URLs, back on the top document. Reading another tab's URL means
        switching to it: the last URL seen there will do."""
        self._top()
        current = self.wd.current_window_handle
        url = self._url()
        self._tab_urls[current] = url
        handles = list(self.wd.window_handles)
        self._handles = handles
        return [url if h == current else self._tab_urls.get(h, "") for h in handles]

    def _go(self, steps: FrameSteps) -> None:
        """Into the frame reached by ``steps``, from wherever the WebDriver is: up to it
        with ``parent_frame`` when it is an ancestor, else down from the nearest known
        ancestor (the top document at worst)."""
        from selenium.common.exceptions import WebDriverException

        here = self._here
        if here == steps:
            return
        if here is not None and steps and here[: len(steps)] == steps:
            self._here = None
            # A parent that went away meanwhile: entered again from the top below.
            with contextlib.suppress(WebDriverException):
                for _ in range(len(here) - len(steps)):
                    self.wd.switch_to.parent_frame()
                self._here = steps
                return
        start = here if here is not None and steps[: len(here)] == here else None
        if start is None:
            self._top()
            start = ()
        self._here = None
        for script, arg in steps[len(start) :]:
            try:
                iframe = self._js(script, arg)
                if iframe is None:
                    raise ActionFailed("the frame is no longer on the page")
                self.wd.switch_to.frame(iframe)
            except WebDriverException as exc:
                raise ActionFailed("the frame is no longer on the page") from exc
        self._here = steps

    async def screenshot(self, *, full_page: bool = False) -> bytes:
        """A PNG of the viewport, or of the whole page."""
        return await self._run(self._screenshot_sync, full_page)

    def _screenshot_sync(self, full_page: bool) -> bytes:
        import base64

        from selenium.common.exceptions import WebDriverException

        try:
            self._top()
            if full_page:
                try:
                    size = self._js(PAGE_SIZE)
                    shot = self._cdp("Page.captureScreenshot", full_page_params(*size))
                    return base64.b64decode(shot["data"])
                except WebDriverException as exc:
                    log.info("no full-page screenshot (%s): the viewport instead", exc)
            return self._capture(jpeg=False)
        except WebDriverException as exc:
            raise BrowserError(f"could not take a screenshot: {_readable(exc)}") from exc

    def _capture(self, *, jpeg: bool) -> bytes:
        """The viewport from Chromium's compositor, encoded for speed (a JPEG for the model,
        a PNG to keep); WebDriver's own screenshot where CDP is not reachable."""
        import base64

        from selenium.common.exceptions import WebDriverException

        try:
            shot = self._cdp("Page.captureScreenshot", capture_params(jpeg=jpeg))
            return base64.b64decode(shot["data"])
        except WebDriverException as exc:
            log.debug("no CDP screenshot (%s): WebDriver's instead", exc)
        png: bytes = self.wd.get_screenshot_as_png()
        return png

    async def close(self) -> SessionArtifacts:
        """Quit the browser; return the recording and the downloads it produced."""
        if self.closed:
            return SessionArtifacts(downloads=list(self.downloads), warnings=list(self.warnings))
        self.closed = True
        artifacts = SessionArtifacts(warnings=self.warnings)
        recorder, self._recorder = self._recorder, None
        stuck = self._worker.stuck
        if recorder is not None:
            await anyio.to_thread.run_sync(recorder.stop, not stuck)
        held = False if stuck else await self._worker.take_lock(CLOSE_WAIT)
        if held:
            try:
                with contextlib.suppress(Exception):
                    await anyio.to_thread.run_sync(
                        self._scan_downloads, DOWNLOAD_WAIT, abandon_on_cancel=True
                    )
                quit_ok = False
                with anyio.move_on_after(QUIT_TIMEOUT):
                    try:
                        await anyio.to_thread.run_sync(self.wd.quit, abandon_on_cancel=True)
                    except Exception as exc:
                        self.warnings.append(f"the browser did not close cleanly: {_readable(exc)}")
                    quit_ok = True
                if not quit_ok:
                    await self._end_by_force("quit did not return")
            finally:
                self.lock.release()
        else:
            await self._end_by_force("a WebDriver call did not return")
        if recorder is not None:
            target = self.options.artifact_dir / "video" / "recording.webm"
            artifacts.recording = await anyio.to_thread.run_sync(recorder.encode, target)
        if self._profile:
            await anyio.to_thread.run_sync(
                lambda: shutil.rmtree(self._profile or "", ignore_errors=True)
            )
        artifacts.downloads = list(self.downloads)
        with contextlib.suppress(ValueError):
            self.driver.sessions.remove(self)
        return artifacts

    async def read_document(self, *, links: bool = False) -> str:
        """The whole page as text for extraction; the WebDriver is left on the top document."""
        try:
            return await super().read_document(links=links)
        finally:
            with contextlib.suppress(Exception):
                await self._run(self._top)

    async def _end_by_force(self, why: str) -> None:
        """End this session's browser from outside, so a stuck call returns: kill the local
        Chromium (found by its own profile folder) and delete the WebDriver session over a
        connection of its own. Bounded in time, and safe to run while cancelled."""
        self.warnings.append(f"the browser was ended by force: {why}")
        with anyio.CancelScope(shield=True):
            if self._profile:
                await anyio.to_thread.run_sync(kill_profile_processes, self._profile)
            session_id = getattr(self.wd, "session_id", None)
            if session_id:
                with contextlib.suppress(Exception):
                    url = f"{self.driver.server_url.rstrip('/')}/session/{session_id}"
                    async with httpx.AsyncClient(timeout=5.0) as client:
                        await client.delete(url)

    # ------------------------------------------------------------------ acting

    def _after_action(self, data: dict[str, Any]) -> None:
        from selenium.common.exceptions import WebDriverException

        with contextlib.suppress(WebDriverException):
            self._top()
            self._collect_downloads(data)
            self._follow_new_tab(data)
        with contextlib.suppress(WebDriverException):
            self._tab_urls[self.wd.current_window_handle] = self._url()
