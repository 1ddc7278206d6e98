"""Where a task's ``upload_file`` may take a file from, decided in one place.

A file given to a page leaves the machine, so the model (or whoever wrote the task) must
not be able to pick any file the worker can read. An ``upload_file`` action's ``file`` is
one of:

- a **placeholder** ``{{file:<path>}}`` of a file given inline in ``navigation_payload``
  as ``{"$file": {"name": "cv.pdf", "content_base64": "..."}}``. The model sees the
  placeholder among the facts instead of the content (as with ``{{secret:...}}``) and
  types it; the runner writes the content into the task's own temporary folder;
- an **http(s) URL**, downloaded through :class:`~skyvern_core.outbound.OutboundClient`
  (the URL policy holds at every redirect, the size is capped);
- a **local path** inside one of ``Settings.upload_dirs``, once ``~``, ``..`` and symbolic
  links are resolved, that is a regular file, not hidden below that folder (no part of it
  starts with a dot: ``.env``, ``.git/``, ``.ssh/``) and not in the data folder (the store,
  its signing key and the artifacts are never uploaded, whatever ``upload_dirs`` says).

``upload_dirs`` unset means no folder under ``skyvern-core serve`` and ``worker``, and the
current working directory for the embedded Python API (a script's own folder is where its
files are; the hidden-file rule keeps ``.env`` and ``.git`` out).

Every file, whichever way it came, is copied into the task's temporary folder before the
driver sees it and is at most ``Settings.upload_max_bytes``; the driver gets that copy's
path, so a file changed or swapped after the check is not what the page receives. Anything
else is refused with :class:`UploadRefusedError`, whose text names the rule.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from skyvern_core.config import Settings
from skyvern_core.errors import SkyvernError

__all__ = [
    "FILE_KEY",
    "InlineFile",
    "UploadError",
    "UploadRefusedError",
    "UploadResolver",
    "check_inline_files",
    "file_placeholder",
    "is_file_placeholder",
    "split_files",
]

FILE_KEY = "$file"
"""The key of an inline file in ``navigation_payload``:
``{"$file": {"name": ..., "content_base64": ...}}``."""

_PLACEHOLDER = re.compile(r"\{\{\s*file:([^{}]+?)\s*\}\}")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_MAX_NAME = 200


class UploadError(SkyvernError):
    """A file to upload could not be had (missing, or its download failed)."""


class UploadRefusedError(UploadError):
    """A file to upload is refused by the upload rules; the text names the rule."""


@dataclass(frozen=True, slots=True)
class InlineFile:
    """A file given inline in ``navigation_payload``: its name and base64 content."""

    name: str
    content_base64: str


def file_placeholder(path: str) -> str:
    """The text the model sees (and types into ``upload_file``) for the inline file at
    ``path`` of ``navigation_payload``."""
    return "{{file:" + path + "}}"


def is_file_placeholder(text: str) -> bool:
    """Whether ``text`` is exactly one inline file's placeholder."""
    return _PLACEHOLDER.fullmatch(text.strip()) is not None


def _name_problem(name: Any) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return "needs a non-empty 'name'"
    if name in (".", "..") or re.search(r"[\x00-\x1f\x7f/\\]", name):
        return f"has a name that is not a plain file name: {name!r}"
    if len(name) > _MAX_NAME:
        return f"has a name longer than {_MAX_NAME} characters"
    return None


def _inline(value: Any, path: str) -> InlineFile:
    where = f"navigation_payload.{path}" if path else "navigation_payload"
    if set(value) != {FILE_KEY}:
        raise ValueError(f"{where}: a {{{FILE_KEY!r}: ...}} object has no other keys")
    spec = value[FILE_KEY]
    if not isinstance(spec, dict) or set(spec) - {"name", "content_base64"}:
        raise ValueError(
            f"{where}.{FILE_KEY} must be an object with 'name' and 'content_base64' only"
        )
    problem = _name_problem(spec.get("name"))
    if problem:
        raise ValueError(f"{where}.{FILE_KEY} {problem}")
    content = spec.get("content_base64")
    if not isinstance(content, str):
        raise ValueError(f"{where}.{FILE_KEY} needs 'content_base64', the file's content in base64")
    return InlineFile(name=spec["name"], content_base64=content)


