"""Prompt tokens per step of the LLM planner on the fixture pages, split by part, beside the
page text of a published extractor (browser-use 0.5.11) for the same page.

For each fixture page of ``bench/perception.py`` the page is snapshotted with our Playwright
driver and a realistic :class:`~skyvern_core.protocols.PlanContext` is built around it: a
task with a goal for that page and a ``navigation_payload`` of 8 facts, a history of 3
earlier steps with 2-3 actions each (one of them failed, with its error), step number 3,
the previous snapshot of the same page. The prompt is
``LLMPlanner(ScriptedLLM(), Settings()).decide_messages(context)``; its text (system +
user message) is counted with ``count_tokens`` (o200k_base). Images are EXCLUDED: the
viewport screenshot attached to the user message is not counted (an estimate with OpenAI's
high-detail formula is printed once), nor is the JSON schema sent as the response format
(its size is printed once).

Split: system / page (``serialize(page, previous)``, as embedded in the user message) /
history (``render_history``) / rest (goal, facts, headings of the template). Side by side:
the page part vs browser-use's page text for the same page (``perception.bu_render``, a
re-implementation of its prompt format), and where our page part's tokens go.

Also: the page part with ``prompt_offscreen_elements=0`` (elements below the viewport
counted by role instead of listed), and what the listing costs against what a step costs.

Targets: <= 4,000 tokens per step on a typical form page; page part <= half of the
published extractor's state of the whole page (``viewport_expansion=-1``) on the same page
(per page, and over the form pages); its default state (viewport +500 px) is shown too.

Run::

    python bench/prompt_tokens.py [--pages jobs,legacy]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perception import PAGES, VIEWPORT, Bench, PageSpec, bu_state_text, isolated_home

from skyvern_core.testing.prompt import RUN_ROW

TARGET_STEP = 4000
TARGET_PAGE_RATIO = 0.5
FORM_PAGES = {"jobs", "shadow", "checkout", "insurance-1", "insurance-2", "insurance-3", "legacy"}
"""The "typical form pages" the 4,000-token target is checked on."""

FACTS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada.lovelace@example.com",
    "phone": "+44 20 7946 0018",
    "date_of_birth": "1990-05-17",
    "zip": "94107",
    "city": "Berlin",
    "resume": "https://files.example.com/ada-lovelace-cv.pdf",
}

GOALS = {
    "jobs": "Apply for the Senior Backend Engineer job with the candidate's details, attach "
    "the resume and submit the application.",
    "shadow": "Sign up for the free trial with the user's details and create the account.",
    "checkout": "Pay for the order with the card in the facts and reach the confirmation.",
    "cookies": "Subscribe the user's email to the newsletter.",
    "insurance": "Get a car insurance quote for the user's 2019 Honda Civic used for "
    "commuting, with roadside assistance, and report the yearly price.",
    "news": "Find today's market movers and add a price alert for the top gainer.",
    "legacy": "Apply for a Social membership of the club with the user's details.",
}


def goal_of(spec: PageSpec) -> str:
    """The task's navigation goal for a page."""
    return GOALS[spec.name.split("-")[0]]


def history_for(page: Any, task_id: str) -> list[Any]:
    """3 earlier steps with 2-3 actions each, on this page's elements (one failed)."""
    from skyvern_core.models import (
        ActionResult,
        CheckAction,
        ClickAction,
        InputTextAction,
        ScrollAction,
        Step,
        StepStatus,
    )

    values = list(FACTS.values())
    fields = [e for e in page.elements if e.role in ("textbox", "searchbox", "combobox")]
    others = [e for e in page.elements if e.role not in ("textbox", "searchbox", "combobox")]
    steps = []
    for order in range(3):
        actions: list[Any] = []
        results: list[Any] = []
        for k in range(3 if order < 2 else 2):
            n = order * 3 + k
            if n < len(fields):
                actions.append(InputTextAction(element_id=fields[n].id, text=values[n % 8]))
            elif others:
                el = others[n % len(others)]
                if el.role in ("checkbox", "radio", "switch"):
                    actions.append(CheckAction(element_id=el.id, checked=True))
                else:
                    actions.append(ClickAction(element_id=el.id))
            else:
                actions.append(ScrollAction(direction="down"))
            results.append(ActionResult(success=True))
        failed = order == 1
        if failed:
            target = getattr(actions[-1], "element_id", "") or "?"
            results[-1] = ActionResult(
                success=False, error=f'element {target} is covered by div.toast "Saved"'
            )
        steps.append(
            Step(
                step_id=f"step_{order}",
                task_id=task_id,
                organization_id="org_bench",
                status=StepStatus.failed if failed else StepStatus.completed,
                order=order,
                actions=actions,
                action_results=results,
                failure_reason="click failed: covered" if failed else None,
                page_url=page.url,
            )
        )
    return steps


