"""The few browser operations a driver supplies; every action is built on them.

A browser driver implements :class:`BrowserPrimitives` for one tab of one session, and
:class:`~skyvern_core.browser.actions.BrowserActions` carries out every
:class:`~skyvern_core.models.Action` with them: it decides what to click and type, and checks
the effect, the same way for every driver. A primitive does one thing and checks nothing.

``E`` is the driver's element handle (a Playwright ``ElementHandle``, a Selenium
``WebElement`` with the frame it lives in...). Scripts are JavaScript function expressions
from :mod:`skyvern_core.browser.scripts`, called with the element (for the ``evaluate*``
primitives) and one argument.

A primitive reports the automation library's own failure by raising one of
:attr:`BrowserPrimitives.errors`; the action layer turns those into a failed
:class:`~skyvern_core.models.ActionResult` with :meth:`BrowserPrimitives.readable`.

:class:`DriverPrimitives` adds what seeing needs (the tab's frames, a screenshot, the
tabs): :class:`~skyvern_core.browser.session.PrimitiveSession` snapshots and reads the page
with them, the same way for every driver.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, TypeVar

from skyvern_core.browser.elements import KnownElement

__all__ = [
    "NAVIGATION_TIMEOUT",
    "QUIET_WINDOW",
    "SETTLE_CAP",
    "BrowserPrimitives",
    "ClickIntercepted",
    "DriverPrimitives",
    "UnknownKey",
    "note_downloads",
]

E = TypeVar("E")
F = TypeVar("F")

SETTLE_CAP = 1.5
"""Seconds an action waits at most for the page to settle afterwards."""
QUIET_WINDOW = 0.15
"""Seconds without network activity that count as settled."""
NAVIGATION_TIMEOUT = 30.0
"""Seconds a navigation may take before the driver stops waiting for the page to load."""


def note_downloads(data: dict[str, Any], paths: list[str]) -> None:
    """Put the files an action downloaded in its result's data: ``data["download"]`` is
    the path of one file, or the list of several."""
    if paths:
        data["download"] = paths[0] if len(paths) == 1 else paths


class ClickIntercepted(Exception):
    """A pointer click would land on another element than the one clicked."""


class UnknownKey(Exception):
    """The driver has no key of that name."""


class BrowserPrimitives(Protocol[E]):
    """What a driver does in its current tab, for
    :class:`~skyvern_core.browser.actions.BrowserActions`."""

    errors: tuple[type[Exception], ...]
    """The exceptions the automation library raises (an action hitting one fails)."""

    def readable(self, exc: BaseException) -> str:
        """One of :attr:`errors` in words for people (its first line, no boilerplate)."""

    def detached(self, exc: BaseException) -> bool:
        """Whether one of :attr:`errors` says the element has left the document."""

    # -- elements

    async def element(self, element_id: str, known: KnownElement) -> E | None:
        """The element of the last snapshot with that id (``known``: its frame and
        locator), found again with :data:`~skyvern_core.browser.scripts.RESOLVE`; None when
        it, or its frame, is gone."""

    async def evaluate(self, el: E, script: str, arg: Any = None) -> Any:
        """Call ``script`` with the element and ``arg`` in the element's frame; return its
        (JSON) result, awaiting a promise."""

    async def evaluate_element(self, el: E, script: str, arg: Any = None) -> E | None:
        """Like :meth:`evaluate` for a script that returns an element (or null)."""

    async def evaluate_page(self, script: str, arg: Any = None) -> Any:
        """Call ``script`` with ``arg`` in the top document of the tab."""

    # -- input

    async def click(self, el: E, *, force: bool = False) -> dict[str, Any]:
        """A pointer click at the element, as the automation library delivers it; what it
        says of the click (usually nothing). ``force``: skip the library's own checks that
        the element receives the pointer. Raise :class:`ClickIntercepted` when another
        element would get it."""

    async def hover(self, el: E) -> None:
        """Move the pointer over the element."""

    async def fill(self, el: E, text: str) -> None:
        """Replace a field's value with ``text`` as a person's edit would (input events)."""

    async def type_keys(self, text: str, el: E | None = None) -> None:
        """Type ``text`` key by key into the element (focusing it), or wherever the focus is."""

    async def press(self, key: str, el: E | None = None) -> None:
        """Press a key or chord (Playwright's names: ``Enter``, ``Control+a``) at the element
        (focusing it) or wherever the focus is; :class:`UnknownKey` if there is no such key."""

    async def set_files(self, el: E, path: Path) -> None:
        """Give a local file to an ``<input type=file>`` (hidden ones included)."""

    async def choose_file(self, el: E, path: Path) -> str | None:
        """Click the element and give ``path`` to the file dialog it opens. None when done;
        else why not, completing "element X is not a file input and ...\""""

    # -- the tab

    async def navigate(self, url: str) -> str | None:
        """Open ``url`` in the tab and let it settle; None, or why it could not be opened."""

    async def history(self, step: int) -> None:
        """Go back (``-1``) or forward (``1``) in the tab's history and let it settle."""

    async def url(self) -> str:
        """The tab's URL ('' when it cannot be read)."""

    async def settle(self, cap: float = SETTLE_CAP) -> None:
        """Wait (``cap`` seconds at most) until the page has loaded and stopped loading."""

    async def after_action(self, data: dict[str, Any]) -> None:
        """After an action: note downloads it started (``data["download"]``) and move to a
        tab it opened (``data["new_tab"]``)."""


class DriverPrimitives(BrowserPrimitives[E], Protocol[E, F]):
    """:class:`BrowserPrimitives` and what seeing the page needs, for
    :class:`~skyvern_core.browser.session.PrimitiveSession`.

    ``F`` is the driver's frame handle (a Playwright ``Frame``; for Selenium the window and
    the ``<iframe>`` lookups that lead to the frame). :meth:`element` is usually inherited
    from :class:`~skyvern_core.browser.frames.SnapshotFrames`, which resolves ids with
    :meth:`element_in` in the frames :attr:`frames` holds.
    """

    frames: dict[str, F]
    """The frames of the last snapshot by frame path (``""``: the top document)."""
    tokens: dict[str, str]
    """Each frame's snapshot token by frame path (resolving an id needs it)."""

    async def top_frame(self) -> F:
        """The top document of the current tab."""

    async def evaluate_frame(self, frame: F, script: str, arg: Any = None) -> Any:
        """Call ``script`` with ``arg`` in ``frame``; return its (JSON) result."""

    async def child_frame(self, frame: F, script: str, arg: Any = None) -> F | None:
        """The frame shown by the ``<iframe>`` that ``script`` (called with ``arg`` in
        ``frame``) returns; None when it returns null or the frame has no document."""

    async def element_in(self, frame: F, script: str, arg: Any = None) -> E | None:
        """The element ``script`` (called with ``arg`` in ``frame``) returns; None when it
        returns null, or when ``frame`` is gone or no longer in the current tab."""

    async def capture(self) -> bytes:
        """A JPEG of the viewport (:data:`~skyvern_core.browser.chromium.JPEG_QUALITY`),
        for the model."""

    async def tabs(self) -> list[str]:
        """The URLs of the session's open tabs, in order."""
