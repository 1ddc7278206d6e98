"""Video recordings for both drivers: the ffmpeg each encodes with, and a recording made
of screenshots for a driver that gets no screencast.

Playwright records a context's video itself, with the ffmpeg build kept beside its
browsers (:func:`ensure_ffmpeg` links the system ffmpeg there when that build is missing).
Selenium's CDP bridge receives no events, so its recording is a
:class:`ScreenshotRecorder`: a screenshot every :data:`FRAME_INTERVAL` s, encoded with the
system ffmpeg when the session closes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["FRAME_INTERVAL", "ScreenshotRecorder", "browsers_path", "ensure_ffmpeg"]

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- ffmpeg


def _playwright_package_dir() -> Path | None:
    try:
        import playwright
    except ImportError:
        return None
    return Path(playwright.__file__).parent


def browsers_path(env: dict[str, str] | None = None) -> Path:
    """Where Playwright keeps its browsers and ffmpeg (``PLAYWRIGHT_BROWSERS_PATH``)."""
    env = dict(os.environ) if env is None else env
    configured = env.get("PLAYWRIGHT_BROWSERS_PATH")
    if configured == "0":
        package = _playwright_package_dir()
        if package is not None:
            return package / "driver" / "package" / ".local-browsers"
    if configured:
        return Path(configured).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    if sys.platform == "win32":
        return Path(env.get("LOCALAPPDATA", Path.home())) / "ms-playwright"
    cache = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "ms-playwright"


def _ffmpeg_name() -> str:
    if sys.platform == "darwin":
        return "ffmpeg-mac"
    if sys.platform == "win32":
        return "ffmpeg-win64.exe"
    return "ffmpeg-linux"


def ensure_ffmpeg(env: dict[str, str] | None = None) -> tuple[bool, str | None]:
    """Make sure Playwright finds the ffmpeg it records videos with.

    Playwright looks for ``<browsers path>/ffmpeg-<revision>/ffmpeg-linux``; the revision is
    read from Playwright's ``browsers.json``. When that file is missing but a system ffmpeg
    is on PATH, the folder is created and the system ffmpeg linked there. Returns whether
    video can be recorded, and a warning when it cannot.
    """
    package = _playwright_package_dir()
    manifest = package / "driver" / "package" / "browsers.json" if package else None
    try:
        data = json.loads(manifest.read_text()) if manifest else {}
        revision = next(b["revision"] for b in data["browsers"] if b["name"] == "ffmpeg")
    except (OSError, ValueError, KeyError, StopIteration):
        return False, "video not recorded: Playwright's browsers.json names no ffmpeg revision"
    target = browsers_path(env) / f"ffmpeg-{revision}" / _ffmpeg_name()
    if target.exists():
        return True, None
    path_env = (env if env is not None else os.environ).get("PATH")
    system = shutil.which("ffmpeg", path=path_env)
    if system is None:
        return False, (
            f"video not recorded: no ffmpeg (Playwright looks for {target}, and there is no "
            "ffmpeg on PATH); install it with 'playwright install ffmpeg' or your package "
            "manager"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        target.symlink_to(system)
    except OSError as exc:
        return False, f"video not recorded: could not link {system} to {target}: {exc}"
    return True, None


# --------------------------------------------------------------------------- screenshots

FRAME_INTERVAL = 0.5
"""Seconds between two recorded frames."""


class ScreenshotRecorder:
    """Screenshots every :data:`FRAME_INTERVAL` s, encoded to a WebM at the end.

    ``grab`` takes one (JPEG bytes) and is called only while ``lock`` is free (the lock
    every call of the automation library holds), from the recorder's own thread; a frame
    identical to the previous one is not stored again (it just lasts longer). Problems are
    told in ``warnings``.
    """

    def __init__(
        self, grab: Callable[[], bytes], lock: threading.Lock, warnings: list[str], ffmpeg: str
    ) -> None:
        self.grab = grab
        self.lock = lock
        self.warnings = warnings
        self.ffmpeg = ffmpeg
        self.folder = Path(tempfile.mkdtemp(prefix="skyvern-frames-"))
        self.frames: list[tuple[Path, float]] = []
        self._last: bytes | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="skyvern-recorder", daemon=True)
        self.started = time.monotonic()
        self.ended: float | None = None

    def start(self) -> None:
        """Begin taking frames."""
        self._thread.start()

    def _loop(self) -> None:
        self.capture()
        while not self._stop.wait(FRAME_INTERVAL):
            self.capture()

    def capture(self, wait: float = 0.05) -> None:
        """Store one frame, unless the browser is busy (or gone)."""
        if not self.lock.acquire(timeout=wait):
            return
        try:
            data = self.grab()
        except Exception as exc:
            log.debug("no frame: %s", exc)
            return
        finally:
            self.lock.release()
        now = time.monotonic()
        if data == self._last:
            return
        self._last = data
        path = self.folder / f"{len(self.frames):06d}.jpg"
        path.write_bytes(data)
        self.frames.append((path, now))

    def stop(self, final_frame: bool = True) -> None:
        """Stop the thread and (with ``final_frame``) take a last frame of the page as it
        is; without it (a stuck browser), return without waiting for the lock."""
        self._stop.set()
        self._thread.join(timeout=10 if final_frame else 1)
        if final_frame:
            self.capture(wait=5.0)
        self.ended = time.monotonic()

    def encode(self, target: Path) -> Path | None:
        """Encode the frames to a WebM at ``target``; None (with a warning) if it fails."""
        warnings = self.warnings
        try:
            if not self.frames:
                warnings.append("video not recorded: no frame could be taken")
                return None
            end = self.ended or time.monotonic()
            lines = []
            for i, (path, at) in enumerate(self.frames):
                until = self.frames[i + 1][1] if i + 1 < len(self.frames) else end
                lines.append(f"file '{path.name}'\nduration {max(until - at, 0.04):.3f}")
            # The concat demuxer ignores the last duration unless the file is named again.
            lines.append(f"file '{self.frames[-1][0].name}'")
            listing = self.folder / "frames.txt"
            listing.write_text("\n".join(lines) + "\n")
            target.parent.mkdir(parents=True, exist_ok=True)
            command = [
                self.ffmpeg,
                "-nostdin",
                "-y",
                "-loglevel",
                "error",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(listing),
                "-vf",
                "scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p",
                "-c:v",
                "libvpx",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-b:v",
                "1M",
                "-fps_mode",
                "vfr",
                str(target),
            ]
            done = subprocess.run(command, capture_output=True, text=True, timeout=300)
            if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
                error = (done.stderr or "").strip().splitlines()
                warnings.append(
                    "video not recorded: ffmpeg could not encode the frames"
                    + (f": {error[-1]}" if error else "")
                )
                return None
            return target
        except (OSError, subprocess.SubprocessError) as exc:
            warnings.append(f"video not recorded: {exc}")
            return None
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
