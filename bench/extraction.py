"""Extraction: what the model is sent to answer a data_extraction_goal, per fixture page —
its tokens and its *row coherence* — for ours, for our previous extraction request, and
for browser-use 0.5.11's page text for extraction; and the document reader's time.

For each page, with a real Chromium through our Playwright driver:

- **ours**: the extraction request the LLM planner sends now, built from
  ``PlaywrightSession.read_document()`` (the whole page: every frame, open shadow roots,
  tables row by row; ``skyvern_core/perception/document.js``);
- **before**: the request it sent before the document reader (still its fallback for a
  session without one): the page state's element lines and the text in view, capped at
  6,000 characters (``PageState.content``);
- **browser-use**: the page text of browser-use 0.5.11's ``extract_structured_data``
  action: ``page.content()`` (the top document's HTML, without shadow roots) converted to
  Markdown by ``markdownify`` 1.1.0 (``strip=['a', 'img']``), then each frame whose URL is
  not the page's (nor ``about:``/``data:``) appended as ``IFRAME <url>:`` and its HTML
  converted the same way, runs of newlines folded into one, and the middle cut to 30,000
  characters. Neither browser-use nor markdownify is installed or copied: the gist of that
  conversion is RE-IMPLEMENTED below on BeautifulSoup, for measurement only
  (:func:`bu_markdown`). Its tokens are those of the page text and the query; the
  instructions of its prompt are not counted (ours are).

Columns:

- *tokens*: ``count_tokens`` (o200k_base) of the request's user message (ours, before) or
  of the query and page text (browser-use);
- *coherent*: the share of the page's records (each bill's number, vendor and amount;
  each product's name and price; each payment and exchange rate; each quote of the news
  page's markets table; each line of the checkout summary) whose values all appear on one
  line of that text, a line holding no other record's first value. A text where the rows
  run together on one line, or where a row's values are spread over lines, scores 0 for
  them; a record cut away scores 0;
- *read ms*: the median over ``--runs`` runs of ``read_document()`` as the runner calls it
  (the script in every frame, the frames' texts put in place), and of the script alone,
  timed in the page (``ms`` of its result, top document).

Run (Chromium at /usr/bin/chromium or on PATH; HOME is pointed at a temporary folder)::

    python bench/extraction.py [--runs 7] [--pages bills,news] [--show PAGE]

``--show PAGE`` prints the three texts of one page instead.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

VIEWPORT = (1280, 800)
BU_MAX_CHARS = 30_000
"""browser-use cuts the page text to this many characters, keeping both ends."""


@contextmanager
def isolated_home() -> Iterator[Path]:
    """A temporary HOME (Chromium writes there) and no SKYVERN_* settings."""
    saved = {k: os.environ.get(k) for k in ("HOME", "XDG_DATA_HOME")}
    with tempfile.TemporaryDirectory(prefix="bench-extraction-") as tmp:
        os.environ["HOME"] = tmp
        os.environ["XDG_DATA_HOME"] = str(Path(tmp) / "data")
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        for name in [n for n in os.environ if n.startswith("SKYVERN_")]:
            del os.environ[name]
        try:
            yield Path(tmp)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


# --------------------------------------------------------------------------- browser-use's text

_BLOCKS = {
    "p", "div", "section", "article", "header", "footer", "main", "nav", "aside", "form",
    "fieldset", "figure", "figcaption", "address", "details", "summary", "dialog", "body",
    "html", "ul", "ol", "dl", "table", "blockquote", "pre", "hr",
}  # fmt: skip


def _md_text(text: str, pre: bool) -> str:
    if pre:
        return text
    text = re.sub(r"[\t \r\n]+", " ", text)
    # markdownify escapes Markdown's emphasis characters by default.
    return text.replace("*", r"\*").replace("_", r"\_")


def bu_markdown(html: str) -> str:
    """The gist of ``markdownify.markdownify(html, strip=['a', 'img'])`` (1.1.0 defaults):
    blocks apart by blank lines; h1/h2 underlined, h3-h6 ``###``; ``*`` list bullets
    (``-``/``+`` deeper), ``1.`` for ordered lists; ``**bold**``, ``*em*``, `` `code` ``;
    tables as ``| cell |`` rows with a ``| --- |`` line under a header row; links and
    images stripped to their text; scripts and styles dropped; everything else (hidden
    elements, ``<template>``, every ``<option>``) kept as text. Re-implemented for
    measurement only."""
    from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, Tag

    soup = BeautifulSoup(html, "html.parser")

    def inner(tag: Tag, depth: int, pre: bool) -> str:
        return "".join(convert(c, depth, pre) for c in tag.children)

    def convert(node: Any, depth: int, pre: bool) -> str:
        if isinstance(node, (Comment, Doctype)):
            return ""
        if isinstance(node, NavigableString):
            return _md_text(str(node), pre)
        if not isinstance(node, Tag):
            return ""
        name = node.name.lower()
        if name in ("script", "style"):
            return ""
        if name == "img":
            return ""
        if name == "br":
            return "  \n"
        if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = " ".join(inner(node, depth, pre).split())
            if not text:
                return ""
            if name in ("h1", "h2"):
                return f"\n\n{text}\n{('=' if name == 'h1' else '-') * len(text)}\n\n"
            return f"\n\n{'#' * int(name[1])} {text}\n\n"
        if name in ("b", "strong"):
            text = inner(node, depth, pre).strip()
            return f"**{text}**" if text else ""
        if name in ("em", "i"):
            text = inner(node, depth, pre).strip()
            return f"*{text}*" if text else ""
        if name == "code" and not pre:
            text = inner(node, depth, pre).strip()
            return f"`{text}`" if text else ""
        if name == "pre":
            return f"\n\n```\n{inner(node, depth, True)}\n```\n\n"
        if name in ("ul", "ol"):
            items = []
            n = 1
            for child in node.children:
                if isinstance(child, Tag) and child.name == "li":
                    bullet = f"{n}." if name == "ol" else "*-+"[depth % 3]
                    n += 1
                    body = inner(child, depth + 1, pre).strip()
                    body = re.sub(r"\n+", "\n", body).replace("\n", "\n" + "  " * (depth + 1))
                    items.append("  " * depth + f"{bullet} {body}")
                else:
                    text = convert(child, depth, pre).strip()
                    if text:
                        items.append(text)
            return "\n\n" + "\n".join(items) + "\n\n"
        if name == "table":
            rows = []
            for tr in node.find_all("tr"):
                if tr.find_parent("table") is not node:
                    continue
                cells = tr.find_all(["td", "th"], recursive=False)
                texts = [" ".join(inner(c, depth, pre).split()) for c in cells]
                rows.append("| " + " | ".join(texts) + " |")
                header = all(c.name == "th" for c in cells) or tr.find_parent("thead")
                if header and len(rows) == 1:
                    rows.append("| " + " | ".join("---" for _ in cells) + " |")
            return "\n\n" + "\n".join(rows) + "\n\n"
        if name == "dt":
            return "\n" + " ".join(inner(node, depth, pre).split()) + "\n"
        if name == "dd":
            return "\n:   " + " ".join(inner(node, depth, pre).split()) + "\n"
        if name == "hr":
            return "\n\n---\n\n"
        if name == "blockquote":
            text = inner(node, depth, pre).strip()
            return "\n\n" + "\n".join("> " + x for x in text.split("\n")) + "\n\n"
        text = inner(node, depth, pre)
        if name in _BLOCKS:
            text = text.strip()
            return f"\n\n{text}\n\n" if text else ""
        return text

    return convert(soup, 0, False).strip()


async def bu_page_text(page: Any, query: str) -> str:
    """browser-use 0.5.11's page text for extraction, re-implemented (see the module)."""
    content = bu_markdown(await page.content())
    for frame in page.frames:
        url = frame.url
        if frame is page.main_frame or url == page.url:
            continue
        if url.startswith(("data:", "about:")):
            continue
        content += f"\n\nIFRAME {url}:\n"
        try:
            content += bu_markdown(await frame.content())
        except Exception:
            pass
    content = re.sub(r"\n+", "\n", content)
    if len(content) > BU_MAX_CHARS:
        half = BU_MAX_CHARS // 2
        content = content[:half] + "\n... left out the middle ...\n" + content[-half:]
    return f"Query: {query}\nWebsite:\n{content}"


