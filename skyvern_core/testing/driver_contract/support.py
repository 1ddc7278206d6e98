"""Finding elements in a page state, and bounded driver calls the suite's tests share."""

from __future__ import annotations

import re
import struct
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import anyio
import pytest

from skyvern_core.models import (
    Action,
    ActionResult,
    Element,
    PageState,
)
from skyvern_core.protocols import BrowserSession
from skyvern_core.testing.driver_contract.sites import FixtureSitesLike, SubmissionLike

__all__ = [
    "ElementNotFound",
    "describe",
    "execute",
    "expect_ok",
    "find",
    "find_all",
    "maybe_find",
    "normalize_label",
    "snapshot",
    "snapshot_until",
    "wait_for_submission",
]


T = TypeVar("T")

CALL_TIMEOUT = 60.0
"""No single driver call may take longer: a hung driver fails a test instead of the run."""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ElementNotFound(AssertionError):
    """No element of a page state matches; the message lists what the page has."""


_ROLE_GROUPS: dict[str, frozenset[str]] = {
    # What a person calls "a text field" is reported under several names by drivers.
    "textbox": frozenset({"textbox", "searchbox", "input", "textarea", "text", "spinbutton"}),
    "button": frozenset({"button", "submit", "reset"}),
    "link": frozenset({"link", "a"}),
    "checkbox": frozenset({"checkbox", "menuitemcheckbox"}),
    "radio": frozenset({"radio", "menuitemradio"}),
    "switch": frozenset({"switch"}),
    "combobox": frozenset({"combobox", "select", "listbox"}),
    "select": frozenset({"select", "combobox", "listbox"}),
}

_LABEL_NOISE = re.compile(r"[\s*:]+")


def normalize_label(text: str | None) -> str:
    """Casefold, drop required-markers and colons, and collapse whitespace."""
    return _LABEL_NOISE.sub(" ", (text or "").replace("\u00a0", " ")).strip().casefold()


def _role_matches(element: Element, role: str | None) -> bool:
    if role is None:
        return True
    wanted = _ROLE_GROUPS.get(role, frozenset({role}))
    return element.role.casefold() in wanted or (element.type or "").casefold() in wanted


def find_all(
    page: PageState,
    *,
    label: str | None = None,
    role: str | None = None,
    type: str | None = None,
    exact: bool = False,
    visible_only: bool = False,
) -> list[Element]:
    """Every element matching, best first: exact labels, then prefixes, then substrings.

    ``label`` is compared after :func:`normalize_label`; ``role`` accepts a family name
    (``"textbox"`` also matches ``searchbox``/``input``...; ``"select"`` also ``combobox``).
    ``type`` is the input type (``"file"``, ``"date"``...).
    """
    wanted = normalize_label(label) if label is not None else None
    ranked: list[tuple[int, int, int, Element]] = []
    for index, el in enumerate(page.elements):
        if not _role_matches(el, role):
            continue
        if type is not None and (el.type or "").casefold() != type.casefold():
            continue
        if visible_only and el.visibility != "visible":
            continue
        rank = 0
        if wanted is not None:
            have = normalize_label(el.label)
            if have == wanted:
                rank = 0
            elif exact:
                continue
            elif have.startswith(wanted):
                rank = 1
            elif wanted in have:
                rank = 2
            else:
                continue
        hidden = 0 if el.visibility in ("visible", "offscreen") else 1
        ranked.append((rank, hidden, index, el))
    ranked.sort(key=lambda item: item[:3])
    return [item[3] for item in ranked]


def maybe_find(
    page: PageState,
    *,
    label: str | None = None,
    role: str | None = None,
    type: str | None = None,
    exact: bool = False,
    visible_only: bool = False,
) -> Element | None:
    """The best match (see :func:`find_all`), or ``None``."""
    found = find_all(
        page, label=label, role=role, type=type, exact=exact, visible_only=visible_only
    )
    return found[0] if found else None


def find(
    page: PageState,
    *,
    label: str | None = None,
    role: str | None = None,
    type: str | None = None,
    exact: bool = False,
    visible_only: bool = False,
) -> Element:
    """The best match (see :func:`find_all`); raises :class:`ElementNotFound` listing the page."""
    found = maybe_find(
        page, label=label, role=role, type=type, exact=exact, visible_only=visible_only
    )
    if found is None:
        wanted = ", ".join(
            f"{k}={v!r}" for k, v in (("label", label), ("role", role), ("type", type)) if v
        )
        raise ElementNotFound(f"no element with {wanted} on {page.url}\n{describe(page)}")
    return found


def describe(page: PageState, limit: int = 80) -> str:
    """A short listing of a page state's elements, for assertion messages."""
    lines = [
        f"  {e.id} {e.role}{'/' + e.type if e.type else ''} {e.label!r} [{e.visibility}]"
        + (f" frame={e.frame}" if e.frame else "")
        for e in page.elements[:limit]
    ]
    more = len(page.elements) - limit
    if more > 0:
        lines.append(f"  ... and {more} more")
    return "\n".join(lines) or "  (no elements)"


async def _bounded(awaitable: Awaitable[T], what: str, within: float = CALL_TIMEOUT) -> T:
    with anyio.move_on_after(within):
        return await awaitable
    pytest.fail(f"{what} did not finish within {within:.0f} s")


async def execute(session: BrowserSession, action: Action, page: PageState) -> ActionResult:
    """Run one action, bounded in time; a driver must report failures, not raise them."""
    result = await _bounded(session.execute(action, page), f"execute({action.type})")
    assert isinstance(result, ActionResult), f"execute returned {result!r}"
    return result


def expect_ok(result: ActionResult, what: str) -> ActionResult:
    """Assert an action succeeded, showing the driver's reason when it did not."""
    assert result.success, f"{what} failed: {result.error}"
    return result


async def snapshot(session: BrowserSession) -> PageState:
    """Take a snapshot, bounded in time."""
    page = await _bounded(session.snapshot(), "snapshot")
    assert isinstance(page, PageState)
    return page


async def snapshot_until(
    session: BrowserSession,
    predicate: Callable[[PageState], bool],
    *,
    within: float = 10.0,
    what: str = "the expected page",
) -> PageState:
    """Snapshot until ``predicate`` holds (for work a page finishes asynchronously)."""
    deadline = time.monotonic() + within
    page = await snapshot(session)
    while not predicate(page):
        if time.monotonic() > deadline:
            pytest.fail(
                f"{what} did not show within {within:.0f} s; at {page.url}:\n"
                f"{page.content[:500]}\n{describe(page, 40)}"
            )
        await anyio.sleep(0.25)
        page = await snapshot(session)
    return page


async def wait_for_submission(
    sites: FixtureSitesLike,
    path: str,
    *,
    where: Mapping[str, str] | None = None,
    within: float = 10.0,
) -> SubmissionLike:
    """The newest submission to ``path`` whose fields include ``where``; waits for it."""
    deadline = time.monotonic() + within
    while True:
        for sub in reversed(list(sites.submissions)):
            if sub.path == path and all(sub.fields.get(k) == v for k, v in (where or {}).items()):
                return sub
        if time.monotonic() > deadline:
            seen = [(s.path, dict(s.fields)) for s in sites.submissions if s.path == path]
            pytest.fail(f"the site received no POST to {path} with {where}; got {seen}")
        await anyio.sleep(0.1)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, f"not a PNG: {data[:16]!r}"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _unique(prefix: str) -> str:
    """A value no other test types, so a test finds its own submission."""
    return f"{prefix}{time.monotonic_ns() % 10**9}"


def _path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url).split("#")[0]
