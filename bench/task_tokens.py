"""Prompt tokens and steps of a whole task, with the elements further down the page listed
in the prompt (the default) or only counted (``prompt_offscreen_elements=0``).

The task is the job application of ``skyvern-core demo`` on the bundled jobs site: a form
longer than the screen (9 fields, a file upload, a consent box), then a confirmation page
and the extraction of its confirmation number. It runs through the real ``Agent`` (Playwright,
SQLite, local artifacts, video off) and the real ``LLMPlanner``; the model is
:class:`skyvern_core.testing.prompt.FormFiller`, which decides from the prompt text alone,
as a careful model would: it fills every field it sees an element line for, from the facts;
clicks "Submit application" when that button has a line; otherwise scrolls down when the
prompt says there is more further down; reports the goal reached on the confirmation page.
So with the listing, it fills the whole form in one step; with counts only, a screen at a
time.

For every model call the prompt is counted: system + user text (``count_tokens``,
o200k_base) and the attached screenshot (OpenAI's high-detail estimate, as in
``prompt_tokens.py``). Medians of ``--runs`` runs per setting (the steps are the same each
run; the wall time varies).

Run::

    python bench/task_tokens.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perception import VIEWPORT, isolated_home
from prompt_tokens import image_tokens


def application_form() -> Any:
    """The model's form filling: the demo's facts, by the labels of the jobs site."""
    from skyvern_core.testing.prompt import FormFiller
    from skyvern_core.testing.sites import JOB_APPLICATION_FIELDS

    return FormFiller(
        fields=JOB_APPLICATION_FIELDS,
        submit=["submit application"],
        done="Your confirmation number is",
    )


class Model:
    """An LLM provider answering with :func:`decide` and counting every prompt."""

    supports_images = True

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []  # (text tokens, image tokens) per call
        self.form = application_form()

    async def complete(self, request: Any) -> Any:
        """Answer one request (a step decision or the extraction) and count its prompt."""
        from skyvern_core.perception import count_tokens
        from skyvern_core.protocols import LLMResponse

        text = sum(count_tokens(m.content) for m in request.messages)
        images = sum(len(m.images) for m in request.messages) * image_tokens(*VIEWPORT)
        self.calls.append((text, images))
        prompt = request.messages[-1].content
        if prompt.startswith("Extract information"):
            number = re.search(r"JA-\d+", prompt)
            answer = json.dumps({"confirmation_number": number.group(0) if number else None})
        else:
            answer = self.form(prompt)
        return LLMResponse(text=answer, input_tokens=text + images, output_tokens=40)


async def run_once(listed: int, folder: Path) -> dict[str, Any]:
    """One task with ``prompt_offscreen_elements=listed``; its steps and token figures."""
    from skyvern_core import Agent, Settings
    from skyvern_core.demo import demo_request
    from skyvern_core.planner.llm import LLMPlanner
    from skyvern_core.testing.sites import FixtureSites

    resume = folder / "resume.pdf"
    resume.write_bytes(b"%PDF-1.4\n%%EOF\n")
    settings = Settings(
        data_dir=folder / "data",
        record_video=False,
        viewport_width=VIEWPORT[0],
        viewport_height=VIEWPORT[1],
        prompt_offscreen_elements=listed,
    )
    model = Model()
    agent = Agent(
        driver="playwright",
        store="sqlite",
        planner=LLMPlanner(model, settings),
        artifact_store="local",
        notifier="none",
        settings=settings,
    )
    with FixtureSites() as sites:
        started = time.perf_counter()
        try:
            task = await agent.run(demo_request(sites.url("jobs/"), resume))
        finally:
            await agent.aclose()
        wall = time.perf_counter() - started
    return {
        "status": str(task.status.value),
        "extracted": task.extracted_information,
        "steps": len(task.steps),
        "calls": len(model.calls),
        "text": sum(t for t, _ in model.calls),
        "images": sum(i for _, i in model.calls),
        "wall": wall,
    }


async def collect(runs: int) -> dict[int, list[dict[str, Any]]]:
    """``runs`` tasks per setting, interleaved."""
    out: dict[int, list[dict[str, Any]]] = {40: [], 0: []}
    with isolated_home() as home:
        for n in range(runs):
            for listed in out:
                with tempfile.TemporaryDirectory(dir=home) as tmp:
                    out[listed].append(await run_once(listed, Path(tmp)))
                    print(f"  run {n + 1}, listed={listed}: {out[listed][-1]}", file=sys.stderr)
    return out


def report(results: dict[int, list[dict[str, Any]]]) -> None:
    """Print one row per setting and the ratio of the two."""
    print("whole task: apply on the jobs site, then extract the confirmation number (medians)\n")
    head = (
        f"{'further down':<22} {'status':<10} {'steps':>6} {'model calls':>12}"
        f" {'text tokens':>12} {'+ screenshots':>14} {'wall s':>7}"
    )
    print(head)
    print("-" * len(head))
    totals = {}
    for listed, rows in results.items():
        statuses = sorted({r["status"] for r in rows})
        med = {
            k: statistics.median(r[k] for r in rows)
            for k in ("steps", "calls", "text", "images", "wall")
        }
        totals[listed] = med["text"] + med["images"]
        name = "listed (default, 40)" if listed else "counted (0)"
        print(
            f"{name:<22} {'/'.join(statuses):<10} {med['steps']:>6.0f} {med['calls']:>12.0f}"
            f" {med['text']:>12.0f} {totals[listed]:>14.0f} {med['wall']:>7.1f}"
        )
    if totals.get(0):
        print(
            f"\nlisted / counted, text + screenshots: {totals[40] / totals[0]:.2f}x"
            " (the model's own latency, several seconds a call, comes on top of the wall time)"
        )


def main() -> int:
    """Parse the arguments, run and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    report(asyncio.run(collect(args.runs)))
    print(f"\n(wall time {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
