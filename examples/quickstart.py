"""Quickstart: run one task to a final status and print every step.

This version drives the engine with the in-memory fakes of ``skyvern_core.testing`` (a
scripted planner on a two-page job application) and the embedded SQLite store, so it
needs neither a browser nor a model: it shows the task/step lifecycle, the store and the
step records. Run: ``python examples/quickstart.py [--data-dir DIR]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from skyvern_core import Agent, TaskRequest
from skyvern_core.models import (
    ClickAction,
    CompleteAction,
    Decision,
    Extraction,
    InputTextAction,
    Usage,
)
from skyvern_core.testing import FakePage, InMemoryDriver, ScriptedPlanner, element

APPLY = "https://jobs.example.test/apply"
THANKS = "https://jobs.example.test/thanks"


def main() -> None:
    """Run the demo task and print what a user would look at."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="skyvern-quickstart-"))

    site = InMemoryDriver(
        [
            FakePage(
                url=APPLY,
                title="Apply: Backend Engineer",
                elements=[
                    element("e1", "textbox", "Full name", required=True),
                    element("e2", "textbox", "Email", required=True),
                    element("e3", "button", "Submit application"),
                ],
                submit={"e3": THANKS},
            ),
            FakePage(url=THANKS, title="Thanks", text="Application received. Ref JA-4821"),
        ]
    )
    planner = ScriptedPlanner(
        [
            Decision(
                reasoning="Fill the form from the payload and submit it.",
                actions=[
                    InputTextAction(element_id="e1", text="Chris P. Bacon"),
                    InputTextAction(element_id="e2", text="chris@example.test"),
                    ClickAction(element_id="e3"),
                ],
                usage=Usage(input_tokens=1850, output_tokens=95),
            ),
            Decision(
                reasoning="The confirmation page shows: done.",
                actions=[CompleteAction()],
                usage=Usage(input_tokens=1210, output_tokens=40),
            ),
        ],
        extractions=[Extraction(data={"confirmation": "JA-4821"})],
    )
    agent = Agent(driver=site, planner=planner, data_dir=data_dir, store="sqlite")
    task = agent.run_sync(
        TaskRequest(
            url=APPLY,
            navigation_goal="Apply for the job",
            data_extraction_goal="What is the confirmation number?",
            navigation_payload={"name": "Chris P. Bacon", "email": "chris@example.test"},
        )
    )
    print(f"task {task.task_id}: {task.status.value}")
    for step in task.steps:
        actions = ", ".join(a.type for a in step.actions)
        print(
            f"  step {step.order} (retry {step.retry_index}) {step.status.value}: {actions} "
            f"[{step.input_token_count} in / {step.output_token_count} out tokens]"
        )
    print(f"extracted: {task.extracted_information}")
    print(f"final screenshot: {task.screenshot_url}")
    print(f"stored in: {data_dir / 'skyvern.db'}")


if __name__ == "__main__":
    main()
