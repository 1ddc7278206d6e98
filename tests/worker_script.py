"""A worker process for ``tests/test_workers.py``: an Agent pool on a shared PostgreSQL store.

It mirrors :func:`skyvern_core.server.run_worker` (``Agent.start(workers=True)``, then wait
for SIGTERM or SIGINT) but with instances instead of plugin names: an in-memory browser
driver and a planner that answer instantly, so that only the engine, the store and the
processes are under test. Both write what they do, one JSON object a line, to files of
their own in the log folder, for the test to check which process ran what:

* ``NAME.decisions``: one ``{"task", "order", "retry", "attempt"}`` line per planner call;
* ``NAME.actions``: ``{"task", "text", "phase"}`` lines, phase ``start`` when an action
  begins and ``done`` when it has been carried out.

Each task says what it wants in its ``navigation_payload``:

* ``script``: a list per step of texts to type into the page's one text field (one
  ``input_text`` action each); once the steps run out, the planner completes the task.
  A text ``slow:SECONDS:LABEL`` makes that action take SECONDS first.
* ``plan_sleep``: ``{"ORDER": SECONDS}``, the planner takes that long at step ORDER (of
  every attempt); ``{"aN:ORDER": SECONDS}`` only on attempt N.

When the Agent is running, ``NAME.ready`` is written with its ``worker_id``.

With ``--webhook-secret`` the Agent sends signed webhooks (to each task's
``webhook_callback_url``); without, it notifies no one.

Run::

    python tests/worker_script.py DATABASE_URL LOG_DIR NAME [--concurrency 3]
        [--lease-seconds 1.5] [--poll-interval 0.1] [--max-attempts 2] [--grace 15]
        [--webhook-secret SECRET]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any

import anyio

from skyvern_core import Agent
from skyvern_core.models import (
    Action,
    ActionResult,
    CompleteAction,
    Decision,
    Extraction,
    InputTextAction,
    PageState,
)
from skyvern_core.protocols import ExtractContext, PlanContext, SessionOptions
from skyvern_core.testing import FakePage, InMemoryDriver, InMemorySession, MemoryArtifactStore
from skyvern_core.testing import element as make_element

URL = "http://127.0.0.1:9/form"
PAGE = FakePage(
    url=URL,
    title="A form",
    elements=[make_element("name", "textbox", "Name")],
    text="Type your name",
)


class JsonLines:
    """Appends one JSON object a line to a file, flushed at once (the test reads it live)."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("a", encoding="utf-8")

    def write(self, **fields: Any) -> None:
        """Append one record."""
        self.file.write(json.dumps(fields) + "\n")
        self.file.flush()


def _payload(context: Any) -> dict[str, Any]:
    payload = context.task.request.navigation_payload
    return payload if isinstance(payload, dict) else {}


class PayloadPlanner:
    """Decides instantly what the task's ``navigation_payload`` scripts (see the module)."""

    def __init__(self, log: JsonLines) -> None:
        self.log = log

    async def decide(self, context: PlanContext) -> Decision:
        """Log the call, sleep if the payload says so, then type the step's texts."""
        payload = _payload(context)
        order = context.step.order
        self.log.write(
            task=context.task.task_id,
            order=order,
            retry=context.step.retry_index,
            attempt=context.step.attempt,
        )
        sleeps = payload.get("plan_sleep") or {}
        delay = sleeps.get(f"a{context.step.attempt}:{order}", sleeps.get(str(order)))
        if delay:
            await anyio.sleep(float(delay))
        script = payload.get("script", [["Ada"]])
        if order >= len(script):
            return Decision(reasoning="done", actions=[CompleteAction()])
        actions = [InputTextAction(element_id="name", text=str(text)) for text in script[order]]
        return Decision(reasoning=f"step {order}", actions=actions)

    async def extract(self, context: ExtractContext) -> Extraction:
        """Nothing to extract (the tasks have no extraction goal)."""
        return Extraction(data=None)


class RecordingSession(InMemorySession):
    """An in-memory session that logs each action's start and end."""

    def __init__(self, driver: RecordingDriver, options: SessionOptions) -> None:
        super().__init__(driver, options)
        self.log = driver.log

    async def execute(self, action: Action, page: PageState) -> ActionResult:
        """Log the start, wait for ``slow:`` texts, carry the action out, log the end."""
        text = str(getattr(action, "text", "") or "")
        self.log.write(task=self.options.task_id, text=text, phase="start")
        if text.startswith("slow:"):
            await anyio.sleep(float(text.split(":")[1]))
        result = await super().execute(action, page)
        self.log.write(task=self.options.task_id, text=text, phase="done")
        return result


class RecordingDriver(InMemoryDriver):
    """The in-memory driver over :data:`PAGE`, with :class:`RecordingSession` sessions."""

    def __init__(self, log: JsonLines) -> None:
        super().__init__([PAGE])
        self.log = log

    async def new_session(self, options: SessionOptions) -> RecordingSession:
        """Open a recording session."""
        session = RecordingSession(self, options)
        self.sessions.append(session)
        return session


async def main(args: argparse.Namespace) -> None:
    """Run the worker pool until SIGTERM or SIGINT."""
    folder = Path(args.log_dir)
    agent = Agent(
        driver=RecordingDriver(JsonLines(folder / f"{args.name}.actions")),
        planner=PayloadPlanner(JsonLines(folder / f"{args.name}.decisions")),
        store="postgres",
        artifact_store=MemoryArtifactStore(),
        notifier="webhook" if args.webhook_secret else "none",
        webhook_secret=args.webhook_secret,
        database_url=args.database_url,
        database_pool_size=args.concurrency + 4,
        concurrency=args.concurrency,
        lease_seconds=args.lease_seconds,
        poll_interval=args.poll_interval,
        task_max_attempts=args.max_attempts,
        shutdown_grace=args.grace,
        data_dir=folder / f"{args.name}-data",
        record_video=False,
    )
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with agent:
            (folder / f"{args.name}.ready").write_text(agent.worker_id)
            async for _ in signals:
                break


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description="a test worker process")
    parser.add_argument("database_url")
    parser.add_argument("log_dir")
    parser.add_argument("name")
    parser.add_argument("--concurrency", type=int, default=3)
    parser.add_argument("--lease-seconds", type=float, default=1.5)
    parser.add_argument("--poll-interval", type=float, default=0.1)
    parser.add_argument("--max-attempts", type=int, default=2)
    parser.add_argument("--grace", type=float, default=15.0)
    parser.add_argument("--webhook-secret", default=None)
    return parser.parse_args(argv)


if __name__ == "__main__":
    anyio.run(main, parse(sys.argv[1:]))
