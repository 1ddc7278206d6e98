"""The walks over a tab's frames, written once for every driver.

A snapshot runs ``snapshot.js`` in the top document, then in each child frame it reports
(cross-origin ones included: the script cannot look into those), depth first. Reading the
whole page runs ``document.js`` the same way in the frames it marks. Both walks use the
frame primitives of :class:`~skyvern_core.browser.primitives.DriverPrimitives` alone: the
top frame, a script evaluated in a frame, and the frame of an ``<iframe>`` a script finds.

:class:`SnapshotFrames` keeps the frames of the last snapshot, and resolves an element id
in the frame it came from: a driver's primitives inherit
:meth:`~skyvern_core.browser.primitives.BrowserPrimitives.element` from it.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Generic, TypeVar

from skyvern_core.browser.elements import KnownElement, child_frame_options, resolve_args
from skyvern_core.browser.primitives import DriverPrimitives
from skyvern_core.browser.scripts import DOCUMENT_FRAME, LOCATE, READ_DOCUMENT, RESOLVE, SNAPSHOT
from skyvern_core.perception.document import MAX_FRAME_DEPTH, splice_frames

__all__ = ["RETRY_LOAD_WAIT", "SnapshotFrames", "read_frames", "snapshot_frames"]

log = logging.getLogger(__name__)

E = TypeVar("E")
F = TypeVar("F")

RETRY_LOAD_WAIT = 3.0
"""Seconds a walk waits for a top document that navigated mid-walk before trying again."""


class SnapshotFrames(Generic[E, F]):
    """The frames of the tab's last snapshot, and ids resolved in them.

    A base class for a driver's primitives: :func:`snapshot_frames` fills :attr:`frames`
    and :attr:`tokens`, and :meth:`element` resolves an id with the driver's
    :meth:`~skyvern_core.browser.primitives.DriverPrimitives.element_in`.
    """

    errors: tuple[type[Exception], ...]

    def __init__(self) -> None:
        self.frames: dict[str, F] = {}
        self.tokens: dict[str, str] = {}

    async def element_in(self, frame: F, script: str, arg: Any = None) -> E | None:
        """The element ``script`` returns in ``frame`` (the driver supplies it)."""
        raise NotImplementedError

    async def element(self, element_id: str, known: KnownElement) -> E | None:
        """The element of the last snapshot with that id, found again in its frame with
        :data:`~skyvern_core.browser.scripts.RESOLVE`; None when it, or its frame, is gone."""
        frame = self.frames.get(known.frame)
        if frame is None:
            return None
        args = resolve_args(element_id, known, self.tokens.get(known.frame, ""))
        try:
            return await self.element_in(frame, RESOLVE, args)
        except self.errors:
            return None


async def snapshot_frames(p: DriverPrimitives[Any, F]) -> list[dict[str, Any]]:
    """``snapshot.js``'s result for the top document and each frame it reports, depth
    first; sets ``p.frames`` and ``p.tokens`` to the frames read.

    A child frame that cannot be read (gone, never loaded) is left out with its own
    children; the top document failing raises the driver's error.
    """
    frames: dict[str, F] = {}
    tokens: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    top = await p.top_frame()
    try:
        raw = await _snapshot(p, top, {"frames": False})
    except p.errors:
        await p.settle(RETRY_LOAD_WAIT)
        top = await p.top_frame()
        raw = await _snapshot(p, top, {"frames": False})
    await _descend(p, top, "", raw, frames, tokens, out)
    p.frames, p.tokens = frames, tokens
    return out


async def _snapshot(p: DriverPrimitives[Any, F], frame: F, opts: dict[str, Any]) -> Any:
    return json.loads(await p.evaluate_frame(frame, SNAPSHOT, opts))


async def _descend(
    p: DriverPrimitives[Any, F],
    frame: F,
    path: str,
    raw: dict[str, Any],
    frames: dict[str, F],
    tokens: dict[str, str],
    out: list[dict[str, Any]],
) -> None:
    frames[path], tokens[path] = frame, str(raw.get("token", ""))
    out.append(raw)
    for info in raw.get("frames", []):
        child_path = str(info["frame"])
        # The iframe's locator inside its own document: the part after the last frame hop.
        local = str(info["locator"]).rsplit(" |> ", 1)[-1]
        try:
            child = await p.child_frame(frame, LOCATE, local)
            if child is None:
                continue
            child_raw = await _snapshot(p, child, child_frame_options(info))
        except p.errors as exc:  # the frame went away or never loaded: left out
            log.debug("frame %s not read: %s", child_path, p.readable(exc))
            continue
        await _descend(p, child, child_path, child_raw, frames, tokens, out)


async def read_frames(p: DriverPrimitives[Any, F], *, links: bool = False) -> str:
    """The whole page as text: ``document.js`` in the top document, then in each
    cross-origin frame it marked (it reads same-origin ones itself), each frame's text put
    where its frame is. The top document failing raises the driver's error."""
    opts = {"links": links}
    try:
        return await _read(p, await p.top_frame(), opts, 0)
    except p.errors:
        await p.settle(RETRY_LOAD_WAIT)
        return await _read(p, await p.top_frame(), opts, 0)


async def _read(p: DriverPrimitives[Any, F], frame: F, opts: dict[str, Any], depth: int) -> str:
    raw = json.loads(await p.evaluate_frame(frame, READ_DOCUMENT, opts))
    children: dict[int, str] = {}
    for k in range(int(raw.get("frames") or 0) if depth < MAX_FRAME_DEPTH else 0):
        try:
            child = await p.child_frame(frame, DOCUMENT_FRAME, k)
            if child is not None:
                children[k] = await _read(p, child, opts, depth + 1)
        except p.errors as exc:  # the frame went away or never loaded: left out
            log.debug("frame %d not read: %s", k, p.readable(exc))
    return splice_frames(str(raw.get("text") or ""), children)
