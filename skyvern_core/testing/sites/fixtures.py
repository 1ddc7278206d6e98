"""Pytest fixtures for the fixture websites (a plugin: list it in ``pytest_plugins``).

- ``sites``: the running :class:`~skyvern_core.testing.sites.server.FixtureSites`, one per
  test session.
  Submissions accumulate across tests; tests find theirs by a unique value they typed.
- ``chromium_executable``: the Chromium to launch (``SKYVERN_TEST_CHROMIUM`` or
  ``/usr/bin/chromium``); browser tests fail where there is none.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from skyvern_core.testing.sites.server import FixtureSites

__all__ = ["chromium_executable", "sites"]


@pytest.fixture(scope="session")
def sites() -> Iterator[FixtureSites]:
    """Serve the fixture sites on two local origins for the whole session."""
    with FixtureSites() as running:
        yield running


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The Chromium binary to launch; browser tests fail (never skip) without one."""
    candidates = [
        os.environ.get("SKYVERN_TEST_CHROMIUM", ""),
        "/usr/bin/chromium",
        shutil.which("chromium") or "",
        shutil.which("chromium-browser") or "",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail(
        "no Chromium found: install one (apt-get install chromium) or set SKYVERN_TEST_CHROMIUM"
    )
