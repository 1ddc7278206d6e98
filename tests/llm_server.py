"""A local OpenAI-compatible chat-completions server with scripted answers, for tests.

Each script item is one of:
- a string: the assistant's content (usage figures from ``usage``);
- an ``int``: an HTTP error with that status (429 and 5xx make litellm's client retry-able);
- a callable taking the request JSON and returning one of the above.
Every request received is kept in :attr:`LLMServer.requests` (parsed JSON).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Script = str | int | Callable[[dict[str, Any]], Any]


def user_text(body: dict[str, Any]) -> str:
    """The text of the last user message of a chat-completions request body."""
    content = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(p["text"] for p in content if p.get("type") == "text")


class LLMServer:
    """Serves ``POST /v1/chat/completions`` on 127.0.0.1 from a script."""

    def __init__(self, *, prompt_tokens: int = 1500, completion_tokens: int = 60) -> None:
        self.script: list[Script] = []
        self.requests: list[dict[str, Any]] = []
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(body)
                    item: Any = server.script.pop(0) if server.script else 500
                if callable(item):
                    item = item(body)
                if isinstance(item, int):
                    payload = json.dumps(
                        {"error": {"message": f"scripted {item}", "type": "scripted"}}
                    ).encode()
                    self.send_response(item)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                payload = json.dumps(
                    {
                        "id": f"chatcmpl-{len(server.requests)}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "scripted"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": item},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": server.prompt_tokens,
                            "completion_tokens": server.completion_tokens,
                            "total_tokens": server.prompt_tokens + server.completion_tokens,
                        },
                    }
                ).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The ``api_base`` to give litellm."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def start(self) -> LLMServer:
        """Start serving in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self, *script: Script) -> None:
        """Forget earlier requests and load a new script."""
        with self._lock:
            self.requests.clear()
            self.script = list(script)

    def user_text(self, index: int = -1) -> str:
        """The text of the last user message of a request."""
        return user_text(self.requests[index])

    def images(self, index: int = -1) -> list[str]:
        """The image URLs attached to a request."""
        urls = []
        for message in self.requests[index]["messages"]:
            if isinstance(message["content"], list):
                urls += [
                    p["image_url"]["url"]
                    for p in message["content"]
                    if p.get("type") == "image_url"
                ]
        return urls
