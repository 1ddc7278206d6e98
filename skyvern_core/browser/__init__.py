"""Browser actions and snapshots written once, for every driver.

- :mod:`~skyvern_core.browser.primitives`: :class:`BrowserPrimitives`, the few operations a
  driver supplies (evaluate a script on an element or in the page, click, type, press a key,
  set files, navigate, settle), and :class:`DriverPrimitives`, those and what seeing needs
  (frames, a screenshot, the tabs);
- :mod:`~skyvern_core.browser.actions`: :class:`BrowserActions`, every action carried out
  and checked on those primitives;
- :mod:`~skyvern_core.browser.session`: :class:`PrimitiveSession`, a session's goto,
  snapshot, whole-page read and actions on them;
- :mod:`~skyvern_core.browser.frames`: the walks over a tab's frames, and
  :class:`SnapshotFrames`, ids of the last snapshot resolved in their frames;
- :mod:`~skyvern_core.browser.verify`: the rules that check an action's effect;
- :mod:`~skyvern_core.browser.scripts`: the JavaScript evaluated in the page;
- :mod:`~skyvern_core.browser.elements`: elements of the last snapshot, key names, helpers;
- :mod:`~skyvern_core.browser.chromium`: the Chromium the drivers launch (flags, profile, CDP
  screenshots, refused requests, downloads, ending it by force);
- :mod:`~skyvern_core.browser.video`: ffmpeg for recordings, a recording of screenshots;
- :mod:`~skyvern_core.browser.worker`: calls of a synchronous library in worker threads;
- :mod:`~skyvern_core.browser.threaded` and :mod:`~skyvern_core.browser.threaded_primitives`:
  a session and its primitives on a synchronous, WebDriver-style library (Selenium), which
  supplies only its blocking calls and its input primitives.
"""

from __future__ import annotations

from skyvern_core.browser.actions import BrowserActions
from skyvern_core.browser.elements import ActionFailed, KnownElement, known_elements
from skyvern_core.browser.frames import SnapshotFrames
from skyvern_core.browser.primitives import (
    BrowserPrimitives,
    ClickIntercepted,
    DriverPrimitives,
    UnknownKey,
)
from skyvern_core.browser.session import PrimitiveSession

__all__ = [
    "ActionFailed",
    "BrowserActions",
    "BrowserPrimitives",
    "ClickIntercepted",
    "DriverPrimitives",
    "KnownElement",
    "PrimitiveSession",
    "SnapshotFrames",
    "UnknownKey",
    "known_elements",
]
