"""Real servers for tests on 127.0.0.1, in background threads: an ASGI app under uvicorn,
a webhook receiver and a forward HTTP proxy."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn


class UvicornThread:
    """Runs an ASGI app with uvicorn on a free 127.0.0.1 port until :meth:`stop`.

    ``build`` instead of ``app`` makes the app from the server's own URL, known once the
    port is taken (for ``create_app(agent, base_url=...)``).
    """

    def __init__(self, app: Any = None, *, build: Callable[[str], Any] | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        if build is not None:
            app = build(self.url)
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


@dataclass
class Received:
    """One request as the receiver saw it."""

    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Reply:
    """What the receiver answers; ``drop`` closes the connection without an answer."""

    status: int = 200
    body: str = '{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


class Receiver:
    """An HTTP server on 127.0.0.1, in a thread, answering a script of replies (the last
    one repeats) and keeping every request."""

    def __init__(self, *replies: Reply, port: int = 0) -> None:
        self.replies = list(replies) or [Reply()]
        self.requests: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.requests.append(Received(dict(self.headers.items()), body, time.time()))
                index = min(len(receiver.requests), len(receiver.replies)) - 1
                reply = receiver.replies[index]
                if reply.drop:
                    self.close_connection = True
                    return
                data = reply.body.encode()
                self.send_response(reply.status)
                for name, value in {"content-type": "application/json", **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/skyvern?token=abc"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


DEFAULT_PROXIED_PAGE = (
    "<html><head><title>Proxied Shop</title></head><body><h1>Catalog</h1>"
    "<p>Via the residential proxy</p></body></html>"
)


class ForwardProxy:
    """A forward HTTP proxy on 127.0.0.1 that answers every request itself.

    ``pages`` maps an absolute URL to the HTML served for it; any other URL gets
    :data:`DEFAULT_PROXIED_PAGE`. Through it, a browser reaches host names that resolve
    nowhere (or that must never be reached for real).
    """

    def __init__(self, pages: Mapping[str, str] | None = None) -> None:
        self.requests: list[str] = []
        proxy = self
        served = dict(pages or {})

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.requests.append(self.path)  # absolute URI, as sent to a proxy
                body = served.get(self.path, DEFAULT_PROXIED_PAGE).encode()
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """The proxy's own URL, for ``Settings.proxies``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()