def context_for(spec: PageSpec, page: Any) -> Any:
    """A realistic PlanContext for step 3 of a task on this page."""
    from skyvern_core.models import Step, Task, TaskRequest
    from skyvern_core.protocols import PlanContext

    task = Task(
        task_id="task_bench",
        organization_id="org_bench",
        request=TaskRequest(url=page.url, navigation_goal=goal_of(spec), navigation_payload=FACTS),
        max_steps=10,
    )
    return PlanContext(
        task=task,
        page=page,
        history=history_for(page, task.task_id),
        step=Step(step_id="step_3", task_id=task.task_id, organization_id="org_bench", order=3),
        previous_page=page.model_copy(deep=True),
    )


def image_tokens(width: int, height: int) -> int:
    """OpenAI's high-detail image estimate: fit in 2048, shortest side 768, 170 per 512 tile
    plus 85."""
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


def page_breakdown(text: str, page: Any) -> dict[str, int]:
    """Where our page part's tokens go, by section; plus two kinds of repetition."""
    from skyvern_core.perception import count_tokens

    sections: dict[str, list[str]] = {
        "header": [],
        "in view": [],
        "below": [],
        "page text": [],
        "view text": [],
        "row lines": [],
    }
    current = "header"
    for line in text.split("\n"):
        if current == "header" and not line:
            current = "in view"  # what is in view follows the URL and title after a blank line
        elif line.startswith("Further down"):
            current = "below"
        elif line == "Page text:":
            current = "page text"
        sections[current].append(line)
        if current == "in view" and line and not re.match(r"^ *((f\d+\.)?e\d+|row|group) ", line):
            sections["view text"].append(line)
        if current in ("in view", "below") and (line.startswith("row ") or RUN_ROW.match(line)):
            sections["row lines"].append(line)
    out = {k: count_tokens("\n".join(v)) for k, v in sections.items()}
    labels = [" ".join(e.label.split()).lower() for e in page.elements if e.label]
    dup = [
        line
        for line in sections["page text"][1:]
        if line.strip() and any(" ".join(line.split()).lower() in lab for lab in labels)
    ]
    out["page text lines repeating a label"] = count_tokens("\n".join(dup)) if dup else 0
    covered = re.findall(r" \(covered by [^\n]*\)", text)
    out["'(covered by ...)' suffixes"] = count_tokens("".join(covered)) if covered else 0
    return out


async def collect(pages: list[PageSpec]) -> list[dict[str, Any]]:
    """Snapshot each page (ours and browser-use's) and count the prompt's parts."""
    from skyvern_core.config import Settings
    from skyvern_core.perception import count_tokens, serialize
    from skyvern_core.planner.llm import LLMPlanner, render_history
    from skyvern_core.testing import ScriptedLLM

    planner = LLMPlanner(ScriptedLLM(), Settings())
    rows = []
    with isolated_home() as home:
        bench = Bench(home)
        try:
            await bench.driver.start()
            for spec in pages:
                session = await bench.open(spec)
                try:
                    page = await session.snapshot()
                    entries, _ = await bench.theirs(session.page)
                    title = await session.page.title()
                    theirs = bu_state_text(entries, session.page.url, title)
                    whole, _ = await bench.theirs(session.page, full_page=True)
                    theirs_full = bu_state_text(whole, session.page.url, title)
                finally:
                    await session.close()
                context = context_for(spec, page)
                messages = planner.decide_messages(context)
                system, user = messages[0].content, messages[1].content
                page_text = serialize(context.page, context.previous_page)
                history = render_history(context.history)
                assert page_text in user and history in user
                n_system, n_user = count_tokens(system), count_tokens(user)
                n_page, n_hist = count_tokens(page_text), count_tokens(history)
                counted = serialize(context.page, context.previous_page, offscreen_listed=0)
                rows.append(
                    {
                        "spec": spec,
                        "system": n_system,
                        "page": n_page,
                        "page_counted": count_tokens(counted),
                        "history": n_hist,
                        "rest": n_user - n_page - n_hist,
                        "total": n_system + n_user,
                        "theirs": count_tokens(theirs),
                        "theirs_full": count_tokens(theirs_full),
                        "images": len(messages[1].images),
                        "breakdown": page_breakdown(page_text, context.page),
                        "text": page_text,
                        "theirs_text": theirs_full,
                    }
                )
        finally:
            await bench.close()
    return rows


