"""Pytest fixtures for tests that drive the fixture sites with plain Playwright: one
Chromium per module, a fresh context per test that fails the test on console errors, and a
page in it. A module sets the context's size with its own ``viewport`` fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import playwright.async_api as playwright_api
import pytest

if TYPE_CHECKING:
    from playwright.async_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Error,
        Page,
        ViewportSize,
    )

__all__ = ["browser", "console_errors", "context", "page", "viewport"]


@pytest.fixture
def viewport() -> ViewportSize | None:
    """The context's size (None: Playwright's default)."""
    return None


@pytest.fixture(scope="module")
async def browser(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Browser]:
    """One headless Chromium for the module, with a HOME of its own."""
    home = tmp_path_factory.mktemp("chromium-home")
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=chromium_executable,
            headless=True,
            env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        )
        yield browser
        await browser.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors and uncaught exceptions of the test's pages."""
    return []


@pytest.fixture
async def context(
    browser: Browser, console_errors: list[str], viewport: ViewportSize | None
) -> AsyncIterator[BrowserContext]:
    """A fresh browser context (of ``viewport``); the test fails if any of its pages logged
    an error."""
    ctx = await browser.new_context(viewport=viewport, accept_downloads=True)

    def watch(page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                console_errors.append(f"{page.url}: {message.text}")

        def on_error(error: Error) -> None:
            console_errors.append(f"{page.url}: {error}")

        page.on("console", on_console)
        page.on("pageerror", on_error)

    ctx.on("page", watch)
    yield ctx
    await ctx.close()
    assert not console_errors, f"console errors: {console_errors}"


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    """A page in the test's context (console errors are watched)."""
    page = await context.new_page()
    page.set_default_timeout(5000)
    return page
