"""The LLM planner: one model call per step, answers held to a schema.

Each step's prompt holds the goal, the facts of ``navigation_payload`` (secrets as
placeholders), a compact line per earlier step with the result of each action, the errors
of the last attempt and the page as the serializer renders it; the viewport screenshot is
attached when the model takes images. The answer is asked for with the provider's
structured output (a JSON schema) where the model has one, and parsed strictly otherwise;
an unusable answer gets one repair round, then fails the step with the reason.

Extraction reads the whole page as the browser session wrote it (every frame, below the
fold, tables row by row; :mod:`skyvern_core.perception.document`), in parts when it is
longer than ``Settings.extraction_chunk_tokens``, with the screenshot where the model takes
images.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from itertools import zip_longest
from typing import Any, get_args

import anyio
from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import BaseModel, ValidationError

from skyvern_core.config import Settings
from skyvern_core.errors import LLMError
from skyvern_core.limits import LimitExceeded, TaskBudget, complete_within
from skyvern_core.models import (
    Action,
    ActionResult,
    ActionType,
    CompleteAction,
    Decision,
    Extraction,
    PageState,
    Step,
    TerminateAction,
    Usage,
)
from skyvern_core.planner.loops import STUCK_STEPS, repeated_steps
from skyvern_core.protocols import ExtractContext, LLMMessage, LLMProvider, LLMRequest, PlanContext
from skyvern_core.secrets import redact, split_secrets
from skyvern_core.uploads import split_files

__all__ = ["DECISION_SCHEMA", "LLMPlanner", "parse_decision", "parse_json"]

HISTORY_STEPS = 20
HISTORY_VALUE = 40
PAGE_CONTENT_CHARS = 12_000
EXTRACTION_CALLS = 4
"""Parts of a long page asked about at once."""

_ACTION_CLASSES: dict[str, type[BaseModel]] = {
    cls.model_fields["type"].default: cls for cls in get_args(get_args(Action)[0])
}

_nullable = {"type": ["string", "null"]}
DECISION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reasoning": {"type": "string"},
        "goal_reached": {"type": "boolean"},
        "actions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": [t.value for t in ActionType]},
                    "element_id": _nullable,
                    "text": _nullable,
                    "option": _nullable,
                    "checked": {"type": ["boolean", "null"]},
                    "file": _nullable,
                    "direction": {"type": ["string", "null"], "enum": ["up", "down", None]},
                    "key": _nullable,
                    "url": _nullable,
                    "seconds": {"type": ["number", "null"]},
                    "reason": _nullable,
                },
                "required": ["type"],
            },
        },
    },
    "required": ["reasoning", "goal_reached", "actions"],
}
"""What the model must answer each step: a flat action shape that any model can follow."""


class _Unusable(ValueError):
    """The model's answer cannot be used; the message says why (for the repair round)."""


def parse_json(text: str) -> Any:
    """Parse a model's JSON answer strictly (a Markdown code fence around it is allowed)."""
    body = text.strip()
    fence = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", body, re.DOTALL)
    if fence:
        body = fence.group(1)
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise _Unusable(f"the answer is not valid JSON ({exc.msg} at char {exc.pos})") from exc


