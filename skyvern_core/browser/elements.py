"""Elements of the last snapshot, key names and the small helpers the action layer uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from skyvern_core.models import ActionResult, Element, PageState

__all__ = [
    "KEY_NAMES",
    "ActionFailed",
    "KnownElement",
    "child_frame_options",
    "describe_element",
    "is_on",
    "key_name",
    "known_elements",
    "known_from_page",
    "list_labels",
    "local_upload",
    "norm_text",
    "resolve_args",
    "unsupported_action",
    "wait_seconds",
]

# --------------------------------------------------------------------------- keys

KEY_NAMES = {
    "enter": "Enter",
    "return": "Enter",
    "tab": "Tab",
    "esc": "Escape",
    "escape": "Escape",
    "space": " ",
    "spacebar": " ",
    "backspace": "Backspace",
    "delete": "Delete",
    "del": "Delete",
    "up": "ArrowUp",
    "down": "ArrowDown",
    "left": "ArrowLeft",
    "right": "ArrowRight",
    "arrowup": "ArrowUp",
    "arrowdown": "ArrowDown",
    "arrowleft": "ArrowLeft",
    "arrowright": "ArrowRight",
    "pageup": "PageUp",
    "pagedown": "PageDown",
    "home": "Home",
    "end": "End",
    "ctrl": "Control",
    "control": "Control",
    "cmd": "Meta",
    "meta": "Meta",
    "alt": "Alt",
    "shift": "Shift",
}
"""Lower-case key names a planner may use, and the Playwright key name for each."""


def key_name(key: str) -> str:
    """A key or chord as Playwright names it (``ctrl+a`` -> ``Control+a``)."""
    parts = [p.strip() for p in key.replace(" + ", "+").split("+")] if len(key) > 1 else [key]
    out = []
    for part in parts:
        if not part:
            continue
        out.append(
            KEY_NAMES.get(part.lower(), part if len(part) == 1 else part[:1].upper() + part[1:])
        )
    return "+".join(out) or key


# --------------------------------------------------------------------------- small helpers


def norm_text(text: str) -> str:
    """``text`` with white space folded, lower case."""
    return " ".join((text or "").split()).lower()


def is_on(value: Any) -> bool:
    """Whether a checked state read from the page (``true`` or ``"true"``) is on."""
    return value is True or value == "true"


def list_labels(labels: list[str], limit: int = 30) -> str:
    """Labels joined with commas, at most ``limit`` of them and a count of the rest."""
    shown = [str(label) for label in labels[:limit]]
    more = len(labels) - len(shown)
    return ", ".join(shown) + (f", …+{more}" if more > 0 else "")


def wait_seconds(seconds: float) -> float:
    """How long a wait action waits: ``seconds``, between 0 and 10."""
    return max(0.0, min(seconds, 10.0))


def unsupported_action(action_type: str) -> ActionResult:
    """The result for an action the browser driver does not carry out."""
    return ActionResult(
        success=False, error=f"{action_type} is not carried out by the browser driver"
    )


# --------------------------------------------------------------------------- elements


class ActionFailed(Exception):
    """An action failed; the message is for people."""

    def __init__(self, message: str, *, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.data = data or {}


@dataclass(slots=True)
class KnownElement:
    """Where an element of the last snapshot lives."""

    frame: str
    locator: str | None
    tag: str | None
    label: str
    role: str


def known_elements(raws: list[Any]) -> dict[str, KnownElement]:
    """The elements of raw snapshot results (one a frame) by id."""
    known: dict[str, KnownElement] = {}
    for raw in raws:
        for item in raw["elements"]:
            locator = item.get("locator") or ""
            known[item["id"]] = KnownElement(
                frame=item.get("frame") or "",
                locator=locator.rsplit(" |> ", 1)[-1] or None,
                tag=item.get("tag"),
                label=item.get("label") or "",
                role=item.get("role") or "",
            )
    return known


def known_from_page(element_id: str, page: PageState | None) -> KnownElement | None:
    """Where the element with that id of ``page`` lives, or None."""
    if page is None:
        return None
    el = page.element(element_id)
    if el is None:
        return None
    local = (el.locator or "").rsplit(" |> ", 1)[-1] or None
    return KnownElement(el.frame or "", local, el.attributes.get("tag"), el.label, el.role)


def child_frame_options(info: dict[str, Any]) -> dict[str, Any]:
    """The snapshot script's options for a child frame its parent's snapshot reported."""
    return {
        "frames": False,
        "framePrefix": info["prefix"],
        "locatorPrefix": info["locator"] + " |> ",
        "clip": info["clip"],
        "frameVisibility": info["visibility"],
    }


def resolve_args(element_id: str, known: KnownElement, token: str) -> dict[str, Any]:
    """The argument of the snapshot API's ``resolve`` for an element of the last snapshot."""
    return {"id": element_id, "locator": known.locator, "tag": known.tag, "token": token}


def describe_element(element_id: str, known: KnownElement | None, page: PageState | None) -> str:
    """An element for people: ``e12 (button "Save")``."""
    el: Element | None = page.element(element_id) if page is not None else None
    role = known.role if known else el.role if el else ""
    label = known.label if known else el.label if el else ""
    if role and label:
        return f'{element_id} ({role} "{label}")'
    return f"{element_id} ({role})" if role else element_id


async def local_upload(file: str) -> Path:
    """The local file an ``upload_file`` action gives the page.

    The runner has already checked where the file came from and handed over a local copy
    (:mod:`skyvern_core.uploads`); a driver never fetches a URL or reads a place of its own
    choosing. Raises :class:`ActionFailed` for a URL or a path that is not a file.
    """
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]+://", file):
        raise ActionFailed(
            f"upload_file takes a local file here, not a URL ({file}): the runner downloads "
            "URLs before the driver acts"
        )
    path = anyio.Path(file)
    if not await path.is_file():
        raise ActionFailed(f"no such file to upload: {file}")
    return Path(await path.resolve())
