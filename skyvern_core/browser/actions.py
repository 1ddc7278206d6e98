"""Every browser action, carried out and checked once, on a driver's primitives.

:class:`BrowserActions` turns an :class:`~skyvern_core.models.Action` into calls of
:class:`~skyvern_core.browser.primitives.BrowserPrimitives` and checks the effect on the page
with :mod:`skyvern_core.browser.verify`; failures come back as
``ActionResult(success=False, error=...)`` in words a person understands. The click policy:

- an element covered by a modal dialog or by an overlay a person would have to deal with
  (one holding buttons or links, such as a cookie banner) is NOT clicked: the result names
  the overlay (``covered by div.cookie-banner "We use cookies"``) so the planner can close
  or accept it first; nothing presses Escape on its own;
- an element covered by a passive layer (a transparent div, a sticky header) is scrolled
  to the middle of the viewport and tried again; if the layer is still on top, the click is
  delivered with JavaScript (``data["method"] == "js"``), which is what a person's click
  would have reached;
- a pointer click the automation library refuses (the element never becomes stable, say)
  also falls back to a JavaScript click, and says so in ``data``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

import anyio

from skyvern_core.browser import scripts as js
from skyvern_core.browser.elements import (
    ActionFailed,
    KnownElement,
    describe_element,
    is_on,
    key_name,
    known_from_page,
    local_upload,
    unsupported_action,
    wait_seconds,
)
from skyvern_core.browser.primitives import BrowserPrimitives, ClickIntercepted, UnknownKey
from skyvern_core.browser.verify import (
    NO_PAGE_BACK,
    check_checkable,
    check_clickable,
    check_text_field,
    checked_result,
    choose_option,
    covered,
    custom_select_result,
    element_scroll_result,
    has_checked_state,
    is_list,
    native_select_result,
    page_scroll_result,
    pick_suggestion,
    suggestion_data,
    typed_result,
)
from skyvern_core.models import (
    Action,
    ActionResult,
    CheckAction,
    ClickAction,
    GoBackAction,
    GotoUrlAction,
    HoverAction,
    InputTextAction,
    KeypressAction,
    PageState,
    ScrollAction,
    SelectOptionAction,
    UploadFileAction,
    WaitAction,
)

__all__ = ["BLANK_PAGES", "BrowserActions"]

log = logging.getLogger(__name__)

E = TypeVar("E")

BLANK_PAGES = ("about:blank", "data:,")
"""The pages a new tab starts on: not pages a task visited."""
_FIXED_FORMAT = ("date", "time", "datetime-local", "month", "week", "color", "range")
"""Input types whose value is not typed key by key (a picker's)."""


class BrowserActions(Generic[E]):
    """Carries out actions on the elements of a driver's last snapshot.

    The driver sets :attr:`known` after each snapshot (the elements by id, from
    :func:`~skyvern_core.browser.elements.known_elements`); an action on an id it lacks
    falls back to the :class:`~skyvern_core.models.PageState` the action came with.
    """

    def __init__(self, primitives: BrowserPrimitives[E]) -> None:
        self.p = primitives
        self.known: dict[str, KnownElement] = {}
        self._handlers: dict[type, Callable[[Any, PageState], Awaitable[ActionResult]]] = {
            ClickAction: self._click,
            InputTextAction: self._input_text,
            SelectOptionAction: self._select_option,
            CheckAction: self._check,
            UploadFileAction: self._upload,
            ScrollAction: self._scroll,
            KeypressAction: self._keypress,
            HoverAction: self._hover,
            WaitAction: self._wait,
            GoBackAction: self._go_back,
            GotoUrlAction: self._goto_url,
        }

    async def execute(self, action: Action, page: PageState) -> ActionResult:
        """Carry out one action, check its effect and say how it went.

        ``data["url"]`` is the tab's new URL when the action changed it; ``data["download"]``
        and ``data["new_tab"]`` are what :meth:`BrowserPrimitives.after_action` found.
        """
        handler = self._handlers.get(type(action))
        if handler is None:
            return unsupported_action(action.type)
        p = self.p
        url_before = await p.url()
        try:
            result = await handler(action, page)
        except ActionFailed as failure:
            result = ActionResult(success=False, error=str(failure), data=failure.data)
        except (ClickIntercepted, UnknownKey) as exc:
            result = ActionResult(success=False, error=str(exc) or type(exc).__name__)
        except p.errors as exc:
            if p.detached(exc):
                name = self.describe(getattr(action, "element_id", "") or "", page)
                error = f"element {name} is no longer on the page"
            else:
                error = p.readable(exc)
            result = ActionResult(success=False, error=error)
        with contextlib.suppress(*p.errors):
            await p.after_action(result.data)
        url = await p.url()
        if url and url != url_before and "url" not in result.data:
            result.data["url"] = url
        return result

    # -- elements

    def describe(self, element_id: str, page: PageState | None) -> str:
        """An element for people: ``e12 (button "Save")``."""
        return describe_element(element_id, self.known.get(element_id), page)

    async def element(self, element_id: str, page: PageState | None) -> E:
        """The element with that id, or a failure saying it is gone."""
        known = self.known.get(element_id) or known_from_page(element_id, page)
        if known is None:
            raise ActionFailed(f"there is no element {element_id} on the page")
        el = await self.p.element(element_id, known)
        if el is None:
            raise ActionFailed(f"element {element_id} is no longer on the page")
        return el

    async def _info(self, el: E) -> dict[str, Any]:
        info: dict[str, Any] = await self.p.evaluate(el, js.ELEMENT_INFO)
        return info

    async def _if_attached(self, el: E, script: str, default: Any) -> Any:
        """``script`` on the element, or ``default`` when it has left the document (some
        drivers refuse a detached element as an argument)."""
        try:
            return await self.p.evaluate(el, script)
        except self.p.errors as exc:
            if self.p.detached(exc):
                return default
            raise

    @contextlib.contextmanager
    def _failing(self, what: str) -> Iterator[None]:
        """Turn the driver's error (an element gone aside) into a failure: ``what: why``."""
        try:
            yield
        except self.p.errors as exc:
            if self.p.detached(exc):
                raise
            raise ActionFailed(f"{what}: {self.p.readable(exc)}") from exc

    async def _scroll_if_needed(self, el: E) -> None:
        with contextlib.suppress(*self.p.errors):
            await self.p.evaluate(el, js.SCROLL_IF_NEEDED)

    # -- clicking

    async def _click_like_a_person(
        self, el: E, element_id: str, page: PageState | None, *, proxy: bool = False
    ) -> dict[str, Any]:
        """Click by the policy above; returns data; raises ActionFailed with the reason.

        ``proxy``: ``el`` is the visible label of a hidden control. The control itself often
        lies transparent over its label and "intercepts" the pointer; once the hit test has
        found nothing foreign on top, the click is forced.
        """
        p = self.p
        await self._scroll_if_needed(el)
        hit = await p.evaluate(el, js.HIT_TEST)
        if not hit.get("rendered", True):
            raise ActionFailed(f"element {self.describe(element_id, page)} is not visible")
        if hit.get("inView") and not hit.get("ok"):
            if hit.get("modal") or hit.get("interactive"):
                raise covered(self.describe(element_id, page), hit["by"])
            # A passive layer on top: a sticky header clears once the element is centred.
            await p.evaluate(el, js.SCROLL_TO_CENTER)
            hit = await p.evaluate(el, js.HIT_TEST)
            if hit.get("inView") and not hit.get("ok"):
                if hit.get("modal") or hit.get("interactive"):
                    raise covered(self.describe(element_id, page), hit["by"])
                await p.evaluate(el, js.JS_CLICK)
                return {"method": "js", "covered_by": hit["by"]}
        refused: tuple[type[Exception], ...] = (ClickIntercepted, *p.errors)
        try:
            return await p.click(el, force=proxy)
        except refused as exc:
            if not isinstance(exc, ClickIntercepted) and p.detached(exc):
                raise
            reason = str(exc) if isinstance(exc, ClickIntercepted) else p.readable(exc)
            if not (await self._info(el))["rendered"]:
                raise ActionFailed(
                    f"element {self.describe(element_id, page)} is not visible"
                ) from exc
            if isinstance(exc, ClickIntercepted):
                hit = await p.evaluate(el, js.HIT_TEST)
                if hit.get("modal") or hit.get("interactive"):
                    by = hit.get("by", "another element")
                    raise covered(self.describe(element_id, page), by) from exc
            log.info("click on %s fell back to JavaScript: %s", element_id, reason)
            await p.evaluate(el, js.JS_CLICK)
            return {"method": "js", "note": f"the normal click failed: {reason}"}

    async def _click(self, action: ClickAction, page: PageState) -> ActionResult:
        el = await self.element(action.element_id, page)
        info = await self._info(el)
        check_clickable(info, self.describe(action.element_id, page))
        target = el
        if not info["rendered"] and info["tag"] == "input":
            target = await self.p.evaluate_element(el, js.PROXY_LABEL) or el
        before = await self._checked_state(el, info)
        data = await self._click_like_a_person(
            target, action.element_id, page, proxy=target is not el
        )
        await self.p.settle()
        after = await self._checked_state(el, info)
        if before is not None and after is not None and before != after:
            data["checked"] = after == "true" or after is True
        return ActionResult(success=True, data=data)

    async def _checked_state(self, el: E, info: dict[str, Any]) -> Any:
        if not has_checked_state(info):
            return None
        with contextlib.suppress(*self.p.errors):
            return await self.p.evaluate(el, js.CHECKED_STATE)
        return None

    # -- typing

    async def _input_text(self, action: InputTextAction, page: PageState) -> ActionResult:
        el = await self.element(action.element_id, page)
        info = await self._info(el)
        name = self.describe(action.element_id, page)
        if is_list(info):
            result = await self._select_option(
                SelectOptionAction(element_id=action.element_id, option=action.text), page
            )
            result.data["note"] = "a list, not a text field: the option was chosen instead"
            return result
        check_text_field(info, name)
        if info["tag"] == "input" and info["maxlength"] == 1 and len(action.text) > 1:
            boxes = int(await self.p.evaluate(el, js.BOX_GROUP, len(action.text)) or 0)
            if boxes:
                return await self._type_boxes(el, boxes, action.text, name)
        secret = info["type"] == "password"
        if info["editable"] and info["tag"] not in ("input", "textarea"):
            kept = await self._type_editable(el, action.text)
        elif info["tag"] == "input" and await self.p.evaluate(el, js.AUTOCOMPLETE) == "combobox":
            return await self._type_and_pick(el, action.text, name, info)
        else:
            kept = await self._fill(el, action.text, info)
        await self.p.settle()
        return typed_result(kept, action.text, secret, name)

    async def _fill(self, el: E, text: str, info: dict[str, Any]) -> str:
        """Replace the field's value; type it key by key when the page changed what was set
        (masks, key handlers); fire ``change``; return what the field kept."""
        p = self.p
        await self._scroll_if_needed(el)
        with self._failing("could not type into the field"):
            await p.fill(el, text)
        kept = await p.evaluate(el, "(el) => el.value")
        if kept != text and info["type"] not in _FIXED_FORMAT:
            await p.fill(el, "")
            await p.type_keys(text, el)
            kept = await p.evaluate(el, "(el) => el.value")
        # Change comes on blur, which a person's next click would cause: send it now so the
        # page validates what was typed.
        await p.evaluate(el, js.DISPATCH_CHANGE)
        return str(kept)

    async def _type_boxes(self, el: E, count: int, text: str, name: str) -> ActionResult:
        """Type ``text`` one character per box, as a person types a code into six boxes.

        Each box is focused (if the page's script has not moved there already) and its
        content selected, then the character is typed with real key events, so the page's
        own handlers run. The check is on the boxes together. Their content is never echoed
        in a failure: it is nearly always a one-time code.
        """
        p = self.p
        if count < len(text):
            raise ActionFailed(
                f"{name} is the first of {count} single-character boxes, too few for "
                f"the {len(text)} characters to type"
            )
        await self._scroll_if_needed(el)
        await p.evaluate(el, js.BOX_CLEAR)
        for i, char in enumerate(text):
            await p.evaluate(el, js.BOX_FOCUS, i)
            await p.type_keys(char)
        await p.settle()
        kept = "".join(str(v) for v in await p.evaluate(el, js.BOX_VALUES))
        if kept == text:
            return ActionResult(success=True, data={"boxes": count})
        if len(kept) != len(text):
            held = f"{len(kept)} of the {len(text)} characters typed"
        else:
            held = "other characters than those typed"
        raise ActionFailed(f"the {count} single-character boxes starting at {name} hold {held}")

    async def _type_editable(self, el: E, text: str) -> str:
        await self.p.click(el)
        await self.p.evaluate(el, js.SELECT_CONTENTS)
        await self.p.press("Delete")
        if text:
            await self.p.type_keys(text)
        return str(await self.p.evaluate(el, js.EDITABLE_TEXT))

    async def _type_and_pick(
        self, el: E, text: str, name: str, info: dict[str, Any]
    ) -> ActionResult:
        """Type into an autocomplete, then pick the suggestion that matches the text (by
        :func:`~skyvern_core.perception.matching.match_option`) or keep the typed text."""
        p = self.p
        before = await p.evaluate(el, js.WIDGET_STATE)
        await self._fill(el, text, info)
        listed = await p.evaluate(el, js.LIST_OPTIONS, js.SUGGESTION_WAIT)
        index, match, why = pick_suggestion(text, listed["options"])
        if match is None:
            labels = [o["label"] for o in listed["options"] if o.get("label")]
            if labels:
                with contextlib.suppress(*p.errors):
                    await p.press("Escape", el)
            await p.settle()
            kept = str(await self._if_attached(el, js.VALUE_IF_ATTACHED, ""))
            if kept != text:
                raise ActionFailed(
                    f"{name} kept {kept!r}, not the text typed: it takes one of its "
                    f"suggestions, and {why} {text!r}"
                    + (f" (the suggestions: {', '.join(labels[:10])})" if labels else "")
                )
            return ActionResult(success=True, data=suggestion_data(None, labels, why))
        value = str(listed["options"][index].get("value") or "")
        await self._click_option(el, index, match.label, name)
        await p.settle()
        after = await p.evaluate(el, js.WIDGET_STATE)
        result = custom_select_result(match, value, name, before, after)
        result.data.update(suggestion_data(match, [], ""))
        return result

    # -- lists

    async def _select_option(self, action: SelectOptionAction, page: PageState) -> ActionResult:
        el = await self.element(action.element_id, page)
        info = await self._info(el)
        name = self.describe(action.element_id, page)
        if info["disabled"]:
            raise ActionFailed(f"element {name} is disabled")
        if info["tag"] == "select":
            return await self._select_native(el, action.option, name)
        return await self._select_custom(el, action.option, name, info)

    async def _select_native(self, el: E, option: str, name: str) -> ActionResult:
        p = self.p
        options = await p.evaluate(el, js.NATIVE_OPTIONS)
        index, match = choose_option(option, options, name)
        await self._scroll_if_needed(el)
        await p.evaluate(el, js.SELECT_INDEX, index)
        await p.settle()
        chosen = await p.evaluate(el, js.SELECTED_LABELS)
        return native_select_result(match, str(options[index]["value"]), chosen, name)

    async def _select_custom(
        self, el: E, option: str, name: str, info: dict[str, Any]
    ) -> ActionResult:
        """Open a custom list (typing into it when it is a text box: its options may come
        only then), choose the option that matches, and check what the widget shows."""
        p = self.p
        before = await p.evaluate(el, js.WIDGET_STATE)
        await self._scroll_if_needed(el)
        typed = info["tag"] == "input" and not info["readonly"]
        if info["role"] != "listbox":
            with contextlib.suppress(ClickIntercepted, *p.errors):
                await p.click(el)
        if typed:
            # An autocomplete: typing filters the list and often is what fills it.
            with contextlib.suppress(*p.errors):
                await p.fill(el, option)
        wait = js.SUGGESTION_WAIT if typed else js.OPEN_WAIT
        listed = await p.evaluate(el, js.LIST_OPTIONS, wait)
        try:
            index, match = choose_option(option, listed["options"], name)
        except ActionFailed as failure:
            free = typed and before.get("free") and "candidates" not in failure.data
            with contextlib.suppress(*p.errors):
                if typed and not free:
                    await p.fill(el, "")
                await p.press("Escape")
            if free:
                # A free-text autocomplete (an address): the typed text stands, as typed.
                kept = str(await self._if_attached(el, js.VALUE_IF_ATTACHED, ""))
                if kept == option:
                    labels = [o["label"] for o in listed["options"] if o.get("label")]
                    why = "no suggestion matched" if labels else "no suggestion appeared"
                    return ActionResult(success=True, data=suggestion_data(None, labels, why))
            raise
        value = str(listed["options"][index].get("value") or "")
        await self._click_option(el, index, option, name)
        await p.settle()
        after = await p.evaluate(el, js.WIDGET_STATE)
        return custom_select_result(match, value, name, before, after)

    async def _click_option(self, el: E, index: int, option: str, name: str) -> None:
        """Click option ``index`` of those :data:`~skyvern_core.browser.scripts.LIST_OPTIONS`
        found last (with JavaScript if the pointer click is refused)."""
        p = self.p
        target = await p.evaluate_element(el, js.LAST_OPTION, index)
        if target is None:
            raise ActionFailed(f"the option {option!r} of {name} disappeared before it was clicked")
        refused: tuple[type[Exception], ...] = (ClickIntercepted, *p.errors)
        try:
            await p.click(target)
        except refused:
            with contextlib.suppress(*p.errors):
                await p.evaluate(target, js.JS_CLICK)

    # -- checkboxes

    async def _check(self, action: CheckAction, page: PageState) -> ActionResult:
        p = self.p
        el = await self.element(action.element_id, page)
        info = await self._info(el)
        name = self.describe(action.element_id, page)
        unchanged = check_checkable(info, name, action.checked)
        if unchanged is not None:
            return unchanged
        target = el
        if not info["rendered"]:
            proxy = await p.evaluate_element(el, js.PROXY_LABEL)
            if proxy is None:
                raise ActionFailed(f"element {name} is hidden and has no visible label to click")
            target = proxy
        data = await self._click_like_a_person(
            target, action.element_id, page, proxy=target is not el
        )
        await p.settle()
        state = is_on((await self._info(el))["checked"])
        if state != action.checked:
            # A handler that swallowed the click (or a label outside the flow): once more, in JS.
            await p.evaluate(el, js.JS_CLICK)
            await p.settle(0.5)
            state = is_on((await self._info(el))["checked"])
        return checked_result(state, action.checked, name, data)

    # -- files

    async def _upload(self, action: UploadFileAction, page: PageState) -> ActionResult:
        p = self.p
        path: Path = await local_upload(action.file)
        el = await self.element(action.element_id, page)
        name = self.describe(action.element_id, page)
        file_input = await p.evaluate_element(el, js.FILE_INPUT)
        if file_input is None:
            why = await p.choose_file(el, path)
            if why is not None:
                raise ActionFailed(f"element {name} is not a file input and {why}")
            await p.settle()
            return ActionResult(success=True, data={"file": path.name})
        with self._failing(f"could not give the file to {name}"):
            await p.set_files(file_input, path)
        await p.settle()
        names = await self._if_attached(file_input, js.FILE_NAMES, None)
        if names is not None and path.name not in names:
            raise ActionFailed(f"the file input of {name} holds no file after the upload")
        return ActionResult(success=True, data={"file": path.name})

    # -- the rest

    async def _scroll(self, action: ScrollAction, page: PageState) -> ActionResult:
        p = self.p
        if action.element_id:
            el = await self.element(action.element_id, page)
            await p.evaluate(el, js.SCROLL_TO_NEAREST)
            await p.settle(0.5)
            hit = await p.evaluate(el, js.HIT_TEST)
            return element_scroll_result(hit, self.describe(action.element_id, page))
        moved = await p.evaluate_page(js.SCROLL_PAGE, 1 if action.direction == "down" else -1)
        await p.settle(0.5)
        return page_scroll_result(moved, action.direction)

    async def _keypress(self, action: KeypressAction, page: PageState) -> ActionResult:
        key = key_name(action.key)
        el = await self.element(action.element_id, page) if action.element_id else None
        try:
            await self.p.press(key, el)
        except UnknownKey:
            raise ActionFailed(f"unknown key {action.key!r}") from None
        await self.p.settle()
        return ActionResult(success=True, data={"key": key})

    async def _hover(self, action: HoverAction, page: PageState) -> ActionResult:
        p = self.p
        el = await self.element(action.element_id, page)
        name = self.describe(action.element_id, page)
        await p.evaluate(el, js.SCROLL_IF_NEEDED)
        hit = await p.evaluate(el, js.HIT_TEST)
        if hit.get("inView") and not hit.get("ok"):
            raise ActionFailed(
                f"element {name} is covered by {hit['by']}", data={"covered_by": hit["by"]}
            )
        await p.hover(el)
        await p.settle(0.5)
        if not await p.evaluate(el, js.IS_HOVERED):
            raise ActionFailed(f"the pointer is not over {name} after hovering")
        return ActionResult(success=True)

    async def _wait(self, action: WaitAction, page: PageState) -> ActionResult:
        seconds = wait_seconds(action.seconds)
        await anyio.sleep(seconds)
        return ActionResult(success=True, data={"waited": seconds})

    async def _go_back(self, action: GoBackAction, page: PageState) -> ActionResult:
        p = self.p
        before = await p.url()
        await p.history(-1)
        after = await p.url()
        if after in BLANK_PAGES and before not in BLANK_PAGES:
            # The blank page every new tab starts on is not a page the task visited.
            await p.history(1)
            raise ActionFailed(NO_PAGE_BACK)
        if after == before:
            raise ActionFailed(NO_PAGE_BACK)
        return ActionResult(success=True, data={"url": after})

    async def _goto_url(self, action: GotoUrlAction, page: PageState) -> ActionResult:
        error = await self.p.navigate(action.url)
        if error:
            raise ActionFailed(error)
        return ActionResult(success=True, data={"url": await self.p.url()})
