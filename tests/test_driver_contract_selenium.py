"""The driver contract, run against the Selenium driver on the fixture websites: once with a
local ChromeDriver the driver starts itself, once through ``webdriver.Remote`` against a
separately started ``chromedriver --port=...`` (the Selenium Grid protocol)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from skyvern_core.config import Settings
from skyvern_core.testing.driver_contract import DriverContract
from skyvern_plugins.selenium.driver import SeleniumDriver


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def remote_webdriver_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ChromeDriver listening on its own port: what a Selenium Grid looks like to a client."""
    chromedriver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    port = _free_port()
    log = tmp_path_factory.mktemp("chromedriver") / "chromedriver.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [chromedriver, f"--port={port}"], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chromedriver did not start: {log.read_text()[-2000:]}")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
async def selenium_local_driver(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SeleniumDriver]:
    """One started driver (one ChromeDriver) for the whole test session."""
    driver = SeleniumDriver(
        Settings(
            data_dir=tmp_path_factory.mktemp("selenium-local"),
            browser_path=chromium_executable,
            headless=True,
        )
    )
    await driver.start()
    yield driver
    await driver.close()


@pytest.fixture(scope="session")
async def selenium_remote_driver(
    chromium_executable: str,
    remote_webdriver_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[SeleniumDriver]:
    """One driver talking to the remote ChromeDriver for the whole test session."""
    driver = SeleniumDriver(
        Settings(
            data_dir=tmp_path_factory.mktemp("selenium-remote"),
            browser_path=chromium_executable,
            remote_webdriver_url=remote_webdriver_url,
            headless=True,
        )
    )
    await driver.start()
    yield driver
    await driver.close()


@pytest.mark.browser
class TestSeleniumLocalDriverContract(DriverContract):
    """Every contract test, on Chromium through a ChromeDriver the driver starts itself."""

    @pytest.fixture
    def driver(self, selenium_local_driver: SeleniumDriver) -> SeleniumDriver:
        """The session-wide driver (the contract opens a fresh session per test)."""
        return selenium_local_driver


@pytest.mark.browser
class TestSeleniumRemoteDriverContract(DriverContract):
    """Every contract test, through ``webdriver.Remote`` against a ChromeDriver server."""

    @pytest.fixture
    def driver(self, selenium_remote_driver: SeleniumDriver) -> SeleniumDriver:
        """The session-wide remote driver."""
        return selenium_remote_driver
