"""``skyvern-core run``: run one task of one's own, with its progress shown live.

::

    skyvern-core run https://example.com --goal "Sign up for the newsletter" \\
        --payload '{"email": "ada@example.com"}' --extract "The confirmation text"

The task runs here, on the configured backends (the embedded defaults out of the box:
SQLite in the data folder, the Playwright driver, local artifacts, the LLM planner when a
model is configured, else the offline planner). Each step prints its actions and their
results, its tokens and the cost so far; a spinner turns while the planner decides.

Ctrl-C (or SIGTERM) cancels the task: it ends ``canceled``, its browser is closed and its
recording kept. A second Ctrl-C stops at once. The exit status follows the final status
(:data:`~skyvern_core.present.EXIT_STATUS`: 0 completed, 1 failed, 3 terminated, 130
canceled; 2 for bad input). ``--json`` prints the finished task as the HTTP API shows it,
with its steps, on standard output (the progress then goes to standard error).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.status import Status

from skyvern_core.errors import InvalidTransitionError, UsageError
from skyvern_core.models import (
    MAX_STEPS_LIMIT,
    Step,
    StepStatus,
    Task,
    TaskRequest,
    TaskStatus,
    Usage,
)
from skyvern_core.present import (
    EXIT_STATUS,
    action_summary,
    money,
    result_summary,
    step_results,
    task_json,
    tokens,
)

if TYPE_CHECKING:
    from skyvern_core.runner import RunEvent

__all__ = ["add_run_parser", "load_json_option", "run_command"]

_OPTION_OF = {
    "url": "URL",
    "navigation_goal": "--goal",
    "data_extraction_goal": "--extract",
    "navigation_payload": "--payload",
    "extracted_information_schema": "--schema",
    "max_steps": "--max-steps",
}


def load_json_option(value: str | None, option: str) -> Any:
    """The JSON of an option given inline or as ``@file``; a UsageError names the option
    and what is wrong."""
    if value is None:
        return None
    text = value
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{option}: cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f" in {value[1:]}" if value.startswith("@") else ""
        raise UsageError(f"{option} is not valid JSON{where}: {exc}") from exc


def _request(args: argparse.Namespace) -> TaskRequest:
    if args.max_steps is not None and not 1 <= args.max_steps <= MAX_STEPS_LIMIT:
        raise UsageError(
            f"--max-steps must be a whole number from 1 to {MAX_STEPS_LIMIT}, got {args.max_steps}"
        )
    fields: dict[str, Any] = {"url": args.url}
    if args.goal is not None:
        fields["navigation_goal"] = args.goal
    if args.extract is not None:
        fields["data_extraction_goal"] = args.extract
    payload = load_json_option(args.payload, "--payload")
    if payload is not None:
        fields["navigation_payload"] = payload
    schema = load_json_option(args.schema, "--schema")
    if schema is not None:
        fields["extracted_information_schema"] = schema
    try:
        return TaskRequest.model_validate(fields)
    except ValidationError as exc:
        raise UsageError(_explain(exc)) from exc


def _explain(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        loc = [str(p) for p in error["loc"]]
        option = _OPTION_OF.get(loc[0], loc[0]) if loc else ""
        where = " ".join([option, ".".join(loc[1:])]).strip()
        message = str(error["msg"]).removeprefix("Value error, ")
        if "needs a navigation_goal" in message:
            message = "give --goal, --extract, or both"
        lines.append(f"{where}: {message}" if where else message)
    return "; ".join(lines)


class Progress:
    """Prints a run's steps as they end, and a spinner while a step is under way."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.usage = Usage()
        self.steps = 0
        self.task_id: str | None = None
        self.known = anyio.Event()
        """Set once the task is stored (its id known)."""
        self._status: Status | None = None

    def spin(self, text: str) -> None:
        """Show (or change) the spinner."""
        if self._status is None:
            self._status = self.console.status(text, spinner="dots")
            self._status.start()
        else:
            self._status.update(text)

    def stop_spinning(self) -> None:
        """Hide the spinner."""
        if self._status is not None:
            self._status.stop()
            self._status = None

    def on_event(self, event: RunEvent) -> None:
        """The agent's progress callback."""
        self.task_id = event.task.task_id
        self.known.set()
        step = event.step
        if event.kind == "step_started" and step is not None:
            retry = f" (retry {step.retry_index})" if step.retry_index else ""
            self.spin(f"step {step.order}{retry}: looking at the page and deciding…")
        elif event.kind == "step_finished" and step is not None:
            self.stop_spinning()
            self.step_done(step)
        elif event.kind == "task_finished":
            self.stop_spinning()

    def step_done(self, step: Step) -> None:
        """Print a finished step: its actions with their results, its tokens and cost."""
        self.steps += 1
        self.usage = self.usage + Usage(
            input_tokens=step.input_token_count,
            output_tokens=step.output_token_count,
            cost=step.cost,
        )
        out = self.console
        retry = f" (retry {step.retry_index})" if step.retry_index else ""
        color = {StepStatus.completed: "green", StepStatus.canceled: "yellow"}.get(
            step.status, "red"
        )
        page = f"  [dim]{escape(step.page_url)}[/dim]" if step.page_url else ""
        out.print(f"[bold]step {step.order}{retry}[/bold] [{color}]{step.status}[/{color}]{page}")
        if step.reasoning:
            reasoning = step.reasoning if len(step.reasoning) < 200 else step.reasoning[:199] + "…"
            out.print(f"  [dim]{escape(reasoning)}[/dim]")
        for action, result in step_results(step):
            mark = "[green]✓[/green]" if result is not None and result.success else "[red]✗[/red]"
            if result is None:
                mark = "[dim]·[/dim]"
            outcome = result_summary(result)
            out.print(f"  {mark} {escape(action_summary(action))} [dim]→[/dim] {escape(outcome)}")
        if not step.actions:
            out.print("  [dim]no action[/dim]")
        if step.failure_reason:
            out.print(f"  [red]{escape(step.failure_reason)}[/red]")
        spent = tokens(step.input_token_count, step.output_token_count)
        total = tokens(self.usage.input_tokens, self.usage.output_tokens)
        out.print(
            f"  [dim]tokens {spent}, {money(step.cost)}; so far {total}, "
            f"{money(self.usage.cost)}[/dim]"
        )


