"""A :class:`~skyvern_core.protocols.BrowserDriver` on Playwright's async API and Chromium.

One browser per driver (launched, or reached over CDP with ``Settings.cdp_url``), one new
isolated context per session: cookies and storage are never shared between tasks.

Seeing: :meth:`PlaywrightSession.snapshot` evaluates ``snapshot.js`` in every frame of the
current tab (cross-origin ones included) and merges the results, with a viewport
screenshot.

Acting: every action is carried out, then checked on the page; failures come back as
``ActionResult(success=False, error=...)`` in words a person understands. The click policy:

- an element covered by a modal dialog or by an overlay a person would have to deal with
  (one holding buttons or links, such as a cookie banner) is NOT clicked: the result names
  the overlay (``covered by div.cookie-banner "We use cookies"``) so the planner can close
  or accept it first; nothing presses Escape on its own;
- an element covered by a passive layer (a transparent div, a sticky header) is scrolled
  to the middle of the viewport and tried again; if the layer is still on top, the click is
  delivered with JavaScript (``data["method"] == "js"``), which is what a person's click
  would have reached;
- a normal click that Playwright refuses (the element never becomes stable, say) also
  falls back to a JavaScript click, and says so in ``data``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from skyvern_core.config import Settings
from skyvern_core.errors import BrowserError, MissingExtraError
from skyvern_core.models import (
    Action,
    ActionResult,
    CheckAction,
    ClickAction,
    GoBackAction,
    GotoUrlAction,
    HoverAction,
    InputTextAction,
    KeypressAction,
    PageState,
    ScrollAction,
    SelectOptionAction,
    UploadFileAction,
    WaitAction,
)
from skyvern_core.netpolicy import browser_url_patterns, refused_without_lookup
from skyvern_core.perception import SNAPSHOT_SCRIPT, build_page_state
from skyvern_core.perception.browser_common import (
    AUTOCOMPLETE,
    CHECKED_STATE,
    DISPATCH_CHANGE,
    DOCUMENT_FRAME,
    EDITABLE_TEXT,
    FILE_INPUT,
    HIT_TEST,
    IS_HOVERED,
    JPEG_QUALITY,
    JS_CLICK,
    LAST_OPTION,
    LAUNCH_ARGS,
    LIST_OPTIONS,
    MAX_FRAME_DEPTH,
    NATIVE_OPTIONS,
    NO_PAGE_BACK,
    OPEN_WAIT,
    PROXY_LABEL,
    READ_DOCUMENT,
    SCROLL_PAGE,
    SCROLL_TO_CENTER,
    SCROLL_TO_NEAREST,
    SELECT_CONTENTS,
    SELECTED_LABELS,
    SUGGESTION_WAIT,
    WIDGET_STATE,
    ActionFailed,
    KnownElement,
    check_checkable,
    check_clickable,
    check_text_field,
    checked_result,
    child_frame_options,
    choose_option,
    covered,
    custom_select_result,
    describe_element,
    element_scroll_result,
    find_chromium,
    has_checked_state,
    is_list,
    is_on,
    key_name,
    known_elements,
    known_from_page,
    local_upload,
    native_select_result,
    page_scroll_result,
    pick_suggestion,
    resolve_args,
    splice_frames,
    suggestion_data,
    typed_result,
    unsupported_action,
    wait_seconds,
)
from skyvern_core.protocols import SessionArtifacts, SessionOptions

if TYPE_CHECKING:
    from playwright.async_api import (
        Browser,
        BrowserContext,
        Download,
        ElementHandle,
        Frame,
        Page,
        Playwright,
        Request,
    )

__all__ = ["PlaywrightDriver", "PlaywrightSession", "ensure_ffmpeg", "find_chromium"]

log = logging.getLogger(__name__)

SETTLE_CAP = 1.5
"""Seconds an action waits at most for the page to settle afterwards."""
QUIET_WINDOW = 0.15
"""Seconds without a request in flight that count as settled."""
ACTION_TIMEOUT_MS = 5_000

_SCROLL_IF_NEEDED = """(el) => {
    const r = el.getBoundingClientRect();
    const w = window.innerWidth || document.documentElement.clientWidth;
    const h = window.innerHeight || document.documentElement.clientHeight;
    if (r.top < 0 || r.left < 0 || r.bottom > h || r.right > w) {
        el.scrollIntoView({block: 'center', inline: 'nearest'});
    }
}"""
"""Scroll an element into view only when it is not already: one round trip, where
Playwright's scroll_into_view_if_needed also waits for the element to be stable."""
NAVIGATION_TIMEOUT_MS = 30_000

