"""The driver contract, run against the Playwright driver on the fixture websites."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from skyvern_core.config import Settings
from skyvern_core.testing.driver_contract import DriverContract
from skyvern_plugins.playwright.driver import PlaywrightDriver


@pytest.fixture(scope="session")
async def playwright_driver(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PlaywrightDriver]:
    """One started driver, hence one Chromium, for the whole test session."""
    data_dir = tmp_path_factory.mktemp("playwright-driver")
    driver = PlaywrightDriver(
        Settings(data_dir=data_dir, browser_path=chromium_executable, headless=True)
    )
    await driver.start()
    yield driver
    await driver.close()


@pytest.mark.browser
class TestPlaywrightDriverContract(DriverContract):
    """Every contract test, on Chromium through Playwright."""

    @pytest.fixture
    def driver(self, playwright_driver: PlaywrightDriver) -> PlaywrightDriver:
        """The session-wide driver (the contract opens a fresh session per test)."""
        return playwright_driver
