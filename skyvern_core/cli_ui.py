"""``skyvern-core ui``: the task viewer on this machine, over the embedded store.

It serves the HTTP app (the viewer at ``/ui/``, and the API its pages use for artifacts)
on 127.0.0.1 only, on one port, with workers that run the tasks started from the viewer.
Since only this machine reaches it, the viewer asks for no sign-in: it shows the embedded
agent's own organization (the one ``skyvern-core run`` and ``Agent()`` use), and answers
requests to a loopback host name only.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_ui_parser", "serve_ui"]

HOST = "127.0.0.1"


def serve_ui(*, port: int = 8765, open_browser: bool = False) -> None:
    """Serve the viewer on ``127.0.0.1:port`` until interrupted."""
    try:
        import uvicorn
    except ImportError as exc:
        from skyvern_core.errors import MissingExtraError

        raise MissingExtraError("uvicorn", "server") from exc

    from skyvern_core.agent import Agent
    from skyvern_core.asgi import create_app
    from skyvern_core.config import Settings

    settings = Settings()
    base = f"http://{HOST}:{port}"
    if settings.public_base_url is None:
        settings = Settings(**{**settings.model_dump(exclude_unset=True), "public_base_url": base})
    app = create_app(Agent(settings=settings), ui_sign_in=False)
    url = f"{base}/ui/"
    print(f"skyvern-core viewer: {url}  (Ctrl-C to stop)", flush=True)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=HOST, port=port, log_level="warning")


def _ui(args: argparse.Namespace) -> int:
    serve_ui(port=args.port, open_browser=args.open)
    return 0


def add_ui_parser(sub: Any) -> None:
    """Add ``ui`` to the ``skyvern-core`` subcommands."""
    ui = sub.add_parser(
        "ui", help="the task viewer on 127.0.0.1 (no sign-in), over the configured store"
    )
    ui.add_argument("--port", type=int, default=8765, help="the port on 127.0.0.1 (8765)")
    ui.add_argument("--open", action="store_true", help="open it in the default web browser")
    ui.set_defaults(func=_ui)
