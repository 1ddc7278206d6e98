"""A third-party plugin: a notifier that appends finished tasks to a file."""

from __future__ import annotations

import json
from pathlib import Path

from skyvern_core import hookimpl


class FileNotifier:
    """Appends one JSON line per finished task."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def notify(self, task) -> None:  # type: ignore[no-untyped-def]
        """Append the task's id and status."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as fh:
            fh.write(json.dumps({"task_id": task.task_id, "status": task.status.value}) + "\n")


@hookimpl
def register_notifiers(register):  # type: ignore[no-untyped-def]
    """Register the ``hello-file`` notifier."""
    register("hello-file", lambda ctx: FileNotifier(ctx.settings.data_dir / "finished.jsonl"))
