"""The primitives of a :class:`~skyvern_core.browser.threaded.ThreadedSession`'s current
tab, written once: frames, scripts, the page and the tabs.

A driver's primitives subclass :class:`ThreadedPrimitives`, set the library's errors and
add the input primitives (click, hover, fill, type, press, files), written as the blocking
library calls they are and made primitives by :func:`in_worker`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from skyvern_core.browser.elements import ActionFailed
from skyvern_core.browser.frames import SnapshotFrames
from skyvern_core.browser.primitives import SETTLE_CAP, DriverPrimitives
from skyvern_core.browser.threaded import FramedElement, FrameGone, WindowFrame

if TYPE_CHECKING:
    from skyvern_core.browser.threaded import ThreadedSession

__all__ = ["ThreadedPrimitives", "in_worker"]

P = ParamSpec("P")
T = TypeVar("T")
W = TypeVar("W")
S = TypeVar("S", bound="ThreadedPrimitives[Any]")


def in_worker(
    method: Callable[Concatenate[S, P], T],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T]]:
    """A blocking method of the primitives as an async one: it runs in the session's worker
    thread, holding the library's lock (:meth:`ThreadedSession._run`)."""

    @functools.wraps(method)
    async def run(self: S, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.session._run(method, self, *args, **kwargs)

    return run


class ThreadedPrimitives(
    SnapshotFrames[FramedElement[W], WindowFrame],
    DriverPrimitives[FramedElement[W], WindowFrame],
):
    """The frame, script, page and tab primitives of a :class:`ThreadedSession`.

    ``errors`` are the library's exceptions; :class:`~skyvern_core.browser.threaded.FrameGone`
    is added to them (a frame walk leaves out a frame it raises for).
    """

    def __init__(self, session: ThreadedSession[W], errors: tuple[type[Exception], ...]) -> None:
        super().__init__()
        self.session = session
        self.errors: tuple[type[Exception], ...] = (*errors, FrameGone)

    def _at(self, el: FramedElement[W]) -> W:
        """The library's element, its frame entered (blocking)."""
        self.session._go(el.frame.steps)
        return el.web

    def _js(self, el: FramedElement[W], script: str, *args: Any) -> Any:
        """Call ``script`` with the element and ``args`` in its frame (blocking)."""
        return self.session._execute(script, self._at(el), *args)

    def _enter(self, frame: WindowFrame) -> None:
        try:
            self.session._go(frame.steps)
        except ActionFailed as exc:
            raise FrameGone(str(exc)) from exc

    # -- frames

    @in_worker
    def top_frame(self) -> WindowFrame:
        """The top document of the current window (the last one left, if it was closed)."""
        self.session._top()
        return WindowFrame(self.session._current_window(), ())

    @in_worker
    def evaluate_frame(self, frame: WindowFrame, script: str, arg: Any = None) -> Any:
        """The script's result in the frame (entered first)."""
        self._enter(frame)
        return self.session._execute(script, arg)

    @in_worker
    def child_frame(self, frame: WindowFrame, script: str, arg: Any = None) -> WindowFrame | None:
        """Find the ``<iframe>`` in the frame and enter it (the walk reads it next)."""
        session = self.session
        self._enter(frame)
        iframe = session._execute(script, arg)
        if iframe is None:
            return None
        session._here = None
        session._enter_frame(iframe)
        child = WindowFrame(frame.handle, (*frame.steps, (script, arg)))
        session._here = child.steps
        return child

    @in_worker
    def element_in(
        self, frame: WindowFrame, script: str, arg: Any = None
    ) -> FramedElement[W] | None:
        """The element the script returns, while its window is the current one."""
        session = self.session
        if session._current_window() != frame.handle:
            return None
        try:
            session._go(frame.steps)
        except ActionFailed:  # the frame is gone
            return None
        web = session._execute(script, arg)
        return FramedElement(web, frame) if web is not None else None

    @in_worker
    def capture(self) -> bytes:
        """The viewport as a JPEG, from the compositor."""
        return self.session._capture(jpeg=True)

    @in_worker
    def tabs(self) -> list[str]:
        """The open tabs' URLs, back on the top document."""
        return self.session._tabs()

    # -- elements

    @in_worker
    def evaluate(self, el: FramedElement[W], script: str, arg: Any = None) -> Any:
        """The script's result, called with the element in its frame."""
        return self._js(el, script, arg)

    @in_worker
    def evaluate_element(
        self, el: FramedElement[W], script: str, arg: Any = None
    ) -> FramedElement[W] | None:
        """The element of the same frame the script returns."""
        web = self._js(el, script, arg)
        return FramedElement(web, el.frame) if web is not None else None

    @in_worker
    def evaluate_page(self, script: str, arg: Any = None) -> Any:
        """The script's result in the top document."""
        self.session._top()
        return self.session._execute(script, arg)

    # -- the tab

    @in_worker
    def navigate(self, url: str) -> str | None:
        """Open the URL (until DOMContentLoaded), then settle."""
        return self.session._navigate(url)

    @in_worker
    def history(self, step: int) -> None:
        """Back or forward, then settle."""
        self.session._move(step)

    @in_worker
    def url(self) -> str:
        """The current tab's URL."""
        return self.session._url()

    @in_worker
    def settle(self, cap: float = SETTLE_CAP) -> None:
        """The document loaded and its resources unchanged for a moment."""
        self.session._settle(cap)

    @in_worker
    def after_action(self, data: dict[str, Any]) -> None:
        """Downloads the action started, and the tab it opened or closed."""
        self.session._after_action(data)
