"""Check that every held-out page's truth.json still matches its page.

For each ``bench/unseen/<name>/`` with a ``truth.json``, the page is opened at 1280x800 in
Chromium (served by a static server on 127.0.0.1) and:

- every control's ``find`` (inside the frame ``frame`` returns, if given) must return
  exactly one connected element, and two controls never the same element;
- every record's values must occur in the page's text (its rendered text, that of open
  shadow roots and of same-origin frames, whitespace collapsed), and together inside one
  element that does not also hold every value of another record;
- the page must log no console error or uncaught exception.

Run: ``python bench/unseen/check_truth.py [--pages invoice-grid,survey] [--chromium PATH]``.
Exits 1 and lists what is wrong when any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from playwright.async_api import Frame, Page, async_playwright

HERE = Path(__file__).resolve().parent
VIEWPORT = {"width": 1280, "height": 800}

# Evaluates each expression; answers per control "ok", "twin <k>" (the same element as
# expression k) or what it returned instead.
_FIND_JS = """
(exprs) => {
  const seen = [];
  const seenAt = [];
  return exprs.map((expr, i) => {
    let el;
    try { el = (0, eval)('(' + expr + ')'); } catch (e) { return 'threw ' + e; }
    if (el === null || el === undefined) return 'returned ' + el;
    if (typeof el.length === 'number' && !(el.nodeType)) return 'returned a list, not one element';
    if (el.nodeType !== 1) return 'returned no element';
    if (!el.isConnected) return 'returned a disconnected element';
    const twin = seen.indexOf(el);
    seen.push(el);
    seenAt.push(i);
    return twin === -1 ? 'ok' : 'twin ' + seenAt[twin];
  });
}
"""

# The page's text: rendered text of the document, of open shadow roots, of same-origin frames.
_TEXT_JS = """
() => {
  const norm = (s) => s.replace(/[\\s\\u00a0]+/g, ' ').trim();
  const parts = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) {
        for (const child of el.shadowRoot.children) {
          if (child.tagName !== 'STYLE' && child.tagName !== 'SCRIPT') {
            parts.push(child.innerText || '');
          }
        }
        visit(el.shadowRoot);
      }
      if (el.tagName === 'IFRAME') {
        try { if (el.contentDocument && el.contentDocument.body) {
          parts.push(el.contentDocument.body.innerText); visit(el.contentDocument);
        } } catch (e) { /* another origin */ }
      }
    }
  };
  parts.push(document.body.innerText);
  visit(document);
  return norm(parts.join(' \\n '));
}
"""

# For each record: is there an element holding all its values but not all of another's?
_TOGETHER_JS = """
(records) => {
  const norm = (s) => s.replace(/[\\s\\u00a0]+/g, ' ').trim();
  const els = [];
  const collect = (root) => {
    for (const el of root.querySelectorAll('*')) {
      els.push(el);
      if (el.shadowRoot) collect(el.shadowRoot);
    }
  };
  collect(document);
  const texts = new Map();
  const text = (el) => {
    if (!texts.has(el)) texts.set(el, norm(el.innerText || el.textContent || ''));
    return texts.get(el);
  };
  const vals = records.map((r) => Object.values(r).map((v) => norm(String(v))));
  return vals.map((mine, i) => {
    let best = null;
    for (const el of els) {
      const t = text(el);
      const holds = mine.every((v) => t.includes(v));
      if (holds && (best === null || t.length < text(best).length)) best = el;
    }
    if (best === null) return 'values never in one element';
    const t = text(best);
    const other = vals.findIndex((theirs, j) => j !== i && theirs.every((v) => t.includes(v)));
    return other === -1 ? 'ok' : 'not told apart from record #' + other;
  });
}
"""


def _norm(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


async def _check_page(page: Page, url: str, truth: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(url)
    await page.wait_for_load_state("networkidle")
    await page.wait_for_timeout(150)  # pages render from scripts after load, like SPAs
    for key in ("title", "controls", "records"):
        if key not in truth:
            problems.append(f"truth.json has no {key!r}")
    controls = truth.get("controls", [])
    by_frame: dict[str | None, list[tuple[int, dict[str, Any]]]] = {}
    for i, control in enumerate(controls):
        by_frame.setdefault(control.get("frame"), []).append((i, control))
    for frame_expr, items in by_frame.items():
        target: Frame | None = page.main_frame
        if frame_expr is not None:
            handle = await page.evaluate_handle(f"({frame_expr})")
            element = handle.as_element()
            target = await element.content_frame() if element is not None else None
            if target is None:
                for i, control in items:
                    problems.append(f"control #{i} {control['name']!r}: frame is no iframe")
                continue
        answers = await target.evaluate(_FIND_JS, [c["find"] for _, c in items])
        for (i, control), answer in zip(items, answers, strict=True):
            if answer.startswith("twin "):
                first = items[int(answer.split()[1])][0]
                answer = f"returned the same element as control #{first}"
            if answer != "ok":
                problems.append(f"control #{i} {control['name']!r}: find {answer}")
    names = [c["name"] for c in controls]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"two controls are named {name!r}")
    records = [r["fields"] for r in truth.get("records", [])]
    text = await page.evaluate(_TEXT_JS)
    for i, fields in enumerate(records):
        missing = [v for v in fields.values() if _norm(str(v)) not in text]
        if missing:
            problems.append(f"record #{i}: not in the page's text: {missing}")
    if records:
        together = await page.evaluate(_TOGETHER_JS, records)
        for i, answer in enumerate(together):
            if answer != "ok":
                problems.append(f"record #{i} {records[i]}: {answer}")
    problems += [f"console: {e}" for e in errors]
    return problems


async def _main(pages: list[str], chromium: str) -> int:
    server, base = _serve(HERE)
    home = tempfile.mkdtemp(prefix="check-truth-home-")
    failed = 0
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path=chromium, env={**os.environ, "HOME": home}
            )
            for name in pages:
                truth = json.loads((HERE / name / "truth.json").read_text())
                context = await browser.new_context(viewport=VIEWPORT)
                page = await context.new_page()
                page.set_default_timeout(10_000)
                problems = await _check_page(page, f"{base}/{name}/", truth)
                await context.close()
                counts = f"{len(truth['controls'])} controls, {len(truth['records'])} records"
                print(f"{'FAIL' if problems else 'ok  '} {name:<18} {counts}")
                for problem in problems:
                    print(f"     - {problem}")
                failed += bool(problems)
            await browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(home, ignore_errors=True)
    print(f"{len(pages) - failed}/{len(pages)} pages match their truth")
    return 1 if failed else 0


def main() -> None:
    """Parse the arguments, check the pages, exit 1 on any mismatch."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", help="comma-separated page folders (default: all)")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    every = sorted(p.parent.name for p in HERE.glob("*/truth.json"))
    pages = args.pages.split(",") if args.pages else every
    unknown = [p for p in pages if p not in every]
    if unknown:
        parser.error(f"no truth.json for {unknown}; pages are {', '.join(every)}")
    sys.exit(asyncio.run(_main(pages, args.chromium)))


if __name__ == "__main__":
    main()
