"""A :class:`~skyvern_core.protocols.BrowserDriver` on Playwright's async API and Chromium.

One browser per driver (launched, or reached over CDP with ``Settings.cdp_url``), one new
isolated context per session: cookies and storage are never shared between tasks.

Seeing and acting are :class:`~skyvern_core.browser.session.PrimitiveSession`'s, on
:class:`~skyvern_plugins.playwright.primitives.PlaywrightPrimitives`; this module launches
the browser, opens contexts, records video and traces, keeps downloads and tabs.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from skyvern_core.browser.chromium import (
    JPEG_QUALITY,
    LAUNCH_ARGS,
    capture_params,
    find_chromium,
    guard_requests,
)
from skyvern_core.browser.primitives import NAVIGATION_TIMEOUT, SETTLE_CAP, note_downloads
from skyvern_core.browser.scripts import SNAPSHOT
from skyvern_core.browser.session import PrimitiveSession
from skyvern_core.browser.video import browsers_path, ensure_ffmpeg
from skyvern_core.config import Settings
from skyvern_core.errors import BrowserError
from skyvern_core.protocols import SessionArtifacts, SessionOptions
from skyvern_plugins.playwright.primitives import (
    ACTION_TIMEOUT_MS,
    PlaywrightPrimitives,
)
from skyvern_plugins.playwright.primitives import import_playwright as _import_playwright
from skyvern_plugins.playwright.primitives import readable as _readable

if TYPE_CHECKING:
    from playwright.async_api import (
        Browser,
        BrowserContext,
        Download,
        Page,
        Playwright,
        Request,
    )

__all__ = [
    "PlaywrightDriver",
    "PlaywrightSession",
    "browsers_path",
    "ensure_ffmpeg",
    "find_chromium",
]

log = logging.getLogger(__name__)

NAVIGATION_TIMEOUT_MS = int(NAVIGATION_TIMEOUT * 1000)

_SNAPSHOT = SNAPSHOT


# --------------------------------------------------------------------------- the driver


class PlaywrightDriver:
    """Chromium through Playwright: one browser per driver, one context per session."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._lock = asyncio.Lock()
        self._video_ok: bool | None = None
        self._video_warning: str | None = None
        self._guard: tuple[Any, set[asyncio.Task[None]]] | None = None
        self.sessions: list[PlaywrightSession] = []

    @property
    def browser(self) -> Browser:
        """The running browser (after :meth:`start`)."""
        if self._browser is None:
            raise BrowserError("the browser is not started")
        return self._browser

    async def start(self) -> None:
        """Launch Chromium, or connect to ``Settings.cdp_url`` (idempotent)."""
        async with self._lock:
            if self._browser is not None and self._browser.is_connected():
                return
            api = _import_playwright()
            # The ffmpeg check reads the same environment the Playwright process starts with.
            self._video_ok, self._video_warning = ensure_ffmpeg()
            if self._playwright is None:
                self._playwright = await api.async_playwright().start()
            chromium = self._playwright.chromium
            try:
                if self.settings.cdp_url:
                    self._browser = await chromium.connect_over_cdp(self.settings.cdp_url)
                else:
                    executable = find_chromium(self.settings, chromium.executable_path)
                    self._browser = await chromium.launch(
                        executable_path=executable,
                        headless=self.settings.headless,
                        args=LAUNCH_ARGS,
                    )
            except api.Error as exc:
                where = self.settings.cdp_url or "Chromium"
                raise BrowserError(f"could not start {where}: {_readable(exc)}") from exc
            await self._guard_network(self._browser)

    async def _guard_network(self, browser: Browser) -> None:
        """Refuse inside Chromium the requests the URL policy refuses from the URL alone
        (:func:`~skyvern_core.browser.chromium.guard_requests`, browser-wide)."""
        guard = await browser.new_browser_cdp_session()
        self._guard = (guard, await guard_requests(guard, self.settings))

    async def new_session(self, options: SessionOptions) -> PlaywrightSession:
        """Open a new isolated context (own cookies and storage) with one tab."""
        await self.start()
        api = _import_playwright()
        warnings: list[str] = []
        record = options.record_video and bool(self._video_ok)
        if options.record_video and not self._video_ok and self._video_warning:
            warnings.append(self._video_warning)
        try:
            context, page = await self._open_context(options, record)
        except api.Error as exc:
            if not record or "ffmpeg" not in str(exc).lower():
                raise BrowserError(f"could not open a browser context: {_readable(exc)}") from exc
            warnings.append(f"video not recorded: {_readable(exc)}")
            record = False
            context, page = await self._open_context(options, False)
        session = PlaywrightSession(self, context, page, options, warnings, record)
        await session._begin()
        self.sessions.append(session)
        return session

    async def _open_context(
        self, options: SessionOptions, record: bool
    ) -> tuple[BrowserContext, Page]:
        width, height = options.viewport
        kwargs: dict[str, Any] = {
            "viewport": {"width": width, "height": height},
            "accept_downloads": True,
        }
        if options.user_agent:
            kwargs["user_agent"] = options.user_agent
        if options.storage_state:
            kwargs["storage_state"] = options.storage_state  # a browser profile's
        if options.proxy is not None:
            proxy: dict[str, str] = {"server": options.proxy.server}
            for name in ("username", "password", "bypass"):
                value = getattr(options.proxy, name)
                if value:
                    proxy[name] = value
            kwargs["proxy"] = proxy
        if record:
            video_dir = options.artifact_dir / "video"
            video_dir.mkdir(parents=True, exist_ok=True)
            kwargs["record_video_dir"] = str(video_dir)
            kwargs["record_video_size"] = {"width": width, "height": height}
        context = await self.browser.new_context(**kwargs)
        try:
            page = await context.new_page()
        except BaseException:
            await context.close()
            raise
        return context, page

    async def close(self) -> None:
        """Close every session, the browser and Playwright."""
        for session in list(self.sessions):
            if not session.closed:
                with contextlib.suppress(Exception):
                    await session.close()
        if self._browser is not None:
            with contextlib.suppress(Exception):
                await self._browser.close()
            self._browser = None
            self._guard = None
        if self._playwright is not None:
            with contextlib.suppress(Exception):
                await self._playwright.stop()
            self._playwright = None


