"""The offline planner: a deterministic planner that fills forms from ``navigation_payload``.

It calls no model. Each step it reads the page state the driver reports and decides by rules:

1. an element *covered* by a dialog or banner → click that overlay's accept/close button;
2. the page shows success (thank you, confirmation, your quote...) and nothing is left to
   fill → complete;
3. fill each field a fact of the payload matches (key ↔ label, name, id, autocomplete,
   placeholder; synonyms, nested paths), choose options, tick required consents (never a
   marketing opt-in unless a fact says so), type secrets as ``{{secret:<path>}}`` and
   one-time codes as ``{{totp_code}}``;
4. a required field no fact fills → terminate, naming it;
5. click the button that goes on (submit, continue, next, sign in, pay...), one form step
   at a time; nothing to fill and no such button → terminate;
6. the same actions on the same page for :data:`STUCK_STEPS` steps → terminate.

The same page and payload always give the same decision. Extraction reads label/value pairs
and "Label: value" lines of :attr:`PageState.content` and, where the session read the whole
page (:attr:`ExtractContext.document`), of every line of it; a list of objects in the schema
is read from the page's tables, one item per row (each property from the column its name
matches, or the column whose cells fit its ``pattern``). Values are held to the task's
``extracted_information_schema`` (types, ``pattern``). Usage is always zero: it is free.
"""

from __future__ import annotations

from typing import Any

from skyvern_core.config import Settings
from skyvern_core.models import (
    Action,
    ClickAction,
    CompleteAction,
    Decision,
    Extraction,
    TerminateAction,
    Usage,
)
from skyvern_core.perception.document import DocumentTable, read_tables
from skyvern_core.planner.loops import STUCK_STEPS, repeated_steps
from skyvern_core.planner.offline.extraction import (
    _document_lines,
    _extract_object,
    _extract_property,
    _pairs,
    _rejected,
    _text_lines,
)
from skyvern_core.planner.offline.fields import _clean_label, _facts, _kind
from skyvern_core.planner.offline.filling import (
    _dismiss_button,
    _history,
    _plan_fills,
    _shows_success,
    _submit_button,
)
from skyvern_core.planner.offline.words import MATCH_THRESHOLD, match_score
from skyvern_core.protocols import ExtractContext, PlanContext
from skyvern_core.secrets import redact
from skyvern_core.totp import find_totp_secret

__all__ = ["MATCH_THRESHOLD", "STUCK_STEPS", "OfflinePlanner", "match_score"]


_FREE = Usage(input_tokens=0, output_tokens=0, cost=0.0)


class OfflinePlanner:
    """The offline planner: decides steps and extracts data by rules, without a model.

    Deterministic (same page and payload, same decision) and free (usage is zero). It fills
    forms from ``navigation_payload``, follows multi-step forms, completes on a success
    page and terminates with a reason when it cannot go on; see the module docstring.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    async def decide(self, context: PlanContext) -> Decision:
        """Return this step's actions, or complete / terminate with the reason."""
        page, request = context.page, context.task.request
        failed, typed = _history(context.history, page.url)
        overlay = _dismiss_button(page, failed)
        if overlay is not None:
            why = f"offline planner: a dialog covers the page; clicking {overlay.label!r}"
            return self._go(context, why, [ClickAction(element_id=overlay.id, reasoning=why)])
        has_totp = bool(
            find_totp_secret(request.navigation_payload)
            or request.totp_verification_url
            or request.totp_identifier
        )
        facts = _facts(request.navigation_payload)
        plan = _plan_fills(page, facts, has_totp, typed, failed)
        fields = any(_kind(e) and e.visibility != "hidden" for e in page.elements)
        if not plan.actions and not plan.missing and _shows_success(page, fields):
            why = "offline planner: the page shows success and nothing is left to fill"
            return self._decision(why, [CompleteAction(reasoning=why)])
        if plan.missing:
            names = ", ".join(repr(_clean_label(e)) for e in plan.missing)
            return self._stop(
                f"offline planner: the page needs {names} and navigation_payload has nothing for it"
            )
        actions = list(plan.actions)
        why = f"offline planner: {len(actions)} field(s) to fill"
        # A field that waits on another (a model select enabled by the make) is filled next
        # step; going on now would only meet the form's own validation.
        if not plan.waiting:
            last = max((i for i, e in enumerate(page.elements) if e.id in plan.handled), default=0)
            button = _submit_button(page, failed, last)
            if button is not None:
                why += f", then go on with {button.label!r}"
                actions.append(ClickAction(element_id=button.id, reasoning=why))
        if not actions and context.errors:
            return self._stop(
                f"offline planner: the last attempt failed ({'; '.join(context.errors)}) "
                "and there is no other candidate to try"
            )
        if not actions:
            return self._stop(
                "offline planner: nothing left to fill on this page and no button to go on"
            )
        return self._go(context, why, actions)

    def _go(self, context: PlanContext, why: str, actions: list[Action]) -> Decision:
        """The actions, unless the latest steps took exactly them on this page already."""
        if repeated_steps(context.history, context.page.url, actions) >= STUCK_STEPS - 1:
            said = "; ".join(context.page.text.splitlines()[-3:])
            return self._stop(
                f"offline planner: the page stayed the same after {STUCK_STEPS} steps of the "
                f"same actions (the page says: {said or 'nothing'})"
            )
        return self._decision(why, actions)

    async def extract(self, context: ExtractContext) -> Extraction:
        """Return the values the schema asks for, read from the page's text and fields."""
        page = context.page
        lines = _text_lines(page)
        tables: list[DocumentTable] = []
        if context.document:
            # What is in view first (the page state's own reading), then the rest of the page.
            lines += [x for x in _document_lines(context.document) if x and x not in lines]
            tables = read_tables(redact(context.document, context.secrets))
        lines = [redact(line, context.secrets) for line in lines]
        pairs = [(k, redact(v, context.secrets)) for k, v in _pairs(page, lines)]
        schema = context.task.request.extracted_information_schema
        skip = _rejected(context.previous, context.errors) if context.errors else None
        if not isinstance(schema, dict) or not schema:
            data: Any = {"text": lines}
            if pairs:
                data["fields"] = {label.strip(" :*"): value for label, value in pairs}
            return Extraction(data=data, usage=_FREE.model_copy())
        if schema.get("type") == "object" or "properties" in schema:
            data = _extract_object(
                schema, lines, pairs, skip if isinstance(skip, dict) else {}, tables
            )
        else:
            goal = context.task.request.data_extraction_goal or "value"
            data = _extract_property(goal, schema, lines, pairs, skip, tables)
        source = "document" if context.document is not None else "page"
        return Extraction(data=data, usage=_FREE.model_copy(), source=source)

    @staticmethod
    def _decision(reasoning: str, actions: list[Action]) -> Decision:
        return Decision(reasoning=reasoning, actions=actions, usage=_FREE.model_copy())

    def _stop(self, reason: str) -> Decision:
        return self._decision(reason, [TerminateAction(reason=reason, reasoning=reason)])
