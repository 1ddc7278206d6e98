"""A scripted planner and a scripted LLM provider, for tests without a model."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import anyio

from skyvern_core.errors import LLMError
from skyvern_core.models import Action, Decision, Extraction, Usage
from skyvern_core.protocols import ExtractContext, LLMRequest, LLMResponse, PlanContext

__all__ = ["ScriptedLLM", "ScriptedPlanner"]

DecisionScript = Decision | Sequence[Action] | BaseException | Callable[[PlanContext], Any]
ExtractionScript = Extraction | BaseException | Callable[[ExtractContext], Any] | Any


class ScriptedPlanner:
    """Answers each step with the next scripted decision.

    A script item is a :class:`Decision`, a list of actions, an exception to raise, or a
    callable taking the :class:`PlanContext` (sync or async) and returning one of those.
    Extractions are scripted the same way (plain data is wrapped in an ``Extraction``).
    Every context received is kept in :attr:`contexts` / :attr:`extract_contexts`.
    ``delay`` makes each decision take that many seconds (to test cancels and timeouts).
    """

    def __init__(
        self,
        decisions: Iterable[DecisionScript] = (),
        *,
        extractions: Iterable[ExtractionScript] = (),
        usage: Usage | None = None,
        delay: float = 0.0,
    ) -> None:
        self.decisions = list(decisions)
        self.extractions = list(extractions)
        self.usage = usage or Usage()
        self.delay = delay
        self.contexts: list[PlanContext] = []
        self.extract_contexts: list[ExtractContext] = []

    async def decide(self, context: PlanContext) -> Decision:
        """Return the next scripted decision."""
        self.contexts.append(context)
        if self.delay:
            await anyio.sleep(self.delay)
        if not self.decisions:
            raise LLMError("the scripted planner has no decision left for this step")
        item = await _resolve(self.decisions.pop(0), context)
        if isinstance(item, Decision):
            decision = item
        else:
            decision = Decision.model_validate({"actions": list(item)})
        if decision.usage == Usage():
            decision = decision.model_copy(update={"usage": self.usage})
        return decision

    async def extract(self, context: ExtractContext) -> Extraction:
        """Return the next scripted extraction."""
        self.extract_contexts.append(context)
        if not self.extractions:
            raise LLMError("the scripted planner has no extraction left")
        item = await _resolve(self.extractions.pop(0), context)
        if isinstance(item, Extraction):
            return item
        return Extraction(data=item, usage=self.usage)


class ScriptedLLM:
    """An LLM provider that answers with scripted texts and records each request.

    A script item is a string, an :class:`LLMResponse`, an exception to raise, or a
    callable taking the :class:`LLMRequest` and returning one of those.
    """

    def __init__(
        self,
        responses: Iterable[Any] = (),
        *,
        supports_images: bool = True,
        input_tokens: int = 100,
        output_tokens: int = 20,
    ) -> None:
        self.responses = list(responses)
        self._images = supports_images
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.requests: list[LLMRequest] = []

    @property
    def supports_images(self) -> bool:
        """Whether the fake claims to take images."""
        return self._images

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Return the next scripted response."""
        self.requests.append(request)
        if not self.responses:
            raise LLMError("the scripted LLM has no response left")
        item = await _resolve(self.responses.pop(0), request)
        if isinstance(item, LLMResponse):
            return item
        return LLMResponse(
            text=str(item),
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            model="scripted",
        )


async def _resolve(item: Any, arg: Any) -> Any:
    if isinstance(item, BaseException):
        raise item
    if callable(item) and not isinstance(item, type):
        item = item(arg)
        if hasattr(item, "__await__"):
            item = await item
        if isinstance(item, BaseException):
            raise item
    return item
