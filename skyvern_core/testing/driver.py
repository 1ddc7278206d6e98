"""An in-memory browser driver: scripted pages, no browser, for fast tests."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from skyvern_core.errors import BrowserError
from skyvern_core.models import (
    Action,
    ActionResult,
    CheckAction,
    ClickAction,
    Element,
    ElementOption,
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
from skyvern_core.perception.matching import match_option
from skyvern_core.protocols import SessionArtifacts, SessionOptions

__all__ = ["FakePage", "InMemoryDriver", "InMemorySession"]

# A 1x1 transparent PNG: enough for artifact plumbing in tests.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass
class FakePage:
    """A page of the fake web: its elements, its text, and where clicks lead.

    ``links`` maps an element id to the URL a click on it opens; ``submit`` maps an element
    id to a URL opened only when every ``required`` element has a value (or is checked).
    ``document`` is the whole page as a browser driver would read it for extraction (the
    format of :mod:`skyvern_core.perception.document`); empty, it is made from the title,
    the text and the elements.
    """

    url: str
    title: str = ""
    elements: list[Element] = field(default_factory=list)
    text: str = ""
    links: dict[str, str] = field(default_factory=dict)
    submit: dict[str, str] = field(default_factory=dict)
    document: str = ""


class InMemoryDriver:
    """A :class:`~skyvern_core.protocols.BrowserDriver` over :class:`FakePage` objects.

    ``errors`` maps a method name (``start``, ``new_session``, ``goto``, ``snapshot``,
    ``read_document``, ``execute``, ``screenshot``, ``close``) to an exception, or a list of
    exceptions raised one per call (``None`` in the list lets that call through).
    ``action_delay`` makes each action take that long (to test cancels and step timeouts).
    ``session_factory`` is what :meth:`new_session` calls, with the driver and the options
    (:class:`InMemorySession` by default): a subclass of it gives its sessions more (a
    ``storage_state()`` to keep browser profiles, a slow ``close``).
    """

    def __init__(
        self,
        pages: Iterable[FakePage] | Mapping[str, FakePage] = (),
        *,
        errors: Mapping[str, BaseException | list[BaseException | None]] | None = None,
        action_delay: float = 0.0,
        recording: bool = False,
        session_factory: Callable[[InMemoryDriver, SessionOptions], InMemorySession] | None = None,
    ) -> None:
        items = pages.values() if isinstance(pages, Mapping) else pages
        self.pages: dict[str, FakePage] = {p.url: p for p in items}
        self.errors: dict[str, list[BaseException | None] | BaseException] = dict(errors or {})
        self.action_delay = action_delay
        self.recording = recording
        self.session_factory = session_factory or InMemorySession
        self.started = False
        self.closed = False
        self.sessions: list[InMemorySession] = []
        self.executed: list[Action] = []

    def _maybe_fail(self, method: str) -> None:
        planned = self.errors.get(method)
        if planned is None:
            return
        if isinstance(planned, list):
            if not planned:
                return
            exc = planned.pop(0)
            if exc is not None:
                raise exc
            return
        raise planned

    async def start(self) -> None:
        """Mark the fake browser started."""
        self._maybe_fail("start")
        self.started = True

    async def new_session(self, options: SessionOptions) -> InMemorySession:
        """Open a fake isolated session."""
        self._maybe_fail("new_session")
        session = self.session_factory(self, options)
        self.sessions.append(session)
        return session

    async def close(self) -> None:
        """Mark the fake browser closed."""
        self.closed = True


class InMemorySession:
    """One task's session in the fake browser; each session has its own copy of the pages."""

    def __init__(self, driver: InMemoryDriver, options: SessionOptions) -> None:
        self.driver = driver
        self.options = options
        self.pages = copy.deepcopy(driver.pages)
        self.history: list[str] = []
        self.closed = False

    @property
    def current(self) -> FakePage:
        """The page shown now."""
        if not self.history:
            raise BrowserError("no page is open yet")
        return self.pages[self.history[-1]]

    async def goto(self, url: str) -> None:
        """Open a page of the fake web (unknown URLs raise BrowserError, like a DNS error)."""
        self.driver._maybe_fail("goto")
        if url not in self.pages:
            raise BrowserError(f"could not open {url}: no such page")
        self.history.append(url)

    async def snapshot(self) -> PageState:
        """Return the current page's state."""
        self.driver._maybe_fail("snapshot")
        page = self.current
        return PageState(
            url=page.url,
            title=page.title,
            elements=copy.deepcopy(page.elements),
            text=page.text,
            screenshot=PNG_1X1,
        )

    async def read_document(self, *, links: bool = False) -> str:
        """The current page as text for extraction: its ``document``, or one made from its
        title (a heading), its text and its elements (``Label: [value]``, ``[x] Label``)."""
        self.driver._maybe_fail("read_document")
        page = self.current
        if page.document:
            return page.document
        lines = [f"# {page.title}"] if page.title else []
        lines += [line for line in page.text.splitlines() if line.strip()]
        for el in page.elements:
            if el.role in ("checkbox", "radio", "switch"):
                box = "[x]" if el.checked else "[ ]"
                lines.append(f"{box} {el.label}".rstrip())
            elif el.options:
                chosen = ", ".join(o.label for o in el.options if o.selected)
                if chosen:
                    lines.append(f"{el.label}: [{chosen}]" if el.label else f"[{chosen}]")
            elif el.value and el.type != "password":
                lines.append(f"{el.label}: [{el.value}]" if el.label else f"[{el.value}]")
            elif el.role in ("button", "link") and el.label:
                href = links and page.links.get(el.id)
                lines.append(f"[{el.label}]({href})" if href else el.label)
        return "\n".join(lines)

    async def execute(self, action: Action, page: PageState) -> ActionResult:
        """Carry out an action on the fake page and report what happened."""
        self.driver._maybe_fail("execute")
        if self.driver.action_delay:
            await anyio.sleep(self.driver.action_delay)
        self.driver.executed.append(action)
        current = self.current
        element: Element | None = None
        element_id = getattr(action, "element_id", None)
        if element_id is not None:
            element = next((e for e in current.elements if e.id == element_id), None)
            if element is None:
                return ActionResult(success=False, error=f"no element {element_id} on the page")
            if element.disabled:
                return ActionResult(success=False, error=f"element {element_id} is disabled")
        match action:
            case ClickAction():
                assert element is not None
                if element.id in current.submit:
                    missing = [
                        e.label or e.id
                        for e in current.elements
                        if e.required and not (e.value or e.checked)
                    ]
                    if missing:
                        return ActionResult(
                            success=False, error=f"required fields are empty: {', '.join(missing)}"
                        )
                    return await self._open(current.submit[element.id])
                if element.id in current.links:
                    return await self._open(current.links[element.id])
                if element.role in ("checkbox", "radio", "switch"):
                    element.checked = not element.checked
                return ActionResult(success=True)
            case InputTextAction():
                assert element is not None
                element.value = action.text
                return ActionResult(success=True)
            case SelectOptionAction():
                assert element is not None
                return self._select(element, action.option)
            case CheckAction():
                assert element is not None
                element.checked = action.checked
                return ActionResult(success=True)
            case UploadFileAction():
                assert element is not None
                element.value = Path(action.file).name
                return ActionResult(success=True, data={"file": Path(action.file).name})
            case GotoUrlAction():
                return await self._open(action.url)
            case GoBackAction():
                if len(self.history) < 2:
                    return ActionResult(success=False, error="there is no page to go back to")
                self.history.pop()
                return ActionResult(success=True)
            case WaitAction():
                await anyio.sleep(min(action.seconds, 0.01))
                return ActionResult(success=True)
            case ScrollAction() | KeypressAction() | HoverAction():
                return ActionResult(success=True)
        return ActionResult(success=False, error=f"{action.type} is not supported by this driver")

    def _select(self, element: Element, option: str) -> ActionResult:
        options: list[ElementOption] = element.options or []
        labels = [o.label or o.value for o in options]
        try:
            match = match_option(option, labels, [o.value for o in options])
        except ValueError:
            shown = ", ".join(labels) or "none"
            return ActionResult(success=False, error=f"no option {option!r} (options: {shown})")
        chosen = options[match.index]
        for o in options:
            o.selected = o is chosen
        element.value = chosen.value
        return ActionResult(success=True, data={"chosen": match.label, "match": match.how})

    async def _open(self, url: str) -> ActionResult:
        if url not in self.pages:
            return ActionResult(success=False, error=f"the link leads nowhere: {url}")
        self.history.append(url)
        return ActionResult(success=True, data={"url": url})

    async def screenshot(self, *, full_page: bool = False) -> bytes:
        """Return a tiny PNG."""
        self.driver._maybe_fail("screenshot")
        return PNG_1X1

    async def close(self) -> SessionArtifacts:
        """Close the session; with ``recording`` a small fake webm is left behind."""
        self.closed = True
        self.driver._maybe_fail("close")
        if not self.driver.recording:
            return SessionArtifacts()
        self.options.artifact_dir.mkdir(parents=True, exist_ok=True)
        path = self.options.artifact_dir / "fake-recording.webm"
        path.write_bytes(b"\x1a\x45\xdf\xa3fake-webm")
        return SessionArtifacts(recording=path)


def element(id: str, role: str, label: str = "", **fields: Any) -> Element:
    """Shorthand for building a fake page's element."""
    return Element(id=id, role=role, label=label, **fields)
