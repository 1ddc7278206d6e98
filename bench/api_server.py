"""The API as the load benchmark serves it: one uvicorn worker, SQLite, no task workers.

Adds ``GET /noop``, a constant JSON answer from the same app, as the framework's own
ceiling for the benchmark's ratios.
"""

from __future__ import annotations

import argparse

import uvicorn

from skyvern_core import Agent
from skyvern_core.asgi import create_app


def main() -> None:
    """Serve until killed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    agent = Agent(data_dir=args.data_dir, store="sqlite", notifier="none")
    app = create_app(agent, workers=False)

    @app.get("/noop")
    async def noop() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
