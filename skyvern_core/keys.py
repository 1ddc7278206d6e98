"""Keys a deployment keeps in its data folder when no setting gives one: the artifact link
signing key, the browser profile key.

Processes that start at once agree on one key: each writes a candidate to a file of its
own and links it into place, which succeeds for the first only (a link never replaces a
file); everyone then reads the file that won.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["kept_key"]


def kept_key(path: Path, make: Callable[[], str]) -> str:
    """The text of the key file at ``path``, made with ``make()`` (mode 0600) if there is
    none yet; "" if the file is empty."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        # Created 0600 and written whole before it is linked: nobody sees half a key.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(make())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process won: its key is the one
            except OSError:
                # A file system without hard links: exclusive creation decides instead.
                _create_exclusive(path, tmp.read_text())
        finally:
            tmp.unlink(missing_ok=True)
    # Only the exclusive-creation fallback can show a file not written yet: wait a moment.
    text = ""
    for _ in range(50):
        text = path.read_text().strip()
        if text:
            break
        time.sleep(0.01)
    return text


def _create_exclusive(path: Path, text: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
