"""The Chromium both browser drivers launch: where it is, its flags and profile
preferences, its screenshots over the DevTools protocol (CDP), the requests it refuses,
its downloads folder, and ending it by force."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from skyvern_core.config import Settings
from skyvern_core.errors import ConfigurationError
from skyvern_core.netpolicy import browser_url_patterns, refused_without_lookup
from skyvern_core.protocols import SessionOptions

__all__ = [
    "JPEG_QUALITY",
    "LAUNCH_ARGS",
    "PARTIAL_SUFFIXES",
    "CdpSession",
    "capture_params",
    "command_line",
    "find_chromium",
    "finished_downloads",
    "full_page_params",
    "guard_requests",
    "kill_profile_processes",
    "profile_prefs",
]

log = logging.getLogger(__name__)

JPEG_QUALITY = 80
"""Quality of the screenshot sent to the model: text stays legible, the file stays small."""


LAUNCH_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
"""Chromium flags: nothing phones home (the machine's network may be closed)."""


def command_line(
    options: SessionOptions, *, headless: bool, profile: str | None, warnings: list[str]
) -> list[str]:
    """The flags of a Chromium started for one session (by a driver that launches it
    through its command line): :data:`LAUNCH_ARGS`, the session's window size, user agent
    and proxy, and ``profile`` as its user data folder. What the command line cannot carry
    (proxy credentials) is told in ``warnings``."""
    width, height = options.viewport
    # Chromium refuses to start as root with its sandbox, and containers often lack the
    # namespaces it needs; Playwright launches without it by default too.
    args = [*LAUNCH_ARGS, "--no-sandbox", f"--window-size={width},{height}"]
    if headless:
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
                "the proxy's user name and password are not used: Chromium takes no proxy "
                "credentials on its command line"
            )
    return args


def profile_prefs(downloads: Path) -> dict[str, Any]:
    """The preferences of a session's Chromium profile: downloads go to ``downloads``
    without asking, and no password manager prompts."""
    return {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        # A PDF is a download, as with Playwright, not a page of the built-in viewer.
        "plugins.always_open_pdf_externally": True,
        "credentials_enable_service": False,
        "profile.password_manager_enabled": False,
    }


def find_chromium(settings: Settings, playwright_executable: str | None) -> str | None:
    """The Chromium to launch: ``Settings.browser_path``, else Playwright's own browser if
    it is installed (``None``: let Playwright use it), else a Chromium or Chrome on PATH.

    Raises :class:`~skyvern_core.errors.ConfigurationError` when there is none.
    """
    if settings.browser_path:
        path = shutil.which(settings.browser_path) or settings.browser_path
        if not Path(path).exists():
            raise ConfigurationError(f"browser_path {settings.browser_path!r} does not exist")
        return path
    if playwright_executable and Path(playwright_executable).exists():
        return None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"):
        if Path(path).exists():
            return path
    raise ConfigurationError(
        "no Chromium found: run 'playwright install chromium', install a Chromium "
        "(e.g. apt-get install chromium) or set SKYVERN_BROWSER_PATH"
    )


def capture_params(*, jpeg: bool) -> dict[str, Any]:
    """CDP ``Page.captureScreenshot`` parameters for the viewport: a JPEG for the model, or a
    PNG to keep, both encoded for speed (about a third of the default encoding's time)."""
    if jpeg:
        return {"format": "jpeg", "quality": JPEG_QUALITY, "optimizeForSpeed": True}
    return {"format": "png", "optimizeForSpeed": True}


def full_page_params(width: float, height: float) -> dict[str, Any]:
    """CDP ``Page.captureScreenshot`` parameters for a PNG of the whole page, ``width`` by
    ``height`` CSS pixels (:data:`~skyvern_core.browser.scripts.PAGE_SIZE`)."""
    clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
    return {"format": "png", "captureBeyondViewport": True, "clip": clip}


class CdpSession(Protocol):
    """A CDP session that receives events (Playwright's ``CDPSession``)."""

    async def send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Send a command; its result."""

    def on(self, event: str, f: Callable[[dict[str, Any]], Any]) -> Any:
        """Call ``f`` with each event of that name."""


async def guard_requests(cdp: CdpSession, settings: Settings) -> set[asyncio.Task[None]]:
    """Refuse, inside Chromium, every request the URL policy refuses from the URL alone.

    Links, redirects, frames and images go where the page says; this stops those requests
    before they leave the browser, for every context and every frame (cross-origin ones
    too), when ``cdp`` is a browser-wide session. Chromium matches
    :func:`~skyvern_core.netpolicy.browser_url_patterns` itself, so other requests are
    never paused. Returns the answers still being sent (keep it alive with the session).
    """
    pending: set[asyncio.Task[None]] = set()

    async def decide(event: dict[str, Any]) -> None:
        url = str(event.get("request", {}).get("url", ""))
        reason = refused_without_lookup(url, settings)
        try:
            if reason is None:
                await cdp.send("Fetch.continueRequest", {"requestId": event["requestId"]})
                return
            log.info("refused a browser request to %s: %s", url, reason)
            await cdp.send(
                "Fetch.failRequest",
                {"requestId": event["requestId"], "errorReason": "BlockedByClient"},
            )
        except Exception as exc:  # the tab or the browser went away meanwhile
            log.debug("could not answer a paused request to %s: %s", url, exc)

    def paused(event: dict[str, Any]) -> None:
        task = asyncio.ensure_future(decide(event))
        pending.add(task)
        task.add_done_callback(pending.discard)

    cdp.on("Fetch.requestPaused", paused)
    patterns = [{"urlPattern": p} for p in browser_url_patterns(settings)]
    await cdp.send("Fetch.enable", {"patterns": patterns})
    return pending


def kill_profile_processes(profile: str) -> None:
    """Kill the browser processes started with ``--user-data-dir=<profile>`` (a folder
    made for one session, so nothing else matches); where ``/proc`` is missing, nothing."""
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


PARTIAL_SUFFIXES = (".crdownload", ".tmp", ".part")
"""Endings of the files Chromium writes a download into until it is complete."""


def finished_downloads(folder: Path, known: Iterable[Path], wait: float) -> list[Path]:
    """The files Chromium finished downloading into ``folder`` that are not ``known``,
    sorted; waits up to ``wait`` seconds while some are still partial."""
    deadline = time.monotonic() + wait
    while True:
        try:
            names = sorted(p for p in folder.iterdir() if p.is_file())
        except OSError:
            return []
        partial = [p for p in names if p.name.endswith(PARTIAL_SUFFIXES)]
        if not partial or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    seen = set(known)
    return [
        p
        for p in names
        if p not in seen and not p.name.endswith(PARTIAL_SUFFIXES) and not p.name.startswith(".")
    ]
