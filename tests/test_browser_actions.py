"""The shared action layer on fake primitives: its decisions, without a browser.

The fake answers the in-page scripts from a small table of elements; the real-browser
proof is the driver contract (``test_driver_contract_*``). These tests pin the decisions
that are the action layer's own: whom a click goes to, when it falls back to JavaScript,
what a check retries, which option a select chooses, what a failure says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skyvern_core.browser import BrowserActions, ClickIntercepted, KnownElement, UnknownKey
from skyvern_core.browser import scripts as js
from skyvern_core.models import (
    CheckAction,
    ClickAction,
    GoBackAction,
    InputTextAction,
    KeypressAction,
    PageState,
    ScrollAction,
    SelectOptionAction,
    UploadFileAction,
)


class FakeError(Exception):
    """The fake automation library's error."""


@dataclass
class FakeElement:
    """One element: what ELEMENT_INFO and HIT_TEST say of it, and its state."""

    tag: str = "button"
    type: str = ""
    role: str = ""
    disabled: bool = False
    readonly: bool = False
    rendered: bool = True
    checked: Any = None
    value: str = ""
    hit: dict[str, Any] = field(
        default_factory=lambda: {"rendered": True, "inView": True, "ok": True}
    )
    options: list[dict[str, Any]] = field(default_factory=list)
    selected: int = -1
    on_click: Any = None
    refuse_click: Exception | None = None
    attached: bool = True


class FakePrimitives:
    """BrowserPrimitives over a table of :class:`FakeElement`; records what it did."""

    errors: tuple[type[Exception], ...] = (FakeError,)

    def __init__(self, elements: dict[str, FakeElement]) -> None:
        self.elements = elements
        self.done: list[tuple[str, str]] = []
        self.history_urls = ["about:blank", "https://x.test/a"]
        self.at = 1

    def readable(self, exc: BaseException) -> str:
        return f"fake: {exc}"

    def detached(self, exc: BaseException) -> bool:
        return "detached" in str(exc)

    async def element(self, element_id: str, known: KnownElement) -> str | None:
        return element_id if element_id in self.elements else None

    def _el(self, el: str) -> FakeElement:
        found = self.elements[el]
        if not found.attached:
            raise FakeError("detached")
        return found

    async def evaluate(self, el: str, script: str, arg: Any = None) -> Any:
        e = self._el(el)
        if script == js.ELEMENT_INFO:
            return {
                "tag": e.tag,
                "type": e.type,
                "role": e.role,
                "disabled": e.disabled,
                "readonly": e.readonly,
                "editable": False,
                "maxlength": -1,
                "rendered": e.rendered,
                "checked": e.checked,
            }
        if script == js.HIT_TEST:
            return e.hit
        if script == js.CHECKED_STATE:
            return e.checked
        if script == js.JS_CLICK:
            self.done.append(("js-click", el))
            if e.on_click:
                e.on_click(e)
            return None
        if script == js.NATIVE_OPTIONS:
            return e.options
        if script == js.SELECT_INDEX:
            e.selected = arg
            return None
        if script == js.SELECTED_LABELS:
            return [e.options[e.selected]["label"]] if e.selected >= 0 else []
        if script == js.AUTOCOMPLETE:
            return False
        if script == "(el) => el.value":
            return e.value
        if script == js.SCROLL_TO_NEAREST:
            e.hit = {**e.hit, "inView": True}
            return None
        return None

    async def evaluate_element(self, el: str, script: str, arg: Any = None) -> str | None:
        if script == js.PROXY_LABEL:
            return f"{el}-label" if f"{el}-label" in self.elements else None
        return None

    async def evaluate_page(self, script: str, arg: Any = None) -> Any:
        return script == js.SCROLL_PAGE and arg == 1

    async def click(self, el: str, *, force: bool = False) -> dict[str, Any]:
        e = self._el(el)
        if e.refuse_click is not None:
            raise e.refuse_click
        self.done.append(("click", el))
        if e.on_click:
            e.on_click(e)
        return {}

    async def hover(self, el: str) -> None:
        self.done.append(("hover", el))

    async def fill(self, el: str, text: str) -> None:
        self._keep(el, text)
        self.done.append(("fill", el))

    def _keep(self, el: str, text: str) -> None:
        e = self._el(el)
        e.value = text[:3] if e.type == "tel" else text  # a field that keeps 3 characters

    async def type_keys(self, text: str, el: str | None = None) -> None:
        if el is not None:
            self._keep(el, text)
        self.done.append(("type", text))

    async def press(self, key: str, el: str | None = None) -> None:
        if key not in ("Enter", "Escape", "Delete", "Control+a"):
            raise UnknownKey(key)
        self.done.append(("press", key))

    async def set_files(self, el: str, path: Path) -> None:
        self.done.append(("files", path.name))

    async def choose_file(self, el: str, path: Path) -> str | None:
        return "opens no file dialog here"

    async def navigate(self, url: str) -> str | None:
        return None

    async def history(self, step: int) -> None:
        self.at = max(0, min(self.at + step, len(self.history_urls) - 1))

    async def url(self) -> str:
        return self.history_urls[self.at]

    async def settle(self, cap: float = 1.5) -> None:
        return None

    async def after_action(self, data: dict[str, Any]) -> None:
        return None


def _page() -> PageState:
    return PageState(url="https://x.test/a", title="A")


def _actions(**elements: FakeElement) -> tuple[BrowserActions[str], FakePrimitives]:
    fake = FakePrimitives(elements)
    actions: BrowserActions[str] = BrowserActions(fake)
    actions.known = {
        k: KnownElement(frame="", locator=f"#{k}", tag=v.tag, label=k.title(), role=v.role or v.tag)
        for k, v in elements.items()
    }
    return actions, fake


