"""Locator bundles: an element described without snapshot ids, and found again.

:func:`bundle_for` describes an element of a step's page; :func:`find_element` finds the
one element of a later page that the bundle describes, or none. It never guesses: the
name (the label a person reads) must be the same, and where several elements share role
and name, the element's own attributes (form name, id, CSS path, placeholder, row text)
and then its place among them tell them apart.
"""

from __future__ import annotations

from collections.abc import Mapping

from skyvern_core.models import Element, LocatorBundle, PageState
from skyvern_core.perception.pagestate import LOCATOR_FRAME, LOCATOR_SHADOW
from skyvern_core.replay.fingerprint import normalized_name
from skyvern_core.replay.templates import template

__all__ = ["NoMatch", "bundle_for", "find_element"]


class NoMatch(Exception):
    """No element, or more than one, fits a recorded action's bundle; the message says
    which."""


def _split(locator: str | None) -> tuple[str | None, list[str], str | None]:
    """(frame locator, shadow host paths, css path) of an element's locator."""
    if not locator:
        return None, [], None
    frames = locator.split(LOCATOR_FRAME)
    inner = frames[-1].split(LOCATOR_SHADOW)
    return LOCATOR_FRAME.join(frames[:-1]) or None, inner[:-1], inner[-1]


def _depth(locator: str | None) -> int:
    return locator.count(LOCATOR_FRAME) if locator else 0


def _shown(page: PageState) -> list[Element]:
    return [e for e in page.elements if e.visibility != "hidden"]


def bundle_for(element: Element, page: PageState, values: Mapping[str, str]) -> LocatorBundle:
    """The bundle of ``element`` of ``page`` (``values``: the payload's, by path)."""
    frame, shadow, css = _split(element.locator)
    name = normalized_name(element.label, values)
    same_role = [e for e in _shown(page) if e.role == element.role]
    before = same_role[: next((i for i, e in enumerate(same_role) if e.id == element.id), 0)]
    attrs = element.attributes
    return LocatorBundle(
        role=element.role,
        name=template(" ".join(element.label.split()), values, hint=element.label),
        tag=attrs.get("tag"),
        input_type=element.type,
        field_name=attrs.get("name"),
        placeholder=attrs.get("placeholder"),
        dom_id=attrs.get("id"),
        css=css,
        frame=frame,
        shadow=shadow,
        text=template(element.context, values),
        ordinal=sum(1 for e in before if normalized_name(e.label, values) == name),
        alike=sum(1 for e in same_role if normalized_name(e.label, values) == name) or 1,
        index=len(before),
    )


def _attribute(element: Element, which: str, values: Mapping[str, str]) -> str | None:
    if which == "field_name":
        return element.attributes.get("name")
    if which == "dom_id":
        return element.attributes.get("id")
    if which == "placeholder":
        return element.attributes.get("placeholder")
    if which == "css":
        return _split(element.locator)[2]
    return template(element.context, values) or None


_NARROWING = ("field_name", "dom_id", "css", "placeholder", "text")


def find_element(bundle: LocatorBundle, page: PageState, values: Mapping[str, str]) -> Element:
    """The one element of ``page`` that ``bundle`` describes (:class:`NoMatch` if none or
    several fit)."""
    # Frames are compared by depth: a frame's own id may have been renamed too.
    depth = _depth(bundle.frame) + 1 if bundle.frame else 0
    candidates = [e for e in _shown(page) if e.role == bundle.role and _depth(e.locator) == depth]
    wanted = normalized_name(bundle.name, values) if bundle.name else ""
    pool = [e for e in candidates if normalized_name(e.label, values) == wanted]
    if not pool:
        raise NoMatch(f"no {bundle.describe()} on the page")
    if len(pool) == 1:
        return pool[0]
    for which in _NARROWING:
        recorded = getattr(bundle, which)
        if not recorded:
            continue
        narrowed = [e for e in pool if _attribute(e, which, values) == recorded]
        if len(narrowed) == 1:
            return narrowed[0]
        if narrowed:
            pool = narrowed
    if len(pool) == bundle.alike > bundle.ordinal:
        # As many alike elements as when recorded: the same place among them.
        return pool[bundle.ordinal]
    raise NoMatch(f"{len(pool)} elements fit {bundle.describe()}; none is told apart")
