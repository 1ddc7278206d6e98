"""Cost and token limits of a task's model calls.

A task may carry ``max_cost_usd`` and ``max_tokens`` (from its request, else its
organization, else the deployment's settings: :func:`default_limits`). While it runs, a
:class:`TaskBudget` holds what its model calls spent so far; before each call the planner
asks it (:func:`complete_within`) with an estimate of the call made offline (the prompt's
tokens and their price, :func:`estimate_call`). A call that would take the running total
past a limit is not made: :class:`LimitExceeded` ends the task, ``failed``, with the reason
``Max cost per task ($N) exceeded`` or ``Max tokens per task (N) exceeded``.

The estimate counts the prompt (and the answer's ``max_output_tokens`` where the request
caps it); the answer's own tokens are only known once it came, so a task can end at most
one answer past its limit, never a call past it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import anyio

from skyvern_core.config import Settings
from skyvern_core.errors import SkyvernError
from skyvern_core.models import Organization, Task, TaskRequest, Usage
from skyvern_core.protocols import LLMProvider, LLMRequest, LLMResponse

__all__ = [
    "CallEstimate",
    "LimitExceeded",
    "TaskBudget",
    "complete_within",
    "cost_text",
    "default_limits",
    "estimate_call",
    "limit_errors",
]

log = logging.getLogger(__name__)

_MESSAGE_OVERHEAD = 4
"""Tokens a chat message costs beyond its text (role and separators), as OpenAI counts."""


def cost_text(value: float) -> str:
    """A dollar amount as the failure reasons write it: ``$0.25``, ``$2``, ``$0.00031``."""
    return f"${value:.6g}" if value >= 0.001 else f"${value:.3g}"


def default_limits(
    organization: Organization | None, settings: Settings
) -> tuple[float | None, int | None]:
    """The cost and token limits of a task that sets none: its organization's, else the
    deployment's (``SKYVERN_MAX_COST_USD``, ``SKYVERN_MAX_TOKENS``); None for no limit."""
    cost = organization.max_cost_usd if organization is not None else None
    tokens = organization.max_tokens if organization is not None else None
    return (
        cost if cost is not None else settings.max_cost_usd,
        tokens if tokens is not None else settings.max_tokens,
    )


def limit_errors(
    request: TaskRequest, organization: Organization, settings: Settings
) -> list[tuple[str, str]]:
    """What a caller of the HTTP API (or the MCP server) may not ask: a limit above its
    organization's (else the deployment's). A caller may lower its limits, never raise
    them. Each problem is ``(field, message)``."""
    cost_ceiling, token_ceiling = default_limits(organization, settings)
    problems: list[tuple[str, str]] = []
    if (
        request.max_cost_usd is not None
        and cost_ceiling is not None
        and request.max_cost_usd > cost_ceiling
    ):
        problems.append(
            (
                "max_cost_usd",
                f"max_cost_usd ({cost_text(request.max_cost_usd)}) is over this "
                f"organization's limit of {cost_text(cost_ceiling)} per task",
            )
        )
    if (
        request.max_tokens is not None
        and token_ceiling is not None
        and request.max_tokens > token_ceiling
    ):
        problems.append(
            (
                "max_tokens",
                f"max_tokens ({request.max_tokens}) is over this organization's limit of "
                f"{token_ceiling} tokens per task",
            )
        )
    return problems