# --------------------------------------------------------------------------- a session


class PlaywrightSession(PrimitiveSession[Any, Any]):
    """One task's browser context: its tabs, its downloads, its video and trace."""

    primitives: PlaywrightPrimitives

    def __init__(
        self,
        driver: PlaywrightDriver,
        context: BrowserContext,
        page: Page,
        options: SessionOptions,
        warnings: list[str],
        recording: bool,
    ) -> None:
        super().__init__(PlaywrightPrimitives(self))
        self.driver = driver
        self.context = context
        self.page = page
        self.options = options
        self.warnings = warnings
        self.recording = recording
        self.closed = False
        self.downloads: list[Path] = []
        self._first_page = page
        self._new_pages: list[Page] = []
        self._pending_downloads: list[asyncio.Task[Path | None]] = []
        self._inflight: set[Request] = set()
        self._last_request = 0.0
        self._cdp: dict[Page, Any] = {}

    async def _begin(self) -> None:
        self.context.on("page", self._on_page)
        self.context.on("request", self._on_request)
        self.context.on("requestfinished", self._on_request_done)
        self.context.on("requestfailed", self._on_request_done)
        self.context.set_default_timeout(ACTION_TIMEOUT_MS)
        self.context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        self._watch(self.page)
        if self.options.record_trace:
            try:
                await self.context.tracing.start(screenshots=True, snapshots=True)
            except Exception as exc:
                self.warnings.append(f"trace not recorded: {_readable(exc)}")
                self.options.record_trace = False

    # ------------------------------------------------------------------ events

    def _watch(self, page: Page) -> None:
        page.on("download", self._on_download)

    def _on_page(self, page: Page) -> None:
        self._watch(page)
        self._new_pages.append(page)

    def _on_request(self, request: Request) -> None:
        self._inflight.add(request)
        self._last_request = time.monotonic()

    def _on_request_done(self, request: Request) -> None:
        self._inflight.discard(request)
        self._last_request = time.monotonic()

    def _on_download(self, download: Download) -> None:
        self._pending_downloads.append(asyncio.ensure_future(self._save_download(download)))

    async def _save_download(self, download: Download) -> Path | None:
        folder = self.options.artifact_dir / "downloads"
        folder.mkdir(parents=True, exist_ok=True)
        name = Path(download.suggested_filename or "download").name or "download"
        target = folder / name
        stem, suffix, n = target.stem, target.suffix, 1
        while target.exists():
            n += 1
            target = folder / f"{stem} ({n}){suffix}"
        try:
            await download.save_as(target)
        except Exception as exc:
            self.warnings.append(f"download {name} failed: {_readable(exc)}")
            return None
        self.downloads.append(target)
        return target

    async def _settle(self, cap: float = SETTLE_CAP) -> None:
        """Wait until the page has loaded and no request is in flight for a moment
        (:attr:`quiet_window`; without one, until the load event and no request)."""
        deadline = time.monotonic() + cap
        window = self.quiet_window
        with contextlib.suppress(Exception):
            await self.page.wait_for_load_state(
                "domcontentloaded" if window else "load", timeout=cap * 1000
            )
        while time.monotonic() < deadline:
            quiet = time.monotonic() - self._last_request
            if not self._inflight and quiet >= window:
                return
            await asyncio.sleep(0.03)

    async def _follow_new_tab(self, data: dict[str, Any]) -> None:
        pages = [p for p in self._new_pages if not p.is_closed()]
        self._new_pages.clear()
        if not pages:
            return
        self.page = pages[-1]
        with contextlib.suppress(Exception):
            await self.page.wait_for_load_state("domcontentloaded", timeout=SETTLE_CAP * 1000)
        await self._settle()
        data["new_tab"] = self.page.url

    async def _collect_downloads(self, data: dict[str, Any]) -> None:
        if not self._pending_downloads:
            return
        pending, self._pending_downloads = self._pending_downloads, []
        done = await asyncio.gather(*pending, return_exceptions=True)
        note_downloads(data, [str(p) for p in done if isinstance(p, Path)])

    # ------------------------------------------------------------------ protocol

    async def screenshot(self, *, full_page: bool = False) -> bytes:
        """A PNG of the viewport, or of the whole page."""
        api = _import_playwright()
        try:
            if full_page:
                # caret="initial": hiding the caret leaves style="" on the site's inputs.
                return await self.page.screenshot(type="png", full_page=True, caret="initial")
            return await self._capture(jpeg=False)
        except api.Error as exc:
            raise BrowserError(f"could not take a screenshot: {_readable(exc)}") from exc

    async def _capture(self, *, jpeg: bool) -> bytes:
        """The viewport straight from Chromium's compositor.

        Playwright's own screenshot took 45-100 ms on the fixture pages, most of it PNG
        compression; with ``optimizeForSpeed`` Chromium encodes in about a third of that
        (the PNG is larger). The model's copy is a JPEG: as fast, and a third of the bytes
        to upload. Without a CDP session (another browser), or when Chromium has no frame
        to give yet ("Unable to capture screenshot" just after a navigation), Playwright's
        path is used: it waits for one.
        """
        api = _import_playwright()
        page = self.page
        cdp: Any = self._cdp.get(page)
        if cdp is None:
            try:
                cdp = await self.context.new_cdp_session(page)
            except Exception:  # not Chromium: no CDP
                cdp = False
            self._cdp = {p: c for p, c in self._cdp.items() if not p.is_closed()}
            self._cdp[page] = cdp
        if cdp is not False:
            try:
                result = await cdp.send("Page.captureScreenshot", capture_params(jpeg=jpeg))
                return base64.b64decode(result["data"])
            except api.Error as exc:
                log.debug("CDP screenshot failed (%s): Playwright's instead", _readable(exc))
        if jpeg:
            return await page.screenshot(type="jpeg", quality=JPEG_QUALITY, caret="initial")
        return await page.screenshot(type="png", caret="initial")

    async def storage_state(self) -> dict[str, Any]:
        """The context's cookies and local storage (to save a browser profile)."""
        return dict(await self.context.storage_state())

    async def close(self) -> SessionArtifacts:
        """Close the context; return the video, trace and downloads it produced."""
        if self.closed:
            return SessionArtifacts(downloads=list(self.downloads), warnings=list(self.warnings))
        self.closed = True
        artifacts = SessionArtifacts(warnings=self.warnings)
        if self._pending_downloads:
            await self._collect_downloads({})
        if self.options.record_trace:
            trace = self.options.artifact_dir / "trace.zip"
            try:
                trace.parent.mkdir(parents=True, exist_ok=True)
                await self.context.tracing.stop(path=str(trace))
                artifacts.trace = trace
            except Exception as exc:
                self.warnings.append(f"trace not saved: {_readable(exc)}")
        video = self._first_page.video if self.recording else None
        try:
            await self.context.close()
        except Exception as exc:
            self.warnings.append(f"the browser context did not close cleanly: {_readable(exc)}")
        if video is not None:
            try:
                path = anyio.Path(await video.path())
                if await path.exists() and (await path.stat()).st_size > 0:
                    artifacts.recording = Path(path)
                else:
                    self.warnings.append("the video recording is empty")
            except Exception as exc:
                self.warnings.append(f"video not saved: {_readable(exc)}")
        artifacts.downloads = list(self.downloads)
        with contextlib.suppress(ValueError):
            self.driver.sessions.remove(self)
        return artifacts
