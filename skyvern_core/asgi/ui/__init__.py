"""The task viewer: server-rendered pages mounted at ``{prefix}/ui/`` of the HTTP app.

:func:`~skyvern_core.asgi.create_app` mounts it (``ui=False`` leaves it out); ``skyvern-core
ui`` serves it on loopback over the embedded store, without sign-in. Jinja templates, one
small script, no CDN and no build step: it works with no network.
"""

from __future__ import annotations

from skyvern_core.asgi.ui.session import COOKIE, Session, Sessions
from skyvern_core.asgi.ui.views import PAGE_SIZE, SESSION_SECONDS, create_ui

__all__ = ["COOKIE", "PAGE_SIZE", "SESSION_SECONDS", "Session", "Sessions", "create_ui"]
