"""What a cost or token limit adds to each model call: the offline estimate of its prompt.

A task with ``max_cost_usd`` or ``max_tokens`` has each model call counted (litellm's
tokenizer, screenshots priced as the provider prices them) and priced before it is sent.
This times that estimate on real step prompts: the LLM planner's messages for the fixture
insurance page (snapshot with its viewport screenshot, in Chromium) and for the 2,000+
element news page, beside the baseline of counting the same text with the project's own
tokenizer (``count_tokens``), and prints the estimated tokens and dollars.

    python bench/limit_estimate.py [--runs 15] [--model openai/gpt-4o-mini]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import anyio

from skyvern_core import Settings
from skyvern_core.models import Step, Task, TaskRequest
from skyvern_core.perception.tokens import count_tokens
from skyvern_core.planner import LLMPlanner
from skyvern_core.protocols import LLMRequest, PlanContext, SessionOptions
from skyvern_core.testing.sites import FixtureSites
from skyvern_plugins.litellm_provider import LiteLLMProvider
from skyvern_plugins.playwright.driver import PlaywrightDriver

PAGES = {"insurance": "insurance/", "news": "news/"}


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def main(runs: int, model: str) -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    settings = Settings(llm_model=model, llm_supports_images=True, record_video=False)
    provider = LiteLLMProvider(settings)
    planner = LLMPlanner(provider, settings)
    with FixtureSites() as sites, tempfile.TemporaryDirectory() as tmp:
        driver = PlaywrightDriver(settings)
        await driver.start()
        session = await driver.new_session(
            SessionOptions(task_id="bench", artifact_dir=Path(tmp), record_video=False)
        )
        print(f"model {model}, {runs} runs each; medians")
        print(f"{'page':<10} {'tokens':>7} {'est. $':>10} {'estimate':>10} {'baseline':>10}")
        for name, path in PAGES.items():
            await session.goto(sites.url(path))
            page = await session.snapshot()
            task = Task(
                task_id="task_bench",
                organization_id="org_bench",
                request=TaskRequest(url=page.url, navigation_goal="Get a quote"),
                max_steps=10,
            )
            step = Step(step_id="step_bench", task_id=task.task_id, organization_id="o", order=0)
            messages = planner.decide_messages(
                PlanContext(task=task, page=page, history=[], step=step)
            )
            request = LLMRequest(messages=messages)
            await provider.estimate(request)  # warm the tokenizer
            estimates, baselines = [], []
            estimate = None
            for _ in range(runs):
                started = time.perf_counter()
                estimate = await provider.estimate(request)
                estimates.append(time.perf_counter() - started)
                started = time.perf_counter()
                sum(count_tokens(m.content) for m in messages)
                baselines.append(time.perf_counter() - started)
            assert estimate is not None
            print(
                f"{name:<10} {estimate.tokens:>7} {estimate.cost or 0:>10.6f} "
                f"{median_ms(estimates):>8.1f}ms {median_ms(baselines):>8.1f}ms"
            )
        await session.close()
        await driver.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--model", default="openai/gpt-4o-mini")
    args = parser.parse_args()
    anyio.run(main, args.runs, args.model)
