"""The demo: a real task on a bundled job-application site, on the embedded defaults.

``skyvern-core demo`` serves the bundled site on 127.0.0.1, applies for a job on it in a
real (headless) Chromium with the default backends — SQLite in the data folder, the
Playwright driver, local artifacts — shows each step as it happens, and ends with the
status, the extracted confirmation number and where the screenshots and the recording are.
With an LLM configured (``SKYVERN_LLM_MODEL`` and its key, or a local
``SKYVERN_LLM_API_BASE``) the LLM planner decides; with none, the offline planner does.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from skyvern_core.agent import Agent
from skyvern_core.config import Settings
from skyvern_core.models import TaskRequest, TaskStatus
from skyvern_core.runner import RunEvent

__all__ = ["demo_request", "run_demo"]

# A one-page PDF: enough for the site's résumé upload.
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def demo_request(site_url: str, resume: Path | None = None) -> TaskRequest:
    """The demo's task: apply for the job with a candidate's details.

    The résumé (``resume``, else a bundled one-page PDF) goes inline in the payload, as
    ``{"$file": {...}}``: an inline file is uploaded under any ``upload_dirs``, and the
    model sees only its placeholder, ``{{file:resume}}``.
    """
    if resume is None:
        name, data = "ada-lovelace-resume.pdf", _PDF
    else:
        name, data = resume.name, resume.read_bytes()
    return TaskRequest(
        url=site_url,
        navigation_goal="Apply for the Senior Backend Engineer job with the candidate's "
        "details, and submit the application",
        data_extraction_goal="The confirmation number of the application",
        navigation_payload={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada.lovelace@example.com",
            "phone": "+44 20 7946 0018",
            "resume": {"$file": {"name": name, "content_base64": base64.b64encode(data).decode()}},
            "location": "Berlin",
            "how_did_you_hear": "LinkedIn",
            "authorized_to_work": "Yes",
            "consent": True,
        },
        extracted_information_schema={
            "type": "object",
            "properties": {"confirmation_number": {"type": "string", "pattern": r"^JA-\d+$"}},
            "required": ["confirmation_number"],
        },
    )


def _describe_planner(agent: Agent) -> str:
    name = agent.backend_name("planner")
    if name == "llm":
        return f"the LLM planner with {agent.settings.llm_model}"
    if name == "offline":
        return "the offline planner (deterministic, no LLM: set SKYVERN_LLM_MODEL to use a model)"
    return f"the {name!r} planner"


def run_demo(*, settings: Settings | None = None, console: Console | None = None) -> int:
    """Run the demo task; return 0 when it completed."""
    from skyvern_core.testing.sites import FixtureSites

    console = console or Console(highlight=False)
    settings = settings or Settings()
    started = time.monotonic()

    def progress(event: RunEvent) -> None:
        step = event.step
        if event.kind == "step_started" and step is not None:
            retry = f" (retry {step.retry_index})" if step.retry_index else ""
            console.print(f"[bold]step {step.order}{retry}[/bold] looking at the page…")
        elif event.kind == "step_finished" and step is not None:
            mark = "[green]done[/green]" if step.status == "completed" else "[red]failed[/red]"
            actions = ", ".join(_action_text(a) for a in step.actions) or "no action"
            tokens = ""
            if step.input_token_count or step.output_token_count:
                tokens = f" [dim]({step.input_token_count}+{step.output_token_count} tokens)[/dim]"
            console.print(f"  {mark}: {actions}{tokens}")
            if step.failure_reason:
                console.print(f"  [red]{step.failure_reason}[/red]")

    with FixtureSites() as sites:
        agent = Agent(settings=settings, on_event=progress)
        console.print("[bold]skyvern-core demo[/bold]: apply for a job on a bundled site")
        console.print(f"  site:    {sites.url('jobs/')}")
        console.print(f"  planner: {_describe_planner(agent)}")
        console.print(f"  data:    {settings.data_dir}\n")
        task = agent.run_sync(demo_request(sites.url("jobs/")))

    console.print()
    color = "green" if task.status == TaskStatus.completed else "red"
    console.print(
        f"status:     [{color}]{task.status.value}[/{color}]"
        f" in {len(task.steps)} steps, {time.monotonic() - started:.1f} s"
    )
    if task.failure_reason:
        console.print(f"reason:     {task.failure_reason}")
    console.print(f"extracted:  {task.extracted_information}")
    if task.input_token_count or task.output_token_count:
        cost = f", ${task.cost:.4f}" if task.cost else ""
        console.print(
            f"tokens:     {task.input_token_count} in, {task.output_token_count} out{cost}"
        )
    console.print(f"screenshot: {_path(task.screenshot_url)}")
    console.print(f"recording:  {_path(task.recording_url) or 'none (no ffmpeg found)'}")
    console.print(f"task id:    {task.task_id} (in {settings.resolved_database_url})")
    return 0 if task.status == TaskStatus.completed else 1


def _path(url: str | None) -> str | None:
    return url.removeprefix("file://") if url else None


def _action_text(action: Any) -> str:
    target = getattr(action, "element_id", None)
    value = (
        getattr(action, "text", None)
        or getattr(action, "option", None)
        or getattr(action, "file", None)
    )
    text = action.type + (f" {target}" if target else "")
    if value:
        text += f" {value!r}" if len(str(value)) <= 30 else f" {str(value)[:29]!r}…"
    return text