def parse_decision(text: str, page: PageState | None = None) -> Decision:
    """Turn a model's answer into a validated :class:`Decision` (raises ValueError)."""
    data = parse_json(text)
    if not isinstance(data, dict):
        raise _Unusable("the answer must be a JSON object with reasoning, goal_reached, actions")
    raw_actions = data.get("actions")
    if raw_actions is None:
        raw_actions = []
    if not isinstance(raw_actions, list):
        raise _Unusable("'actions' must be a list")
    actions: list[Any] = []
    for index, raw in enumerate(raw_actions):
        if not isinstance(raw, dict):
            raise _Unusable(f"action {index} is not an object")
        kind = raw.get("type")
        cls = _ACTION_CLASSES.get(str(kind))
        if cls is None:
            raise _Unusable(f"action {index} has an unknown type {kind!r}")
        fields = {k: v for k, v in raw.items() if k in cls.model_fields and v is not None}
        try:
            action = cls.model_validate(fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise _Unusable(f"action {index} ({kind}): {where}: {first['msg']}") from None
        element_id = getattr(action, "element_id", None)
        if page is not None and element_id is not None and page.element(element_id) is None:
            raise _Unusable(
                f"action {index} ({kind}) names element {element_id}, which is not on the page"
            )
        actions.append(action)
    reasoning = str(data.get("reasoning") or "")
    finishing = {ActionType.complete, ActionType.terminate}
    if data.get("goal_reached") is True and not any(a.type in finishing for a in actions):
        actions.append(CompleteAction())
    if not actions:
        raise _Unusable("the answer has no action: give the next actions, complete or terminate")
    return Decision(reasoning=reasoning, actions=actions)


def _describe(action: Any) -> str:
    parts = [action.type]
    element_id = getattr(action, "element_id", None)
    if element_id:
        parts.append(element_id)
    for name in ("text", "option", "file", "key", "url", "reason"):
        value = getattr(action, name, None)
        if value:
            value = str(value)
            short = value if len(value) <= HISTORY_VALUE else value[: HISTORY_VALUE - 1] + "…"
            parts.append(json.dumps(short, ensure_ascii=False))
    if getattr(action, "type", None) == "check":
        parts.append("on" if action.checked else "off")
    return " ".join(parts)


def _what_it_did(action: Any, result: ActionResult) -> str:
    """What a successful choice did, when it is not just what was asked: the option chosen
    (``data["chosen"]``), the suggestion picked or the typed text kept."""
    data = result.data
    if data.get("autocomplete") == "typed":
        return f" (kept the typed text: {data.get('why') or 'no suggestion matched'})"
    chosen = data.get("chosen")
    if not chosen:
        return ""
    chosen = str(chosen)
    asked = getattr(action, "option", None) or getattr(action, "text", None)
    if chosen == asked:
        return ""
    if len(chosen) > 2 * HISTORY_VALUE:
        chosen = chosen[: 2 * HISTORY_VALUE - 1] + "…"
    verb = "picked the suggestion" if data.get("autocomplete") == "picked" else "chose"
    return f" ({verb} {json.dumps(chosen, ensure_ascii=False)})"


def render_history(steps: Sequence[Step]) -> str:
    """One compact line per earlier step: where it was, each action and how it went."""
    lines = []
    shown = steps[-HISTORY_STEPS:]
    if len(steps) > len(shown):
        lines.append(f"({len(steps) - len(shown)} earlier steps not shown)")
    for step in shown:
        label = f"#{step.order}" + (f".{step.retry_index}" if step.retry_index else "")
        done = []
        results: Sequence[ActionResult | None] = step.action_results
        for action, result in zip_longest(step.actions, results):
            if action is None:
                continue
            if result is None:
                outcome = "not run"
            elif result.success:
                outcome = "ok" + _what_it_did(action, result)
            else:
                outcome = f"FAILED: {result.error}"
            done.append(f"{_describe(action)} → {outcome}")
        if not done:
            done.append(f"failed: {step.failure_reason}" if step.failure_reason else "no action")
        where = f" at {step.page_url}" if step.page_url else ""
        lines.append(f"{label}{where}: " + "; ".join(done))
    return "\n".join(lines)


class LLMPlanner:
    """Decides each step with one model call (plus one repair round at most)."""

    def __init__(self, llm: LLMProvider, settings: Settings | None = None) -> None:
        self.llm = llm
        self.settings = settings or Settings()
        self.env = Environment(
            loader=PackageLoader("skyvern_core.planner", "templates"),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
            keep_trailing_newline=False,
        )
        self.system_prompt = self.env.get_template("system.j2").render()

    # ------------------------------------------------------------------ prompts

    def decide_messages(self, context: PlanContext) -> list[LLMMessage]:
        """The messages of a step's prompt (secrets already replaced by placeholders)."""
        from skyvern_core.perception.serializer import serialize

        request = context.task.request
        payload, _ = split_secrets(_shown_payload(request.navigation_payload))
        page_text = serialize(
            context.page,
            context.previous_page,
            offscreen_listed=self.settings.prompt_offscreen_elements,
        )
        user = self.env.get_template("decide.j2").render(
            goal=request.navigation_goal,
            extraction_goal=request.data_extraction_goal,
            payload=json.dumps(payload, ensure_ascii=False) if payload not in (None, {}) else "",
            history=render_history(context.history),
            errors="; ".join(context.errors),
            hint=context.hint or "",
            stuck=self._stuck_note(context),
            page=page_text,
        )
        user = redact(user, context.secrets)
        images = [context.page.screenshot] if context.page.screenshot else []
        return [
            LLMMessage(role="system", content=self.system_prompt),
            LLMMessage(
                role="user", content=user, images=images if self.llm.supports_images else []
            ),
        ]

    def extract_messages(
        self,
        context: ExtractContext,
        *,
        page_text: str | None = None,
        part: int = 1,
        parts: int = 1,
    ) -> list[LLMMessage]:
        """The messages of an extraction prompt: for the whole page, or for ``part`` of
        ``parts`` (``page_text``, a part of :attr:`ExtractContext.document`).

        The page is the document the session read where there is one, else the page
        state's elements and the text in view. The screenshot goes along with the first
        part when the model takes images (it shows the top of the page: later parts would
        read its rows twice).
        """
        from skyvern_core.perception.serializer import serialize

        request = context.task.request
        schema = request.extracted_information_schema
        document = page_text if page_text is not None else context.document
        content = context.page.content
        previous = None
        if context.errors and parts == 1:
            previous = json.dumps(context.previous, ensure_ascii=False)
        user = self.env.get_template("extract.j2").render(
            goal=request.data_extraction_goal or request.navigation_goal,
            schema=json.dumps(schema, ensure_ascii=False) if schema else "",
            previous=previous,
            errors="; ".join(context.errors),
            part=part,
            parts=parts,
            url=context.page.url,
            title=context.page.title,
            document=document,
            page=serialize(context.page) if document is None else "",
            content=(content or "")[:PAGE_CONTENT_CHARS],
        )
        user = redact(user, context.secrets)
        shot = context.page.screenshot
        images = [shot] if shot and part == 1 and self.llm.supports_images else []
        return [
            LLMMessage(role="system", content="You extract structured data from web pages."),
            LLMMessage(role="user", content=user, images=images),
        ]

    # ------------------------------------------------------------------ calls

    async def _ask(
        self,
        messages: list[LLMMessage],
        schema: dict[str, Any] | None,
        name: str,
        parse: Any,
        budget: TaskBudget | None = None,
    ) -> tuple[Any, Usage]:
        usage = Usage()
        response = await complete_within(
            self.llm,
            LLMRequest(messages=messages, response_schema=schema, schema_name=name),
            budget,
        )
        usage = usage + _usage(response)
        try:
            return parse(response.text), usage
        except ValueError as first:
            # One repair round: show the model its answer and what is wrong with it.
            repair = [
                *messages,
                LLMMessage(role="assistant", content=response.text),
                LLMMessage(
                    role="user",
                    content=f"Your answer could not be used: {first}. Answer again with only "
                    "the corrected JSON.",
                ),
            ]
            response = await complete_within(
                self.llm,
                LLMRequest(messages=repair, response_schema=schema, schema_name=name),
                budget,
                spent=usage,
            )
            usage = usage + _usage(response)
            try:
                return parse(response.text), usage
            except ValueError as second:
                raise LLMError(
                    f"the model's {name} was unusable after one repair round: {second}",
                    usage=usage,
                ) from None

    async def decide(self, context: PlanContext) -> Decision:
        """Ask the model for this step's actions.

        When they are the actions the latest steps already took on this page, for the
        :data:`~skyvern_core.planner.loops.STUCK_STEPS`-th time (the model having been told
        after the second), the task is terminated instead, saying so.
        """
        decision, usage = await self._ask(
            self.decide_messages(context),
            DECISION_SCHEMA,
            "decision",
            lambda text: parse_decision(text, context.page),
            context.budget,
        )
        url = context.page.url
        done = repeated_steps(context.history, url, decision.actions, completed_only=True)
        if decision.actions and not decision.is_complete and done >= STUCK_STEPS - 1:
            what = "; ".join(_describe(a) for a in decision.actions)
            reason = (
                f"The agent took the same actions {done + 1} times on {url} without reaching "
                f"the goal ({what}); stopped rather than repeat them again"
            )
            decision = Decision(
                reasoning=decision.reasoning, actions=[TerminateAction(reason=reason)]
            )
        return decision.model_copy(update={"usage": usage})

    @staticmethod
    def _stuck_note(context: PlanContext) -> str:
        """A warning for the prompt when the latest steps repeated themselves on this page."""
        done = repeated_steps(context.history, context.page.url, completed_only=True)
        if done < 2:
            return ""
        what = "; ".join(_describe(a) for a in context.history[-1].actions)
        return (
            f"Your last {done} steps took the same actions on this page ({what}) and the goal "
            "is not reached: do something else, or terminate saying what stops you."
        )

    async def extract(self, context: ExtractContext) -> Extraction:
        """Ask the model for the information of the task's data_extraction_goal.

        From the whole page (:attr:`ExtractContext.document`) where the session read it: a
        page over ``Settings.extraction_chunk_tokens`` is asked about in parts (at most
        :data:`EXTRACTION_CALLS` at once) whose answers are merged against the schema
        (:func:`~skyvern_core.perception.document.merge_answers`). In a correction round
        (``context.errors``) a page in parts is asked about again part by part, with the
        errors; a page in one part gets its previous answer back to correct.
        """
        from skyvern_core.perception.document import chunk_document, merge_answers
        from skyvern_core.perception.serializer import count_tokens, serialize

        schema = context.task.request.extracted_information_schema
        wrapped = False
        response_schema: dict[str, Any] | None
        if isinstance(schema, dict) and schema.get("type") == "object":
            response_schema = schema
        elif schema is None or isinstance(schema, bool):
            response_schema = None
        else:
            # Providers take an object at the top; wrap other schemas and unwrap the answer.
            response_schema = {
                "type": "object",
                "properties": {"data": schema},
                "required": ["data"],
            }
            wrapped = True

        def unwrap(data: Any) -> Any:
            if wrapped and isinstance(data, dict) and "data" in data:
                return data["data"]
            return data

        if context.document is None:
            messages = self.extract_messages(context)
            data, usage = await self._ask(
                messages, response_schema, "extraction", parse_json, context.budget
            )
            shown = serialize(context.page) + "\n" + context.page.content[:PAGE_CONTENT_CHARS]
            return Extraction(
                data=unwrap(data), usage=usage, page_tokens=count_tokens(shown), source="page"
            )
        chunks = chunk_document(context.document, self.settings.extraction_chunk_tokens)
        answers: list[Any] = [None] * len(chunks)
        spent: list[Usage] = [Usage() for _ in chunks]
        failures: list[BaseException | None] = [None] * len(chunks)
        limiter = anyio.CapacityLimiter(EXTRACTION_CALLS)

        async def ask(index: int) -> None:
            messages = self.extract_messages(
                context, page_text=chunks[index].text, part=index + 1, parts=len(chunks)
            )
            async with limiter:
                try:
                    data, spent[index] = await self._ask(
                        messages, response_schema, "extraction", parse_json, context.budget
                    )
                    answers[index] = unwrap(data)
                except Exception as exc:  # reported below, with what every part cost
                    failures[index] = exc

        async with anyio.create_task_group() as group:
            for index in range(len(chunks)):
                group.start_soon(ask, index)
        usage = sum(spent, Usage())
        for index, failure in enumerate(failures):
            if failure is None:
                continue
            if isinstance(failure, LLMError):
                usage = usage + (failure.usage if isinstance(failure.usage, Usage) else Usage())
                where = f" (part {index + 1} of {len(chunks)})" if len(chunks) > 1 else ""
                raise LLMError(f"{failure}{where}", usage=usage) from failure
            if isinstance(failure, LimitExceeded):
                # What the other parts spent is the step's too.
                failure.usage = usage + failure.usage
            raise failure
        data = answers[0] if len(chunks) == 1 else merge_answers(schema, answers, chunks)
        return Extraction(
            data=data,
            usage=usage,
            chunks=len(chunks),
            page_tokens=sum(c.tokens for c in chunks),
            source="document",
        )


def _usage(response: Any) -> Usage:
    return Usage(
        input_tokens=response.input_tokens,
        output_tokens=response.output_tokens,
        cost=response.cost,
    )


def _shown_payload(payload: Any) -> Any:
    """The payload with inline files as ``{{file:...}}`` placeholders: their content never
    reaches the model."""
    try:
        return split_files(payload)[0]
    except ValueError:
        return None  # malformed (refused when the task is created): show nothing of it
