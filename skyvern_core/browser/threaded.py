"""Sessions on a synchronous, WebDriver-style automation library, written once.

Such a library (Selenium) drives one window of the browser, and one frame of that window,
at a time, with blocking calls. :class:`ThreadedSession` and :class:`ThreadedPrimitives`
do for it everything that needs no more of the library than the few blocking calls a
driver's session supplies (the abstract methods of :class:`ThreadedSession`):

- every call runs in a worker thread holding the session's lock
  (:class:`~skyvern_core.browser.worker.LockedWorker`), so the event loop never blocks and
  two calls never interleave;
- a frame is reached from the top document by scripts that return each ``<iframe>`` on
  the way (:data:`FrameSteps`), entered from wherever the library is: up to it when it is
  an ancestor, else down from the nearest known ancestor;
- tabs are followed by window handle: an action that opens one moves there, one that
  closes the current tab moves to the last one left;
- a page has settled when its document has loaded and no new resource arrived for the
  session's ``quiet_window`` (:data:`~skyvern_core.browser.primitives.QUIET_WINDOW`, 0.15 s);
- Chromium writes downloads into ``artifact_dir/downloads`` (CDP
  ``Browser.setDownloadBehavior``); they are taken once complete;
- screenshots come from Chromium's compositor over CDP, and the recording is a
  :class:`~skyvern_core.browser.video.ScreenshotRecorder` of them;
- closing quits the browser when the library is free and answers in time; otherwise the
  browser is ended from outside (the processes of its own profile killed, and
  :meth:`ThreadedSession._abandon`), which makes a stuck call return.

The driver's primitives subclass
:class:`~skyvern_core.browser.threaded_primitives.ThreadedPrimitives` and add the input ones
(click, type, keys, files), which are the library's own.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, ParamSpec, TypeVar

import anyio
import anyio.to_thread

from skyvern_core.browser.chromium import (
    capture_params,
    finished_downloads,
    full_page_params,
    kill_profile_processes,
)
from skyvern_core.browser.elements import ActionFailed
from skyvern_core.browser.primitives import SETTLE_CAP, note_downloads
from skyvern_core.browser.scripts import PAGE_SIZE, SETTLE_PROBE
from skyvern_core.browser.session import PrimitiveSession
from skyvern_core.browser.storage import READ_LOCAL_STORAGE, cookies_from_cdp, restore_commands
from skyvern_core.browser.video import ScreenshotRecorder
from skyvern_core.browser.worker import LockedWorker
from skyvern_core.errors import BrowserError
from skyvern_core.protocols import SessionArtifacts, SessionOptions

if TYPE_CHECKING:
    from skyvern_core.browser.threaded_primitives import ThreadedPrimitives

__all__ = [
    "CLOSE_WAIT",
    "DOWNLOAD_WAIT",
    "QUIT_TIMEOUT",
    "FrameGone",
    "FrameSteps",
    "FramedElement",
    "ThreadedSession",
    "WindowFrame",
]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
W = TypeVar("W")

DOWNLOAD_WAIT = 30.0
"""Seconds to wait for downloads in progress to finish."""
CLOSE_WAIT = 5.0
"""Seconds closing waits for the library to be free before ending the browser by force."""
QUIT_TIMEOUT = 30.0
"""Seconds quitting may take before the browser is ended by force."""
RECORDING_FRAME = {"format": "jpeg", "quality": 70}
"""CDP screenshot parameters of one recorded frame."""

FrameSteps = tuple[tuple[str, Any], ...]
"""How to reach a frame from the top document: for each ``<iframe>`` on the way, a script
and its argument that return it in its parent's document."""


class FrameGone(Exception):
    """A frame on the way to the one asked for is no longer on the page."""


@dataclass(frozen=True, slots=True)
class WindowFrame:
    """A frame of a window: its window handle, and the steps to it from the top document."""

    handle: str
    steps: FrameSteps


@dataclass(frozen=True, slots=True)
class FramedElement(Generic[W]):
    """An element of the library (a ``WebElement``) and the frame it lives in."""

    web: W
    frame: WindowFrame


