"""Records and checks the store contract's tests share."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from skyvern_core import ids
from skyvern_core.models import (
    Artifact,
    ArtifactKind,
    Organization,
    Step,
    Task,
    TaskRequest,
    TaskStatus,
    WebhookDelivery,
)
from skyvern_core.storage import Store

__all__ = ["FINAL", "T0"]

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
FINAL = [TaskStatus.completed, TaskStatus.failed, TaskStatus.terminated, TaskStatus.canceled]


async def _org(store: Store, name: str | None = None) -> Organization:
    org_id = ids.new_id("organization")
    return await store.create_organization(
        Organization(organization_id=org_id, name=name or f"org {org_id}")
    )


def _task(org: Organization, **fields: Any) -> Task:
    values: dict[str, Any] = {
        "task_id": ids.new_id("task"),
        "organization_id": org.organization_id,
        "request": TaskRequest(url="https://example.com/", navigation_goal="Sign up"),
        "max_steps": 5,
    }
    return Task(**(values | fields))


def _step(task: Task, order: int = 0, retry_index: int = 0, **fields: Any) -> Step:
    values: dict[str, Any] = {
        "step_id": ids.new_id("step"),
        "task_id": task.task_id,
        "organization_id": task.organization_id,
        "order": order,
        "retry_index": retry_index,
    }
    return Step(**(values | fields))


def _artifact(task: Task, created_at: datetime, **fields: Any) -> Artifact:
    values: dict[str, Any] = {
        "artifact_id": ids.new_id("artifact"),
        "task_id": task.task_id,
        "organization_id": task.organization_id,
        "kind": ArtifactKind.action_screenshot,
        "uri": f"file:///artifacts/{task.task_id}/{created_at.timestamp()}.png",
        "created_at": created_at,
    }
    return Artifact(**(values | fields))


def _delivery(task: Task, url: str = "https://hooks.example.com/done", **fields: Any) -> Any:
    values: dict[str, Any] = {
        "delivery_id": ids.new_id("delivery"),
        "task_id": task.task_id,
        "organization_id": task.organization_id,
        "url": url,
        "payload": json.dumps({"task_id": task.task_id, "status": "completed"}),
    }
    return WebhookDelivery(**(values | fields))


def _assert_utc(record: Any) -> None:
    for name, value in record:
        if isinstance(value, datetime):
            assert value.utcoffset() == timedelta(0), f"{name} is not timezone-aware UTC: {value!r}"
