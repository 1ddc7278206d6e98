"""The Chromium both browser drivers launch: where it is, its flags, the screenshot quality."""

from __future__ import annotations

import shutil
from pathlib import Path

from skyvern_core.config import Settings
from skyvern_core.errors import ConfigurationError

__all__ = ["JPEG_QUALITY", "LAUNCH_ARGS", "find_chromium"]

JPEG_QUALITY = 80
"""Quality of the screenshot sent to the model: text stays legible, the file stays small."""


LAUNCH_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
"""Chromium flags: nothing phones home (the machine's network may be closed)."""


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
