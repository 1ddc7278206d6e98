"""A page's fingerprint before a step, and what differs between two of them.

The fingerprint is the page's URL pattern and its interactive elements (those not
hidden) as ``role "name"``, sorted: ids, classes and the order of the elements are left
out, so a page whose fields moved or whose ids and classes were renamed keeps its
fingerprint, while a field relabelled, added or removed changes it. Names are compared
in lower case, with payload values as their keys and runs of digits as ``#`` (a count
in a button's name, a date, a price).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping

from skyvern_core.models import Element, PageFingerprint, PageState
from skyvern_core.replay.keys import url_pattern
from skyvern_core.replay.templates import TEMPLATE, template

__all__ = ["differences", "element_key", "normalized_name", "page_fingerprint"]

_DIGITS = re.compile(r"\d+")
_SHOWN = 3


def normalized_name(label: str, values: Mapping[str, str]) -> str:
    """An element's name as fingerprints compare it (see the module docstring)."""
    text = template(" ".join(label.split()), values)
    parts = TEMPLATE.split(text)
    # split() alternates text and captured keys: mask digits in the text parts only.
    out = [
        _DIGITS.sub("#", part.lower()) if i % 2 == 0 else "{{payload:" + part + "}}"
        for i, part in enumerate(parts)
    ]
    return "".join(out)


def element_key(element: Element, values: Mapping[str, str]) -> str:
    """``role "name"`` of an element, as in a fingerprint."""
    return f'{element.role} "{normalized_name(element.label, values)}"'


def page_fingerprint(page: PageState, values: Mapping[str, str]) -> PageFingerprint:
    """The fingerprint of ``page`` (``values``: the payload's, by path)."""
    pattern = url_pattern(page.url)
    elements = sorted(element_key(e, values) for e in page.elements if e.visibility != "hidden")
    digest = hashlib.sha256("\n".join([pattern, *elements]).encode("utf-8")).hexdigest()[:32]
    return PageFingerprint(url_pattern=pattern, elements=elements, digest=digest)


def _some(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def differences(recorded: PageFingerprint, now: PageFingerprint) -> str:
    """What differs between the recorded page and this one, in a sentence ("" if
    nothing)."""
    if recorded.url_pattern != now.url_pattern:
        return f"the page is {now.url_pattern}, the step was recorded on {recorded.url_pattern}"
    was, is_ = Counter(recorded.elements), Counter(now.elements)
    gone = sorted((was - is_).elements())
    new = sorted((is_ - was).elements())
    parts = []
    if gone:
        parts.append(f"the recorded {_some(gone)} {'is' if len(gone) == 1 else 'are'} gone")
    if new:
        parts.append(f"the page has {_some(new)} that the recording did not")
    return "; ".join(parts)