def _planner_line(agent: Any) -> str:
    name = agent.backend_name("planner")
    if name == "llm":
        return f"the LLM planner with {agent.settings.llm_model}"
    if name == "offline":
        return "the offline planner (no LLM: set SKYVERN_LLM_MODEL to use a model)"
    return f"the {name!r} planner"


async def _run(request: TaskRequest, max_steps: int | None, progress: Progress) -> Task:
    from skyvern_core.agent import Agent

    agent = Agent(on_event=progress.on_event)
    console = progress.console
    console.print(f"[bold]skyvern-core run[/bold] {escape(request.url)}")
    console.print(f"  planner: {escape(_planner_line(agent))}")
    interrupted = anyio.Event()
    result: Task | None = None

    async def cancel_when_known() -> None:
        await interrupted.wait()
        await progress.known.wait()
        assert progress.task_id is not None
        try:
            await agent.cancel(progress.task_id)
        except InvalidTransitionError:
            pass  # it ended meanwhile

    async def watch_signals(scope: anyio.CancelScope) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                if not interrupted.is_set():
                    progress.stop_spinning()
                    console.print(
                        "[yellow]canceling the task… (Ctrl-C again to stop at once)[/yellow]"
                    )
                    interrupted.set()
                else:
                    scope.cancel()
                    return

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(watch_signals, group.cancel_scope)
            group.start_soon(cancel_when_known)
            result = await agent.run(request, max_steps=max_steps)
            group.cancel_scope.cancel()
        if result is None and progress.task_id is not None:
            with anyio.CancelScope(shield=True):
                result = await agent.get_task(progress.task_id, steps=True)
    finally:
        progress.stop_spinning()
        with anyio.CancelScope(shield=True):
            await agent.aclose()
    if result is None:
        raise UsageError("interrupted before the task was stored")
    return result


def _summary(console: Console, task: Task, seconds: float) -> None:
    color = "green" if task.status == TaskStatus.completed else "red"
    if task.status == TaskStatus.canceled:
        color = "yellow"
    console.print()
    console.print(
        f"status:     [{color}]{task.status.value}[/{color}] after {len(task.steps)} steps, "
        f"{seconds:.1f} s"
    )
    if task.failure_reason:
        console.print(f"reason:     {escape(task.failure_reason)}")
    if task.extracted_information is not None:
        console.print(
            f"extracted:  {escape(json.dumps(task.extracted_information, ensure_ascii=False))}"
        )
    console.print(
        f"tokens:     {tokens(task.input_token_count, task.output_token_count)}, {money(task.cost)}"
    )
    for label, url in (("screenshot", task.screenshot_url), ("recording", task.recording_url)):
        if url:
            console.print(f"{label + ':':<11} {escape(url.removeprefix('file://'))}")
    console.print(f"task id:    {task.task_id}")


def run_command(args: argparse.Namespace) -> int:
    """The body of ``skyvern-core run``; return the exit status."""
    request = _request(args)
    console = Console(stderr=args.json, highlight=False, soft_wrap=True)
    progress = Progress(console)
    started = time.monotonic()
    try:
        task = anyio.run(_run, request, args.max_steps, progress)
    except ValidationError as exc:
        raise UsageError(_explain(exc)) from exc
    _summary(console, task, time.monotonic() - started)
    if args.json:
        sys.stdout.write(json.dumps(task_json(task, steps=True), indent=2) + "\n")
    return EXIT_STATUS.get(task.status, 1)


def add_run_parser(sub: Any) -> None:
    """Add ``run`` to the ``skyvern-core`` subcommands."""
    run = sub.add_parser(
        "run",
        help="run a task of your own, showing its progress live",
        description="Run one task on the configured backends and show each step as it ends. "
        "Ctrl-C cancels the task. Exit status: 0 completed, 1 failed, 3 terminated, "
        "130 canceled, 2 bad input.",
    )
    run.add_argument("url", help="where the browser starts (http or https)")
    run.add_argument("--goal", help="what the agent should achieve, in plain words")
    run.add_argument("--extract", metavar="TEXT", help="what to extract once the goal is reached")
    run.add_argument(
        "--payload", metavar="JSON|@FILE", help="facts the agent may use (JSON, or @file)"
    )
    run.add_argument(
        "--schema",
        metavar="JSON|@FILE",
        help="a JSON Schema the extracted information must satisfy (JSON, or @file)",
    )
    run.add_argument("--max-steps", type=int, default=None, metavar="N", help="the step limit")
    run.add_argument(
        "--json", action="store_true", help="print the finished task as JSON on standard output"
    )
    run.set_defaults(func=run_command)
