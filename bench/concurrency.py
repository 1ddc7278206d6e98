"""Concurrency: tasks per minute and memory with 1, 5 and 20 tasks at once in one browser.

One :class:`~skyvern_core.Agent` per measurement — real Playwright driver (ONE Chromium,
one browser context per task), SQLite store and local artifacts in a temporary folder,
video recording off unless ``--video`` — runs N tasks at once (``concurrency=N``, N
concurrent ``Agent.run`` calls) with a zero-latency planner: each task types one value per
step into a field of the jobs fixture page (the planner of ``bench/step_overhead.py``) for
``--steps`` steps, then completes. Each measurement starts a fresh browser, so the
figures of one N do not inherit the caches of another.

Measured per N:

- *tasks/min*: N divided by the wall time from the first task's start to the last one's
  end (the browser launch is outside it), times 60;
- *memory*: sampled every ``--interval`` s from a thread while the tasks run — the RSS of
  this process plus every descendant process (Playwright's node driver, Chromium's browser,
  GPU, network and renderer processes), read from ``/proc`` (Linux); peak and median of the
  samples. Summed RSS counts pages shared between Chromium's processes once per process,
  so the proportional set size (PSS, ``/proc/PID/smaps_rollup``), which splits shared pages
  between their users, is given beside it;
- *extra per task*: ``(memory at N - memory at 1) / (N - 1)``, the cost of each task beyond
  the first, from the peaks and from the medians.

The baseline, measured in the same run: 1 task alone. Figures are medians over ``--runs``
runs (1, 5 and 20 in turn per run). Target: 20 concurrent tasks sharing one browser use at
most 100 MB more memory per task than one task uses alone (peak summed RSS).

Run (Chromium at /usr/bin/chromium or on PATH; HOME is pointed at a temporary folder)::

    python bench/concurrency.py [--runs 3] [--steps 6] [--tasks 1,5,20] [--video]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perception import VIEWPORT, isolated_home
from step_overhead import FIELDS, InstantPlanner

TARGET_EXTRA_MB = 100.0
MB = 1024 * 1024
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------- memory


def descendants(root: int) -> list[int]:
    """``root`` and every process below it, from the parent ids in ``/proc/PID/stat``."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                # The command name may hold spaces and parentheses: split after the last ")".
                ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children[ppid].append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def pss_bytes(pid: int) -> int:
    """Proportional set size of a process (0 if it is gone or unreadable)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


@dataclass
class Sample:
    """Memory of the process tree at one moment."""

    rss: int
    pss: int
    processes: int
    own_rss: int


def measure_tree(root: int) -> Sample:
    """Summed RSS and PSS of ``root`` and its descendants."""
    pids = descendants(root)
    return Sample(
        rss=sum(rss_bytes(p) for p in pids),
        pss=sum(pss_bytes(p) for p in pids),
        processes=len(pids),
        own_rss=rss_bytes(root),
    )


class Sampler:
    """Samples this process tree's memory from a thread until stopped."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        root = os.getpid()
        while not self._stop.is_set():
            self.samples.append(measure_tree(root))
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(measure_tree(os.getpid()))


# --------------------------------------------------------------------------- runs


@dataclass
class Result:
    """One measurement: N tasks at once."""

    n: int
    seconds: float
    statuses: dict[str, int]
    peak_rss: int
    median_rss: int
    peak_pss: int
    median_pss: int
    processes: int
    idle_rss: int
    own_rss: int
    steps: list[int] = field(default_factory=list)

    @property
    def per_minute(self) -> float:
        """Tasks completed per minute."""
        return self.n / self.seconds * 60


async def run_batch(
    sites: Any, data: Path, n: int, steps: int, video: bool, interval: float
) -> Result:
    """Start a fresh browser, run ``n`` tasks at once on it, and measure."""
    from skyvern_core import Agent, TaskRequest
    from skyvern_core.config import Settings
    from skyvern_plugins.playwright.driver import PlaywrightDriver

    settings = Settings(
        data_dir=data,
        record_video=video,
        viewport_width=VIEWPORT[0],
        viewport_height=VIEWPORT[1],
        max_steps=steps + 2,
        concurrency=n,
    )
    driver = PlaywrightDriver(settings)
    agent = Agent(
        driver=driver,
        store="sqlite",
        planner=InstantPlanner(FIELDS["jobs"], steps),
        artifact_store="local",
        notifier="none",
        settings=settings,
    )
    try:
        await agent.start(workers=False)
        await driver.start()  # the launch is not part of the timed run
        idle = measure_tree(os.getpid())
        request = TaskRequest(url=sites.url("jobs/"), navigation_goal="Fill in the application")
        with Sampler(interval) as sampler:
            started = time.perf_counter()
            tasks = await asyncio.gather(*(agent.run(request) for _ in range(n)))
            seconds = time.perf_counter() - started
    finally:
        await agent.aclose()  # closes the browser too
    statuses: dict[str, int] = defaultdict(int)
    for task in tasks:
        statuses[task.status.value] += 1
    samples = sampler.samples
    return Result(
        n=n,
        seconds=seconds,
        statuses=dict(statuses),
        peak_rss=max(s.rss for s in samples),
        median_rss=int(statistics.median(s.rss for s in samples)),
        peak_pss=max(s.pss for s in samples),
        median_pss=int(statistics.median(s.pss for s in samples)),
        processes=max(s.processes for s in samples),
        idle_rss=idle.rss,
        own_rss=max(s.own_rss for s in samples),
        steps=[len(t.steps) for t in tasks],
    )


