"""How tasks, steps and actions read for a person: shared by the CLI and the task viewer.

Everything here works on recorded steps, which keep secret placeholders
(``{{secret:password}}``) and never the secrets themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skyvern_core.models import ActionResult, Step, Task, TaskStatus
from skyvern_core.secrets import split_secrets
from skyvern_core.storage import TaskStore

__all__ = [
    "EXIT_STATUS",
    "SCAN_LIMIT",
    "TaskPage",
    "action_summary",
    "decided_by",
    "for_display",
    "masked_request",
    "money",
    "result_summary",
    "step_json",
    "step_results",
    "task_json",
    "task_page",
    "tokens",
]

EXIT_STATUS: dict[TaskStatus, int] = {
    TaskStatus.completed: 0,
    TaskStatus.failed: 1,
    TaskStatus.terminated: 3,
    TaskStatus.canceled: 130,
}
"""The exit status of ``skyvern-core run`` for each final status (130, as for Ctrl-C, for
a canceled task; 2 is kept for bad input)."""

_LONG = 60


def _quoted(value: Any) -> str:
    text = str(value)
    if len(text) > _LONG:
        text = text[: _LONG - 1] + "…"
    return repr(text)


def action_summary(action: Any) -> str:
    """One line for an action: its type, target and value (``input_text e3 'Ada'``)."""
    kind = str(getattr(action, "type", "action"))
    parts = [kind]
    target = getattr(action, "element_id", None)
    if target:
        parts.append(str(target))
    for name in ("text", "option", "file", "key", "url"):
        value = getattr(action, name, None)
        if value:
            parts.append(_quoted(value))
    if kind == "check":
        parts.append("on" if getattr(action, "checked", True) else "off")
    elif kind == "scroll":
        parts.append(str(getattr(action, "direction", "down")))
    elif kind == "wait":
        parts.append(f"{getattr(action, 'seconds', 1.0):g} s")
    elif kind == "terminate":
        parts.append(_quoted(getattr(action, "reason", "")))
    return " ".join(parts)


def result_summary(result: ActionResult | None) -> str:
    """``ok``, ``failed: <why>``, or ``not run`` (an earlier action of the step failed)."""
    if result is None:
        return "not run"
    if result.success:
        return "ok"
    return f"failed: {result.error or 'no reason given'}"


def step_results(step: Step) -> list[tuple[Any, ActionResult | None]]:
    """Each action of a step with its result (None for one that did not run)."""
    results = step.action_results
    return [(a, results[i] if i < len(results) else None) for i, a in enumerate(step.actions)]


def decided_by(step: Any) -> str:
    """How a step's actions were decided: ``model`` unless the step records otherwise (a
    replay or a healed replay, where the store keeps a ``decided_by``)."""
    return str(getattr(step, "decided_by", None) or "model")


def money(cost: float | None) -> str:
    """A cost in US dollars (``$0.0123``), or ``-`` where no price is known."""
    if cost is None:
        return "-"
    return f"${cost:.4f}" if cost < 1 else f"${cost:,.2f}"


def tokens(input_tokens: int, output_tokens: int) -> str:
    """Tokens in and out, as ``1,200 in + 80 out``."""
    return f"{input_tokens:,} in + {output_tokens:,} out"


REQUEST_FIELDS = (
    "url",
    "webhook_callback_url",
    "navigation_goal",
    "data_extraction_goal",
    "navigation_payload",
    "proxy_location",
    "extracted_information_schema",
    "totp_verification_url",
    "totp_identifier",
)

_TASK_FIELDS = (
    "task_id",
    "status",
    "created_at",
    "modified_at",
    "extracted_information",
    "screenshot_url",
    "recording_url",
    "action_screenshot_urls",
    "failure_reason",
    "max_steps",
    "input_token_count",
    "output_token_count",
    "cost",
    "proxy_note",
    "replayed_steps",
    "max_cost_usd",
    "max_tokens",
)

_STEP_FIELDS = (
    "organization_id",
    "task_id",
    "step_id",
    "status",
    "order",
    "retry_index",
    "input_token_count",
    "output_token_count",
    "cost",
    "is_last",
    "created_at",
    "modified_at",
    "failure_reason",
    "reasoning",
    "page_url",
    "actions",
    "action_results",
    "decided_by",
)


def masked_request(task: Task) -> dict[str, Any]:
    """A task's request as JSON, its secret values replaced by their placeholders (as the
    HTTP API shows it: secrets were given once, at creation)."""
    data = task.request.model_dump(mode="json")
    data["navigation_payload"] = split_secrets(data.get("navigation_payload"))[0]
    return {name: data.get(name) for name in REQUEST_FIELDS}


def task_json(task: Task, *, steps: bool = False) -> dict[str, Any]:
    """A task as the HTTP API's task details show it (with ``steps``, also its steps as
    ``GET /tasks/{id}/steps`` does)."""
    data = task.model_dump(mode="json", include=set(_TASK_FIELDS))
    out: dict[str, Any] = {"request": masked_request(task)}
    out.update({name: data.get(name) for name in _TASK_FIELDS})
    if steps:
        out["steps"] = [step_json(s) for s in task.steps]
    return out


def step_json(step: Step) -> dict[str, Any]:
    """A step as ``GET /tasks/{id}/steps`` shows it."""
    data = step.model_dump(mode="json")
    return {name: data.get(name) for name in _STEP_FIELDS}


SCAN_LIMIT = 5000
"""How many of an organization's newest tasks a status filter looks through."""


@dataclass(slots=True)
class TaskPage:
    """A page of tasks: ``more`` when a next page has some; ``scanned_all`` False when a
    status filter stopped after :data:`SCAN_LIMIT` tasks."""

    tasks: list[Task]
    more: bool
    scanned_all: bool = True


async def task_page(
    store: TaskStore,
    organization_id: str,
    *,
    page: int = 1,
    page_size: int = 20,
    status: TaskStatus | None = None,
) -> TaskPage:
    """A page of an organization's tasks, newest first, of one status if given.

    The store pages all tasks; with a status, its newest tasks are read 100 at a time (at
    most :data:`SCAN_LIMIT`) and the matching ones paged here.
    """
    if status is None:
        tasks = await store.list_tasks(organization_id, page=page, page_size=page_size)
        more = False
        if len(tasks) == page_size:
            after = await store.list_tasks(organization_id, page=page * page_size + 1, page_size=1)
            more = bool(after)
        return TaskPage(tasks, more)
    wanted = page * page_size + 1
    found: list[Task] = []
    chunk, scanned, index = 100, 0, 1
    while len(found) < wanted and scanned < SCAN_LIMIT:
        batch = await store.list_tasks(organization_id, page=index, page_size=chunk)
        found.extend(t for t in batch if t.status == status)
        scanned += len(batch)
        if len(batch) < chunk:
            return TaskPage(found[(page - 1) * page_size : page * page_size], len(found) >= wanted)
        index += 1
    return TaskPage(
        found[(page - 1) * page_size : page * page_size],
        len(found) >= wanted,
        scanned_all=len(found) >= wanted,
    )


def for_display(value: Any) -> Any:
    """``value`` with inline files' contents shortened (``content_base64`` as a note of its
    size), for a person to read."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "content_base64" and isinstance(item, str) and len(item) > 40:
                out[key] = f"<{len(item) * 3 // 4:,} bytes of base64>"
            else:
                out[key] = for_display(item)
        return out
    if isinstance(value, list):
        return [for_display(v) for v in value]
    return value
