"""Installing a distribution for a test, the way a user would: pip, into a folder of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def pip_install(source: Path, target: Path) -> Path:
    """Install the distribution at ``source`` (no dependencies) into ``target``; return it."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
    )
    return target