# --------------------------------------------------------------------------- pages


Records = list[tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class PageSpec:
    """A fixture page, the extraction goal asked of it, and how to list its records."""

    name: str
    path: str
    goal: str
    records: Callable[[Any], Awaitable[Records]] | None = None


def _from_data(path: str, keys: tuple[str, ...]) -> Callable[[Any], Awaitable[Records]]:
    async def read(_page: Any) -> Records:
        from skyvern_core.testing.sites.records import page_records

        return [tuple(str(r[k]) for k in keys) for r in page_records(path)]

    return read


async def _account(_page: Any) -> Records:
    payments = [
        ("PAY-7001", "Northwind Traders", "$1,240.00"),
        ("PAY-7002", "Globex Utilities", "$318.45"),
        ("PAY-7003", "Hooli Cloud", "$2,904.10"),
        ("PAY-7004", "Stark Electric", "$615.00"),
    ]
    rates = [("USD/EUR", "0.9210"), ("USD/GBP", "0.7874"), ("USD/JPY", "157.32")]
    return [*payments, *rates]


async def _news(page: Any) -> Records:
    rows: list[list[str]] = await page.eval_on_selector_all(
        "#quotes-body tr",
        "rows => rows.map(r => Array.from(r.cells).slice(0, 3).map(c => c.innerText.trim()))",
    )
    return [tuple(r) for r in rows]


async def _checkout(_page: Any) -> Records:
    return [
        ("Ethiopia Yirgacheffe, 1 kg", "$38.00"),
        ("Shipping", "$6.00"),
        ("Tax", "$5.00"),
        ("Total due", "$49.00"),
    ]


PAGES = [
    PageSpec(
        "bills",
        "extraction/bills.html",
        "Every bill's number, vendor and amount",
        _from_data("extraction/bills.html", ("number", "vendor", "amount")),
    ),
    PageSpec(
        "products",
        "extraction/products.html",
        "Every product's name and price",
        _from_data("extraction/products.html", ("name", "price")),
    ),
    PageSpec(
        "account",
        "extraction/account.html",
        "The recent payments and the exchange rates",
        _account,
    ),
    PageSpec("news", "news/", "Every quote of the markets table", _news),
    PageSpec("checkout", "checkout/", "The order's lines and their prices", _checkout),
    PageSpec("jobs", "jobs/", "The job title, location and what the job offers"),
    PageSpec("shadow", "shadow/", "What the free trial includes"),
    PageSpec("legacy", "legacy/", "The membership types and their prices"),
    PageSpec("insurance", "insurance/", "The steps of the quote"),
    PageSpec("cookies", "cookies/", "The recipe's ingredients"),
]


def coherence(text: str, records: Records) -> int:
    """How many records have all their values on one line holding no other record's
    first value (see the module)."""
    lines = text.split("\n")
    keys = [r[0] for r in records]
    hits = 0
    for record in records:
        others = [k for k in keys if k != record[0]]
        for line in lines:
            if all(v in line for v in record) and not any(_has_key(line, k) for k in others):
                hits += 1
                break
    return hits


def _has_key(line: str, key: str) -> bool:
    # A key inside a longer token (BILL-1 in BILL-10) is not that key.
    return re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", line) is not None


# --------------------------------------------------------------------------- measuring


@dataclass(slots=True)
class PageResult:
    """What one page measured."""

    spec: PageSpec
    records: int = 0
    texts: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    coherent: dict[str, int] = field(default_factory=dict)
    chunks: int = 1
    read_ms: list[float] = field(default_factory=list)
    script_ms: list[float] = field(default_factory=list)


async def measure(driver: Any, sites: Any, tmp: Path, spec: PageSpec, runs: int) -> PageResult:
    """One page: the three texts, their tokens and coherence, the reader's times."""
    import json

    from skyvern_core.config import Settings
    from skyvern_core.models import Task, TaskRequest
    from skyvern_core.perception.browser_common import READ_DOCUMENT
    from skyvern_core.perception.document import chunk_document
    from skyvern_core.perception.serializer import count_tokens
    from skyvern_core.planner.llm import LLMPlanner
    from skyvern_core.protocols import ExtractContext, SessionOptions
    from skyvern_core.testing import ScriptedLLM

    session = await driver.new_session(
        SessionOptions(
            task_id=f"bench-{spec.name}",
            artifact_dir=tmp / spec.name,
            record_video=False,
            viewport=VIEWPORT,
        )
    )
    result = PageResult(spec)
    try:
        await session.goto(sites.url(spec.path))
        for frame in session.page.frames:
            await frame.wait_for_load_state("load")
        page_state = await session.snapshot()
        for _ in range(runs):
            started = time.perf_counter()
            document = await session.read_document()
            result.read_ms.append((time.perf_counter() - started) * 1000)
            raw = json.loads(await session.page.main_frame.evaluate(READ_DOCUMENT, {}))
            result.script_ms.append(float(raw["ms"]))
        task = Task(
            task_id="tsk_bench",
            organization_id="o_bench",
            max_steps=1,
            request=TaskRequest(url=page_state.url, data_extraction_goal=spec.goal),
        )
        planner = LLMPlanner(ScriptedLLM(supports_images=False), Settings())
        ours = ExtractContext(task=task, page=page_state, document=document)
        before = ExtractContext(task=task, page=page_state)
        result.texts["ours"] = planner.extract_messages(ours)[-1].content
        result.texts["before"] = planner.extract_messages(before)[-1].content
        result.texts["browser-use"] = await bu_page_text(session.page, spec.goal)
        result.chunks = len(chunk_document(document, Settings().extraction_chunk_tokens))
        records = await spec.records(session.page) if spec.records else []
        result.records = len(records)
        for name, text in result.texts.items():
            result.tokens[name] = count_tokens(text)
            result.coherent[name] = coherence(text, records)
    finally:
        await session.close()
    return result


async def collect(pages: list[PageSpec], runs: int) -> list[PageResult]:
    """Measure every page with one Chromium."""
    from skyvern_core.config import Settings
    from skyvern_core.testing.sites import FixtureSites
    from skyvern_plugins.playwright.driver import PlaywrightDriver

    with isolated_home() as home, FixtureSites() as sites:
        driver = PlaywrightDriver(Settings(data_dir=home / "data", record_video=False))
        await driver.start()
        try:
            return [await measure(driver, sites, home, spec, runs) for spec in pages]
        finally:
            await driver.close()


def med(values: list[float]) -> float:
    """The median, or NaN for no values."""
    return statistics.median(values) if values else float("nan")


def report(results: list[PageResult], runs: int) -> None:
    """Print one line per page and the totals."""
    names = ("ours", "before", "browser-use")
    print(f"Extraction request per page (read ms: median of {runs} runs)\n")
    head = f"{'page':10} {'records':>7}"
    for name in names:
        head += f" | {name + ' tokens':>18} {'coherent':>9}"
    head += f" | {'parts':>5} {'read ms':>8} {'script ms':>9}"
    print(head)
    print("-" * len(head))
    totals = {n: [0, 0] for n in names}
    for r in results:
        line = f"{r.spec.name:10} {r.records or '-':>7}"
        for name in names:
            share = f"{r.coherent[name]}/{r.records}" if r.records else "-"
            line += f" | {r.tokens[name]:>18,} {share:>9}"
            totals[name][0] += r.tokens[name]
            totals[name][1] += r.coherent[name]
        line += f" | {r.chunks:>5} {med(r.read_ms):>8.1f} {med(r.script_ms):>9.1f}"
        print(line)
    records = sum(r.records for r in results)
    print("-" * len(head))
    line = f"{'all':10} {records:>7}"
    for name in names:
        share = f"{100 * totals[name][1] / records:.0f}%" if records else "-"
        line += f" | {totals[name][0]:>18,} {share:>9}"
    print(line)
    print(
        "\ntokens: the extraction request's user message (ours, before: goal, instructions, "
        "page);\nbrowser-use: its query and page text only. coherent: records whose values "
        "are all on one\nline that holds no other record. parts: calls at the default "
        "extraction_chunk_tokens."
    )


def main() -> int:
    """Parse the arguments, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per page (median)")
    parser.add_argument("--pages", default="", help="comma-separated page names (default all)")
    parser.add_argument("--show", default="", help="print the three texts of this page")
    args = parser.parse_args()
    names = [n for n in args.pages.split(",") if n] or [p.name for p in PAGES]
    if args.show:
        names = [args.show]
    unknown = set(names) - {p.name for p in PAGES}
    if unknown:
        parser.error(f"unknown page(s): {', '.join(sorted(unknown))}")
    pages = [p for p in PAGES if p.name in names]
    started = time.perf_counter()
    results = asyncio.run(collect(pages, 1 if args.show else args.runs))
    if args.show:
        for name, text in results[0].texts.items():
            print(f"===== {name} ({results[0].tokens[name]} tokens)\n{text}\n")
        return 0
    report(results, args.runs)
    print(f"\n(wall time {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