def med(values: list[float]) -> float:
    """The median."""
    return statistics.median(values)


def report(results: dict[int, list[Result]], steps: int, video: bool, runs: int) -> list[str]:
    """The report's lines: a table per N, then the extra memory per task against N=1."""
    ns = sorted(results)
    lines = [
        f"concurrency: N tasks at once in ONE Chromium (one context per task), a real Agent "
        f"(playwright, sqlite, local artifacts, video {'on' if video else 'off'}), a "
        f"zero-latency planner typing into the jobs page, {steps} input steps + complete "
        f"per task; medians of {runs} run(s); memory = this process + all its child "
        f"processes, sampled during the run (MB)\n",
        f"{'N':>3} {'tasks/min':>10} {'wall s':>7} {'procs':>6} {'idle RSS':>9} "
        f"{'peak RSS':>9} {'med RSS':>8} {'peak PSS':>9} {'med PSS':>8} {'python':>7}"
        "  statuses",
    ]
    for n in ns:
        rs = results[n]
        statuses: dict[str, int] = defaultdict(int)
        for r in rs:
            for status, count in r.statuses.items():
                statuses[status] += count
        lines.append(
            f"{n:>3} {med([r.per_minute for r in rs]):>10.1f} {med([r.seconds for r in rs]):>7.1f}"
            f" {med([r.processes for r in rs]):>6.0f}"
            f" {med([r.idle_rss for r in rs]) / MB:>9.0f}"
            f" {med([r.peak_rss for r in rs]) / MB:>9.0f}"
            f" {med([r.median_rss for r in rs]) / MB:>8.0f}"
            f" {med([r.peak_pss for r in rs]) / MB:>9.0f}"
            f" {med([r.median_pss for r in rs]) / MB:>8.0f}"
            f" {med([r.own_rss for r in rs]) / MB:>7.0f}"
            f"  {', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}"
        )
    lines.append(
        "  (idle: the browser started, no task yet; python: this process's own peak RSS; "
        "RSS sums count pages shared between processes once per process, PSS splits them)"
    )
    if 1 not in results:
        return lines
    base = results[1]
    lines.append(
        f"\nextra memory per task beyond the first, against 1 task alone (same run), "
        f"target <= {TARGET_EXTRA_MB:.0f} MB/task:"
    )
    for n in ns:
        if n == 1:
            continue
        rs = results[n]

        def extra(attr: str, rs: list[Result] = rs, n: int = n) -> float:
            now = med([getattr(r, attr) for r in rs])
            alone = med([getattr(r, attr) for r in base])
            return (now - alone) / (n - 1) / MB

        def verdict(mb: float) -> str:
            return "met" if mb <= TARGET_EXTRA_MB else "MISSED"

        peak_rss, peak_pss = extra("peak_rss"), extra("peak_pss")
        lines.append(
            f"  N={n:<3} peak RSS {peak_rss:>6.1f} ({verdict(peak_rss)})"
            f"   median RSS {extra('median_rss'):>6.1f}"
            f"   peak PSS {peak_pss:>6.1f} ({verdict(peak_pss)})"
            f"   median PSS {extra('median_pss'):>6.1f}   MB/task"
        )
    speed = {n: med([r.per_minute for r in results[n]]) for n in ns}
    lines.append(
        "\nthroughput against 1 task: "
        + ", ".join(f"N={n} {speed[n] / speed[1]:.1f}x" for n in ns if n != 1)
        + f" (on {os.cpu_count()} CPUs)"
    )
    return lines


async def main_async(args: argparse.Namespace) -> int:
    """Run every N per run, interleaved; print the report."""
    from skyvern_core.testing.sites import FixtureSites

    ns = [int(n) for n in args.tasks.split(",") if n]
    results: dict[int, list[Result]] = defaultdict(list)
    with isolated_home(), FixtureSites() as sites, tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for n in ns:
                data = Path(tmp) / f"run{run}-n{n}"
                result = await run_batch(sites, data, n, args.steps, args.video, args.interval)
                results[n].append(result)
                print(
                    f"  run {run + 1} N={n}: {result.seconds:.1f} s, "
                    f"peak RSS {result.peak_rss / MB:.0f} MB, {result.statuses}",
                    file=sys.stderr,
                )
    print("\n".join(report(dict(results), args.steps, args.video, args.runs)))
    complete = all(r.statuses == {"completed": r.n} for rs in results.values() for r in rs)
    return 0 if complete else 1


def main() -> int:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of every N (medians)")
    parser.add_argument("--steps", type=int, default=6, help="input_text steps per task")
    parser.add_argument("--tasks", default="1,5,20", help="the Ns: tasks at once")
    parser.add_argument("--interval", type=float, default=0.2, help="memory sampling period")
    parser.add_argument("--video", action="store_true", help="record a video of every task")
    args = parser.parse_args()
    started = time.perf_counter()
    code = asyncio.run(main_async(args))
    print(f"\n(wall time {time.perf_counter() - started:.0f} s)")
    return code


if __name__ == "__main__":
    sys.exit(main())
