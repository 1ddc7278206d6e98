"""``skyvern-core tasks list | show ID | steps ID | cancel ID``: the configured store's tasks.

The organization is the one an API key belongs to (``--api-key``, the same rule as the
HTTP API: a key shows its own organization's tasks and no other's), else the embedded
agent's own organization (the one ``skyvern-core run`` and ``Agent()`` use). A task of
another organization is not found, exactly as over HTTP. ``--json`` prints what the HTTP
API answers (secret values as their placeholders).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from skyvern_core.agent import MAX_PAGE_SIZE
from skyvern_core.errors import InvalidTransitionError, NotFoundError, UsageError
from skyvern_core.models import TaskStatus
from skyvern_core.present import (
    action_summary,
    decided_by,
    for_display,
    money,
    result_summary,
    step_json,
    step_results,
    task_json,
    task_page,
    tokens,
)

__all__ = ["add_tasks_parser"]


async def _with_agent(args: argparse.Namespace, body: Callable[[Any, str], Awaitable[int]]) -> int:
    from skyvern_core.agent import Agent
    from skyvern_core.auth import resolve_key

    agent = Agent()
    try:
        await agent.start(workers=False)
        org_id = agent.organization_id
        if args.api_key is not None:
            org_id = await resolve_key(agent.store, args.api_key)
            if org_id is None:
                raise UsageError("--api-key: invalid API key (no organization has it)")
        assert org_id is not None
        return await body(agent, org_id)
    finally:
        await agent.aclose()


def _console() -> Console:
    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        # Piped output: no terminal width to fit, so nothing is cut short.
        console.width = 200
    return console


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _short(text: str | None, limit: int = 48) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _list(args: argparse.Namespace) -> int:
    status = TaskStatus(args.status) if args.status else None
    if args.page_size > MAX_PAGE_SIZE:
        raise UsageError(f"--page-size must be at most {MAX_PAGE_SIZE}, got {args.page_size}")

    async def body(agent: Any, org_id: str) -> int:
        found = await task_page(
            agent.store, org_id, page=args.page, page_size=args.page_size, status=status
        )
        tasks = [await agent.with_urls(t) for t in found.tasks]
        if args.json:
            _print_json([task_json(t) for t in tasks])
            return 0
        console = _console()
        if not tasks:
            console.print("no tasks" + (f" with status {status.value}" if status else ""))
            return 0
        table = Table(box=None, pad_edge=False)
        for column in ("task", "status", "goal", "url", "created", "steps", "tokens", "cost"):
            table.add_column(
                column,
                justify="right" if column in ("steps", "tokens", "cost") else "left",
                no_wrap=column in ("task", "status", "created"),
            )
        for task in tasks:
            steps = await agent.store.list_steps(task.task_id, org_id)
            goal = task.request.navigation_goal or task.request.data_extraction_goal
            table.add_row(
                task.task_id,
                task.status.value,
                escape(_short(goal)),
                escape(_short(task.url, 40)),
                task.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                str(len(steps)),
                f"{task.input_token_count + task.output_token_count:,}",
                money(task.cost),
            )
        console.print(table)
        if found.more:
            console.print(f"[dim]more: --page {args.page + 1}[/dim]")
        if not found.scanned_all:
            console.print("[dim]the status filter looked at the newest 5000 tasks only[/dim]")
        return 0

    return anyio.run(_with_agent, args, body)


def _show(args: argparse.Namespace) -> int:
    async def body(agent: Any, org_id: str) -> int:
        task = await agent.get_task(args.task_id, organization_id=org_id)
        data = task_json(task)
        if args.json:
            _print_json(data)
            return 0
        console = _console()
        console.print(f"[bold]{task.task_id}[/bold]  {task.status.value}")
        finished = task.finished_at.isoformat(timespec="seconds") if task.finished_at else ""
        rows = [
            ("created", task.created_at.isoformat(timespec="seconds")),
            ("finished", finished),
            ("reason", task.failure_reason),
            ("tokens", tokens(task.input_token_count, task.output_token_count)),
            ("cost", money(task.cost)),
            ("max steps", str(task.max_steps)),
            ("screenshot", (task.screenshot_url or "").removeprefix("file://") or None),
            ("recording", (task.recording_url or "").removeprefix("file://") or None),
        ]
        for label, value in rows:
            if value:
                console.print(f"{label + ':':<12}{escape(value)}")
        request = {k: for_display(v) for k, v in data["request"].items() if v is not None}
        console.print("request:")
        console.print(escape(json.dumps(request, indent=2, ensure_ascii=False)))
        if task.extracted_information is not None:
            console.print("extracted:")
            console.print(
                escape(json.dumps(task.extracted_information, indent=2, ensure_ascii=False))
            )
        return 0

    return anyio.run(_with_agent, args, body)


def _steps(args: argparse.Namespace) -> int:
    async def body(agent: Any, org_id: str) -> int:
        steps = await agent.list_steps(args.task_id, organization_id=org_id)
        if args.json:
            _print_json([step_json(s) for s in steps])
            return 0
        console = _console()
        if not steps:
            console.print("no steps yet")
        for step in steps:
            retry = f" (retry {step.retry_index})" if step.retry_index else ""
            console.print(
                f"[bold]step {step.order}{retry}[/bold] {step.status.value}  "
                f"[dim]{escape(step.page_url or '')}[/dim]"
            )
            console.print(
                f"  decided by {decided_by(step)}; tokens "
                f"{tokens(step.input_token_count, step.output_token_count)}, {money(step.cost)}"
            )
            if step.reasoning:
                console.print(f"  [dim]{escape(step.reasoning)}[/dim]")
            for action, result in step_results(step):
                outcome = result_summary(result)
                console.print(f"  - {escape(action_summary(action))} → {escape(outcome)}")
            if step.failure_reason:
                console.print(f"  [red]{escape(step.failure_reason)}[/red]")
        return 0

    return anyio.run(_with_agent, args, body)


def _cancel(args: argparse.Namespace) -> int:
    async def body(agent: Any, org_id: str) -> int:
        try:
            task = await agent.cancel(args.task_id, organization_id=org_id)
        except InvalidTransitionError:
            task = await agent.get_task(args.task_id, organization_id=org_id)
            print(
                f"skyvern-core: error: task {task.task_id} is already {task.status.value}",
                file=sys.stderr,
            )
            return 1
        if args.json:
            _print_json(task_json(task))
        else:
            print(f"{task.task_id}: {task.status.value}")
        return 0

    return anyio.run(_with_agent, args, body)


def _not_found(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except NotFoundError as exc:
            print(f"skyvern-core: error: {exc}", file=sys.stderr)
            return 1

    return wrapped


def _page_number(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {number}")
    return number


def add_tasks_parser(sub: Any) -> None:
    """Add ``tasks`` (list, show, steps, cancel) to the ``skyvern-core`` subcommands."""
    tasks = sub.add_parser("tasks", help="list, show and cancel tasks of the configured store")
    tasks_sub = tasks.add_subparsers(dest="tasks_command", required=True)

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--api-key",
            metavar="KEY",
            help="act as the organization of this API key (default: the embedded agent's)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON, as the HTTP API")

    listing = tasks_sub.add_parser("list", help="the newest tasks first")
    listing.add_argument(
        "--status", choices=[s.value for s in TaskStatus], help="only tasks of this status"
    )
    listing.add_argument("--page", type=_page_number, default=1)
    listing.add_argument("--page-size", type=_page_number, default=20)
    common(listing)
    listing.set_defaults(func=_not_found(_list))
    for name, func, text in (
        ("show", _show, "a task's request, status and results"),
        ("steps", _steps, "a task's steps: actions, results, reasoning, tokens"),
        ("cancel", _cancel, "cancel a created, queued or running task"),
    ):
        parser = tasks_sub.add_parser(name, help=text)
        parser.add_argument("task_id", metavar="ID")
        common(parser)
        parser.set_defaults(func=_not_found(func))
