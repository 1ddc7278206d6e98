"""One task's browser under Selenium: tabs, frames, snapshots, downloads and the worker
thread every WebDriver call runs in (see :mod:`skyvern_plugins.selenium.driver`)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread
import httpx

from skyvern_core.browser.actions import BrowserActions
from skyvern_core.browser.chromium import JPEG_QUALITY
from skyvern_core.browser.elements import ActionFailed, child_frame_options, known_elements
from skyvern_core.browser.primitives import SETTLE_CAP
from skyvern_core.browser.scripts import CALL, DOCUMENT_FRAME, LOCATE, READ_DOCUMENT, SNAPSHOT
from skyvern_core.errors import BrowserError
from skyvern_core.models import Action, ActionResult, PageState
from skyvern_core.perception import build_page_state
from skyvern_core.perception.document import MAX_FRAME_DEPTH, splice_frames
from skyvern_core.protocols import SessionArtifacts, SessionOptions
from skyvern_plugins.selenium.primitives import SeleniumPrimitives
from skyvern_plugins.selenium.primitives import readable as _readable
from skyvern_plugins.selenium.recording import Recorder

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from skyvern_plugins.selenium.driver import SeleniumDriver

__all__ = ["SeleniumSession"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

QUIET_WINDOW = 0.15
"""Seconds without a new resource loaded that count as settled."""
NAVIGATION_TIMEOUT = 30
SCRIPT_TIMEOUT = 30
DOWNLOAD_WAIT = 30.0
"""Seconds to wait for downloads in progress to finish."""
STUCK_GRACE = 1.0
"""Seconds a call waits for an abandoned one still running before failing fast."""
CLOSE_WAIT = 5.0
"""Seconds closing waits for the WebDriver to be free before ending the browser by force."""
QUIT_TIMEOUT = 30.0
"""Seconds ``quit`` may take before the browser is ended by force."""

_SETTLE_PROBE = (
    "return [document.readyState, performance.getEntriesByType('resource').length, location.href];"
)
_PARTIAL_SUFFIXES = (".crdownload", ".tmp", ".part")


def _kill_profile_processes(profile: str) -> None:
    """Kill the browser processes started with ``--user-data-dir=<profile>`` (a folder
    made for one session, so nothing else matches); where ``/proc`` is missing, nothing."""
    import signal

    flag = f"--user-data-dir={profile}".encode()
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if flag in args:
            with contextlib.suppress(OSError):
                os.kill(int(entry.name), signal.SIGKILL)


class SeleniumSession:
    """One task's browser: its tabs, its snapshot ids, its downloads and its recording."""

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
        self.lock = threading.Lock()
        """Held by every call on :attr:`wd`: Selenium's WebDriver is not for two threads."""
        self._profile = profile
        self._download_dir = (options.artifact_dir / "downloads").resolve()
        self._handles: list[str] = []
        self._tab_urls: dict[str, str] = {}
        self._snapshot_handle: str | None = None
        self._chains: dict[str, list[str]] = {}
        self._tokens: dict[str, str] = {}
        self._actions = BrowserActions(SeleniumPrimitives(self))
        self._here: tuple[str, ...] | None = None
        """The frames the WebDriver is in (None: not known)."""
        self._recorder: Recorder | None = None
        self._stuck = 0
        """Abandoned calls still running in their threads (they hold :attr:`lock`)."""
        self._stuck_guard = threading.Lock()
        self._unstuck = threading.Event()

    # ------------------------------------------------------------------ plumbing

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` in a worker thread, holding this WebDriver's lock.

        A cancel (or timeout) abandons the thread at once instead of waiting for Selenium;
        until that call returns, further calls fail fast (after :data:`STUCK_GRACE`)
        instead of queueing behind it, and :meth:`close` ends the browser by force.
        """
        await self._wait_unstuck()
        state = {"abandoned": False, "done": False}

        def locked() -> T:
            try:
                with self.lock:
                    if state["abandoned"]:
                        raise BrowserError("the call was cancelled before it started")
                    return fn(*args, **kwargs)
            finally:
                with self._stuck_guard:
                    state["done"] = True
                    if state["abandoned"]:
                        self._stuck -= 1
                        if not self._stuck:
                            self._unstuck.set()

        try:
            return await anyio.to_thread.run_sync(locked, abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            with self._stuck_guard:
                if not state["done"]:
                    state["abandoned"] = True
                    self._stuck += 1
                    self._unstuck.clear()
            raise

    async def _wait_unstuck(self) -> None:
        if not self._stuck:
            return
        await anyio.to_thread.run_sync(self._unstuck.wait, STUCK_GRACE, abandon_on_cancel=True)
        if self._stuck:
            raise BrowserError(
                "the browser is not responding: an earlier WebDriver call has not returned"
            )

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
        deadline = time.monotonic() + wait
        while True:
            try:
                names = sorted(p for p in self._download_dir.iterdir() if p.is_file())
            except OSError:
                return []
            partial = [p for p in names if p.name.endswith(_PARTIAL_SUFFIXES)]
            if not partial or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        known = set(self.downloads)
        fresh = [
            p
            for p in names
            if p not in known
            and not p.name.endswith(_PARTIAL_SUFFIXES)
            and not p.name.startswith(".")
        ]
        self.downloads.extend(fresh)
        return fresh

    def _collect_downloads(self, data: dict[str, Any]) -> None:
        paths = [str(p) for p in self._scan_downloads(DOWNLOAD_WAIT)]
        if paths:
            data["download"] = paths[0] if len(paths) == 1 else paths

    # ------------------------------------------------------------------ protocol

    async def goto(self, url: str) -> None:
        """Open ``url`` in the current tab; raise BrowserError if it cannot be opened."""
        error = await self._run(self._navigate, url)
        if error:
            raise BrowserError(error)

    def _navigate(self, url: str) -> str | None:
        from selenium.common.exceptions import TimeoutException, WebDriverException

        self._top()
        try:
            self.wd.get(url)
        except TimeoutException:
            # Loading goes on (a slow resource); the document is there to be read.
            log.info("%s did not finish loading within %s s", url, NAVIGATION_TIMEOUT)
        except WebDriverException as exc:
            return f"could not open {url}: {_readable(exc)}"
        self._settle()
        return None

    async def snapshot(self) -> PageState:
        """Run the snapshot script in every frame of the current tab and merge the results."""
        return await self._run(self._snapshot_sync)

    def _snapshot_sync(self) -> PageState:
        from selenium.common.exceptions import WebDriverException

        try:
            self._top()
            chains: dict[str, list[str]] = {}
            tokens: dict[str, str] = {}
            try:
                top = self._snapshot_here({"frames": False})
            except WebDriverException:
                # The top document navigating mid-snapshot: one more try once it loaded.
                self._settle(3.0)
                top = self._snapshot_here({"frames": False})
            chains[""], tokens[""] = [], str(top.get("token", ""))
            raws = [top]
            self._snapshot_children(top, [], chains, tokens, raws)
            self._top()
            shot = self._capture(jpeg=True)
            url = str(self.wd.current_url)
            handle = self.wd.current_window_handle
        except WebDriverException as exc:
            raise BrowserError(f"could not read the page: {_readable(exc)}") from exc
        known = known_elements(raws)
        self._actions.known, self._chains, self._tokens = known, chains, tokens
        self._snapshot_handle = handle
        self._tab_urls[handle] = url
        return build_page_state(
            raws,
            url=url,
            title=str(top.get("title", "")),
            screenshot=shot,
            tabs=self._tabs(handle, url),
        )

    def _tabs(self, current: str, url: str) -> list[str]:
        # Reading another tab's URL means switching to it; the last URL seen there will do.
        handles = list(self.wd.window_handles)
        self._handles = handles
        return [url if h == current else self._tab_urls.get(h, "") for h in handles]

    def _snapshot_here(self, opts: dict[str, Any]) -> dict[str, Any]:
        raw: dict[str, Any] = json.loads(self._js(SNAPSHOT, opts))
        return raw

    def _snapshot_children(
        self,
        raw: dict[str, Any],
        chain: list[str],
        chains: dict[str, list[str]],
        tokens: dict[str, str],
        out: list[dict[str, Any]],
    ) -> None:
        """Snapshot the child frames ``raw`` reported, depth first; returns in ``raw``'s frame."""
        from selenium.common.exceptions import WebDriverException

        for info in raw.get("frames", []):
            local = str(info["locator"]).rsplit(" |> ", 1)[-1]
            path = str(info["frame"])
            try:
                iframe = self._js(LOCATE, local)
                if iframe is None:
                    continue
                self._here = None
                self.wd.switch_to.frame(iframe)
            except WebDriverException as exc:
                log.debug("frame %s not entered: %s", path, _readable(exc))
                self._enter(chain)
                continue
            child_chain = [*chain, local]
            try:
                child = self._snapshot_here(child_frame_options(info))
                chains[path], tokens[path] = child_chain, str(child.get("token", ""))
                out.append(child)
                self._snapshot_children(child, child_chain, chains, tokens, out)
                self.wd.switch_to.parent_frame()
            except WebDriverException as exc:
                log.debug("frame %s not read: %s", path, _readable(exc))
                self._enter(chain)

    def _enter(self, chain: list[str]) -> None:
        """Switch from the top document into the frame reached by ``chain``'s locators."""
        from selenium.common.exceptions import WebDriverException

        self._top()
        self._here = None
        for local in chain:
            try:
                iframe = self._js(LOCATE, local)
                if iframe is None:
                    raise ActionFailed("the frame is no longer on the page")
                self.wd.switch_to.frame(iframe)
            except WebDriverException as exc:
                raise ActionFailed("the frame is no longer on the page") from exc
        self._here = tuple(chain)

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
                    size = self.wd.execute_script(
                        "const d = document.documentElement, b = document.body || d;"
                        " return [Math.max(d.scrollWidth, b.scrollWidth, innerWidth),"
                        " Math.max(d.scrollHeight, b.scrollHeight, innerHeight)];"
                    )
                    shot = self._cdp(
                        "Page.captureScreenshot",
                        {
                            "format": "png",
                            "captureBeyondViewport": True,
                            "clip": {
                                "x": 0,
                                "y": 0,
                                "width": size[0],
                                "height": size[1],
                                "scale": 1,
                            },
                        },
                    )
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

        params: dict[str, Any] = {"format": "png", "optimizeForSpeed": True}
        if jpeg:
            params = {"format": "jpeg", "quality": JPEG_QUALITY, "optimizeForSpeed": True}
        try:
            return base64.b64decode(self._cdp("Page.captureScreenshot", params)["data"])
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
        stuck = bool(self._stuck)
        if recorder is not None:
            await anyio.to_thread.run_sync(recorder.stop, not stuck)
        held = False if stuck else await self._take_lock(CLOSE_WAIT)
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

    # ------------------------------------------------------------------ reading

    async def read_document(self, *, links: bool = False) -> str:
        """The whole page as text for extraction: ``document.js`` in the top document,
        then, with ``switch_to.frame``, in each cross-origin frame it marked (same-origin
        frames it reads itself), each frame's text put where the frame is."""
        return await self._run(self._read_document_sync, links)

    def _read_document_sync(self, links: bool) -> str:
        from selenium.common.exceptions import WebDriverException

        try:
            self._top()
            try:
                return self._read_here({"links": links}, 0)
            except WebDriverException:
                # The document navigating mid-read: one more try once it has loaded.
                self._settle(3.0)
                self._top()
                return self._read_here({"links": links}, 0)
        except WebDriverException as exc:
            raise BrowserError(f"could not read the page: {_readable(exc)}") from exc
        finally:
            with contextlib.suppress(Exception):
                self._top()

    def _read_here(self, opts: dict[str, Any], depth: int) -> str:
        """Read the current frame; its marked frames are entered and left again."""
        from selenium.common.exceptions import WebDriverException

        raw = json.loads(self._js(READ_DOCUMENT, opts))
        children: dict[int, str] = {}
        for k in range(int(raw.get("frames") or 0) if depth < MAX_FRAME_DEPTH else 0):
            try:
                iframe = self._js(DOCUMENT_FRAME, k)
                if iframe is None:
                    continue
                self._here = None
                self.wd.switch_to.frame(iframe)
            except WebDriverException as exc:
                log.debug("frame %d not entered: %s", k, _readable(exc))
                continue
            try:
                children[k] = self._read_here(opts, depth + 1)
            except WebDriverException as exc:  # the frame went away or never loaded
                log.debug("frame %d not read: %s", k, _readable(exc))
            finally:
                self.wd.switch_to.parent_frame()
        return splice_frames(str(raw.get("text") or ""), children)

    async def _take_lock(self, wait: float) -> bool:
        """Hold :attr:`lock`, waiting at most ``wait`` seconds (in a thread); False if busy."""
        # Shielded: a cancel arriving meanwhile must not lose a lock that was taken.
        with anyio.CancelScope(shield=True):
            got = await anyio.to_thread.run_sync(self.lock.acquire, True, wait)
        return bool(got)

    async def _end_by_force(self, why: str) -> None:
        """End this session's browser from outside, so a stuck call returns: kill the local
        Chromium (found by its own profile folder) and delete the WebDriver session over a
        connection of its own. Bounded in time, and safe to run while cancelled."""
        self.warnings.append(f"the browser was ended by force: {why}")
        with anyio.CancelScope(shield=True):
            if self._profile:
                await anyio.to_thread.run_sync(_kill_profile_processes, self._profile)
            session_id = getattr(self.wd, "session_id", None)
            if session_id:
                with contextlib.suppress(Exception):
                    url = f"{self.driver.server_url.rstrip('/')}/session/{session_id}"
                    async with httpx.AsyncClient(timeout=5.0) as client:
                        await client.delete(url)

    # ------------------------------------------------------------------ acting

    async def execute(self, action: Action, page: PageState) -> ActionResult:
        """Carry out one action, check its effect and say how it went
        (:class:`~skyvern_core.browser.actions.BrowserActions`)."""
        return await self._actions.execute(action, page)

    def _go(self, chain: tuple[str, ...]) -> None:
        """Into the frame reached by ``chain``, unless the WebDriver is there already."""
        if self._here != chain:
            self._enter(list(chain))

    def _after_action(self, data: dict[str, Any]) -> None:
        from selenium.common.exceptions import WebDriverException

        with contextlib.suppress(WebDriverException):
            self._top()
            self._collect_downloads(data)
            self._follow_new_tab(data)
        with contextlib.suppress(WebDriverException):
            self._tab_urls[self.wd.current_window_handle] = self._url()