_SNAPSHOT = f"(opts) => JSON.stringify(({SNAPSHOT_SCRIPT.strip()})(opts))"
_FRAME_ID = (
    "(el) => { const s = window[Symbol.for('skyvern-core.snapshot')];"
    " return s ? s.frames.get(el) || null : null; }"
)
_RESOLVE = "(a) => { const s = window[Symbol.for('skyvern-core.snapshot')];"
_RESOLVE += " return s && s.api ? s.api.resolve(a.id, a.locator, a.tag, a.token) : null; }"


def _import_playwright() -> Any:
    try:
        from playwright import async_api
    except ImportError as exc:
        raise MissingExtraError("playwright", "playwright") from exc
    return async_api


def _readable(exc: BaseException) -> str:
    """The first line of a Playwright error, without the API name and the call log."""
    text = str(exc).strip().split("\n", 1)[0]
    text = re.sub(r"^[A-Za-z]+\.[a-z_A-Z]+: ", "", text)
    return text or type(exc).__name__


# --------------------------------------------------------------------------- finding things


def _playwright_package_dir() -> Path | None:
    try:
        import playwright
    except ImportError:
        return None
    return Path(playwright.__file__).parent


def browsers_path(env: dict[str, str] | None = None) -> Path:
    """Where Playwright keeps its browsers and ffmpeg (``PLAYWRIGHT_BROWSERS_PATH``)."""
    env = dict(os.environ) if env is None else env
    configured = env.get("PLAYWRIGHT_BROWSERS_PATH")
    if configured == "0":
        package = _playwright_package_dir()
        if package is not None:
            return package / "driver" / "package" / ".local-browsers"
    if configured:
        return Path(configured).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    if sys.platform == "win32":
        return Path(env.get("LOCALAPPDATA", Path.home())) / "ms-playwright"
    cache = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "ms-playwright"


def _ffmpeg_name() -> str:
    if sys.platform == "darwin":
        return "ffmpeg-mac"
    if sys.platform == "win32":
        return "ffmpeg-win64.exe"
    return "ffmpeg-linux"


