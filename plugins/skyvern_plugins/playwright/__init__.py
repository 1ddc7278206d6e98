"""The Playwright browser driver plugin: registers the ``playwright`` driver.

Playwright itself is imported only when the driver starts, so this plugin loads (and shows
in ``skyvern-core plugins``) even where the ``playwright`` extra is not installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skyvern_core.hookspecs import Register, hookimpl

if TYPE_CHECKING:
    from skyvern_core.plugins import BackendContext
    from skyvern_plugins.playwright.driver import PlaywrightDriver

__all__ = ["register_drivers"]


@hookimpl
def register_drivers(register: Register) -> None:
    """Register the Playwright (Chromium) driver as ``playwright``."""

    def factory(ctx: BackendContext) -> PlaywrightDriver:
        from skyvern_plugins.playwright.driver import PlaywrightDriver

        return PlaywrightDriver(ctx.settings)

    register("playwright", factory)
