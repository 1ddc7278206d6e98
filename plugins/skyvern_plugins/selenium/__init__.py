"""The Selenium browser driver plugin: registers the ``selenium`` driver.

Selenium itself is imported only when the driver starts, so this plugin loads (and shows
in ``skyvern-core plugins``) even where the ``selenium`` extra is not installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skyvern_core.hookspecs import Register, hookimpl

if TYPE_CHECKING:
    from skyvern_core.plugins import BackendContext
    from skyvern_plugins.selenium.driver import SeleniumDriver

__all__ = ["register_drivers"]


@hookimpl
def register_drivers(register: Register) -> None:
    """Register the Selenium (Chromium through ChromeDriver or a Grid) driver as ``selenium``."""

    def factory(ctx: BackendContext) -> SeleniumDriver:
        from skyvern_plugins.selenium.driver import SeleniumDriver

        return SeleniumDriver(ctx.settings)

    register("selenium", factory)
