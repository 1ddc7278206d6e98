"""Real servers for tests: an ASGI app under uvicorn on 127.0.0.1, in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


class UvicornThread:
    """Runs an ASGI app with uvicorn on a free 127.0.0.1 port until :meth:`stop`."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> UvicornThread:
        """Start and wait until the app's lifespan has run."""
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Shut down (the app's lifespan ends) and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=20)
