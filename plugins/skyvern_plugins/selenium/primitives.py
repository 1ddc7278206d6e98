"""The browser primitives of the Selenium driver: what
:class:`~skyvern_core.browser.actions.BrowserActions` builds every action on.

Each primitive is one call of :meth:`SeleniumSession._run` (a worker thread holding the
WebDriver's lock). A frame handle is a :class:`SeleniumFrame`: the window, and the lookups
of the ``<iframe>`` elements that lead to the frame from the top document. An element
handle is a :class:`SeleniumElement`: the ``WebElement`` and its frame, which the primitive
enters first unless the WebDriver is there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skyvern_core.browser import scripts as js
from skyvern_core.browser.elements import ActionFailed
from skyvern_core.browser.frames import SnapshotFrames
from skyvern_core.browser.primitives import SETTLE_CAP, ClickIntercepted, UnknownKey

if TYPE_CHECKING:
    from selenium.webdriver.remote.webelement import WebElement

    from skyvern_plugins.selenium.driver import SeleniumSession

__all__ = [
    "FrameSteps",
    "SeleniumElement",
    "SeleniumFrame",
    "SeleniumPrimitives",
    "readable",
    "selenium_keys",
]

FrameSteps = tuple[tuple[str, Any], ...]
"""How to reach a frame from the top document: for each ``<iframe>`` on the way, a script
and its argument that return it in its parent's document."""

_SET_DIRECTLY = {"date", "time", "datetime-local", "month", "week", "color", "range"}
"""Input types Chromium's pickers take no typing for: their value is set instead."""


def readable(exc: BaseException) -> str:
    """The first line of a WebDriver error, without Selenium's boilerplate."""
    text = str(getattr(exc, "msg", None) or exc).strip()
    text = text.split("\n", 1)[0]
    text = re.sub(r"^Message: ", "", text)
    text = re.split(r"; For documentation on this error| \(Session info:", text)[0]
    text = re.sub(r"^(unknown error|javascript error): ", "", text)
    return text.strip() or type(exc).__name__


def selenium_keys(key: str) -> list[str] | None:
    """Playwright-style key names (``Control+a``) as Selenium key codes; None if unknown."""
    from selenium.webdriver.common.keys import Keys

    names = {
        "Enter": Keys.ENTER,
        "Tab": Keys.TAB,
        "Escape": Keys.ESCAPE,
        " ": Keys.SPACE,
        "Space": Keys.SPACE,
        "Backspace": Keys.BACKSPACE,
        "Delete": Keys.DELETE,
        "ArrowUp": Keys.ARROW_UP,
        "ArrowDown": Keys.ARROW_DOWN,
        "ArrowLeft": Keys.ARROW_LEFT,
        "ArrowRight": Keys.ARROW_RIGHT,
        "PageUp": Keys.PAGE_UP,
        "PageDown": Keys.PAGE_DOWN,
        "Home": Keys.HOME,
        "End": Keys.END,
        "Insert": Keys.INSERT,
        "Control": Keys.CONTROL,
        "Meta": Keys.META,
        "Alt": Keys.ALT,
        "Shift": Keys.SHIFT,
        **{f"F{n}": getattr(Keys, f"F{n}") for n in range(1, 13)},
    }
    # "+" alone is a key, not a separator.
    parts = [key] if key == "+" else [p for p in key.split("+") if p]
    out: list[str] = []
    for part in parts:
        code = names.get(part)
        if code is None and len(part) == 1:
            code = part
        if code is None:
            return None
        out.append(code)
    return out or None


@dataclass(frozen=True, slots=True)
class SeleniumFrame:
    """A frame of a window: its window handle, and the steps to it from the top document."""

    handle: str
    steps: FrameSteps


@dataclass(frozen=True, slots=True)
class SeleniumElement:
    """A ``WebElement`` and the frame it lives in."""

    web: WebElement
    frame: SeleniumFrame


