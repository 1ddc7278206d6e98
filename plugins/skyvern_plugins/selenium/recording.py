"""The Selenium driver's recording: screenshots of the tab, encoded to a WebM at the end.

Selenium's CDP bridge cannot receive events, so there is no screencast: a thread takes a
JPEG of the current tab every :data:`FRAME_INTERVAL` s while no other call holds the
WebDriver, and the system ``ffmpeg`` encodes them when the session closes.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skyvern_plugins.selenium.session import SeleniumSession

__all__ = ["FRAME_INTERVAL", "Recorder"]

log = logging.getLogger(__name__)

FRAME_INTERVAL = 0.5
"""Seconds between two recorded frames."""


class Recorder:
    """Screenshots of the current tab every :data:`FRAME_INTERVAL` s, encoded at the end.

    Runs in its own thread and takes a frame only when no other call holds the WebDriver;
    a frame identical to the previous one is not stored again (it just lasts longer).
    """

    def __init__(self, session: SeleniumSession, ffmpeg: str) -> None:
        self.session = session
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
        """Store one frame, unless the WebDriver is busy (or the browser is gone)."""
        import base64

        lock = self.session.lock
        if not lock.acquire(timeout=wait):
            return
        try:
            shot = self.session._cdp("Page.captureScreenshot", {"format": "jpeg", "quality": 70})
            data = base64.b64decode(shot["data"])
        except Exception as exc:
            log.debug("no frame: %s", exc)
            return
        finally:
            lock.release()
        now = time.monotonic()
        if data == self._last:
            return
        self._last = data
        path = self.folder / f"{len(self.frames):06d}.jpg"
        path.write_bytes(data)
        self.frames.append((path, now))

    def stop(self, final_frame: bool = True) -> None:
        """Stop the thread and (with ``final_frame``) take a last frame of the page as it
        is; without it (a stuck WebDriver), return without waiting for the WebDriver."""
        self._stop.set()
        self._thread.join(timeout=10 if final_frame else 1)
        if final_frame:
            self.capture(wait=5.0)
        self.ended = time.monotonic()

    def encode(self, target: Path) -> Path | None:
        """Encode the frames to a WebM at ``target``; None (with a warning) if it fails."""
        warnings = self.session.warnings
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
