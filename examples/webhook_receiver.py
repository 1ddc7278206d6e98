"""A webhook receiver that checks skyvern-core's signatures before trusting a request.

Every webhook carries ``x-skyvern-timestamp`` and ``x-skyvern-signature`` (Slack's v0
scheme over the raw body). ``verify`` rejects a bad signature and a timestamp older than
five minutes (a replayed request).

    WEBHOOK_SIGNING_SECRET=... uvicorn examples.webhook_receiver:app --port 9000
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from skyvern_core.errors import WebhookVerificationError
from skyvern_core.webhooks import verify

SECRET = os.environ.get("WEBHOOK_SIGNING_SECRET", "")
finished: list[dict[str, object]] = []


async def task_finished(request: Request) -> JSONResponse:
    """Accept a verified task notification; refuse anything else with 401."""
    body = await request.body()
    try:
        verify(SECRET, request.headers, body)
    except WebhookVerificationError as exc:
        return JSONResponse({"error": str(exc)}, status_code=401)
    task = await request.json()
    finished.append(task)
    print(f"task {task['task_id']} ended {task['status']}: {task.get('extracted_information')}")
    return JSONResponse({"ok": True})


app = Starlette(routes=[Route("/skyvern/webhook", task_finished, methods=["POST"])])