class SeleniumPrimitives(SnapshotFrames[SeleniumElement, SeleniumFrame]):
    """:class:`~skyvern_core.browser.primitives.DriverPrimitives` on the current tab of a
    :class:`~skyvern_plugins.selenium.driver.SeleniumSession`."""

    def __init__(self, session: SeleniumSession) -> None:
        from selenium.common.exceptions import WebDriverException

        super().__init__()
        self.session = session
        self.errors: tuple[type[Exception], ...] = (WebDriverException,)

    def readable(self, exc: BaseException) -> str:
        """The first line of a WebDriver error."""
        return readable(exc)

    def detached(self, exc: BaseException) -> bool:
        """Whether ChromeDriver calls the element stale."""
        from selenium.common.exceptions import StaleElementReferenceException

        return isinstance(exc, StaleElementReferenceException)

    def _js(self, el: SeleniumElement, script: str, *args: Any) -> Any:
        self.session._go(el.frame.steps)
        return self.session._js(script, el.web, *args)

    def _enter(self, frame: SeleniumFrame) -> None:
        """Into ``frame``; a frame that cannot be entered is Selenium's NoSuchFrame."""
        from selenium.common.exceptions import NoSuchFrameException

        try:
            self.session._go(frame.steps)
        except ActionFailed as exc:
            raise NoSuchFrameException(str(exc)) from exc

    # -- frames

    async def top_frame(self) -> SeleniumFrame:
        """The top document of the current window (the last one left, if it was closed)."""

        def run() -> SeleniumFrame:
            self.session._top()
            return SeleniumFrame(str(self.session.wd.current_window_handle), ())

        return await self.session._run(run)

    async def evaluate_frame(self, frame: SeleniumFrame, script: str, arg: Any = None) -> Any:
        """``execute_script`` in the frame (entered first)."""

        def run() -> Any:
            self._enter(frame)
            return self.session._js(script, arg)

        return await self.session._run(run)

    async def child_frame(
        self, frame: SeleniumFrame, script: str, arg: Any = None
    ) -> SeleniumFrame | None:
        """Find the ``<iframe>`` in the frame and switch into it (the walk reads it next)."""

        def run() -> SeleniumFrame | None:
            session = self.session
            self._enter(frame)
            iframe = session._js(script, arg)
            if iframe is None:
                return None
            session._here = None
            session.wd.switch_to.frame(iframe)
            child = SeleniumFrame(frame.handle, (*frame.steps, (script, arg)))
            session._here = child.steps
            return child

        return await self.session._run(run)

    async def element_in(
        self, frame: SeleniumFrame, script: str, arg: Any = None
    ) -> SeleniumElement | None:
        """The element the script returns, while its window is the current one."""

        def run() -> SeleniumElement | None:
            session = self.session
            if session.wd.current_window_handle != frame.handle:
                return None
            try:
                session._go(frame.steps)
            except ActionFailed:  # the frame is gone
                return None
            web = session._js(script, arg)
            return SeleniumElement(web, frame) if web is not None else None

        return await self.session._run(run)

    async def capture(self) -> bytes:
        """The viewport as a JPEG, from the compositor (see the session)."""
        return await self.session._run(self.session._capture, jpeg=True)

    async def tabs(self) -> list[str]:
        """The open tabs' URLs, back on the top document (see the session)."""
        return await self.session._run(self.session._tabs)

    # -- elements

    async def evaluate(self, el: SeleniumElement, script: str, arg: Any = None) -> Any:
        """``execute_script`` in the element's frame."""
        return await self.session._run(self._js, el, script, arg)

    async def evaluate_element(
        self, el: SeleniumElement, script: str, arg: Any = None
    ) -> SeleniumElement | None:
        """``execute_script`` returning an element of the same frame."""
        web = await self.session._run(self._js, el, script, arg)
        return SeleniumElement(web, el.frame) if web is not None else None

    async def evaluate_page(self, script: str, arg: Any = None) -> Any:
        """``execute_script`` in the top document."""

        def run() -> Any:
            self.session._top()
            return self.session._js(script, arg)

        return await self.session._run(run)

    # -- input

    async def click(self, el: SeleniumElement, *, force: bool = False) -> dict[str, Any]:
        """WebDriver's element click; a pointer click at the centre where it lands on the
        element's own label, or with ``force``."""
        return await self.session._run(self._click, el, force)

    def _click(self, el: SeleniumElement, force: bool) -> dict[str, Any]:
        from selenium.common.exceptions import ElementClickInterceptedException
        from selenium.webdriver.common.action_chains import ActionChains

        wd = self.session.wd
        if force or self._js(el, js.LABEL_ON_TOP):
            ActionChains(wd, duration=0).move_to_element(el.web).click().perform()
            return {} if force else {"method": "label"}
        try:
            el.web.click()
        except ElementClickInterceptedException as exc:
            raise ClickIntercepted(readable(exc)) from exc
        return {}

    async def hover(self, el: SeleniumElement) -> None:
        """Move the pointer to the element's centre."""
        from selenium.webdriver.common.action_chains import ActionChains

        def run() -> None:
            self.session._go(el.frame.steps)
            ActionChains(self.session.wd, duration=0).move_to_element(el.web).perform()

        await self.session._run(run)

    async def fill(self, el: SeleniumElement, text: str) -> None:
        """Clear and type key by key; set the value of dates and colours; insert text
        ChromeDriver cannot type (outside the Basic Multilingual Plane: emoji)."""

        def run() -> None:
            if self._js(el, js.INPUT_TYPE) in _SET_DIRECTLY:
                self._js(el, js.SET_VALUE, text)
                return
            el.web.clear()
            if any(ord(c) > 0xFFFF for c in text):
                self._js(el, js.INSERT_TEXT, text)
            elif text:
                el.web.send_keys(text)

        await self.session._run(run)

    async def type_keys(self, text: str, el: SeleniumElement | None = None) -> None:
        """``send_keys`` to the element, or key actions at the focus."""
        from selenium.webdriver.common.action_chains import ActionChains

        def run() -> None:
            if el is not None:
                self.session._go(el.frame.steps)
                el.web.send_keys(text)
            else:
                ActionChains(self.session.wd).send_keys(text).perform()

        await self.session._run(run)

    async def press(self, key: str, el: SeleniumElement | None = None) -> None:
        """A key or chord: ChromeDriver focuses the element and holds the modifiers down
        until the command ends; without an element, key actions at the focus."""
        keys = selenium_keys(key)
        if keys is None:
            raise UnknownKey(key)
        await self.session._run(self._press, keys, el)

    def _press(self, keys: list[str], el: SeleniumElement | None) -> None:
        from selenium.common.exceptions import ElementNotInteractableException
        from selenium.webdriver.common.action_chains import ActionChains

        *modifiers, last = keys
        if el is not None:
            try:
                self.session._go(el.frame.steps)
                el.web.send_keys(*modifiers, last)
                return
            except ElementNotInteractableException:
                self._js(el, "(el) => el.focus()")
        else:
            self.session._top()
        chain = ActionChains(self.session.wd)
        for modifier in modifiers:
            chain.key_down(modifier)
        chain.send_keys(last)
        for modifier in reversed(modifiers):
            chain.key_up(modifier)
        chain.perform()

    async def set_files(self, el: SeleniumElement, path: Path) -> None:
        """``send_keys`` of the path (showing a hidden input for a moment if ChromeDriver
        insists on interactable file inputs)."""
        await self.session._run(self._set_files, el, path)

    def _set_files(self, el: SeleniumElement, path: Path) -> None:
        from selenium.common.exceptions import (
            ElementNotInteractableException,
            WebDriverException,
        )
        from selenium.webdriver.remote.file_detector import UselessFileDetector

        self.session._go(el.frame.steps)
        try:
            try:
                el.web.send_keys(str(path))
            except ElementNotInteractableException:
                style = self._js(el, js.UNHIDE)
                try:
                    el.web.send_keys(str(path))
                finally:
                    self._js(el, js.RESTORE_STYLE, style)
        except WebDriverException as exc:
            if not self.session.driver.remote or "unknown command" not in str(exc).lower():
                raise
            # A bare remote ChromeDriver has no file upload endpoint; it reads paths on its
            # own machine, which is this one if it can read the file at all.
            self.session.wd.file_detector = UselessFileDetector()
            el.web.send_keys(str(path))

    async def choose_file(self, el: SeleniumElement, path: Path) -> str | None:
        """Selenium cannot answer a file dialog: always why not."""
        return (
            "has none beside it (the Selenium driver cannot answer a file dialog opened "
            "without one)"
        )

    # -- the tab

    async def navigate(self, url: str) -> str | None:
        """``get`` (until DOMContentLoaded), then settle."""
        return await self.session._run(self.session._navigate, url)

    async def history(self, step: int) -> None:
        """``back`` / ``forward``, then settle."""

        def run() -> None:
            self.session._top()
            if step < 0:
                self.session.wd.back()
            else:
                self.session.wd.forward()
            self.session._settle()

        await self.session._run(run)

    async def url(self) -> str:
        """The current tab's URL."""
        return await self.session._run(self.session._url)

    async def settle(self, cap: float = SETTLE_CAP) -> None:
        """The document loaded and its resources unchanged for a moment (see the session)."""
        await self.session._run(self.session._settle, cap)

    async def after_action(self, data: dict[str, Any]) -> None:
        """Downloads the action started, and the tab it opened or closed."""
        await self.session._run(self.session._after_action, data)
