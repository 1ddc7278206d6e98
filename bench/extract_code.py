"""CPU time of the one-time code finder (``POST /api/v1/totp`` runs it on the event loop)
on messages shaped to make a finder rescan its text: numbers and keywords everywhere,
numbers far from a keyword, tags, scripts and comments that never close.

    python bench/extract_code.py [--sizes 56000,250000,1000000] [--runs 3]

Prints the median CPU seconds per case and size; linear work grows with the size, so the
last column over the first is about the ratio of the sizes (a quadratic finder's is that
ratio squared). The baseline is ``str.count`` over the same text (one pass in C).
"""

from __future__ import annotations

import argparse
import statistics
import time

from skyvern_core.totp import extract_code

CASES = {
    "codes and keywords": "verification code 12345, ",
    "references": "Order no. 123456 code ",
    "numbers far from a keyword": " 123456 y",
    "numbers without keywords": "123456 x ",
    "unclosed tags": "<a",
    "unclosed scripts": "<script>x",
    "unclosed comments": "<!--",
}
PREFIX = {
    "numbers far from a keyword": "code" + "x" * 300,
    "unclosed tags": "<div>code 482913 ",
    "unclosed scripts": "<html><body>code 482913 ",
    "unclosed comments": "<html><body>code 482913 ",
}


def cpu(func: object, text: str, runs: int) -> float:
    """Median CPU seconds of ``func(text)`` over ``runs`` runs."""
    times = []
    for _ in range(runs):
        started = time.thread_time()
        func(text)  # type: ignore[operator]
        times.append(time.thread_time() - started)
    return statistics.median(times)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="56000,250000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'case':28s}" + "".join(f"{n:>12,d}" for n in sizes) + "   chars (CPU s)")
    for name, unit in CASES.items():
        row = []
        for size in sizes:
            prefix = PREFIX.get(name, "")
            text = (prefix + unit * (size // len(unit) + 1))[:size]
            row.append(cpu(extract_code, text, args.runs))
        print(f"{name:28s}" + "".join(f"{t:12.3f}" for t in row))
    text = ("code 123456 " * (sizes[-1] // 12 + 1))[: sizes[-1]]
    baseline = cpu(lambda t: t.count("7"), text, args.runs)
    print(f"{'baseline: str.count':28s}" + " " * 12 * (len(sizes) - 1) + f"{baseline:12.3f}")


if __name__ == "__main__":
    main()
