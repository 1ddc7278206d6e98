"""API load: requests/s and p99 latency for GET task, list tasks and create task on SQLite.

One uvicorn worker serves the API (``bench/api_server.py``) on 127.0.0.1; ``wrk`` (Debian
package ``wrk``) generates the load. Each endpoint runs ``--runs`` times; the medians are
printed beside a baseline measured in the same run: ``GET /noop``, a constant answer from
the same app, which is what the framework alone can do on this machine.

    python bench/api_load.py [--runs 3] [--duration 8] [--connections 32]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx

from skyvern_core import Agent, TaskRequest
from skyvern_core.auth import create_organization

BODY = (
    '{"url": "http://127.0.0.1:9/shop", "navigation_goal": "Find the price", '
    '"proxy_location": "NONE"}'
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def seed(data_dir: Path, tasks: int) -> tuple[str, str]:
    """An organization with ``tasks`` queued tasks; returns (api key, one task id)."""
    agent = Agent(data_dir=data_dir, store="sqlite", notifier="none")
    await agent.start(workers=False)
    made = await create_organization(agent.store, "bench")
    org_id = made.organization.organization_id
    task_id = ""
    for i in range(tasks):
        task = await agent.create_task(
            TaskRequest(url=f"https://example.com/{i}", navigation_goal="Find the price"),
            organization_id=org_id,
        )
        task_id = task.task_id
    await agent.aclose()
    return made.api_key, task_id


def wrk(url: str, key: str, duration: int, connections: int, post: bool) -> tuple[float, float]:
    """Run wrk once; return (requests/s, p99 ms)."""
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-H",
        f"x-api-key: {key}",
    ]
    script = None
    if post:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        body = BODY.replace('"', '\\"')
        script.write(
            f'wrk.method = "POST"\nwrk.body = "{body}"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        script.close()
        cmd += ["-s", script.name]
    out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True).stdout
    if script:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99, out
    value, unit = float(p99.group(1)), p99.group(2)
    ms = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses\n{out}")
    return rps, ms


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--tasks", type=int, default=500)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    data_dir = Path(tempfile.mkdtemp(prefix="skyvern-api-bench-"))
    key, task_id = anyio.run(seed, data_dir, args.tasks)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("api_server.py")),
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
        ]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/noop").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        cases = [
            ("baseline GET /noop", base + "/noop", False),
            ("GET /api/v1/tasks/{id}", f"{base}/api/v1/tasks/{task_id}", False),
            ("GET /api/v1/tasks?page_size=10", f"{base}/api/v1/tasks?page_size=10", False),
            ("POST /api/v1/tasks", f"{base}/api/v1/tasks", True),
        ]
        print(
            f"one uvicorn worker, SQLite, {args.connections} connections, "
            f"{args.duration} s x {args.runs} runs (medians)"
        )
        print(f"{'endpoint':<32} {'req/s':>9} {'p99 ms':>8} {'vs baseline':>12}")
        baseline = None
        for name, url, post in cases:
            runs = [wrk(url, key, args.duration, args.connections, post) for _ in range(args.runs)]
            rps = statistics.median(r for r, _ in runs)
            p99 = statistics.median(p for _, p in runs)
            baseline = baseline or rps
            print(f"{name:<32} {rps:>9.0f} {p99:>8.1f} {rps / baseline:>11.2f}x")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