def report(rows: list[dict[str, Any]]) -> None:
    """Print the table, the targets and the page-part breakdown."""
    from skyvern_core.perception import count_tokens
    from skyvern_core.planner.llm import DECISION_SCHEMA

    print(
        "prompt tokens per step (o200k_base; system + user text; images and the response "
        "schema excluded)\n"
    )
    head = (
        f"{'page':<12} {'system':>7} {'page':>6} {'history':>8} {'rest':>6} {'total':>7}"
        f" {'target':>8} {'theirs page':>12} {'page ours/theirs':>17} {'theirs full':>12}"
        f" {'ours/full':>10} {'target':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        name = r["spec"].name
        step_t = ("met" if r["total"] <= TARGET_STEP else "MISSED") if name in FORM_PAGES else "-"
        ratio = r["page"] / r["theirs"] if r["theirs"] else float("nan")
        full = r["page"] / r["theirs_full"] if r["theirs_full"] else float("nan")
        page_t = "met" if full <= TARGET_PAGE_RATIO else "MISSED"
        print(
            f"{name:<12} {r['system']:>7} {r['page']:>6} {r['history']:>8} {r['rest']:>6}"
            f" {r['total']:>7} {step_t:>8} {r['theirs']:>12} {ratio:>16.2f}x"
            f" {r['theirs_full']:>12} {full:>9.2f}x {page_t:>8}"
        )
    forms = [r for r in rows if r["spec"].name in FORM_PAGES]
    if forms:
        mean_total = sum(r["total"] for r in forms) / len(forms)
        mean_ratio = sum(r["page"] for r in forms) / max(1, sum(r["theirs"] for r in forms))
        full_ratio = sum(r["page"] for r in forms) / max(1, sum(r["theirs_full"] for r in forms))
        print("-" * len(head))
        print(
            f"form pages ({len(forms)}): mean {mean_total:.0f} tokens per step (target <= "
            f"{TARGET_STEP}); page part ours/theirs over them {mean_ratio:.2f}x against the "
            f"viewport +500 px, {full_ratio:.3f}x against the whole page (target <= "
            f"{TARGET_PAGE_RATIO:.2f}x: {'met' if full_ratio <= TARGET_PAGE_RATIO else 'MISSED'})"
        )
        counted = sum(r["page_counted"] for r in forms) / max(1, sum(r["theirs"] for r in forms))
        print(
            f"form pages with prompt_offscreen_elements=0 (elements further down counted, not"
            f" listed): page part ours/theirs {counted:.2f}x"
        )
    print()
    print("elements further down the page: listed (default, 40) or only counted (setting 0):")
    print(f"  {'page':<12} {'listed':>7} {'counted':>8} {'ratio listed':>13} {'ratio counted':>14}")
    for r in rows:
        print(
            f"  {r['spec'].name:<12} {r['page']:>7} {r['page_counted']:>8}"
            f" {r['page'] / r['theirs']:>12.2f}x {r['page_counted'] / r['theirs']:>13.2f}x"
        )
    w, h = VIEWPORT
    listing = [r for r in rows if r["page"] > r["page_counted"]]
    if listing:
        step_floor = min(r["system"] + r["rest"] for r in rows) + image_tokens(w, h)
        worst = max(listing, key=lambda r: r["page"] - r["page_counted"])
        print(
            f"  the listing costs at most {worst['page'] - worst['page_counted']} tokens a step"
            f" ({worst['spec'].name}); one step more costs at least {step_floor} (system + goal"
            " + screenshot), so listing pays when it saves a step in"
            f" {step_floor // max(1, worst['page'] - worst['page_counted'])}."
        )
    print()
    print("where our page part's tokens go (sections of serialize(); repetitions are inside them):")
    keys = list(rows[0]["breakdown"]) if rows else []
    short = {
        "header": "URL/title",
        "in view": "in view",
        "below": "below",
        "page text": "page text",
        "page text lines repeating a label": "text=label",
        "'(covered by ...)' suffixes": "covered-by",
        "view text": "view text",
        "row lines": "row lines",
    }
    print(f"  {'page':<12}" + "".join(f" {short[k]:>10}" for k in keys))
    for r in rows:
        print(f"  {r['spec'].name:<12}" + "".join(f" {r['breakdown'][k]:>10}" for k in keys))
    print()
    print(
        f"excluded: the viewport screenshot attached to the user message ({rows[0]['images']} "
        f"image, {w}x{h}; ~{image_tokens(w, h)} tokens by OpenAI's high-detail formula) and the "
        f"decision JSON schema sent as response format ({count_tokens(json.dumps(DECISION_SCHEMA))}"
        " tokens as JSON)."
        if rows
        else ""
    )
    print(
        "theirs page = browser-use 0.5.11's browser-state text (tab list with URL and title, page"
        " info, interactive elements from the viewport +500 px; format re-implemented in"
        " perception.py); theirs full = the same for the whole page (viewport_expansion=-1),"
        " which the page-part target is checked against; view text = the text lines in view;"
        " row lines = the 'row \"...\":' lines."
    )


def main() -> int:
    """Parse the arguments, collect and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", default="", help="comma-separated page names (default all)")
    parser.add_argument(
        "--show", action="store_true", help="print each page's page part and theirs, in full"
    )
    args = parser.parse_args()
    names = [n for n in args.pages.split(",") if n] or [p.name for p in PAGES]
    unknown = set(names) - {p.name for p in PAGES}
    if unknown:
        parser.error(f"unknown page(s): {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    rows = asyncio.run(collect([p for p in PAGES if p.name in names]))
    if args.show:
        for r in rows:
            print(f"===== {r['spec'].name}: ours ({r['page']} tokens)\n{r['text']}\n")
            print(f"===== {r['spec'].name}: theirs, whole page ({r['theirs_full']} tokens)")
            print(f"{r['theirs_text']}\n")
    report(rows)
    print(f"\n(wall time {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
