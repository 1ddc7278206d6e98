"""A skyvern-core plugin: the notifier ``file`` appends each finished task to a file.

Install it (``pip install examples/custom_plugin``), check ``skyvern-core plugins`` lists
it, then choose it: ``Agent(notifier="file")`` or ``SKYVERN_NOTIFIER=file``. The file is
``SKYVERN_DATA_DIR/finished-tasks.jsonl``.
"""

from __future__ import annotations

import json
from pathlib import Path

import anyio

from skyvern_core import BackendContext, Task, hookimpl

__all__ = ["FileNotifier", "register_notifiers"]


class FileNotifier:
    """Appends one JSON line per finished task."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = anyio.Lock()

    async def notify(self, task: Task) -> None:
        """Append the task's id, status, extracted information and failure reason."""
        line = json.dumps(
            {
                "task_id": task.task_id,
                "status": task.status.value,
                "extracted_information": task.extracted_information,
                "failure_reason": task.failure_reason,
            }
        )
        async with self._lock:
            await anyio.Path(self.path.parent).mkdir(parents=True, exist_ok=True)
            async with await anyio.open_file(self.path, "a") as fh:
                await fh.write(line + "\n")


@hookimpl
def register_notifiers(register):  # type: ignore[no-untyped-def]
    """Register the ``file`` notifier."""

    def factory(ctx: BackendContext) -> FileNotifier:
        return FileNotifier(Path(ctx.settings.data_dir) / "finished-tasks.jsonl")

    register("file", factory)
