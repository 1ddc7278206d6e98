"""What every browser session does alike, on its driver's primitives.

:class:`PrimitiveSession` is the part of a
:class:`~skyvern_core.protocols.BrowserSession` (and
:class:`~skyvern_core.protocols.DocumentReader`) that needs no driver code beyond
:class:`~skyvern_core.browser.primitives.DriverPrimitives`: opening a URL, the snapshot
(every frame, a screenshot, the tabs), reading the whole page, and carrying out actions
(:class:`~skyvern_core.browser.actions.BrowserActions`). A driver's session subclasses it
and adds what is its own: ``screenshot`` and ``close``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import anyio

from skyvern_core.browser.actions import BrowserActions
from skyvern_core.browser.elements import known_elements
from skyvern_core.browser.frames import read_frames, snapshot_frames
from skyvern_core.browser.primitives import QUIET_WINDOW, DriverPrimitives
from skyvern_core.errors import BrowserError
from skyvern_core.models import Action, ActionResult, PageState
from skyvern_core.perception import build_page_state

__all__ = ["PrimitiveSession"]

E = TypeVar("E")
F = TypeVar("F")
A = TypeVar("A")
B = TypeVar("B")


class PrimitiveSession(Generic[E, F]):
    """``goto``, ``snapshot``, ``read_document`` and ``execute``, written once.

    ``primitives`` act in the session's current tab; a library error they raise while
    seeing the page becomes a :class:`~skyvern_core.errors.BrowserError`.
    """

    quiet_window: float = QUIET_WINDOW
    """Seconds without a request that count as settled after an action, for drivers whose
    settle watches requests. 0 (a replayed step's actions): settled once the page has
    loaded and no request is in flight; the replay checks the page that follows against
    its recording, and settles fully before it calls that page different."""

    def __init__(self, primitives: DriverPrimitives[E, F]) -> None:
        self.primitives = primitives
        self._actions: BrowserActions[E] = BrowserActions(primitives)

    async def evaluate_page(self, script: str, arg: Any = None) -> Any:
        """Call ``script`` with ``arg`` in the top document of the current tab (as checks
        outside the actions do: the CAPTCHA guard's)."""
        return await self.primitives.evaluate_page(script, arg)

    async def goto(self, url: str) -> None:
        """Open ``url`` in the current tab; raise BrowserError if it cannot be opened."""
        error = await self.primitives.navigate(url)
        if error:
            raise BrowserError(error)

    async def settle(self) -> None:
        """Wait as an action does for the page to settle, with the full quiet window
        whatever :attr:`quiet_window` is now."""
        window, self.quiet_window = self.quiet_window, QUIET_WINDOW
        try:
            await self.primitives.settle()
        except self.primitives.errors as exc:
            raise BrowserError(f"could not read the page: {self.primitives.readable(exc)}") from exc
        finally:
            self.quiet_window = window

    async def snapshot(self, *, screenshot: bool = True) -> PageState:
        """Run the snapshot script in every frame of the current tab and merge the results,
        with a viewport screenshot (unless ``screenshot`` is False) and the open tabs."""
        p = self.primitives
        shot: bytes | None = None
        try:
            if screenshot:
                # The browser takes the picture while the page runs the script.
                raws, shot = await _both(lambda: snapshot_frames(p), p.capture)
            else:
                raws = await snapshot_frames(p)
            url = await p.url()
            tabs = await p.tabs()
        except p.errors as exc:
            raise BrowserError(f"could not read the page: {p.readable(exc)}") from exc
        self._actions.known = known_elements(raws)
        return build_page_state(
            raws,
            url=url,
            title=str(raws[0].get("title", "")) if raws else "",
            screenshot=shot,
            tabs=tabs,
        )

    async def read_document(self, *, links: bool = False) -> str:
        """The whole page as text for extraction (every frame, open shadow roots, below
        the fold; see :func:`~skyvern_core.browser.frames.read_frames`)."""
        p = self.primitives
        try:
            return await read_frames(p, links=links)
        except p.errors as exc:
            raise BrowserError(f"could not read the page: {p.readable(exc)}") from exc

    async def execute(self, action: Action, page: PageState) -> ActionResult:
        """Carry out one action, check its effect and say how it went
        (:class:`~skyvern_core.browser.actions.BrowserActions`)."""
        return await self._actions.execute(action, page)


async def _both(a: Callable[[], Awaitable[A]], b: Callable[[], Awaitable[B]]) -> tuple[A, B]:
    """Run two calls at once; the first error (``a``'s before ``b``'s) is raised as it is,
    not in an exception group, once both have ended."""
    results: list[Any] = [None, None]
    errors: list[Exception | None] = [None, None]

    async def run(i: int, call: Callable[[], Awaitable[Any]]) -> None:
        try:
            results[i] = await call()
        except Exception as exc:
            errors[i] = exc

    async with anyio.create_task_group() as group:
        group.start_soon(run, 0, a)
        group.start_soon(run, 1, b)
    for error in errors:
        if error is not None:
            raise error
    return results[0], results[1]