def split_files(payload: Any) -> tuple[Any, dict[str, InlineFile]]:
    """Return the payload with each inline file replaced by its placeholder, and path →
    the inline file. Raises ``ValueError`` naming the path of a malformed one."""
    files: dict[str, InlineFile] = {}

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            if FILE_KEY in value:
                files[path] = _inline(value, path)
                return file_placeholder(path)
            return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    return walk(payload, ""), files


def check_inline_files(payload: Any) -> None:
    """Raise ``ValueError`` (naming the path) for a malformed inline file of a payload.

    The content's base64 is decoded when the file is used, not here: a task read back from
    the store is validated again, and decoding megabytes each time would be waste.
    """
    split_files(payload)


# --------------------------------------------------------------------------- the resolver


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path.expanduser()))


def _size_text(count: int) -> str:
    if count % (1 << 20) == 0:
        return f"{count >> 20} MiB"
    if count % (1 << 10) == 0:
        return f"{count >> 10} KiB"
    return f"{count} bytes"


class UploadResolver:
    """Turns what an ``upload_file`` action names into a checked local copy, for one task.

    ``payload`` is the task's ``navigation_payload`` (for its inline files); the copies go
    to a temporary folder of the resolver's own, removed by :meth:`cleanup` (after the
    browser session is closed: the browser reads the file when the form is sent).
    ``outbound`` makes the client for URL downloads (tests pass one with their own name
    resolver).
    """

    def __init__(self, settings: Settings, payload: Any, *, outbound: Any | None = None) -> None:
        self.settings = settings
        try:
            self.files = split_files(payload)[1]
        except ValueError:
            self.files = {}
        self.outbound = outbound
        self._tmp: Path | None = None
        self._count = 0

    # ------------------------------------------------------------------ rules

    def allowed_dirs(self) -> list[Path]:
        """The folders local files may come from, resolved (``upload_dirs``; unset: the
        current working directory)."""
        dirs = self.settings.upload_dirs
        if dirs is None:
            dirs = [Path.cwd()]
        return [_real(Path(d)) for d in dirs]

    def protected(self) -> list[Path]:
        """The places never uploaded from: the data folder, the artifact folder, the
        SQLite file (with its journal files) wherever it is."""
        places = [_real(self.settings.data_dir), _real(self.settings.resolved_artifact_dir)]
        url = self.settings.resolved_database_url
        if url.startswith("sqlite"):
            raw = re.sub(r"^sqlite(\+\w+)?:///", "", url).split("?", 1)[0]
            if raw and raw != ":memory:":
                db = _real(Path(raw))
                places += [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))]
        return places

    # ------------------------------------------------------------------ resolving

    async def resolve(self, file: str) -> Path:
        """A local copy of the file ``file`` names, checked by the rules above.

        Raises :class:`UploadRefusedError` (the text says which rule) or
        :class:`UploadError` (a missing file, a failed download).
        """
        text = file.strip()
        match = _PLACEHOLDER.fullmatch(text)
        if match:
            return await anyio.to_thread.run_sync(self._materialize, match.group(1), text)
        scheme = _SCHEME.match(text)
        if scheme and len(scheme.group(1)) > 1:  # "C:\..." is a Windows path, not a scheme
            if scheme.group(1).lower() in ("http", "https"):
                return await self._download(text)
            raise UploadRefusedError(
                f"upload refused: {text} is neither a local file, an inline file of "
                "navigation_payload ({{file:...}}) nor an http(s) URL"
            )
        return await anyio.to_thread.run_sync(self._local, text)

    def _folder(self) -> Path:
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="skyvern-upload-"))
        self._count += 1
        folder = self._tmp / str(self._count)
        folder.mkdir()
        return folder

    def _materialize(self, path: str, text: str) -> Path:
        inline = self.files.get(path)
        if inline is None:
            known = ", ".join(file_placeholder(p) for p in self.files) or "none"
            raise UploadRefusedError(
                f"upload refused: {text} names no inline file of navigation_payload "
                f"(its inline files: {known})"
            )
        cap = self.settings.upload_max_bytes
        encoded = "".join(inline.content_base64.split())
        if len(encoded) // 4 * 3 - 2 > cap:
            raise self._too_large(f"the inline file {inline.name}", cap)
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise UploadError(
                f"the inline file at navigation_payload.{path} is not valid base64"
            ) from None
        if len(data) > cap:
            raise self._too_large(f"the inline file {inline.name}", cap)
        target = self._folder() / inline.name
        target.write_bytes(data)
        return target

    def _too_large(self, what: str, cap: int) -> UploadRefusedError:
        return UploadRefusedError(
            f"upload refused: {what} is larger than upload_max_bytes ({_size_text(cap)})"
        )

    def _local(self, text: str) -> Path:
        given = Path(text).expanduser()
        real = _real(given)
        for place in self.protected():
            if _inside(real, place):
                raise UploadRefusedError(
                    f"upload refused: {text} is in the data folder (data_dir: the store, its "
                    "keys and the artifacts), which is never uploaded"
                )
        dirs = self.allowed_dirs()
        if not dirs:
            raise UploadRefusedError(
                f"upload refused: {text} is a local file, and this deployment allows no "
                "upload folder (upload_dirs); give the file inline "
                '({"$file": {"name": ..., "content_base64": ...}}) or as an http(s) URL'
            )
        home = next((d for d in dirs if _inside(real, d)), None)
        if home is None:
            linked = " once its links and '..' are resolved" if real != given.absolute() else ""
            raise UploadRefusedError(
                f"upload refused: {text} is outside the allowed upload folders "
                f"(upload_dirs){linked}"
            )
        if any(part.startswith(".") for part in real.relative_to(home).parts):
            raise UploadRefusedError(
                f"upload refused: {text} is hidden (a part of its path below the upload "
                "folder starts with a dot), and hidden files are never uploaded"
            )
        return self._copy(text, real)

    def _copy(self, text: str, real: Path) -> Path:
        cap = self.settings.upload_max_bytes
        try:
            before = os.stat(real, follow_symlinks=False)
        except FileNotFoundError:
            raise UploadError(f"no such file to upload: {text}") from None
        except OSError as exc:
            raise UploadError(f"cannot read {text} to upload it: {exc.strerror}") from None
        if not stat.S_ISREG(before.st_mode):
            raise UploadRefusedError(f"upload refused: {text} is not a regular file")
        if before.st_size > cap:
            raise self._too_large(text, cap)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(real, flags)
        except OSError as exc:
            raise UploadError(f"cannot read {text} to upload it: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as source:
            opened = os.fstat(source.fileno())
            # Swapped between the check and the open (a link put in its place): refuse.
            if (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
                raise UploadRefusedError(f"upload refused: {text} changed while it was checked")
            target = self._folder() / real.name
            with target.open("xb") as out:
                copied = _copy_capped(source, out, cap)
        if copied > cap:
            target.unlink(missing_ok=True)
            raise self._too_large(text, cap)
        return target

    async def _download(self, url: str) -> Path:
        from skyvern_core.netpolicy import BlockedURLError
        from skyvern_core.outbound import OutboundClient, OutboundError, ResponseTooLargeError

        client = self.outbound or OutboundClient(self.settings)
        try:
            got = await client.download(
                url,
                self._folder(),
                time_limit=self.settings.upload_fetch_timeout,
                max_bytes=self.settings.upload_max_bytes,
                max_redirects=5,
                field=f"the file to upload, {url},",
            )
        except BlockedURLError as exc:
            raise UploadRefusedError(f"upload refused: {exc}") from exc
        except ResponseTooLargeError as exc:
            raise self._too_large(url, self.settings.upload_max_bytes) from exc
        except OutboundError as exc:
            raise UploadError(f"could not download {url} to upload it: {exc}") from exc
        finally:
            if self.outbound is None:
                await client.aclose()
        return got.path

    def cleanup(self) -> None:
        """Remove the task's copies."""
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _copy_capped(source: Any, out: Any, cap: int) -> int:
    """Copy at most ``cap`` + 1 bytes; return how many were copied."""
    copied = 0
    while copied <= cap:
        chunk = source.read(min(1 << 20, cap + 1 - copied))
        if not chunk:
            break
        out.write(chunk)
        copied += len(chunk)
    return copied