def ensure_ffmpeg(env: dict[str, str] | None = None) -> tuple[bool, str | None]:
    """Make sure Playwright finds the ffmpeg it records videos with.

    Playwright looks for ``<browsers path>/ffmpeg-<revision>/ffmpeg-linux``; the revision is
    read from Playwright's ``browsers.json``. When that file is missing but a system ffmpeg
    is on PATH, the folder is created and the system ffmpeg linked there. Returns whether
    video can be recorded, and a warning when it cannot.
    """
    package = _playwright_package_dir()
    manifest = package / "driver" / "package" / "browsers.json" if package else None
    try:
        data = json.loads(manifest.read_text()) if manifest else {}
        revision = next(b["revision"] for b in data["browsers"] if b["name"] == "ffmpeg")
    except (OSError, ValueError, KeyError, StopIteration):
        return False, "video not recorded: Playwright's browsers.json names no ffmpeg revision"
    target = browsers_path(env) / f"ffmpeg-{revision}" / _ffmpeg_name()
    if target.exists():
        return True, None
    path_env = (env if env is not None else os.environ).get("PATH")
    system = shutil.which("ffmpeg", path=path_env)
    if system is None:
        return False, (
            f"video not recorded: no ffmpeg (Playwright looks for {target}, and there is no "
            "ffmpeg on PATH); install it with 'playwright install ffmpeg' or your package "
            "manager"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        target.symlink_to(system)
    except OSError as exc:
        return False, f"video not recorded: could not link {system} to {target}: {exc}"
    return True, None


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
        """Refuse, inside Chromium, every request the URL policy refuses from the URL alone.

        Links, redirects, frames and images go where the page says; this stops those
        requests before they leave the browser, for every context and every frame
        (cross-origin ones too). Chromium matches :func:`browser_url_patterns` itself, so
        other requests are never paused.
        """
        guard = await browser.new_browser_cdp_session()
        pending: set[asyncio.Task[None]] = set()

        async def decide(event: dict[str, Any]) -> None:
            url = str(event.get("request", {}).get("url", ""))
            reason = refused_without_lookup(url, self.settings)
            try:
                if reason is None:
                    await guard.send("Fetch.continueRequest", {"requestId": event["requestId"]})
                    return
                log.info("refused a browser request to %s: %s", url, reason)
                await guard.send(
                    "Fetch.failRequest",
                    {"requestId": event["requestId"], "errorReason": "BlockedByClient"},
                )
            except Exception as exc:  # the tab or the browser went away meanwhile
                log.debug("could not answer a paused request to %s: %s", url, exc)

        def paused(event: dict[str, Any]) -> None:
            task = asyncio.ensure_future(decide(event))
            pending.add(task)
            task.add_done_callback(pending.discard)

        guard.on("Fetch.requestPaused", paused)
        patterns = [{"urlPattern": p} for p in browser_url_patterns(self.settings)]
        await guard.send("Fetch.enable", {"patterns": patterns})
        self._guard = (guard, pending)

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


class PlaywrightSession:
    """One task's browser context: its tabs, its snapshot ids and its downloads."""

    def __init__(
        self,
        driver: PlaywrightDriver,
        context: BrowserContext,
        page: Page,
        options: SessionOptions,
        warnings: list[str],
        recording: bool,
    ) -> None:
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
        self._frames: dict[str, Frame] = {}
        self._tokens: dict[str, str] = {}
        self._known: dict[str, KnownElement] = {}
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
        """Wait until the page has loaded and no request is in flight for a moment."""
        deadline = time.monotonic() + cap
        with contextlib.suppress(Exception):
            await self.page.wait_for_load_state("domcontentloaded", timeout=cap * 1000)
        while time.monotonic() < deadline:
            quiet = time.monotonic() - self._last_request
            if not self._inflight and quiet >= QUIET_WINDOW:
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
        paths = [str(p) for p in done if isinstance(p, Path)]
        if paths:
            data["download"] = paths[0] if len(paths) == 1 else paths

    # ------------------------------------------------------------------ protocol

    async def goto(self, url: str) -> None:
        """Open ``url`` in the current tab; raise BrowserError if it cannot be opened."""
        error = await self._navigate(url)
        if error:
            raise BrowserError(error)

    async def _navigate(self, url: str) -> str | None:
        api = _import_playwright()
        try:
            await self.page.goto(url, wait_until="domcontentloaded")
        except api.Error as exc:
            return f"could not open {url}: {_readable(exc)}"
        await self._settle()
        return None

    async def snapshot(self) -> PageState:
        """Evaluate the snapshot script in every frame and merge the results."""
        page = self.page
        api = _import_playwright()
        self._frames, self._tokens, known = {}, {}, {}
        try:
            # The compositor takes the picture while the renderer runs the script.
            raws, shot = await asyncio.gather(
                self._snapshot_frame(page.main_frame, {"frames": False}, ""),
                self._capture(jpeg=True),
            )
        except api.Error as exc:
            raise BrowserError(f"could not read the page: {_readable(exc)}") from exc
        known = known_elements(raws)
        self._known = known
        title = raws[0].get("title", "") if raws else ""
        return build_page_state(
            raws,
            url=page.url,
            title=title,
            screenshot=shot,
            tabs=[p.url for p in self.context.pages],
        )

    async def _snapshot_frame(self, frame: Frame, opts: dict[str, Any], path: str) -> list[Any]:
        api = _import_playwright()
        try:
            raw = json.loads(await frame.evaluate(_SNAPSHOT, opts))
        except api.Error as exc:
            if path == "":
                # The top document navigating mid-snapshot: one more try once it loaded.
                with contextlib.suppress(api.Error):
                    await frame.wait_for_load_state("domcontentloaded", timeout=3000)
                raw = json.loads(await frame.evaluate(_SNAPSHOT, opts))
            else:
                log.debug("frame %s not read: %s", path, exc)
                return []
        self._frames[path] = frame
        self._tokens[path] = raw.get("token", "")
        out = [raw]
        reported = {f["frame"]: f for f in raw.get("frames", [])}
        if not reported:
            return out
        for child in frame.child_frames:
            if child.is_detached():
                continue
            try:
                handle = await child.frame_element()
                local = await frame.evaluate(_FRAME_ID, handle)
            except api.Error:
                continue
            if not local:
                continue
            child_path = f"{path}.{local}" if path else local
            info = reported.get(child_path)
            if info is None:
                continue
            out.extend(
                await self._snapshot_frame(
                    child,
                    child_frame_options(info),
                    child_path,
                )
            )
        return out

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
            params: dict[str, Any] = {"format": "png", "optimizeForSpeed": True}
            if jpeg:
                params = {"format": "jpeg", "quality": JPEG_QUALITY, "optimizeForSpeed": True}
            try:
                result = await cdp.send("Page.captureScreenshot", params)
                return base64.b64decode(result["data"])
            except api.Error as exc:
                log.debug("CDP screenshot failed (%s): Playwright's instead", _readable(exc))
        if jpeg:
            return await page.screenshot(type="jpeg", quality=JPEG_QUALITY, caret="initial")
        return await page.screenshot(type="png", caret="initial")

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

    # ------------------------------------------------------------------ reading

    async def read_document(self, *, links: bool = False) -> str:
        """The whole page as text for extraction: ``document.js`` in the top document,
        then in each cross-origin frame it marked (same-origin frames it reads itself),
        each frame's text put where the frame is."""
        api = _import_playwright()
        frame = self.page.main_frame
        try:
            try:
                return await self._read_frame(frame, {"links": links}, 0)
            except api.Error:
                # The document navigating mid-read: one more try once it has loaded.
                with contextlib.suppress(api.Error):
                    await frame.wait_for_load_state("domcontentloaded", timeout=3000)
                return await self._read_frame(frame, {"links": links}, 0)
        except api.Error as exc:
            raise BrowserError(f"could not read the page: {_readable(exc)}") from exc

    async def _read_frame(self, frame: Frame, opts: dict[str, Any], depth: int) -> str:
        api = _import_playwright()
        raw = json.loads(await frame.evaluate(READ_DOCUMENT, opts))
        children: dict[int, str] = {}
        for k in range(int(raw.get("frames") or 0) if depth < MAX_FRAME_DEPTH else 0):
            try:
                handle = await frame.evaluate_handle(DOCUMENT_FRAME, k)
                element = handle.as_element()
                child = await element.content_frame() if element is not None else None
                if child is not None and not child.is_detached():
                    children[k] = await self._read_frame(child, opts, depth + 1)
            except api.Error as exc:  # the frame went away or never loaded: left out
                log.debug("frame %d not read: %s", k, _readable(exc))
        return splice_frames(str(raw.get("text") or ""), children)

    # ------------------------------------------------------------------ acting

    async def execute(self, action: Action, page: PageState) -> ActionResult:
        """Carry out one action, check its effect and say how it went."""
        api = _import_playwright()
        handlers: dict[type, Callable[[Any, PageState], Any]] = {
            ClickAction: self._click,
            InputTextAction: self._input_text,
            SelectOptionAction: self._select_option,
            CheckAction: self._check,
            UploadFileAction: self._upload,
            ScrollAction: self._scroll,
            KeypressAction: self._keypress,
            HoverAction: self._hover,
            WaitAction: self._wait,
            GoBackAction: self._go_back,
            GotoUrlAction: self._goto_action,
        }
        handler = handlers.get(type(action))
        if handler is None:
            return unsupported_action(action.type)
        url_before = self.page.url
        try:
            result: ActionResult = await handler(action, page)
        except ActionFailed as failure:
            result = ActionResult(success=False, error=str(failure), data=failure.data)
        except api.Error as exc:
            result = ActionResult(success=False, error=_readable(exc))
        if result.success or self._pending_downloads or self._new_pages:
            await self._collect_downloads(result.data)
            await self._follow_new_tab(result.data)
        if self.page.url != url_before and "url" not in result.data:
            result.data["url"] = self.page.url
        return result

    # -- elements

    def _describe(self, element_id: str, page: PageState | None) -> str:
        return describe_element(element_id, self._known.get(element_id), page)

    async def _element(self, element_id: str, page: PageState | None) -> ElementHandle:
        """The element with that id, or a failure saying it is gone."""
        api = _import_playwright()
        known = self._known.get(element_id) or known_from_page(element_id, page)
        if known is None:
            raise ActionFailed(f"there is no element {element_id} on the page")
        frame = self._frames.get(known.frame)
        if frame is None or frame.is_detached() or frame.page is not self.page:
            raise ActionFailed(f"element {element_id} is no longer on the page")
        args = resolve_args(element_id, known, self._tokens.get(known.frame, ""))
        try:
            handle = await frame.evaluate_handle(_RESOLVE, args)
        except api.Error as exc:
            raise ActionFailed(f"element {element_id} is no longer on the page") from exc
        element = handle.as_element()
        if element is None:
            await handle.dispose()
            raise ActionFailed(f"element {element_id} is no longer on the page")
        return element

    async def _info(self, el: ElementHandle) -> dict[str, Any]:
        return await el.evaluate(
            """(el) => ({
                tag: el.tagName.toLowerCase(),
                type: (el.getAttribute('type') || '').toLowerCase(),
                role: (el.getAttribute('role') || '').toLowerCase(),
                disabled: !!el.disabled || el.getAttribute('aria-disabled') === 'true',
                readonly: !!el.readOnly || el.getAttribute('aria-readonly') === 'true',
                editable: el.isContentEditable,
                maxlength: typeof el.maxLength === 'number' ? el.maxLength : -1,
                // A "visually hidden" 1px control behind its styled label counts as not
                // rendered: a person (and a real click) goes through the label.
                rendered: (() => { const r = el.getBoundingClientRect();
                  return r.width > 2 && r.height > 2 && (!el.checkVisibility ||
                    el.checkVisibility({visibilityProperty: true})); })(),
                checked: el.type === 'checkbox' || el.type === 'radio' ? el.checked :
                  el.getAttribute('aria-checked'),
            })"""
        )

    async def _proxy_of(self, el: ElementHandle) -> ElementHandle | None:
        """The visible label standing in for a hidden checkbox, radio or file input."""
        handle = await el.evaluate_handle(PROXY_LABEL)
        proxy = handle.as_element()
        if proxy is None:
            await handle.dispose()
        return proxy

    async def _click_handle(
        self,
        el: ElementHandle,
        element_id: str,
        page: PageState | None,
        *,
        proxy: bool = False,
    ) -> dict[str, Any]:
        """Click like a person; returns data; raises ActionFailed with the reason.

        ``proxy``: ``el`` is the visible label of a hidden control. The control itself often
        lies transparent over its label and "intercepts" the pointer, which Playwright
        would wait out until its timeout; once the hit test has found nothing foreign on
        top, the click is forced.
        """
        api = _import_playwright()
        data: dict[str, Any] = {}
        with contextlib.suppress(api.Error):
            await el.evaluate(_SCROLL_IF_NEEDED)
        hit = await el.evaluate(HIT_TEST)
        if not hit.get("rendered", True):
            raise ActionFailed(f"element {self._describe(element_id, page)} is not visible")
        if hit.get("inView") and not hit.get("ok"):
            if hit.get("modal") or hit.get("interactive"):
                raise covered(self._describe(element_id, page), hit["by"])
            # A passive layer on top: a sticky header clears once the element is centred.
            await el.evaluate(SCROLL_TO_CENTER)
            hit = await el.evaluate(HIT_TEST)
            if hit.get("inView") and not hit.get("ok"):
                if hit.get("modal") or hit.get("interactive"):
                    raise covered(self._describe(element_id, page), hit["by"])
                await el.evaluate(JS_CLICK)
                return {"method": "js", "covered_by": hit["by"]}
        try:
            await el.click(timeout=ACTION_TIMEOUT_MS, force=proxy)
        except api.Error as exc:
            reason = _readable(exc)
            info = await self._info(el)
            if not info["rendered"]:
                raise ActionFailed(
                    f"element {self._describe(element_id, page)} is not visible"
                ) from exc
            if "intercepts pointer events" in str(exc):
                hit = await el.evaluate(HIT_TEST)
                if hit.get("modal") or hit.get("interactive"):
                    by = hit.get("by", "another element")
                    raise covered(self._describe(element_id, page), by) from exc
            log.info("click on %s fell back to JavaScript: %s", element_id, reason)
            await el.evaluate(JS_CLICK)
            data = {"method": "js", "note": f"the normal click failed: {reason}"}
        return data

    async def _click(self, action: ClickAction, page: PageState) -> ActionResult:
        el = await self._element(action.element_id, page)
        info = await self._info(el)
        check_clickable(info, self._describe(action.element_id, page))
        target = el
        if not info["rendered"] and info["tag"] == "input":
            target = await self._proxy_of(el) or el
        before = await self._checked_state(el, info)
        data = await self._click_handle(target, action.element_id, page, proxy=target is not el)
        await self._settle()
        after = await self._checked_state(el, info)
        if before is not None and after is not None and before != after:
            data["checked"] = after == "true" or after is True
        return ActionResult(success=True, data=data)

    async def _checked_state(self, el: ElementHandle, info: dict[str, Any]) -> Any:
        if not has_checked_state(info):
            return None
        api = _import_playwright()
        try:
            return await el.evaluate(CHECKED_STATE)
        except api.Error:
            return None

    # -- typing

    async def _input_text(self, action: InputTextAction, page: PageState) -> ActionResult:
        el = await self._element(action.element_id, page)
        info = await self._info(el)
        name = self._describe(action.element_id, page)
        if is_list(info):
            result = await self._select_option(
                SelectOptionAction(element_id=action.element_id, option=action.text), page
            )
            result.data["note"] = "a list, not a text field: the option was chosen instead"
            return result
        check_text_field(info, name)
        if info["tag"] == "input" and info["maxlength"] == 1 and len(action.text) > 1:
            boxes = await self._box_group(el, len(action.text))
            if boxes:
                return await self._type_boxes(boxes, action.text, name)
        secret = info["type"] == "password"
        if info["editable"] and info["tag"] not in ("input", "textarea"):
            kept = await self._type_editable(el, action.text)
        elif info["tag"] == "input" and await el.evaluate(AUTOCOMPLETE) == "combobox":
            return await self._type_and_pick(el, action.text, name, info)
        else:
            kept = await self._fill(el, action.text, info)
        await self._settle()
        return typed_result(kept, action.text, secret, name)

    async def _type_and_pick(
        self, el: ElementHandle, text: str, name: str, info: dict[str, Any]
    ) -> ActionResult:
        """Type into an autocomplete, then pick the suggestion that matches the text (by
        :func:`~skyvern_core.perception.matching.match_option`) or keep the typed text."""
        api = _import_playwright()
        before = await el.evaluate(WIDGET_STATE)
        await self._fill(el, text, info)
        listed = await el.evaluate(LIST_OPTIONS, SUGGESTION_WAIT)
        index, match, why = pick_suggestion(text, listed["options"])
        if match is None:
            labels = [o["label"] for o in listed["options"] if o.get("label")]
            if labels:
                with contextlib.suppress(api.Error):
                    await el.press("Escape")
            await self._settle()
            kept = str(await el.evaluate("(el) => el.isConnected ? el.value : ''"))
            if kept != text:
                raise ActionFailed(
                    f"{name} kept {kept!r}, not the text typed: it takes one of its "
                    f"suggestions, and {why} {text!r}"
                    + (f" (the suggestions: {', '.join(labels[:10])})" if labels else "")
                )
            return ActionResult(success=True, data=suggestion_data(None, labels, why))
        value = str(listed["options"][index].get("value") or "")
        await self._click_option(el, index, match.label, name)
        await self._settle()
        after = await el.evaluate(WIDGET_STATE)
        result = custom_select_result(match, value, name, before, after)
        result.data.update(suggestion_data(match, [], ""))
        return result

    async def _fill(self, el: ElementHandle, text: str, info: dict[str, Any]) -> str:
        api = _import_playwright()
        read = "(el) => el.value"
        with contextlib.suppress(api.Error):
            await el.evaluate(_SCROLL_IF_NEEDED)
        try:
            await el.fill(text, timeout=ACTION_TIMEOUT_MS)
        except api.Error as exc:
            raise ActionFailed(f"could not type into the field: {_readable(exc)}") from exc
        kept = await el.evaluate(read)
        if kept != text and info["type"] not in ("date", "time", "datetime-local", "month"):
            # Some fields only react to real key presses (masks, key handlers): type it.
            await el.fill("")
            await el.type(text)
            kept = await el.evaluate(read)
        await el.evaluate(DISPATCH_CHANGE)
        return str(kept)

    async def _box_group(self, el: ElementHandle, length: int) -> list[ElementHandle]:
        """The single-character boxes of a code that ``el`` starts (``el`` first), or []."""
        handle = await el.evaluate_handle(_BOX_GROUP, length)
        try:
            props = await handle.get_properties()
            boxes = [(int(k), v.as_element()) for k, v in props.items() if k.isdigit()]
        finally:
            await handle.dispose()
        return [box for _, box in sorted(boxes, key=lambda kv: kv[0]) if box is not None]

    async def _type_boxes(self, boxes: list[ElementHandle], text: str, name: str) -> ActionResult:
        """Type ``text`` one character per box, as a person types a code into six boxes.

        Each box is focused (if the page's script has not moved there already) and its
        content selected, then the character is typed with real key events, so the page's
        own handlers run. The check is on the boxes together. Their content is never echoed
        in a failure: it is nearly always a one-time code.
        """
        if len(boxes) < len(text):
            raise ActionFailed(
                f"{name} is the first of {len(boxes)} single-character boxes, too few for "
                f"the {len(text)} characters to type"
            )
        with contextlib.suppress(_import_playwright().Error):
            await boxes[0].scroll_into_view_if_needed(timeout=2000)
        # Left-over characters (an earlier attempt) would stay in boxes typed past.
        for box in boxes:
            await box.evaluate("(b) => { b.value = ''; }")
        for box, char in zip(boxes, text, strict=False):
            await box.evaluate(
                "(b) => { if (b.getRootNode().activeElement !== b) b.focus();"
                " try { b.select(); } catch (e) {} }"
            )
            await self.page.keyboard.type(char)
        await self._settle()
        values = [str(await box.evaluate("(b) => b.value")) for box in boxes]
        kept = "".join(values)
        if kept == text:
            return ActionResult(success=True, data={"boxes": len(boxes)})
        if len(kept) != len(text):
            held = f"{len(kept)} of the {len(text)} characters typed"
        else:
            held = "other characters than those typed"
        raise ActionFailed(
            f"the {len(boxes)} single-character boxes starting at {name} hold {held}"
        )

    async def _type_editable(self, el: ElementHandle, text: str) -> str:
        await el.click()
        await el.evaluate(SELECT_CONTENTS)
        await self.page.keyboard.press("Delete")
        await self.page.keyboard.insert_text(text)
        return str(await el.evaluate(EDITABLE_TEXT))

    # -- lists

    async def _select_option(self, action: SelectOptionAction, page: PageState) -> ActionResult:
        el = await self._element(action.element_id, page)
        info = await self._info(el)
        name = self._describe(action.element_id, page)
        if info["disabled"]:
            raise ActionFailed(f"element {name} is disabled")
        if info["tag"] == "select":
            return await self._select_native(el, action.option, name)
        return await self._select_custom(el, action.option, name, info)

    async def _select_native(self, el: ElementHandle, option: str, name: str) -> ActionResult:
        options = await el.evaluate(NATIVE_OPTIONS)
        index, match = choose_option(option, options, name)
        await el.select_option(index=index, timeout=ACTION_TIMEOUT_MS)
        await self._settle()
        chosen = await el.evaluate(SELECTED_LABELS)
        return native_select_result(match, str(options[index]["value"]), chosen, name)

    async def _select_custom(
        self, el: ElementHandle, option: str, name: str, info: dict[str, Any]
    ) -> ActionResult:
        """Open a custom list (typing into it when it is a text box: its options may come
        only then), choose the option that matches, and check what the widget shows."""
        api = _import_playwright()
        before = await el.evaluate(WIDGET_STATE)
        typed = info["tag"] == "input" and not info["readonly"]
        if info["role"] != "listbox":
            with contextlib.suppress(api.Error):
                await el.click(timeout=ACTION_TIMEOUT_MS)
        if typed:
            with contextlib.suppress(api.Error):
                await el.fill(option)
        listed = await el.evaluate(LIST_OPTIONS, SUGGESTION_WAIT if typed else OPEN_WAIT)
        try:
            index, match = choose_option(option, listed["options"], name)
        except ActionFailed as failure:
            free = typed and before.get("free") and "candidates" not in failure.data
            with contextlib.suppress(api.Error):
                if typed and not free:
                    await el.fill("")
                await self.page.keyboard.press("Escape")
            if free:
                # A free-text autocomplete (an address): the typed text stands, as typed.
                kept = str(await el.evaluate("(el) => el.isConnected ? el.value : ''"))
                if kept == option:
                    labels = [o["label"] for o in listed["options"] if o.get("label")]
                    why = "no suggestion matched" if labels else "no suggestion appeared"
                    return ActionResult(success=True, data=suggestion_data(None, labels, why))
            raise
        value = str(listed["options"][index].get("value") or "")
        await self._click_option(el, index, option, name)
        await self._settle()
        after = await el.evaluate(WIDGET_STATE)
        return custom_select_result(match, value, name, before, after)

    async def _click_option(self, el: ElementHandle, index: int, option: str, name: str) -> None:
        """Click option ``index`` of those :data:`LIST_OPTIONS` found last."""
        api = _import_playwright()
        handle = await el.evaluate_handle(LAST_OPTION, index)
        target = handle.as_element()
        if target is None:
            raise ActionFailed(f"the option {option!r} of {name} disappeared before it was clicked")
        try:
            await target.click(timeout=ACTION_TIMEOUT_MS)
        except api.Error:
            with contextlib.suppress(api.Error):
                await target.evaluate(JS_CLICK)

    # -- checkboxes

    async def _check(self, action: CheckAction, page: PageState) -> ActionResult:
        el = await self._element(action.element_id, page)
        info = await self._info(el)
        name = self._describe(action.element_id, page)
        unchanged = check_checkable(info, name, action.checked)
        if unchanged is not None:
            return unchanged
        target = el
        if not info["rendered"]:
            proxy = await self._proxy_of(el)
            if proxy is None:
                raise ActionFailed(f"element {name} is hidden and has no visible label to click")
            target = proxy
        data = await self._click_handle(target, action.element_id, page, proxy=target is not el)
        await self._settle()
        state = is_on((await self._info(el))["checked"])
        if state != action.checked:
            # A handler that swallowed the click (or a label outside the flow): once more, in JS.
            await el.evaluate(JS_CLICK)
            await self._settle(0.5)
            state = is_on((await self._info(el))["checked"])
        return checked_result(state, action.checked, name, data)

    # -- files

    async def _upload(self, action: UploadFileAction, page: PageState) -> ActionResult:
        api = _import_playwright()
        el = await self._element(action.element_id, page)
        name = self._describe(action.element_id, page)
        path = await local_upload(action.file)
        input_handle = await el.evaluate_handle(FILE_INPUT)
        file_input = input_handle.as_element()
        if file_input is not None:
            await file_input.set_input_files(str(path))
        else:
            try:
                async with self.page.expect_file_chooser(timeout=3000) as chooser_info:
                    await el.click()
                chooser = await chooser_info.value
                await chooser.set_files(str(path))
            except api.Error as exc:
                raise ActionFailed(
                    f"element {name} is not a file input and clicking it opened no file dialog"
                ) from exc
            await self._settle()
            return ActionResult(success=True, data={"file": path.name})
        await self._settle()
        names = await file_input.evaluate(
            "(el) => el.isConnected ? Array.from(el.files || []).map((f) => f.name) : null"
        )
        if names is not None and path.name not in names:
            raise ActionFailed(f"the file input of {name} holds no file after the upload")
        return ActionResult(success=True, data={"file": path.name})

    # -- the rest

    async def _scroll(self, action: ScrollAction, page: PageState) -> ActionResult:
        if action.element_id:
            el = await self._element(action.element_id, page)
            await el.evaluate(SCROLL_TO_NEAREST)
            await self._settle(0.5)
            hit = await el.evaluate(HIT_TEST)
            return element_scroll_result(hit, self._describe(action.element_id, page))
        moved = await self.page.evaluate(SCROLL_PAGE, 1 if action.direction == "down" else -1)
        await self._settle(0.5)
        return page_scroll_result(moved, action.direction)

    async def _keypress(self, action: KeypressAction, page: PageState) -> ActionResult:
        key = key_name(action.key)
        if action.element_id:
            el = await self._element(action.element_id, page)
            await el.focus()
            await el.press(key, timeout=ACTION_TIMEOUT_MS)
        else:
            await self.page.keyboard.press(key)
        await self._settle()
        return ActionResult(success=True, data={"key": key})

    async def _hover(self, action: HoverAction, page: PageState) -> ActionResult:
        el = await self._element(action.element_id, page)
        name = self._describe(action.element_id, page)
        await el.scroll_into_view_if_needed(timeout=2000)
        hit = await el.evaluate(HIT_TEST)
        if hit.get("inView") and not hit.get("ok"):
            raise ActionFailed(
                f"element {name} is covered by {hit['by']}", data={"covered_by": hit["by"]}
            )
        await el.hover(timeout=ACTION_TIMEOUT_MS)
        await self._settle(0.5)
        if not await el.evaluate(IS_HOVERED):
            raise ActionFailed(f"the pointer is not over {name} after hovering")
        return ActionResult(success=True)

    async def _wait(self, action: WaitAction, page: PageState) -> ActionResult:
        seconds = wait_seconds(action.seconds)
        await asyncio.sleep(seconds)
        return ActionResult(success=True, data={"waited": seconds})

    async def _go_back(self, action: GoBackAction, page: PageState) -> ActionResult:
        before = self.page.url
        response = await self.page.go_back(wait_until="domcontentloaded")
        if response is None and self.page.url == before:
            raise ActionFailed(NO_PAGE_BACK)
        if self.page.url == "about:blank" and before != "about:blank":
            # The blank page every new tab starts on is not a page the task visited.
            await self.page.go_forward(wait_until="domcontentloaded")
            raise ActionFailed(NO_PAGE_BACK)
        await self._settle()
        return ActionResult(success=True, data={"url": self.page.url})

    async def _goto_action(self, action: GotoUrlAction, page: PageState) -> ActionResult:
        error = await self._navigate(action.url)
        if error:
            raise ActionFailed(error)
        return ActionResult(success=True, data={"url": self.page.url})


# The boxes of a code split one character per input (maxlength=1) that ``el`` starts, ``el``
# first, in page order: the inputs of its type in the nearest ancestor holding two or more,
# up to the first other input. When those are too few for the text (a "123-456" layout
# splits them over two containers), wider ancestors are tried, keeping only inputs as deep
# below the ancestor as ``el`` (the other half, not a one-letter field elsewhere) and only
# as many as the text needs.
_BOX_GROUP = """(el, length) => {
    const kind = (x) => (x.getAttribute('type') || 'text').toLowerCase();
    const depth = (x, scope) => { let d = 0; for (; x && x !== scope; x = x.parentElement) d++;
      return d; };
    let nearest = null;
    let scope = el.parentElement;
    for (let level = 0; scope && level < 3; level++, scope = scope.parentElement) {
      const inputs = Array.from(scope.querySelectorAll('input'));
      const want = depth(el, scope);
      const group = [];
      for (const x of inputs.slice(inputs.indexOf(el))) {
        if (x.maxLength !== 1 || kind(x) !== kind(el) || x.disabled || x.readOnly
            || depth(x, scope) !== want) break;
        group.push(x);
      }
      if (group.length < 2) continue;
      nearest = nearest || group;
      if (nearest.length >= length) return nearest;
      if (group.length >= length) return group.slice(0, length);
    }
    return nearest || [];
}"""