class ThreadedSession(PrimitiveSession[FramedElement[W], WindowFrame], ABC):
    """One task's browser on a synchronous library: its calls, frames, tabs, downloads
    and recording.

    ``profile`` is the browser's own profile folder on this machine (None when it runs
    elsewhere): it is removed on close, and its processes are killed when the browser is
    ended by force. The driver calls :meth:`_begin` once the browser is open.
    """

    library: ClassVar[str] = "browser"
    """The library's calls in errors ("an earlier WebDriver call has not returned")."""
    driver_name: ClassVar[str] = "browser"
    """The driver in warnings ("the Selenium driver records no traces")."""
    primitives: ThreadedPrimitives[W]

    def __init__(
        self,
        primitives: ThreadedPrimitives[W],
        options: SessionOptions,
        warnings: list[str],
        profile: str | None,
    ) -> None:
        self.options = options
        self.warnings = warnings
        self.closed = False
        self.downloads: list[Path] = []
        self._worker = LockedWorker(self.library)
        self.lock = self._worker.lock
        """Held by every call of the library: its objects are not for two threads."""
        self._profile = profile
        self._download_dir = (options.artifact_dir / "downloads").resolve()
        self._handles: list[str] = []
        self._tab_urls: dict[str, str] = {}
        self._here: FrameSteps | None = None
        """The frames the library is in (None: not known)."""
        self._recorder: ScreenshotRecorder | None = None
        self._storage_seen: dict[str, list[dict[str, str]]] = {}
        """The local storage of each origin as read after the last action there (a task
        with a browser profile only), so an origin the task left is saved too."""
        super().__init__(primitives)

    # ------------------------------------------------------------ the library's calls
    # Each blocks, runs in the worker thread and acts in the current window and frame;
    # a failure is one of the primitives' errors.

    @abstractmethod
    def _prepare(self) -> None:
        """Set up the new browser (its timeouts, its viewport's size)."""

    @abstractmethod
    def _execute(self, script: str, *args: Any) -> Any:
        """Call the JavaScript function ``script`` with ``args``; return its result."""

    @abstractmethod
    def _cdp(self, method: str, params: dict[str, Any]) -> Any:
        """Send a DevTools command to the current tab; return its result."""

    @abstractmethod
    def _enter_frame(self, iframe: W) -> None:
        """Into the document of the ``<iframe>`` element."""

    @abstractmethod
    def _parent_frame(self) -> None:
        """Up to the parent document."""

    @abstractmethod
    def _top_document(self) -> None:
        """To the top document of the current window, or of the last window left when the
        current one was closed."""

    @abstractmethod
    def _windows(self) -> list[str]:
        """The handles of the open windows (tabs), in order."""

    @abstractmethod
    def _current_window(self) -> str:
        """The handle of the current window."""

    @abstractmethod
    def _switch_window(self, handle: str) -> None:
        """Make that window the current one."""

    @abstractmethod
    def _current_url(self) -> str:
        """The current window's URL."""

    @abstractmethod
    def _load(self, url: str) -> str | None:
        """Open ``url`` in the current window (waiting for DOMContentLoaded at most); None,
        or why it could not be opened."""

    @abstractmethod
    def _history(self, step: int) -> None:
        """Go back (``-1``) or forward (``1``) in the current window's history."""

    @abstractmethod
    def _viewport_png(self) -> bytes:
        """The library's own PNG of the viewport (where CDP cannot be reached)."""

    @abstractmethod
    def _quit(self) -> None:
        """End the browser."""

    @abstractmethod
    async def _abandon(self) -> None:
        """End the browser from outside while a call is stuck (bounded; never raises)."""

    # ------------------------------------------------------------------ plumbing

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` in a worker thread holding :attr:`lock`
        (:meth:`~skyvern_core.browser.worker.LockedWorker.run`); after a call was abandoned,
        :meth:`close` ends the browser by force."""
        return await self._worker.run(fn, *args, **kwargs)

    async def _begin(self) -> None:
        """Prepare the browser, keep its downloads and start the recording."""
        await self._run(self._begin_sync)
        if self.options.record_trace:
            self.warnings.append(
                f"trace not recorded: the {self.driver_name} driver records no traces"
            )
        if self.options.record_video:
            ffmpeg = shutil.which("ffmpeg")
            if ffmpeg is None:
                self.warnings.append(
                    f"video not recorded: no ffmpeg on PATH to encode the {self.driver_name} "
                    "driver's screenshots; install it with your package manager"
                )
            else:
                self._recorder = ScreenshotRecorder(self._frame, self.lock, self.warnings, ffmpeg)
                self._recorder.start()

    def _begin_sync(self) -> None:
        self._prepare()
        for method, params in restore_commands(self.options.storage_state or {}):
            self._cdp(method, params)  # a profile's cookies and local storage
        self._handles = self._windows()
        self._download_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._cdp(
                "Browser.setDownloadBehavior",
                {"behavior": "allow", "downloadPath": str(self._download_dir)},
            )
        except Exception as exc:
            self.warnings.append(f"downloads may not be kept: {self.primitives.readable(exc)}")

    def _frame(self) -> bytes:
        """One frame of the recording (the recorder calls it holding :attr:`lock`)."""
        return base64.b64decode(self._cdp("Page.captureScreenshot", RECORDING_FRAME)["data"])

    # ------------------------------------------------------------------ frames and tabs

    def _top(self) -> None:
        """Back to the top document of the current tab (a closed tab: the last one left)."""
        self._here = None
        self._top_document()
        self._here = ()

    def _go(self, steps: FrameSteps) -> None:
        """Into the frame reached by ``steps``, from wherever the library is: up to it when
        it is an ancestor, else down from the nearest known ancestor (the top at worst).
        Raises :class:`~skyvern_core.browser.elements.ActionFailed` when it is gone."""
        errors = self.primitives.errors
        here = self._here
        if here == steps:
            return
        if here is not None and steps and here[: len(steps)] == steps:
            self._here = None
            # A parent that went away meanwhile: entered again from the top below.
            with contextlib.suppress(*errors):
                for _ in range(len(here) - len(steps)):
                    self._parent_frame()
                self._here = steps
                return
        start = here if here is not None and steps[: len(here)] == here else None
        if start is None:
            self._top()
            start = ()
        self._here = None
        for script, arg in steps[len(start) :]:
            try:
                iframe = self._execute(script, arg)
                if iframe is None:
                    raise ActionFailed("the frame is no longer on the page")
                self._enter_frame(iframe)
            except errors as exc:
                raise ActionFailed("the frame is no longer on the page") from exc
        self._here = steps

    def _url(self) -> str:
        try:
            return self._current_url()
        except Exception:
            return ""

    def _tabs(self) -> list[str]:
        """The open tabs' URLs, back on the top document. Reading another tab's URL means
        switching to it: the last URL seen there will do."""
        self._top()
        current = self._current_window()
        url = self._url()
        self._tab_urls[current] = url
        self._handles = self._windows()
        return [url if h == current else self._tab_urls.get(h, "") for h in self._handles]

    def _to_window(self, handle: str) -> None:
        self._here = None
        self._switch_window(handle)
        self._here = ()

    def _follow_new_tab(self, data: dict[str, Any]) -> None:
        """Switch to a tab the action opened; leave a tab it closed."""
        try:
            handles = self._windows()
        except Exception:
            return
        new = [h for h in handles if h not in self._handles]
        self._handles = handles
        try:
            current: str | None = self._current_window()
        except Exception:
            current = None
        if new:
            self._to_window(new[-1])
            self._settle()
            data["new_tab"] = self._url()
        elif current not in handles and handles:
            self._to_window(handles[-1])

    # ------------------------------------------------------------------ the page

    def _settle(self, cap: float = SETTLE_CAP) -> None:
        """Wait until the document has loaded and no new resource arrived for a moment."""
        start = time.monotonic()
        deadline = start + cap
        last: Any = None
        since = start
        while True:
            try:
                state = self._execute(SETTLE_PROBE)
            except Exception:
                state = None
                # The frame the action ran in went away (its page navigated): watch the top.
                with contextlib.suppress(Exception):
                    self._top()
            now = time.monotonic()
            if state != last:
                last, since = state, now
            elif state is not None and state[0] != "loading" and now - since >= self.quiet_window:
                return
            if now >= deadline:
                return
            time.sleep(0.04)

    def _navigate(self, url: str) -> str | None:
        self._top()
        error = self._load(url)
        if error is None:
            self._settle()
        return error

    def _move(self, step: int) -> None:
        self._top()
        self._history(step)
        self._settle()

    def _scan_downloads(self, wait: float) -> list[Path]:
        """Downloads finished since the last scan; waits up to ``wait`` s for partial ones."""
        fresh = finished_downloads(self._download_dir, self.downloads, wait)
        self.downloads.extend(fresh)
        return fresh

    def _after_action(self, data: dict[str, Any]) -> None:
        errors = self.primitives.errors
        with contextlib.suppress(*errors):
            self._top()
            if self.options.storage_state is not None:
                self._read_storage(self._storage_seen)
            note_downloads(data, [str(p) for p in self._scan_downloads(DOWNLOAD_WAIT)])
            self._follow_new_tab(data)
        with contextlib.suppress(*errors):
            self._tab_urls[self._current_window()] = self._url()

    async def read_document(self, *, links: bool = False) -> str:
        """The whole page as text for extraction; the library is left on the top document."""
        try:
            return await super().read_document(links=links)
        finally:
            with contextlib.suppress(Exception):
                await self._run(self._top)

    async def storage_state(self) -> dict[str, Any]:
        """The cookies, and the local storage of each open tab's origin (to save a browser
        profile, :mod:`skyvern_core.browser.storage`)."""
        return await self._run(self._storage_state)

    def _read_storage(self, into: dict[str, list[dict[str, str]]]) -> None:
        """The current tab's origin and local storage, into ``into``."""
        found = self._execute(READ_LOCAL_STORAGE)
        if found and found[0] != "null":
            into[found[0]] = [{"name": k, "value": v} for k, v in found[1]]

    def _storage_state(self) -> dict[str, Any]:
        cookies = cookies_from_cdp(self._cdp("Network.getAllCookies", {}).get("cookies") or [])
        origins = dict(self._storage_seen)
        current = self._current_window()
        for handle in self._windows():
            self._to_window(handle)
            self._read_storage(origins)
        self._to_window(current)
        return {
            "cookies": cookies,
            "origins": [{"origin": o, "localStorage": items} for o, items in origins.items()],
        }

    # ------------------------------------------------------------------ screenshots

    async def screenshot(self, *, full_page: bool = False) -> bytes:
        """A PNG of the viewport, or of the whole page."""
        return await self._run(self._screenshot, full_page)

    def _screenshot(self, full_page: bool) -> bytes:
        errors = self.primitives.errors
        try:
            self._top()
            if full_page:
                try:
                    size = self._execute(PAGE_SIZE)
                    shot = self._cdp("Page.captureScreenshot", full_page_params(*size))
                    return base64.b64decode(shot["data"])
                except errors as exc:
                    log.info("no full-page screenshot (%s): the viewport instead", exc)
            return self._capture(jpeg=False)
        except errors as exc:
            message = self.primitives.readable(exc)
            raise BrowserError(f"could not take a screenshot: {message}") from exc

    def _capture(self, *, jpeg: bool) -> bytes:
        """The viewport from Chromium's compositor, encoded for speed (a JPEG for the model,
        a PNG to keep); the library's own screenshot where CDP is not reachable."""
        try:
            shot = self._cdp("Page.captureScreenshot", capture_params(jpeg=jpeg))
            return base64.b64decode(shot["data"])
        except self.primitives.errors as exc:
            log.debug("no CDP screenshot (%s): the library's instead", exc)
        return self._viewport_png()

    # ------------------------------------------------------------------ closing

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
                await self._quit_in_time()
            finally:
                self.lock.release()
        else:
            await self._end_by_force(f"a {self.library} call did not return")
        if recorder is not None:
            target = self.options.artifact_dir / "video" / "recording.webm"
            artifacts.recording = await anyio.to_thread.run_sync(recorder.encode, target)
        if self._profile:
            profile = self._profile
            await anyio.to_thread.run_sync(lambda: shutil.rmtree(profile, ignore_errors=True))
        artifacts.downloads = list(self.downloads)
        return artifacts

    async def _quit_in_time(self) -> None:
        """Take the last downloads and quit (holding :attr:`lock`); end the browser by force
        if quitting does not return in :data:`QUIT_TIMEOUT` s."""
        with contextlib.suppress(Exception):
            await anyio.to_thread.run_sync(
                self._scan_downloads, DOWNLOAD_WAIT, abandon_on_cancel=True
            )
        with anyio.move_on_after(QUIT_TIMEOUT):
            try:
                await anyio.to_thread.run_sync(self._quit, abandon_on_cancel=True)
            except Exception as exc:
                message = self.primitives.readable(exc)
                self.warnings.append(f"the browser did not close cleanly: {message}")
            return
        await self._end_by_force("quit did not return")

    async def _end_by_force(self, why: str) -> None:
        """End this session's browser from outside, so a stuck call returns: kill the
        processes of its own profile, then :meth:`_abandon`. Safe to run while cancelled."""
        self.warnings.append(f"the browser was ended by force: {why}")
        with anyio.CancelScope(shield=True):
            if self._profile:
                await anyio.to_thread.run_sync(kill_profile_processes, self._profile)
            await self._abandon()
