"""Cookies and local storage of a Chromium driven over the DevTools protocol (CDP), for
browser profiles on drivers whose library has no storage state of its own.

Restoring: the cookies are set before the first page loads (``Network.setCookies``), and a
script that runs before each new document of the tab writes an origin's saved local storage
the first time the tab shows that origin (``Page.addScriptToEvaluateOnNewDocument``; a mark
in the tab's session storage keeps later documents from writing it again over what the
site has changed since). Reading: every cookie (``Network.getAllCookies``), and the local
storage of the origin of each open tab, and of each origin as it was after the task's last
action there.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

__all__ = ["READ_LOCAL_STORAGE", "cookies_from_cdp", "restore_commands"]

READ_LOCAL_STORAGE = (
    "() => { try { return [location.origin, Object.entries(localStorage)]; }"
    " catch (e) { return null; } }"
)
"""The tab's origin and its local storage entries (null where the page may not read it)."""

_RESTORE = """(() => {
  const saved = %s;
  const mark = %s;
  try {
    const items = saved[location.origin];
    if (!items || sessionStorage.getItem("skyvern-profile") === mark) return;
    for (const [name, value] of items) localStorage.setItem(name, value);
    sessionStorage.setItem("skyvern-profile", mark);
  } catch (e) {}
})();"""


def restore_commands(state: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The CDP commands that give a new tab the cookies and local storage of ``state``
    (the shape of :meth:`skyvern_core.models.StorageState.playwright`)."""
    commands: list[tuple[str, dict[str, Any]]] = []
    cookies = []
    for cookie in state.get("cookies") or []:
        param = {
            key: cookie[key]
            for key in ("name", "value", "domain", "path", "secure", "httpOnly", "sameSite")
            if cookie.get(key) is not None
        }
        if (cookie.get("expires") or -1) > 0:
            param["expires"] = cookie["expires"]
        cookies.append(param)
    if cookies:
        commands.append(("Network.setCookies", {"cookies": cookies}))
    origins = {
        origin["origin"]: [[item["name"], item["value"]] for item in origin["localStorage"]]
        for origin in state.get("origins") or []
        if origin.get("localStorage")
    }
    if origins:
        source = _RESTORE % (json.dumps(origins), json.dumps(secrets.token_hex(8)))
        commands.append(("Page.addScriptToEvaluateOnNewDocument", {"source": source}))
    return commands


def cookies_from_cdp(cookies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CDP's cookies in the storage state's shape (a session cookie's ``expires`` is -1)."""
    out = []
    for cookie in cookies:
        out.append(
            {
                "name": cookie["name"],
                "value": cookie["value"],
                "domain": cookie["domain"],
                "path": cookie.get("path") or "/",
                "expires": -1 if cookie.get("session") else cookie.get("expires", -1),
                "httpOnly": bool(cookie.get("httpOnly")),
                "secure": bool(cookie.get("secure")),
                "sameSite": cookie.get("sameSite") or "Lax",
            }
        )
    return out
