"""Browser actions written once, for every driver.

- :mod:`~skyvern_core.browser.primitives`: :class:`BrowserPrimitives`, the few operations a
  driver supplies (evaluate a script on an element or in the page, click, type, press a key,
  set files, navigate, settle);
- :mod:`~skyvern_core.browser.actions`: :class:`BrowserActions`, every action carried out
  and checked on those primitives;
- :mod:`~skyvern_core.browser.verify`: the rules that check an action's effect;
- :mod:`~skyvern_core.browser.scripts`: the JavaScript evaluated in the page;
- :mod:`~skyvern_core.browser.elements`: elements of the last snapshot, key names, helpers;
- :mod:`~skyvern_core.browser.chromium`: the Chromium the drivers launch.
"""

from __future__ import annotations

from skyvern_core.browser.actions import BrowserActions
from skyvern_core.browser.elements import ActionFailed, KnownElement, known_elements
from skyvern_core.browser.primitives import BrowserPrimitives, ClickIntercepted, UnknownKey

__all__ = [
    "ActionFailed",
    "BrowserActions",
    "BrowserPrimitives",
    "ClickIntercepted",
    "KnownElement",
    "UnknownKey",
    "known_elements",
]
