"""The browser primitives of the Selenium driver: what
:class:`~skyvern_core.browser.actions.BrowserActions` builds every action on.

Each primitive is one call of :meth:`SeleniumSession._run` (a worker thread holding the
WebDriver's lock). An element handle is a :class:`SeleniumElement`: the ``WebElement`` and
the frames it lives in, which the primitive enters first unless the WebDriver is there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skyvern_core.browser.elements import ActionFailed, KnownElement, resolve_args
from skyvern_core.browser.primitives import SETTLE_CAP, ClickIntercepted, UnknownKey
from skyvern_core.browser.scripts import RESOLVE

if TYPE_CHECKING:
    from selenium.webdriver.remote.webelement import WebElement

    from skyvern_plugins.selenium.driver import SeleniumSession

__all__ = ["SeleniumElement", "SeleniumPrimitives", "readable", "selenium_keys"]

# Sets a value the way a person's edit would end up (the native setter, so frameworks that
# track the value notice), for inputs that cannot be typed into key by key (dates, colours).
_SET_VALUE = """(el, value) => {
    const proto = el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype
      : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
    el.dispatchEvent(new Event('input', {bubbles: true, composed: true}));
    el.dispatchEvent(new Event('change', {bubbles: true}));
    return el.value;
}"""
_INSERT_TEXT = """(el, text) => {
    el.focus();
    if (el.select) el.select();
    document.execCommand('insertText', false, text);
    return el.value;
}"""
_INPUT_TYPE = "(el) => (el.getAttribute('type') || '').toLowerCase()"
# True when a click at the element's centre lands on its own <label> (a visually hidden
# checkbox under a styled label): ChromeDriver calls that intercepted, a person does not.
_LABEL_ON_TOP = """(el) => {
    const r = el.getBoundingClientRect();
    const x = Math.min(Math.max((r.left + r.right) / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max((r.top + r.bottom) / 2, 0), innerHeight - 1);
    const root = el.getRootNode().elementFromPoint ? el.getRootNode() : document;
    const hit = root.elementFromPoint(x, y);
    return !!hit && hit !== el && !el.contains(hit) && hit.tagName === 'LABEL'
      && hit.control === el;
}"""
_UNHIDE = """(el) => {
    const before = el.getAttribute('style');
    el.style.setProperty('display', 'block', 'important');
    el.style.setProperty('visibility', 'visible', 'important');
    el.style.setProperty('opacity', '1', 'important');
    el.style.setProperty('width', '10px', 'important');
    el.style.setProperty('height', '10px', 'important');
    return before;
}"""
_RESTORE_STYLE = """(el, before) => {
    if (before === null) el.removeAttribute('style'); else el.setAttribute('style', before);
}"""
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
class SeleniumElement:
    """A ``WebElement`` and the locators of the frames it lives in, from the top."""

    web: WebElement
    chain: tuple[str, ...]


class SeleniumPrimitives:
    """:class:`~skyvern_core.browser.primitives.BrowserPrimitives` on the current tab of a
    :class:`~skyvern_plugins.selenium.driver.SeleniumSession`."""

    def __init__(self, session: SeleniumSession) -> None:
        from selenium.common.exceptions import WebDriverException

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
        self.session._go(el.chain)
        return self.session._js(script, el.web, *args)

    # -- elements

    async def element(self, element_id: str, known: KnownElement) -> SeleniumElement | None:
        """Enter the element's frame (in the tab of the snapshot) and resolve it there."""
        return await self.session._run(self._element, element_id, known)

    def _element(self, element_id: str, known: KnownElement) -> SeleniumElement | None:
        session = self.session
        chain = session._chains.get(known.frame)
        if chain is None:
            return None
        args = resolve_args(element_id, known, session._tokens.get(known.frame, ""))
        try:
            if session.wd.current_window_handle != session._snapshot_handle:
                return None
            session._enter(chain)
            web = session._js(RESOLVE, args)
        except ActionFailed:  # the frame is gone
            return None
        except self.errors:
            return None
        return SeleniumElement(web, tuple(chain)) if web is not None else None

    async def evaluate(self, el: SeleniumElement, script: str, arg: Any = None) -> Any:
        """``execute_script`` in the element's frame."""
        return await self.session._run(self._js, el, script, arg)

    async def evaluate_element(
        self, el: SeleniumElement, script: str, arg: Any = None
    ) -> SeleniumElement | None:
        """``execute_script`` returning an element of the same frame."""
        web = await self.session._run(self._js, el, script, arg)
        return SeleniumElement(web, el.chain) if web is not None else None

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
        if force or self._js(el, _LABEL_ON_TOP):
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
            self.session._go(el.chain)
            ActionChains(self.session.wd, duration=0).move_to_element(el.web).perform()

        await self.session._run(run)

    async def fill(self, el: SeleniumElement, text: str) -> None:
        """Clear and type key by key; set the value of dates and colours; insert text
        ChromeDriver cannot type (outside the Basic Multilingual Plane: emoji)."""

        def run() -> None:
            if self._js(el, _INPUT_TYPE) in _SET_DIRECTLY:
                self._js(el, _SET_VALUE, text)
                return
            el.web.clear()
            if any(ord(c) > 0xFFFF for c in text):
                self._js(el, _INSERT_TEXT, text)
            elif text:
                el.web.send_keys(text)

        await self.session._run(run)

    async def type_keys(self, text: str, el: SeleniumElement | None = None) -> None:
        """``send_keys`` to the element, or key actions at the focus."""
        from selenium.webdriver.common.action_chains import ActionChains

        def run() -> None:
            if el is not None:
                self.session._go(el.chain)
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
                self.session._go(el.chain)
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

        self.session._go(el.chain)
        try:
            try:
                el.web.send_keys(str(path))
            except ElementNotInteractableException:
                style = self._js(el, _UNHIDE)
                try:
                    el.web.send_keys(str(path))
                finally:
                    self._js(el, _RESTORE_STYLE, style)
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