async def test_a_click_under_a_cookie_banner_is_refused_and_names_it() -> None:
    banner = {"rendered": True, "inView": True, "ok": False, "by": 'div "We use cookies"'}
    actions, fake = _actions(e1=FakeElement(hit={**banner, "interactive": True}))
    result = await actions.execute(ClickAction(element_id="e1"), _page())
    assert not result.success
    assert result.error == (
        'element e1 (button "E1") is covered by div "We use cookies"; close or answer it first'
    )
    assert result.data["covered_by"] == 'div "We use cookies"'
    assert fake.done == []


async def test_a_passive_layer_on_top_gets_a_javascript_click() -> None:
    glass = {"rendered": True, "inView": True, "ok": False, "by": "div.glass"}
    actions, fake = _actions(e1=FakeElement(hit=glass))
    result = await actions.execute(ClickAction(element_id="e1"), _page())
    assert result.success
    assert result.data == {"method": "js", "covered_by": "div.glass"}
    assert fake.done == [("js-click", "e1")]


async def test_an_intercepted_click_on_an_overlay_is_refused_else_falls_back() -> None:
    refused = ClickIntercepted("<div class=modal> intercepts pointer events")
    actions, fake = _actions(e1=FakeElement(refuse_click=refused))
    result = await actions.execute(ClickAction(element_id="e1"), _page())
    assert result.success
    assert result.data["method"] == "js"
    assert "intercepts pointer events" in result.data["note"]
    assert fake.done == [("js-click", "e1")]

    modal = {"rendered": True, "inView": True, "ok": True, "modal": True, "by": "dialog"}
    actions, _fake = _actions(e1=FakeElement(refuse_click=refused, hit=modal))
    result = await actions.execute(ClickAction(element_id="e1"), _page())
    assert not result.success
    assert result.error is not None and "covered by dialog" in result.error


async def test_an_element_that_left_the_page_is_named() -> None:
    actions, _ = _actions(e1=FakeElement(attached=False))
    result = await actions.execute(ClickAction(element_id="e1"), _page())
    assert result.error == 'element e1 (button "E1") is no longer on the page'
    result = await actions.execute(ClickAction(element_id="e7"), _page())
    assert result.error == "there is no element e7 on the page"


async def test_a_hidden_checkbox_is_checked_through_its_label_then_once_more_in_js() -> None:
    box = FakeElement(tag="input", type="checkbox", rendered=False, checked=False)

    def swallow(label: FakeElement) -> None:
        return None  # a handler that swallowed the click

    def toggle(el: FakeElement) -> None:
        el.checked = not el.checked

    box.on_click = toggle
    actions, fake = _actions(e1=box, **{"e1-label": FakeElement(tag="label", on_click=swallow)})
    result = await actions.execute(CheckAction(element_id="e1", checked=True), _page())
    assert result.success, result.error
    assert result.data["checked"] is True and result.data["changed"] is True
    assert fake.done == [("click", "e1-label"), ("js-click", "e1")]


async def test_a_native_select_takes_the_option_the_text_means() -> None:
    options = [
        {"label": "Choose", "value": "", "disabled": False},
        {"label": "MR.", "value": "mr", "disabled": False},
        {"label": "MRS.", "value": "mrs", "disabled": False},
    ]
    actions, _fake = _actions(e1=FakeElement(tag="select", options=options))
    result = await actions.execute(SelectOptionAction(element_id="e1", option="mr"), _page())
    assert result.success, result.error
    assert result.data["chosen"] == "MR."
    result = await actions.execute(SelectOptionAction(element_id="e1", option="Sir"), _page())
    assert result.error == (
        "e1 (select \"E1\") has no option 'Sir'; the options are: Choose, MR., MRS."
    )


async def test_typed_text_is_read_back() -> None:
    actions, fake = _actions(e1=FakeElement(tag="input", type="tel"))
    result = await actions.execute(InputTextAction(element_id="e1", text="12345"), _page())
    assert not result.success
    assert result.error == "the field kept '123' instead of the text typed into e1 (input \"E1\")"
    # The page kept less than was set: typed again key by key before giving up.
    assert ("type", "12345") in fake.done


async def test_keys_pages_and_history() -> None:
    actions, fake = _actions()
    result = await actions.execute(KeypressAction(key="hyperspace"), _page())
    assert result.error == "unknown key 'hyperspace'"
    result = await actions.execute(KeypressAction(key="ctrl+a"), _page())
    assert result.success and result.data["key"] == "Control+a"
    result = await actions.execute(ScrollAction(direction="down"), _page())
    assert result.data == {"moved": True}
    # The blank page a tab starts on is not a page to go back to.
    result = await actions.execute(GoBackAction(), _page())
    assert result.error == "there is no page to go back to"
    assert await fake.url() == "https://x.test/a"


async def test_an_upload_takes_a_local_file_only(tmp_path: Path) -> None:
    actions, _fake = _actions(e1=FakeElement(tag="button"))
    result = await actions.execute(
        UploadFileAction(element_id="e1", file="https://x.test/cv.pdf"), _page()
    )
    assert result.error is not None and "not a URL" in result.error
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(b"%PDF-1.4")
    result = await actions.execute(UploadFileAction(element_id="e1", file=str(cv)), _page())
    assert (
        result.error == 'element e1 (button "E1") is not a file input and opens no file dialog here'
    )


async def test_typing_into_a_list_chooses_an_option() -> None:
    options = [{"label": "France", "value": "fr", "disabled": False}]
    actions, _ = _actions(e1=FakeElement(tag="select", options=options))
    result = await actions.execute(InputTextAction(element_id="e1", text="france"), _page())
    assert result.success, result.error
    assert result.data["chosen"] == "France"
    assert result.data["note"] == "a list, not a text field: the option was chosen instead"
