"""The browser primitives of the Playwright driver: what
:class:`~skyvern_core.browser.actions.BrowserActions` builds every action on."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skyvern_core.browser.frames import SnapshotFrames
from skyvern_core.browser.primitives import SETTLE_CAP, ClickIntercepted, UnknownKey
from skyvern_core.errors import MissingExtraError

if TYPE_CHECKING:
    from playwright.async_api import ElementHandle, Frame, JSHandle

    from skyvern_plugins.playwright.driver import PlaywrightSession

__all__ = ["ACTION_TIMEOUT_MS", "PlaywrightPrimitives", "import_playwright", "readable"]

ACTION_TIMEOUT_MS = 5_000
"""Milliseconds Playwright waits at most for an element to take a click or text."""
FILE_DIALOG_MS = 3_000
"""Milliseconds a click is given to open a file dialog."""


def import_playwright() -> Any:
    """Playwright's async API; :class:`MissingExtraError` without the ``playwright`` extra."""
    try:
        from playwright import async_api
    except ImportError as exc:
        raise MissingExtraError("playwright", "playwright") from exc
    return async_api


def readable(exc: BaseException) -> str:
    """The first line of a Playwright error, without the API name and the call log."""
    text = str(exc).strip().split("\n", 1)[0]
    text = re.sub(r"^[A-Za-z]+\.[a-z_A-Z]+: ", "", text)
    return text or type(exc).__name__


class PlaywrightPrimitives(SnapshotFrames["ElementHandle", "Frame"]):
    """:class:`~skyvern_core.browser.primitives.DriverPrimitives` on the current tab of a
    :class:`~skyvern_plugins.playwright.driver.PlaywrightSession` (element handles:
    Playwright's ``ElementHandle``; frames: its ``Frame``)."""

    def __init__(self, session: PlaywrightSession) -> None:
        super().__init__()
        self.session = session
        self.errors: tuple[type[Exception], ...] = (import_playwright().Error,)

    def readable(self, exc: BaseException) -> str:
        """The first line of a Playwright error."""
        return readable(exc)

    def detached(self, exc: BaseException) -> bool:
        """Whether Playwright says the element is no longer attached to the DOM."""
        return isinstance(exc, self.errors) and "not attached to the DOM" in str(exc)

    @staticmethod
    async def _element_of(handle: JSHandle) -> ElementHandle | None:
        element = handle.as_element()
        if element is None:
            await handle.dispose()
        return element

    # -- frames

    async def top_frame(self) -> Frame:
        """The current tab's main frame."""
        return self.session.page.main_frame

    async def evaluate_frame(self, frame: Frame, script: str, arg: Any = None) -> Any:
        """``frame.evaluate``."""
        return await frame.evaluate(script, arg)

    async def child_frame(self, frame: Frame, script: str, arg: Any = None) -> Frame | None:
        """The content frame of the ``<iframe>`` the script returns."""
        element = await self._element_of(await frame.evaluate_handle(script, arg))
        child = await element.content_frame() if element is not None else None
        return child if child is not None and not child.is_detached() else None

    async def element_in(self, frame: Frame, script: str, arg: Any = None) -> ElementHandle | None:
        """The element the script returns, while the frame is still in the current tab."""
        if frame.is_detached() or frame.page is not self.session.page:
            return None
        return await self._element_of(await frame.evaluate_handle(script, arg))

    async def capture(self) -> bytes:
        """The viewport as a JPEG, from the compositor (see the session)."""
        return await self.session._capture(jpeg=True)

    async def tabs(self) -> list[str]:
        """The URLs of the context's pages."""
        return [page.url for page in self.session.context.pages]

    # -- elements

    async def evaluate(self, el: ElementHandle, script: str, arg: Any = None) -> Any:
        """``el.evaluate``."""
        return await el.evaluate(script, arg)

    async def evaluate_element(
        self, el: ElementHandle, script: str, arg: Any = None
    ) -> ElementHandle | None:
        """``el.evaluate_handle``, as an element."""
        return await self._element_of(await el.evaluate_handle(script, arg))

    async def evaluate_page(self, script: str, arg: Any = None) -> Any:
        """``page.evaluate`` in the top document."""
        return await self.session.page.evaluate(script, arg)

    async def click(self, el: ElementHandle, *, force: bool = False) -> dict[str, Any]:
        """Playwright's click (actionability checks, unless ``force``)."""
        try:
            await el.click(timeout=ACTION_TIMEOUT_MS, force=force)
        except self.errors as exc:
            if "intercepts pointer events" in str(exc):
                raise ClickIntercepted(readable(exc)) from exc
            raise
        return {}

    async def hover(self, el: ElementHandle) -> None:
        """Playwright's hover."""
        await el.hover(timeout=ACTION_TIMEOUT_MS)

    async def fill(self, el: ElementHandle, text: str) -> None:
        """Playwright's fill (dates and colours included)."""
        await el.fill(text, timeout=ACTION_TIMEOUT_MS)

    async def type_keys(self, text: str, el: ElementHandle | None = None) -> None:
        """Key events for each character, into ``el`` or the focused element."""
        if el is not None:
            await el.type(text)
        else:
            await self.session.page.keyboard.type(text)

    async def press(self, key: str, el: ElementHandle | None = None) -> None:
        """A key or chord, at ``el`` (focused first) or the focused element."""
        try:
            if el is not None:
                await el.focus()
                await el.press(key, timeout=ACTION_TIMEOUT_MS)
            else:
                await self.session.page.keyboard.press(key)
        except self.errors as exc:
            if "Unknown key" in str(exc):
                raise UnknownKey(key) from exc
            raise

    async def set_files(self, el: ElementHandle, path: Path) -> None:
        """``set_input_files``."""
        await el.set_input_files(str(path))

    async def choose_file(self, el: ElementHandle, path: Path) -> str | None:
        """Click and answer the file chooser the click opens."""
        try:
            async with self.session.page.expect_file_chooser(timeout=FILE_DIALOG_MS) as info:
                await el.click()
            chooser = await info.value
            await chooser.set_files(str(path))
        except self.errors:
            return "clicking it opened no file dialog"
        return None

    async def navigate(self, url: str) -> str | None:
        """``page.goto`` (until DOMContentLoaded), then settle."""
        page = self.session.page
        try:
            await page.goto(url, wait_until="domcontentloaded")
        except self.errors as exc:
            return f"could not open {url}: {readable(exc)}"
        await self.settle()
        return None

    async def history(self, step: int) -> None:
        """``page.go_back`` / ``page.go_forward``, then settle."""
        page = self.session.page
        if step < 0:
            await page.go_back(wait_until="domcontentloaded")
        else:
            await page.go_forward(wait_until="domcontentloaded")
        await self.settle()

    async def url(self) -> str:
        """The current tab's URL."""
        return self.session.page.url

    async def settle(self, cap: float = SETTLE_CAP) -> None:
        """No request in flight for a moment (see the session)."""
        await self.session._settle(cap)

    async def after_action(self, data: dict[str, Any]) -> None:
        """Downloads the action started, and the tab it opened."""
        with contextlib.suppress(*self.errors):
            await self.session._collect_downloads(data)
        await self.session._follow_new_tab(data)
