"""The built-in artifact store: files in a local folder (``SKYVERN_ARTIFACT_DIR``)."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import anyio

from skyvern_core.errors import ArtifactError
from skyvern_core.hookspecs import Register, hookimpl
from skyvern_core.plugins import BackendContext

__all__ = ["LocalArtifactStore", "register_artifact_stores"]


class LocalArtifactStore:
    """Keeps artifacts under ``root`` as ``root/<task_id>/<name>``; URIs are ``file://``.

    The URL of an artifact is its ``file://`` URI, which opens in a browser on the same
    machine; the HTTP app serves the same files under signed, expiring URLs.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().resolve()

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not parts or any(p in ("..", "") or p.startswith("/") for p in parts):
            raise ArtifactError(f"invalid artifact key {key!r}")
        return self.root.joinpath(*parts)

    def path_of(self, uri: str) -> Path:
        """The local file behind a URI this store returned."""
        parts = urlsplit(uri)
        if parts.scheme != "file":
            raise ArtifactError(f"not a local artifact: {uri}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root):
            raise ArtifactError(f"artifact outside the artifact folder: {uri}")
        return path

    async def put(self, key: str, data: bytes | Path, *, content_type: str) -> str:
        """Write bytes (or move a file) to ``root/key`` and return its ``file://`` URI."""
        target = self._path(key)

        def write() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, Path):
                if data.resolve() != target:
                    shutil.move(str(data), target)
            else:
                tmp = target.with_name(target.name + ".part")
                tmp.write_bytes(data)
                tmp.replace(target)

        try:
            await anyio.to_thread.run_sync(write)
        except OSError as exc:
            raise ArtifactError(f"could not write artifact {key}: {exc}") from exc
        return target.as_uri()

    async def read(self, uri: str) -> bytes:
        """Return the bytes of a stored artifact."""
        path = self.path_of(uri)
        try:
            return await anyio.Path(path).read_bytes()
        except OSError as exc:
            raise ArtifactError(f"could not read artifact {uri}: {exc}") from exc

    async def url(self, uri: str) -> str:
        """The ``file://`` URI itself."""
        return uri


@hookimpl
def register_artifact_stores(register: Register) -> None:
    """Register the local-folder artifact store as ``local``."""

    def factory(ctx: BackendContext) -> LocalArtifactStore:
        return LocalArtifactStore(ctx.settings.resolved_artifact_dir)

    register("local", factory)
