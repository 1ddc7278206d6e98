"""Quickstart: run one task from a Python program and read back every step.

Serves the bundled job-application site on 127.0.0.1, then applies for the job with
``Agent.run`` on the embedded defaults (SQLite, Playwright with a headless Chromium, local
artifacts). With ``SKYVERN_LLM_MODEL`` set (and its key, or ``SKYVERN_LLM_API_BASE`` for a
local model) the LLM planner decides; otherwise the offline planner does.

    python examples/quickstart.py [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import anyio

from skyvern_core import Agent
from skyvern_core.demo import demo_request
from skyvern_core.testing.sites import FixtureSites


async def main(data_dir: Path) -> None:
    """Run the task and print what a user would look at."""
    with FixtureSites() as sites:
        async with Agent(data_dir=data_dir) as agent:
            task = await agent.run(demo_request(sites.url("jobs/")))
            print(f"task {task.task_id}: {task.status.value}")
            for step in task.steps:
                actions = ", ".join(a.type for a in step.actions)
                print(
                    f"  step {step.order} (retry {step.retry_index}) {step.status.value}: "
                    f"{actions} [{step.input_token_count} in / {step.output_token_count} out]"
                )
            print(f"extracted: {task.extracted_information}")
            if task.failure_reason:
                print(f"failure reason: {task.failure_reason}")
            print(f"final screenshot: {task.screenshot_url}")
            print(f"recording: {task.recording_url}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.data_dir or Path(tempfile.mkdtemp(prefix="skyvern-quickstart-"))
    folder.mkdir(parents=True, exist_ok=True)
    anyio.run(main, folder)
