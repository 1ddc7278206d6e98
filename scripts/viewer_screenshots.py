"""Make the task viewer's screenshots for ``docs/viewer.md`` (into ``docs/_static/``).

    python scripts/viewer_screenshots.py

Runs real tasks on the bundled job-application site (the offline planner, Playwright,
SQLite in a temporary folder), serves the viewer as ``skyvern-core ui`` does, and takes
the screenshots in headless Chromium. Needs no network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import FloatRect, Page, sync_playwright

from skyvern_core import Agent
from skyvern_core.asgi import create_app
from skyvern_core.demo import demo_request
from skyvern_core.testing.sites import FixtureSites

OUT = Path(__file__).resolve().parents[1] / "docs" / "_static"
GOAL = "Apply for the Senior Backend Engineer job with the candidate's details"


def _start(port: int, data_dir: str) -> uvicorn.Server:
    agent = Agent(data_dir=data_dir, notifier="none", poll_interval=0.1)
    app = create_app(agent, ui_sign_in=False, base_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def _submit(ui: httpx.Client, site: str, **extra: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', ui.get("/tasks/new").text)
    assert token
    request = demo_request(site)
    made = ui.post(
        "/tasks",
        data={
            "csrf_token": token.group(1),
            "url": site,
            "navigation_goal": GOAL,
            "data_extraction_goal": "The confirmation number of the application",
            "navigation_payload": json.dumps(request.navigation_payload),
            "extracted_information_schema": json.dumps(request.extracted_information_schema),
            **extra,
        },
    )
    assert made.status_code == 303, made.text
    return made.headers["location"]


def _wait(ui: httpx.Client, path: str) -> None:
    deadline = time.monotonic() + 120
    while "Cancel task" in ui.get(path.removeprefix("/ui")).text:
        assert time.monotonic() < deadline, path
        time.sleep(0.3)


def main() -> None:
    """Run the tasks and take the screenshots."""
    OUT.mkdir(parents=True, exist_ok=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp, FixtureSites() as sites:
        server = _start(port, tmp)
        base = f"http://127.0.0.1:{port}/ui"
        with httpx.Client(base_url=base, timeout=30) as ui:
            failed = _submit(ui, sites.url("jobs/"), max_steps="1")
            _wait(ui, failed)
            done = _submit(ui, sites.url("jobs/"))
            _wait(ui, done)
        with sync_playwright() as p:
            chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
            browser = p.chromium.launch(executable_path=chromium, headless=True)
            page = browser.new_page(viewport={"width": 1100, "height": 720})
            page.goto(base + "/")
            page.screenshot(path=OUT / "viewer-tasks.png")
            page.goto(f"http://127.0.0.1:{port}{done}")
            page.wait_for_function(
                "[...document.images].every(i => i.complete && i.naturalWidth > 0)"
            )
            page.screenshot(path=OUT / "viewer-task.png", full_page=True, clip=_clip(page, 1500))
            page.locator("#timeline").scroll_into_view_if_needed()
            page.screenshot(path=OUT / "viewer-steps.png")
            page.goto(base + "/tasks/new")
            page.screenshot(path=OUT / "viewer-new-task.png")
            browser.close()
        server.should_exit = True
    for name in sorted(OUT.glob("viewer-*.png")):
        print(f"{name} {name.stat().st_size // 1024} KiB")


def _clip(page: Page, height: int) -> FloatRect:
    full = page.evaluate("document.documentElement.scrollHeight")
    return {"x": 0, "y": 0, "width": 1100, "height": min(height, full)}


if __name__ == "__main__":
    main()
