"""What only the Selenium driver has to get right: the plugin's registration, no Selenium
Manager (no network), its errors, one profile per session, the event loop kept free while
Selenium works in threads, its key names, and its screenshot-based recording."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from skyvern_core.config import Settings
from skyvern_core.errors import BrowserError, ConfigurationError, MissingExtraError
from skyvern_core.models import ClickAction, KeypressAction, ScrollAction
from skyvern_core.plugins import BackendContext, PluginRegistry
from skyvern_core.protocols import BrowserDriver, BrowserSession, SessionOptions
from skyvern_core.testing.driver_contract import find
from skyvern_core.testing.sites.server import FixtureSites
from skyvern_plugins.selenium import driver as selenium_driver
from skyvern_plugins.selenium.driver import SeleniumDriver, SeleniumSession, _selenium_keys

pytestmark = [pytest.mark.browser]

WEBM_MAGIC = b"\x1a\x45\xdf\xa3"


@pytest.fixture(scope="module")
async def driver(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SeleniumDriver]:
    """One started driver for the module."""
    driver = SeleniumDriver(
        Settings(data_dir=tmp_path_factory.mktemp("selenium"), browser_path=chromium_executable)
    )
    await driver.start()
    yield driver
    await driver.close()


async def _open(driver: SeleniumDriver, tmp_path: Path, **options: Any) -> SeleniumSession:
    options.setdefault("record_video", False)
    return await driver.new_session(
        SessionOptions(task_id="tsk_selenium", artifact_dir=tmp_path / "artifacts", **options)
    )


# --------------------------------------------------------------------------- the plugin


def test_plugin_is_registered_and_found_by_name(chromium_executable: str) -> None:
    registry = PluginRegistry()
    assert "selenium" in registry.names("driver")
    settings = Settings(driver="selenium", browser_path=chromium_executable)
    driver = registry.driver_factory("selenium")(BackendContext(settings, registry))
    assert isinstance(driver, SeleniumDriver)
    assert isinstance(driver, BrowserDriver)
    assert driver.settings is settings


async def test_missing_selenium_is_a_missing_extra(
    monkeypatch: pytest.MonkeyPatch, chromium_executable: str
) -> None:
    monkeypatch.setitem(sys.modules, "selenium", None)
    with pytest.raises(MissingExtraError) as info:
        await SeleniumDriver(Settings(browser_path=chromium_executable)).start()
    assert "skyvern-core[selenium]" in str(info.value)


async def test_missing_chromedriver_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, chromium_executable: str
) -> None:
    monkeypatch.setenv("SE_CHROMEDRIVER", str(tmp_path / "no-chromedriver"))
    with pytest.raises(ConfigurationError, match="SE_CHROMEDRIVER"):
        await SeleniumDriver(Settings(browser_path=chromium_executable)).start()


async def test_unreachable_grid_is_a_browser_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    driver = SeleniumDriver(Settings(remote_webdriver_url=f"http://127.0.0.1:{port}"))
    await driver.start()
    try:
        with pytest.raises(BrowserError, match=f"127.0.0.1:{port}"):
            await _open(driver, tmp_path)
    finally:
        await driver.close()


# --------------------------------------------------------------------------- no network


async def test_selenium_manager_is_never_run(
    monkeypatch: pytest.MonkeyPatch,
    chromium_executable: str,
    sites: FixtureSites,
    tmp_path: Path,
) -> None:
    """Selenium Manager downloads drivers and sends statistics: the driver never needs it."""
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("Selenium Manager was run")

    monkeypatch.setattr(SeleniumManager, "binary_paths", refuse)
    monkeypatch.setattr(SeleniumManager, "_run", refuse)
    monkeypatch.delenv("SE_OFFLINE", raising=False)
    monkeypatch.delenv("SE_AVOID_STATS", raising=False)
    driver = SeleniumDriver(Settings(browser_path=chromium_executable))
    await driver.start()
    try:
        # Anything in Selenium that would still go online is told not to.
        assert os.environ["SE_OFFLINE"] == "true"
        assert os.environ["SE_AVOID_STATS"] == "true"
        session = await _open(driver, tmp_path)
        await session.goto(sites.url("legacy/"))
        page = await session.snapshot()
        assert page.title.startswith("Membership Application Form")
        await session.close()
    finally:
        await driver.close()


# --------------------------------------------------------------------------- sessions


async def test_each_session_has_its_own_profile_removed_on_close(
    driver: SeleniumDriver, tmp_path: Path
) -> None:
    first = await _open(driver, tmp_path / "a")
    second = await _open(driver, tmp_path / "b")
    assert isinstance(first, BrowserSession)
    profiles = [first._profile, second._profile]
    assert profiles[0] and profiles[1] and profiles[0] != profiles[1]
    assert all(Path(p).is_dir() for p in profiles if p)
    await first.close()
    await second.close()
    assert not any(Path(p).exists() for p in profiles if p)
    assert first not in driver.sessions and second not in driver.sessions


async def test_the_event_loop_runs_while_selenium_works(
    driver: SeleniumDriver, sites: FixtureSites, tmp_path: Path
) -> None:
    """Selenium calls run in a worker thread: other tasks keep running meanwhile."""
    session = await _open(driver, tmp_path)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.01)
            ticks += 1

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(tick)
            started = time.monotonic()
            await session.goto(sites.url("news/"))
            page = await session.snapshot()
            elapsed = time.monotonic() - started
            tg.cancel_scope.cancel()
        assert len(page.elements) >= 2000
        # A blocked loop would tick once at most; a free one ticks every 10 ms or so.
        assert ticks >= max(5, int(elapsed / 0.01 * 0.2)), (ticks, elapsed)
    finally:
        await session.close()


async def test_a_new_tab_shows_in_tabs(
    driver: SeleniumDriver, sites: FixtureSites, tmp_path: Path
) -> None:
    session = await _open(driver, tmp_path)
    try:
        await session.goto(sites.url("news/article.html"))
        page = await session.snapshot()
        link = find(page, label="Print this article", role="link")
        result = await session.execute(ClickAction(element_id=link.id), page)
        assert result.success, result.error
        assert result.data["new_tab"].endswith("/news/print.html")
        page = await session.snapshot()
        assert page.tabs == [sites.url("news/article.html"), sites.url("news/print.html")]
        # Ids of the old tab are not resolved on the new one.
        stale = await session.execute(ClickAction(element_id=link.id), page)
        assert not stale.success
    finally:
        await session.close()


async def test_the_models_screenshot_is_a_jpeg_and_the_kept_one_a_png(
    driver: SeleniumDriver, sites: FixtureSites, tmp_path: Path
) -> None:
    session = await _open(driver, tmp_path)
    try:
        await session.goto(sites.url("jobs/"))
        page = await session.snapshot()
        assert page.screenshot is not None and page.screenshot.startswith(b"\xff\xd8\xff")
        kept = await session.screenshot()
        assert kept.startswith(b"\x89PNG")
        width, height = int.from_bytes(kept[16:20], "big"), int.from_bytes(kept[20:24], "big")
        assert (width, height) == (1280, 800)
    finally:
        await session.close()


# --------------------------------------------------------------------------- keys


def test_key_names_become_selenium_keys() -> None:
    from selenium.webdriver.common.keys import Keys

    assert _selenium_keys("Enter") == [Keys.ENTER]
    assert _selenium_keys("Control+a") == [Keys.CONTROL, "a"]
    assert _selenium_keys("Shift+Tab") == [Keys.SHIFT, Keys.TAB]
    assert _selenium_keys("+") == ["+"]
    assert _selenium_keys("F5") == [Keys.F5]
    assert _selenium_keys("Hyperspace") is None


async def test_unknown_key_is_a_readable_failure(
    driver: SeleniumDriver, sites: FixtureSites, tmp_path: Path
) -> None:
    session = await _open(driver, tmp_path)
    try:
        await session.goto(sites.url("legacy/"))
        page = await session.snapshot()
        result = await session.execute(KeypressAction(key="Hyperspace"), page)
        assert not result.success
        assert result.error == "unknown key 'Hyperspace'"
    finally:
        await session.close()


# --------------------------------------------------------------------------- recording


def _duration(path: Path) -> float:
    ffprobe = shutil.which("ffprobe")
    assert ffprobe, "ffprobe comes with ffmpeg"
    out = subprocess.run(
        [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


async def test_recording_is_a_webm_of_the_session(
    driver: SeleniumDriver, sites: FixtureSites, tmp_path: Path
) -> None:
    assert shutil.which("ffmpeg"), "the recording test needs ffmpeg (apt-get install ffmpeg)"
    session = await _open(driver, tmp_path, record_video=True)
    await session.goto(sites.url("news/"))
    page = await session.snapshot()
    await anyio.sleep(1.2)
    result = await session.execute(ScrollAction(direction="down"), page)
    assert result.success
    await anyio.sleep(1.2)
    artifacts = await session.close()
    assert artifacts.recording is not None, artifacts.warnings
    assert artifacts.recording.parent == tmp_path / "artifacts" / "video"
    assert artifacts.recording.read_bytes()[:4] == WEBM_MAGIC
    # The page changed (it scrolled), so there are several frames spanning the session.
    assert _duration(artifacts.recording) >= 2.0
    assert not artifacts.warnings


async def test_no_ffmpeg_means_no_recording_and_a_warning(
    monkeypatch: pytest.MonkeyPatch, driver: SeleniumDriver, sites: FixtureSites, tmp_path: Path
) -> None:
    which = shutil.which

    def no_ffmpeg(name: str, *args: Any, **kwargs: Any) -> str | None:
        return None if name == "ffmpeg" else which(name, *args, **kwargs)

    monkeypatch.setattr(selenium_driver.shutil, "which", no_ffmpeg)
    session = await _open(driver, tmp_path, record_video=True)
    await session.goto(sites.url("cookies/"))
    artifacts = await session.close()
    assert artifacts.recording is None
    assert any("ffmpeg" in w for w in artifacts.warnings), artifacts.warnings


async def test_trace_is_not_recorded_and_says_so(driver: SeleniumDriver, tmp_path: Path) -> None:
    session = await _open(driver, tmp_path, record_trace=True)
    artifacts = await session.close()
    assert artifacts.trace is None
    assert any("trace" in w for w in artifacts.warnings), artifacts.warnings


# --------------------------------------------------------------------------- hung calls

# The parser never gets past this script, so the page never reaches DOMContentLoaded and
# ChromeDriver's navigation waits out its own 30 s page-load timeout.
FROZEN_PAGE = b"<html><head><title>Frozen</title><script>while (true) {}</script></head></html>"


class _FrozenSite:
    """A page on 127.0.0.1 whose script never ends."""

    def __enter__(self) -> str:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(FROZEN_PAGE)))
                self.end_headers()
                self.wfile.write(FROZEN_PAGE)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/frozen"

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _browser_pids(profile: str) -> list[int]:
    flag = f"--user-data-dir={profile}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if flag in (entry / "cmdline").read_bytes().split(b"\0"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


@pytest.mark.parametrize("stop", ["cancel", "timeout"])
async def test_a_hung_call_gives_way_to_cancel_and_timeout(
    driver: SeleniumDriver, sites: FixtureSites, tmp_path: Path, stop: str
) -> None:
    session = await _open(driver, tmp_path)
    profile = session._profile
    assert profile and _browser_pids(profile)
    with _FrozenSite() as frozen:
        started = time.monotonic()
        if stop == "cancel":
            with anyio.move_on_after(1) as scope:
                await session.goto(frozen)
            assert scope.cancelled_caught
        else:
            with pytest.raises(TimeoutError):
                with anyio.fail_after(1):
                    await session.goto(frozen)
        assert time.monotonic() - started < 10  # not the 30 s ChromeDriver would take
        # Later calls do not queue behind the stuck one.
        started = time.monotonic()
        with pytest.raises(BrowserError, match="not responding"):
            await session.screenshot()
        assert time.monotonic() - started < 10
        started = time.monotonic()
        left = await session.close()
        assert time.monotonic() - started < 10
    assert any("ended by force" in w for w in left.warnings), left.warnings
    deadline = time.monotonic() + 5
    while _browser_pids(profile) and time.monotonic() < deadline:
        await anyio.sleep(0.1)
    assert not _browser_pids(profile)
    # The shared ChromeDriver is unharmed: the next session works.
    again = await _open(driver, tmp_path / "again")
    try:
        await again.goto(sites.url("legacy/"))
        assert (await again.snapshot()).title.startswith("Membership Application Form")
    finally:
        await again.close()


async def test_shutting_the_driver_down_ends_a_hung_call(
    chromium_executable: str, tmp_path: Path
) -> None:
    own = SeleniumDriver(Settings(browser_path=chromium_executable))
    await own.start()
    session = await _open(own, tmp_path)
    outcome: list[BaseException | None] = []

    async def navigate(url: str) -> None:
        try:
            await session.goto(url)
            outcome.append(None)
        except Exception as exc:
            outcome.append(exc)

    with _FrozenSite() as frozen:
        async with anyio.create_task_group() as tg:
            tg.start_soon(navigate, frozen)
            await anyio.sleep(1)
            started = time.monotonic()
            await own.close()
            closed_in = time.monotonic() - started
            with anyio.fail_after(10):
                while not outcome:
                    await anyio.sleep(0.05)
    assert closed_in < 15, closed_in  # not the 30 s of the hung navigation
    assert isinstance(outcome[0], BrowserError), outcome


async def test_a_grid_that_never_answers_gives_way_to_cancel(tmp_path: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections and never answers: a hung Grid
    port = silent.getsockname()[1]
    driver = SeleniumDriver(Settings(remote_webdriver_url=f"http://127.0.0.1:{port}"))
    try:
        await driver.start()
        started = time.monotonic()
        with anyio.move_on_after(1) as scope:
            await _open(driver, tmp_path)
        assert scope.cancelled_caught
        assert time.monotonic() - started < 10  # not the client's 60 s timeout
        assert driver.sessions == []
        started = time.monotonic()
        await driver.close()
        assert time.monotonic() - started < 10
    finally:
        silent.close()


async def test_the_prompt_reads_the_same_through_selenium(
    driver: SeleniumDriver, sites: FixtureSites, tmp_path: Path
) -> None:
    # The same snapshot script: a row's text beside its controls, and a cross-site card
    # iframe's fields where the iframe is in the page.
    from skyvern_core.perception import serialize
    from skyvern_core.testing.prompt import prompt_elements

    session = await _open(driver, tmp_path)
    try:
        await session.goto(sites.url("perception/bills.html"))
        prompt = serialize(await session.snapshot())
        northwind = "Northwind Traders · Jun 3, 2024 · $1,240.00 · Overdue"
        first = next(e for e in prompt_elements(prompt) if e.row == northwind)
        assert (first.role, first.label) == ("checkbox", "Select BILL-10558")
        await session.goto(sites.url("checkout/"))
        lines = serialize(await session.snapshot()).splitlines()
        email = next(i for i, line in enumerate(lines) if 'textbox "Email"' in line)
        card = lines.index('f1.e1 textbox "Credit or debit card number"')
        holder = next(i for i, line in enumerate(lines) if 'textbox "Cardholder name"' in line)
        assert email < card < holder
    finally:
        await session.close()
