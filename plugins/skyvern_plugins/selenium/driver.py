"""A :class:`~skyvern_core.protocols.BrowserDriver` on Selenium WebDriver and Chromium.

Where the browser runs:

- locally (the default): :meth:`SeleniumDriver.start` starts one ChromeDriver process
  (``SE_CHROMEDRIVER``, ``chromedriver`` on PATH, ``/usr/bin/chromedriver`` or next to the
  browser) and every session asks it for a new Chromium (``Settings.browser_path`` or the
  same discovery as the Playwright driver,
  :func:`~skyvern_core.perception.browser_common.find_chromium`);
- remotely, with ``Settings.remote_webdriver_url``: every session is a new WebDriver session
  on that Selenium Grid (or bare ChromeDriver), which must offer Chromium or Chrome;
  ``Settings.browser_path``, if set, is then the browser's path on the remote machine.

Selenium Manager is never needed (the paths are passed explicitly); ``SE_OFFLINE`` and
``SE_AVOID_STATS`` are set anyway, process-wide, so that nothing in Selenium goes online.

**One browser per session.** Selenium has no cheap isolated contexts, so every session is
its own WebDriver session and its own Chromium with a fresh profile (a temporary
``--user-data-dir`` locally; a Grid or ChromeDriver makes a fresh profile per session
itself). Sessions never share cookies, storage or tabs; the price is a browser start
(about half a second locally) per session.

**Threads.** Selenium is synchronous. Every session runs its Selenium calls in a worker
thread (:func:`anyio.to_thread.run_sync`) under one :class:`threading.Lock` per WebDriver,
so the event loop never blocks and two calls never interleave on one WebDriver (which
also keeps ``switch_to.frame`` state consistent: a call enters the frames it needs and
leaves the WebDriver on the top document). A cancel, a timeout or a shutdown does not wait
for a call that hangs (a browser stuck in a script, a Grid that stopped answering): the
call is abandoned at once, later calls on that session fail fast, and closing the session
ends its browser from outside (its own Chromium is killed locally, and the WebDriver
session is deleted over a separate connection), which makes the stuck call return.

Seeing follows the Playwright driver: ``snapshot.js`` runs through ``execute_script`` in
the top document and, with ``switch_to.frame``, in every child frame (cross-origin ones
included), with the same ids and locators. Acting is the same code as Playwright's:
:class:`~skyvern_core.browser.actions.BrowserActions` on
:class:`~skyvern_plugins.selenium.primitives.SeleniumPrimitives` (each primitive one call
in the worker thread, entering the element's frame when the WebDriver is elsewhere). A new
tab opened by an action is followed. Downloads go to
``SessionOptions.artifact_dir/downloads`` (CDP ``Browser.setDownloadBehavior``) and are
returned by :meth:`SeleniumSession.close`.

What differs from Playwright:

- **Recording.** Selenium's CDP bridge (``executeCdpCommand``) cannot receive events, so
  there is no screencast. Instead a background thread takes a JPEG of the current tab
  every half second (CDP ``Page.captureScreenshot``; unchanged frames are not stored again)
  while no other call holds the WebDriver, and :meth:`SeleniumSession.close` encodes them
  to a VP8 WebM with the system ``ffmpeg``. It shows the page between actions (a call in
  progress holds the WebDriver, so a long navigation shows as a still). Without ffmpeg,
  ``recording`` is None and ``SessionArtifacts.warnings`` says why.
- **Settling.** Network requests cannot be observed; "settled" means the document is no
  longer loading and its Resource Timing entries stopped changing for 150 ms, so every
  action takes at least that long (Playwright returns at once when nothing was requested).
- **Hidden checkboxes.** Where a click at a control's centre lands on its own ``<label>``
  (a visually hidden checkbox under a styled label), the pointer clicks there
  (``data["method"] == "label"``): ChromeDriver would call the native click intercepted.
- **File choosers.** ``upload_file`` needs an ``<input type=file>`` (hidden ones are fine);
  a page that opens a chooser without one cannot be served, as Selenium cannot intercept
  the dialog.
- **Proxies** with a user name and password are not supported (Chromium takes no proxy
  credentials on its command line): the proxy is used without them and a warning says so.
- **Remote downloads** are saved by the remote browser, so they reach ``artifact_dir``
  only when it shares this machine's file system (a local Grid or ChromeDriver).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread
import httpx

from skyvern_core.browser.actions import BrowserActions
from skyvern_core.browser.chromium import JPEG_QUALITY, LAUNCH_ARGS, find_chromium
from skyvern_core.browser.elements import ActionFailed, child_frame_options, known_elements
from skyvern_core.browser.primitives import SETTLE_CAP
from skyvern_core.browser.scripts import CALL, DOCUMENT_FRAME, LOCATE, READ_DOCUMENT, SNAPSHOT
from skyvern_core.config import Settings
from skyvern_core.errors import BrowserError, ConfigurationError, MissingExtraError
from skyvern_core.models import Action, ActionResult, PageState
from skyvern_core.perception import build_page_state
from skyvern_core.perception.document import MAX_FRAME_DEPTH, splice_frames
from skyvern_core.protocols import SessionArtifacts, SessionOptions
from skyvern_plugins.selenium.primitives import SeleniumPrimitives
from skyvern_plugins.selenium.primitives import readable as _readable
from skyvern_plugins.selenium.primitives import selenium_keys as _selenium_keys  # noqa: F401

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

__all__ = ["SeleniumDriver", "SeleniumSession", "find_chromedriver"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

SELENIUM_ENV = {"SE_OFFLINE": "true", "SE_AVOID_STATS": "true"}
"""Set process-wide before Selenium is used: no Selenium Manager downloads, no statistics."""

QUIET_WINDOW = 0.15
"""Seconds without a new resource loaded that count as settled."""
NAVIGATION_TIMEOUT = 30
SCRIPT_TIMEOUT = 30
CLIENT_TIMEOUT = 60
"""Seconds one WebDriver HTTP call may take before the client gives up on it."""
DOWNLOAD_WAIT = 30.0
"""Seconds to wait for downloads in progress to finish."""
STUCK_GRACE = 1.0
"""Seconds a call waits for an abandoned one still running before failing fast."""
CLOSE_WAIT = 5.0
"""Seconds closing waits for the WebDriver to be free before ending the browser by force."""
QUIT_TIMEOUT = 30.0
"""Seconds ``quit`` may take before the browser is ended by force."""
FRAME_INTERVAL = 0.5
"""Seconds between two recorded frames."""

_SETTLE_PROBE = (
    "return [document.readyState, performance.getEntriesByType('resource').length, location.href];"
)
_PARTIAL_SUFFIXES = (".crdownload", ".tmp", ".part")


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
            wd = await self._open_abandonable(options, profile, warnings)
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

    async def _open_abandonable(
        self, options: SessionOptions, profile: str | None, warnings: list[str]
    ) -> Any:
        """Start the browser in a thread; a cancel returns at once, and a browser that
        starts after it is quit by that thread (nobody else would)."""
        guard = threading.Lock()
        state: dict[str, Any] = {"abandoned": False, "wd": None}

        def open_or_discard() -> Any:
            wd = self._open(options, profile, warnings)
            with guard:
                state["wd"] = wd
                abandoned = state["abandoned"]
            if abandoned:
                with contextlib.suppress(Exception):
                    wd.quit()
            return wd

        try:
            return await anyio.to_thread.run_sync(open_or_discard, abandon_on_cancel=True)
        except BaseException:
            with guard:
                state["abandoned"] = True
                late = state["wd"]
            if late is not None:  # it started just as the cancel came
                with contextlib.suppress(Exception):
                    threading.Thread(target=late.quit, daemon=True).start()
            raise

    def _chrome_options(
        self, options: SessionOptions, profile: str | None, warnings: list[str]
    ) -> Any:
        webdriver = _import_selenium()
        chrome = webdriver.ChromeOptions()
        if self._browser:
            chrome.binary_location = self._browser
        width, height = options.viewport
        # Chromium refuses to start as root with its sandbox, and containers often lack the
        # namespaces it needs; Playwright launches without it by default too.
        args = [*LAUNCH_ARGS, "--no-sandbox", f"--window-size={width},{height}"]
        if self.settings.headless:
            args.append("--headless=new")
        if profile:
            args.append(f"--user-data-dir={profile}")
        if options.user_agent:
            args.append(f"--user-agent={options.user_agent}")
        if options.proxy is not None:
            args.append(f"--proxy-server={options.proxy.server}")
            if options.proxy.bypass:
                args.append(f"--proxy-bypass-list={options.proxy.bypass}")
            if options.proxy.username or options.proxy.password:
                warnings.append(
                    "the proxy's user name and password are not used: Chromium under "
                    "Selenium takes no proxy credentials"
                )
        for arg in args:
            chrome.add_argument(arg)
        downloads = (options.artifact_dir / "downloads").resolve()
        chrome.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
                # A PDF is a download, as with Playwright, not a page of the built-in viewer.
                "plugins.always_open_pdf_externally": True,
                "credentials_enable_service": False,
                "profile.password_manager_enabled": False,
            },
        )
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


# --------------------------------------------------------------------------- a session


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
        self._recorder: _Recorder | None = None
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
                self._recorder = _Recorder(self, ffmpeg)
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


# --------------------------------------------------------------------------- recording


class _Recorder:
    """Screenshots of the current tab every :data:`FRAME_INTERVAL` s, encoded at the end.

    Runs in its own thread and takes a frame only when no other call holds the WebDriver;
    a frame identical to the previous one is not stored again (it just lasts longer).
    """

    def __init__(self, session: SeleniumSession, ffmpeg: str) -> None:
        self.session = session
        self.ffmpeg = ffmpeg
        self.folder = Path(tempfile.mkdtemp(prefix="skyvern-frames-"))
        self.frames: list[tuple[Path, float]] = []
        self._last: bytes | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="skyvern-recorder", daemon=True)
        self.started = time.monotonic()
        self.ended: float | None = None

    def start(self) -> None:
        """Begin taking frames."""
        self._thread.start()

    def _loop(self) -> None:
        self.capture()
        while not self._stop.wait(FRAME_INTERVAL):
            self.capture()

    def capture(self, wait: float = 0.05) -> None:
        """Store one frame, unless the WebDriver is busy (or the browser is gone)."""
        import base64

        lock = self.session.lock
        if not lock.acquire(timeout=wait):
            return
        try:
            shot = self.session._cdp("Page.captureScreenshot", {"format": "jpeg", "quality": 70})
            data = base64.b64decode(shot["data"])
        except Exception as exc:
            log.debug("no frame: %s", exc)
            return
        finally:
            lock.release()
        now = time.monotonic()
        if data == self._last:
            return
        self._last = data
        path = self.folder / f"{len(self.frames):06d}.jpg"
        path.write_bytes(data)
        self.frames.append((path, now))

    def stop(self, final_frame: bool = True) -> None:
        """Stop the thread and (with ``final_frame``) take a last frame of the page as it
        is; without it (a stuck WebDriver), return without waiting for the WebDriver."""
        self._stop.set()
        self._thread.join(timeout=10 if final_frame else 1)
        if final_frame:
            self.capture(wait=5.0)
        self.ended = time.monotonic()

    def encode(self, target: Path) -> Path | None:
        """Encode the frames to a WebM at ``target``; None (with a warning) if it fails."""
        warnings = self.session.warnings
        try:
            if not self.frames:
                warnings.append("video not recorded: no frame could be taken")
                return None
            end = self.ended or time.monotonic()
            lines = []
            for i, (path, at) in enumerate(self.frames):
                until = self.frames[i + 1][1] if i + 1 < len(self.frames) else end
                lines.append(f"file '{path.name}'\nduration {max(until - at, 0.04):.3f}")
            # The concat demuxer ignores the last duration unless the file is named again.
            lines.append(f"file '{self.frames[-1][0].name}'")
            listing = self.folder / "frames.txt"
            listing.write_text("\n".join(lines) + "\n")
            target.parent.mkdir(parents=True, exist_ok=True)
            command = [
                self.ffmpeg,
                "-nostdin",
                "-y",
                "-loglevel",
                "error",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(listing),
                "-vf",
                "scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p",
                "-c:v",
                "libvpx",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-b:v",
                "1M",
                "-fps_mode",
                "vfr",
                str(target),
            ]
            done = subprocess.run(command, capture_output=True, text=True, timeout=300)
            if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
                error = (done.stderr or "").strip().splitlines()
                warnings.append(
                    "video not recorded: ffmpeg could not encode the frames"
                    + (f": {error[-1]}" if error else "")
                )
                return None
            return target
        except (OSError, subprocess.SubprocessError) as exc:
            warnings.append(f"video not recorded: {exc}")
            return None
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
