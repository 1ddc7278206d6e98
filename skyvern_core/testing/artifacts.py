"""An in-memory artifact store and a notifier that records, for tests."""

from __future__ import annotations

from pathlib import Path

import anyio

from skyvern_core.errors import ArtifactError
from skyvern_core.models import Task

__all__ = ["MemoryArtifactStore", "RecordingNotifier"]


class MemoryArtifactStore:
    """Keeps artifacts in a dict; URIs look like ``memory://task/step/name.png``."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}

    async def put(self, key: str, data: bytes | Path, *, content_type: str) -> str:
        """Keep the bytes (a file's content is read)."""
        raw = await anyio.Path(data).read_bytes() if isinstance(data, Path) else data
        uri = f"memory://{key}"
        self.files[uri] = (raw, content_type)
        return uri

    async def read(self, uri: str) -> bytes:
        """Return the stored bytes."""
        try:
            return self.files[uri][0]
        except KeyError:
            raise ArtifactError(f"no artifact at {uri}") from None

    async def url(self, uri: str) -> str:
        """The URI itself."""
        return uri


class RecordingNotifier:
    """Remembers every task it is told about (and can be made to fail)."""

    def __init__(self, *, error: BaseException | None = None) -> None:
        self.tasks: list[Task] = []
        self.error = error

    async def notify(self, task: Task) -> None:
        """Record the task, then raise ``error`` if one was given."""
        self.tasks.append(task)
        if self.error is not None:
            raise self.error
