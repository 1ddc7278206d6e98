"""Step overhead: the engine's wall time per step when the planner answers instantly.

A real :class:`~skyvern_core.Agent` — Playwright driver on Chromium, SQLite store in a
temporary data folder, local artifacts — runs tasks on the jobs and insurance (step 1)
fixture pages with a zero-latency planner: each step types one value into a text field it
finds by label in ``context.page`` (cycling through the page's fields), for ``--steps``
steps, then completes. Per step the engine snapshots the page (script + screenshot),
serializes nothing (no LLM), carries out the action, takes the action screenshot, writes
it as an artifact and records the step in the store.

Per-step wall time is the interval between consecutive ``step_finished`` events
(``Agent(on_event=...)``) of one task; the first step of each task (new context, page load)
and the final ``complete`` step are left out. The driver session, the store and the
artifact store are wrapped with timers (in this script; the library is not changed) to
split the time into snapshot / action / action screenshot / artifact write / store writes.

Two configurations: video recording on (the default) and off. The baseline, measured in
the same run and the same browser: a hand-written Playwright loop doing ``page.fill`` on
the same fields plus ``page.screenshot()`` per iteration, with video matching the
configuration.

Targets: p50 <= 150 ms, p95 <= 400 ms per step.

Run::

    python bench/step_overhead.py [--steps 35] [--tasks jobs,insurance]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perception import VIEWPORT, isolated_home

TARGET_P50 = 150.0
TARGET_P95 = 400.0

FIELDS: dict[str, list[tuple[str, str, Callable[[int], str]]]] = {
    # site: (label the planner looks for, CSS selector for the baseline, value for step n)
    "jobs": [
        ("First Name", "#first_name", lambda n: f"Ada{n}"),
        ("Last Name", "#last_name", lambda n: f"Lovelace{n}"),
        ("Email", "#email", lambda n: f"ada{n}@example.com"),
        ("Phone", "#phone", lambda n: f"+49 30 {n:06d}"),
        ("LinkedIn Profile", "#linkedin", lambda n: f"https://linkedin.com/in/ada{n}"),
    ],
    "insurance": [
        ("First name", "#first_name", lambda n: f"Ada{n}"),
        ("Last name", "#last_name", lambda n: f"Lovelace{n}"),
        ("ZIP code", "#zip", lambda n: f"{10000 + n:05d}"),
        ("Email", "#email", lambda n: f"ada{n}@example.com"),
    ],
}
PATHS = {"jobs": "jobs/", "insurance": "insurance/"}


# --------------------------------------------------------------------------- timers


class Timers:
    """Accumulates time per bucket between two step boundaries."""

    def __init__(self) -> None:
        self.acc: dict[str, float] = defaultdict(float)

    def add(self, bucket: str, seconds: float) -> None:
        """Add ``seconds`` to ``bucket``."""
        self.acc[bucket] += seconds

    def take(self) -> dict[str, float]:
        """Return the buckets since the last call, in ms, and start over."""
        out = {k: v * 1000 for k, v in self.acc.items()}
        self.acc = defaultdict(float)
        return out


def _timed(timers: Timers, bucket: str | Callable[[str], str], fn: Any, name: str) -> Any:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            label = bucket(name) if callable(bucket) else bucket
            timers.add(label, time.perf_counter() - t0)

    return wrapper


class TimedSession:
    """A driver session whose snapshot / execute / screenshot calls are timed."""

    def __init__(self, inner: Any, timers: Timers) -> None:
        self._inner = inner
        self.snapshot = _timed(timers, "snapshot", inner.snapshot, "snapshot")
        self.execute = _timed(timers, "action", inner.execute, "execute")
        self.screenshot = _timed(timers, "screenshot", inner.screenshot, "screenshot")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class TimedDriver:
    """Wraps a driver so its sessions are :class:`TimedSession`."""

    def __init__(self, inner: Any, timers: Timers) -> None:
        self.inner = inner
        self.timers = timers

    async def start(self) -> None:
        """Start the wrapped driver."""
        await self.inner.start()

    async def new_session(self, options: Any) -> TimedSession:
        """Open a session of the wrapped driver, timed."""
        return TimedSession(await self.inner.new_session(options), self.timers)

    async def close(self) -> None:
        """Close the wrapped driver."""
        await self.inner.close()


def wrap_methods(obj: Any, timers: Timers, bucket: Callable[[str], str]) -> None:
    """Time every public coroutine method of ``obj`` (instance attributes shadow them)."""
    for name in dir(obj):
        if name.startswith("_"):
            continue
        fn = getattr(obj, name, None)
        if inspect.iscoroutinefunction(fn):
            setattr(obj, name, _timed(timers, bucket, fn, name))


def _store_bucket(name: str) -> str:
    return "lease" if name == "renew_lease" else f"store:{name}"


# --------------------------------------------------------------------------- the planner


class InstantPlanner:
    """Types one value per step into a field found by its label; completes after ``steps``."""

    def __init__(self, fields: list[tuple[str, str, Callable[[int], str]]], steps: int) -> None:
        self.fields = fields
        self.steps = steps

    async def decide(self, context: Any) -> Any:
        """One input_text action into the next field by label, or complete."""
        from skyvern_core.models import CompleteAction, Decision, InputTextAction

        n = context.step.order
        if n >= self.steps:
            return Decision(reasoning="done", actions=[CompleteAction()])
        label, _, value = self.fields[n % len(self.fields)]
        element = next(
            e
            for e in context.page.elements
            if e.role == "textbox" and e.label.rstrip(" *").lower() == label.lower()
        )
        action = InputTextAction(element_id=element.id, text=value(n))
        return Decision(reasoning=f"type into {label}", actions=[action])

    async def extract(self, context: Any) -> Any:
        """Never called: the tasks have no extraction goal."""
        from skyvern_core.models import Extraction

        return Extraction(data=None)


# --------------------------------------------------------------------------- runs


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[max(0, min(98, round(q * 100) - 1))]


async def run_agent(
    sites: Any, data: Path, sites_names: list[str], steps: int, video: bool
) -> tuple[list[float], list[dict[str, float]], list[str]]:
    """Run one task per site; return per-step wall ms, per-step buckets, task statuses."""
    from skyvern_core import Agent, TaskRequest
    from skyvern_core.config import Settings
    from skyvern_plugins.playwright.driver import PlaywrightDriver

    settings = Settings(
        data_dir=data,
        record_video=video,
        viewport_width=VIEWPORT[0],
        viewport_height=VIEWPORT[1],
        max_steps=steps + 2,
    )
    timers = Timers()
    walls: list[float] = []
    parts: list[dict[str, float]] = []
    last: list[float | None] = [None]

    def on_event(event: Any) -> None:
        now = time.perf_counter()
        if event.kind == "step_finished":
            step = event.step
            buckets = timers.take()
            previous, last[0] = last[0], now
            one_input = len(step.actions) == 1 and step.actions[0].type == "input_text"
            if previous is not None and one_input and step.status == "completed":
                walls.append((now - previous) * 1000)
                parts.append(buckets)
        elif event.kind == "task_finished":
            last[0] = None
            timers.take()

    statuses = []
    driver = TimedDriver(PlaywrightDriver(settings), timers)
    for site in sites_names:
        agent = Agent(
            driver=driver,
            store="sqlite",
            planner=InstantPlanner(FIELDS[site], steps),
            artifact_store="local",
            notifier="none",
            settings=settings,
            on_event=on_event,
        )
        wrap_methods(agent.store, timers, _store_bucket)
        wrap_methods(agent.artifacts, timers, lambda _name: "artifact write")
        try:
            task = await agent.run(
                TaskRequest(url=sites.url(PATHS[site]), navigation_goal=f"Fill the {site} form")
            )
            statuses.append(f"{site}: {task.status.value} ({len(task.steps)} steps)")
            if task.failure_reason:
                statuses[-1] += f" {task.failure_reason}"
        finally:
            await agent.aclose()  # closes the driver too; the next Agent starts it again
    return walls, parts, statuses


async def run_baseline(
    sites: Any, tmp: Path, sites_names: list[str], steps: int, video: bool, trips: list[float]
) -> list[float]:
    """A hand-written loop: page.fill on the same fields + page.screenshot, per iteration.

    Also appends to ``trips`` the time of trivial ``page.evaluate('1')`` calls (the unit
    cost of one call into the page)."""
    from skyvern_core.config import Settings
    from skyvern_plugins.playwright.driver import PlaywrightDriver

    driver = PlaywrightDriver(Settings(data_dir=tmp / "baseline"))
    await driver.start()
    walls: list[float] = []
    try:
        for site in sites_names:
            kwargs: dict[str, Any] = {"viewport": {"width": VIEWPORT[0], "height": VIEWPORT[1]}}
            if video:
                kwargs["record_video_dir"] = str(tmp / "baseline-video" / site)
                kwargs["record_video_size"] = kwargs["viewport"]
            context = await driver.browser.new_context(**kwargs)
            page = await context.new_page()
            await page.goto(sites.url(PATHS[site]), wait_until="domcontentloaded")
            fields = FIELDS[site]
            for n in range(steps):
                _, selector, value = fields[n % len(fields)]
                t0 = time.perf_counter()
                await page.fill(selector, value(n))
                await page.screenshot(type="png")
                if n:
                    walls.append((time.perf_counter() - t0) * 1000)
            for _ in range(10):
                t0 = time.perf_counter()
                await page.evaluate("1")
                trips.append((time.perf_counter() - t0) * 1000)
            await context.close()
    finally:
        await driver.close()
    return walls


def summarize(
    label: str, walls: list[float], parts: list[dict[str, float]], base: list[float]
) -> list[str]:
    """Lines of the report for one configuration."""
    p50, p95 = pct(walls, 0.5), pct(walls, 0.95)
    b50, b95 = pct(base, 0.5), pct(base, 0.95)
    ok50 = "met" if p50 <= TARGET_P50 else "MISSED"
    ok95 = "met" if p95 <= TARGET_P95 else "MISSED"
    lines = [
        f"{label}: {len(walls)} steps; per step p50 {p50:.0f} ms ({ok50}, target "
        f"<= {TARGET_P50:.0f}), p95 {p95:.0f} ms ({ok95}, target <= {TARGET_P95:.0f})",
        f"  baseline (page.fill + page.screenshot, {len(base)} iterations): p50 {b50:.0f} ms, "
        f"p95 {b95:.0f} ms -> engine/baseline {p50 / b50:.1f}x at p50, {p95 / b95:.1f}x at p95",
    ]
    methods = sorted({k for p in parts for k in p if k.startswith("store:")})
    for p in parts:
        p["store"] = sum(v for k, v in p.items() if k.startswith("store:"))
    buckets = ["snapshot", "action", "screenshot", "artifact write", "store"]
    med = {b: statistics.median([p.get(b, 0.0) for p in parts]) for b in [*buckets, *methods]}
    mean = {b: statistics.fmean([p.get(b, 0.0) for p in parts]) for b in [*buckets, *methods]}
    rest = [w - sum(p.get(b, 0.0) for b in buckets) for w, p in zip(walls, parts, strict=True)]
    lines.append("  where a step's time goes (ms, median / mean per step):")
    for b in buckets:
        lines.append(f"    {b:<22} {med[b]:>7.1f} / {mean[b]:>7.1f}")
        if b == "store":
            for m in methods:
                lines.append(f"      {m[6:]:<20} {med[m]:>7.1f} / {mean[m]:>7.1f}")
    lines.append(
        f"    {'other':<22} {statistics.median(rest):>7.1f} / {statistics.fmean(rest):>7.1f}"
        "   (runner, planner, events; lease renewals run concurrently)"
    )
    return lines


async def main_async(args: argparse.Namespace) -> int:
    """Run both configurations and the baselines, interleaved per site; print the report."""
    from skyvern_core.testing.sites import FixtureSites

    names = [n for n in args.tasks.split(",") if n]
    walls: dict[bool, list[float]] = {True: [], False: []}
    parts: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    base: dict[bool, list[float]] = {True: [], False: []}
    statuses: dict[bool, list[str]] = {True: [], False: []}
    trips: list[float] = []
    with isolated_home(), FixtureSites() as sites, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for site in names:
            for video in (True, False):
                data = root / f"{site}-video-{'on' if video else 'off'}"
                w, p, st = await run_agent(sites, data, [site], args.steps, video)
                walls[video] += w
                parts[video] += p
                statuses[video] += st
                base[video] += await run_baseline(sites, data, [site], args.steps, video, trips)
    print(
        f"step overhead: a real Agent (playwright, sqlite, local artifacts) with a "
        f"zero-latency planner, {args.steps} input_text steps per task on {', '.join(names)}; "
        f"viewport {VIEWPORT[0]}x{VIEWPORT[1]}\n"
    )
    for video in (True, False):
        label = f"video {'on' if video else 'off'}"
        print(f"tasks ({label}): " + "; ".join(statuses[video]))
        print("\n".join(summarize(label, walls[video], parts[video], base[video])))
        print()
    print(
        f"one Playwright round trip (page.evaluate('1'), median of {len(trips)}): "
        f"{statistics.median(trips):.1f} ms"
    )
    return 0


def main() -> int:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--steps", type=int, default=35, help="input_text steps per task")
    parser.add_argument("--tasks", default="jobs,insurance", help="sites to run tasks on")
    args = parser.parse_args()
    started = time.perf_counter()
    code = asyncio.run(main_async(args))
    print(f"\n(wall time {time.perf_counter() - started:.0f} s)")
    return code


if __name__ == "__main__":
    sys.exit(main())
