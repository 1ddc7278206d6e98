"""The browser primitives of the Selenium driver: what
:class:`~skyvern_core.browser.actions.BrowserActions` builds every action on.

The frame, page and tab primitives come from
:class:`~skyvern_core.browser.threaded_primitives.ThreadedPrimitives`; the input ones here
are WebDriver calls, each run in the session's worker thread holding the WebDriver's lock.
An element handle is a :class:`~skyvern_core.browser.threaded.FramedElement`: the
``WebElement`` and its frame, which the primitive enters first unless the WebDriver is there.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skyvern_core.browser import scripts as js
from skyvern_core.browser.primitives import ClickIntercepted, UnknownKey
from skyvern_core.browser.threaded_primitives import ThreadedPrimitives, in_worker

if TYPE_CHECKING:
    from typing import TypeAlias

    from selenium.webdriver.remote.webelement import WebElement

    from skyvern_core.browser.threaded import FramedElement
    from skyvern_plugins.selenium.session import SeleniumSession

    SeleniumElement: TypeAlias = FramedElement[WebElement]

__all__ = ["SeleniumPrimitives", "readable", "selenium_keys"]

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


class SeleniumPrimitives(ThreadedPrimitives["WebElement"]):
    """:class:`~skyvern_core.browser.primitives.DriverPrimitives` on the current tab of a
    :class:`~skyvern_plugins.selenium.session.SeleniumSession`; the input primitives are
    WebDriver's own."""

    session: SeleniumSession

    def __init__(self, session: SeleniumSession) -> None:
        from selenium.common.exceptions import WebDriverException

        super().__init__(session, (WebDriverException,))

    def readable(self, exc: BaseException) -> str:
        """The first line of a WebDriver error."""
        return readable(exc)

    def detached(self, exc: BaseException) -> bool:
        """Whether ChromeDriver calls the element stale."""
        from selenium.common.exceptions import StaleElementReferenceException

        return isinstance(exc, StaleElementReferenceException)

    # -- input

    @in_worker
    def click(self, el: SeleniumElement, *, force: bool = False) -> dict[str, Any]:
        """WebDriver's element click; a pointer click at the centre where it lands on the
        element's own label, or with ``force``."""
        from selenium.common.exceptions import ElementClickInterceptedException
        from selenium.webdriver.common.action_chains import ActionChains

        web = self._at(el)
        if force or self._js(el, js.LABEL_ON_TOP):
            ActionChains(self.session.wd, duration=0).move_to_element(web).click().perform()
            return {} if force else {"method": "label"}
        try:
            web.click()
        except ElementClickInterceptedException as exc:
            raise ClickIntercepted(readable(exc)) from exc
        return {}

    @in_worker
    def hover(self, el: SeleniumElement) -> None:
        """Move the pointer to the element's centre."""
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.session.wd, duration=0).move_to_element(self._at(el)).perform()

    @in_worker
    def fill(self, el: SeleniumElement, text: str) -> None:
        """Clear and type key by key; set the value of dates and colours; insert text
        ChromeDriver cannot type (outside the Basic Multilingual Plane: emoji)."""
        if self._js(el, js.INPUT_TYPE) in _SET_DIRECTLY:
            self._js(el, js.SET_VALUE, text)
            return
        el.web.clear()
        if any(ord(c) > 0xFFFF for c in text):
            self._js(el, js.INSERT_TEXT, text)
        elif text:
            el.web.send_keys(text)

    @in_worker
    def type_keys(self, text: str, el: SeleniumElement | None = None) -> None:
        """``send_keys`` to the element, or key actions at the focus."""
        from selenium.webdriver.common.action_chains import ActionChains

        if el is not None:
            self._at(el).send_keys(text)
        else:
            ActionChains(self.session.wd).send_keys(text).perform()

    @in_worker
    def press(self, key: str, el: SeleniumElement | None = None) -> None:
        """A key or chord: ChromeDriver focuses the element and holds the modifiers down
        until the command ends; without an element, key actions at the focus."""
        from selenium.common.exceptions import ElementNotInteractableException
        from selenium.webdriver.common.action_chains import ActionChains

        keys = selenium_keys(key)
        if keys is None:
            raise UnknownKey(key)
        *modifiers, last = keys
        if el is not None:
            try:
                self._at(el).send_keys(*modifiers, last)
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

    @in_worker
    def set_files(self, el: SeleniumElement, path: Path) -> None:
        """``send_keys`` of the path (showing a hidden input for a moment if ChromeDriver
        insists on interactable file inputs)."""
        from selenium.common.exceptions import (
            ElementNotInteractableException,
            WebDriverException,
        )
        from selenium.webdriver.remote.file_detector import UselessFileDetector

        web = self._at(el)
        try:
            try:
                web.send_keys(str(path))
            except ElementNotInteractableException:
                style = self._js(el, js.UNHIDE)
                try:
                    web.send_keys(str(path))
                finally:
                    self._js(el, js.RESTORE_STYLE, style)
        except WebDriverException as exc:
            if not self.session.driver.remote or "unknown command" not in str(exc).lower():
                raise
            # A bare remote ChromeDriver has no file upload endpoint; it reads paths on its
            # own machine, which is this one if it can read the file at all.
            self.session.wd.file_detector = UselessFileDetector()
            web.send_keys(str(path))

    async def choose_file(self, el: SeleniumElement, path: Path) -> str | None:
        """Selenium cannot answer a file dialog: always why not."""
        return (
            "has none beside it (the Selenium driver cannot answer a file dialog opened "
            "without one)"
        )
