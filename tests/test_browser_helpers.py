"""The driver helpers of skyvern_core.browser that need no browser: Chromium's downloads
folder and a resource opened in a worker thread whose caller gave up."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import anyio

from skyvern_core.browser.chromium import finished_downloads
from skyvern_core.browser.worker import open_abandonable


def test_finished_downloads_are_the_new_complete_files(tmp_path: Path) -> None:
    (tmp_path / "old.pdf").write_bytes(b"1")
    (tmp_path / "report.csv").write_bytes(b"2")
    (tmp_path / "big.zip.crdownload").write_bytes(b"3")
    (tmp_path / ".hidden").write_bytes(b"4")
    fresh = finished_downloads(tmp_path, [tmp_path / "old.pdf"], wait=0.0)
    assert fresh == [tmp_path / "report.csv"]


def test_finished_downloads_wait_for_a_partial_file(tmp_path: Path) -> None:
    partial = tmp_path / "big.zip.crdownload"
    partial.write_bytes(b"3")

    def finish() -> None:
        time.sleep(0.3)
        partial.rename(tmp_path / "big.zip")

    threading.Thread(target=finish).start()
    assert finished_downloads(tmp_path, [], wait=5.0) == [tmp_path / "big.zip"]


def test_finished_downloads_of_a_missing_folder_are_none(tmp_path: Path) -> None:
    assert finished_downloads(tmp_path / "nowhere", [], wait=0.0) == []


async def test_a_resource_opened_after_its_caller_gave_up_is_discarded() -> None:
    release = threading.Event()
    discarded: list[str] = []
    done = threading.Event()

    def slow_open() -> str:
        release.wait(5)
        return "browser"

    def discard(opened: str) -> None:
        discarded.append(opened)
        done.set()

    with anyio.move_on_after(0.2) as scope:
        await open_abandonable(slow_open, discard)
    assert scope.cancelled_caught
    release.set()
    assert await anyio.to_thread.run_sync(done.wait, 5)
    assert discarded == ["browser"]


async def test_a_resource_opened_in_time_is_returned() -> None:
    discarded: list[str] = []
    assert await open_abandonable(lambda: "browser", discarded.append) == "browser"
    assert discarded == []