class LimitExceeded(SkyvernError):
    """A model call was not made: it would have taken the task past its cost or token
    limit. The message is the task's failure reason; ``usage`` is what the calls of the
    step under way spent before it (for the step's record)."""

    def __init__(self, message: str, *, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.usage = usage or Usage()


@dataclass(frozen=True, slots=True)
class CallEstimate:
    """What one model call is expected to spend before it is sent: its prompt's tokens
    (plus the answer's cap, if the request has one) and their price (None: unknown)."""

    tokens: int
    cost: float | None


def _text_tokens(request: LLMRequest) -> int:
    from skyvern_core.perception.tokens import count_tokens

    return sum(count_tokens(m.content) + _MESSAGE_OVERHEAD for m in request.messages)


async def estimate_call(llm: LLMProvider, request: LLMRequest) -> CallEstimate:
    """Estimate ``request`` offline: by the provider's own ``estimate(request)`` where it
    has one (the litellm provider counts with the model's tokenizer and prices with
    litellm's price list), else by counting its text with the project's tokenizer, at an
    unknown price."""
    own = getattr(llm, "estimate", None)
    if callable(own):
        found = own(request)
        if hasattr(found, "__await__"):
            found = await found
        if isinstance(found, CallEstimate):
            return found
    tokens = await anyio.to_thread.run_sync(_text_tokens, request)
    return CallEstimate(tokens=tokens + (request.max_output_tokens or 0), cost=None)


class TaskBudget:
    """The running totals of one task's model calls against its limits.

    Calls under way hold what they are expected to spend until their answer gives the
    real figures, so calls made at once (the parts of a long page's extraction) cannot
    pass a limit together.
    """

    def __init__(
        self,
        *,
        max_cost_usd: float | None = None,
        max_tokens: int | None = None,
        spent: Usage | None = None,
    ) -> None:
        self.max_cost_usd = max_cost_usd
        self.max_tokens = max_tokens
        spent = spent or Usage()
        self.tokens = spent.input_tokens + spent.output_tokens
        self.cost = spent.cost or 0.0
        self._held_tokens = 0
        self._held_cost = 0.0

    @classmethod
    def for_task(cls, task: Task) -> TaskBudget | None:
        """The budget of ``task`` from what it already spent (an earlier attempt counts);
        None when it has no limit."""
        if task.max_cost_usd is None and task.max_tokens is None:
            return None
        return cls(
            max_cost_usd=task.max_cost_usd,
            max_tokens=task.max_tokens,
            spent=Usage(
                input_tokens=task.input_token_count,
                output_tokens=task.output_token_count,
                cost=task.cost,
            ),
        )

    def hold(self, estimate: CallEstimate, *, model: str | None = None) -> None:
        """Reserve ``estimate`` for a call about to be made, or raise
        :class:`LimitExceeded` (reserving nothing) if it would pass a limit."""
        if self.max_tokens is not None:
            before = self.tokens + self._held_tokens
            if before + estimate.tokens > self.max_tokens:
                raise LimitExceeded(
                    f"Max tokens per task ({self.max_tokens}) exceeded: the next model call "
                    f"(about {estimate.tokens} prompt tokens) would bring the task from "
                    f"{before} to about {before + estimate.tokens} tokens; it was not made"
                )
        if self.max_cost_usd is not None:
            limit = cost_text(self.max_cost_usd)
            if estimate.cost is None:
                named = f" of {model}" if model else ""
                raise LimitExceeded(
                    f"Max cost per task ({limit}) cannot be kept: the price{named} is unknown, "
                    "so the next model call's cost cannot be estimated; it was not made"
                )
            before_cost = self.cost + self._held_cost
            if before_cost + estimate.cost > self.max_cost_usd:
                raise LimitExceeded(
                    f"Max cost per task ({limit}) exceeded: the next model call (about "
                    f"{cost_text(estimate.cost)} for {estimate.tokens} prompt tokens) would "
                    f"bring the task from {cost_text(before_cost)} to about "
                    f"{cost_text(before_cost + estimate.cost)}; it was not made"
                )
        self._held_tokens += estimate.tokens
        self._held_cost += estimate.cost or 0.0

    def settle(self, estimate: CallEstimate, response: LLMResponse | None) -> None:
        """Replace a call's reservation by what it really spent (nothing, for a call
        that failed without an answer)."""
        self._held_tokens -= estimate.tokens
        self._held_cost -= estimate.cost or 0.0
        if response is not None:
            self.tokens += response.input_tokens + response.output_tokens
            self.cost += response.cost or 0.0


async def complete_within(
    llm: LLMProvider, request: LLMRequest, budget: TaskBudget | None, *, spent: Any = None
) -> LLMResponse:
    """``llm.complete(request)`` unless the call would take the task past a limit of
    ``budget`` (then :class:`LimitExceeded`, carrying ``spent``: what the caller's calls
    spent so far, and the call is never sent). Without a budget, just the call."""
    if budget is None:
        return await llm.complete(request)
    estimate = await estimate_call(llm, request)
    try:
        budget.hold(estimate, model=getattr(llm, "model", None))
    except LimitExceeded as exc:
        exc.usage = spent if isinstance(spent, Usage) else Usage()
        log.info("model call not made: %s", exc)
        raise
    response: LLMResponse | None = None
    try:
        response = await llm.complete(request)
        return response
    finally:
        budget.settle(estimate, response)
