"""The built-in LLM provider: any model litellm knows (``SKYVERN_LLM_MODEL``).

Keys come from each provider's usual environment variables (``OPENAI_API_KEY``,
``ANTHROPIC_API_KEY``...) or ``SKYVERN_LLM_API_KEY``; ``SKYVERN_LLM_API_BASE`` points at a
local OpenAI-compatible server (Ollama, vLLM, llama.cpp). Prices come from litellm's own
bundled price list, read offline (``LITELLM_LOCAL_MODEL_COST_MAP=True`` is set if unset).
"""

from __future__ import annotations

import base64
import logging
import os
import random
from typing import Any

import anyio

from skyvern_core.config import Settings
from skyvern_core.errors import ConfigurationError, LLMError, MissingExtraError
from skyvern_core.hookspecs import Register, hookimpl
from skyvern_core.limits import CallEstimate
from skyvern_core.plugins import BackendContext
from skyvern_core.protocols import LLMMessage, LLMRequest, LLMResponse

__all__ = ["LiteLLMProvider", "image_type", "register_llm_providers"]

log = logging.getLogger(__name__)


def image_type(data: bytes) -> str:
    """The media type of a screenshot's bytes (PNG, JPEG or WebP; PNG when unknown)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/png"


def _litellm() -> Any:
    # litellm would fetch its price list at import time without this.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import litellm
    except ImportError as exc:
        raise MissingExtraError("litellm", "llm") from exc
    litellm.suppress_debug_info = True
    return litellm


class LiteLLMProvider:
    """One chat completion through litellm, with retries, backoff, timeouts and fallbacks."""

    def __init__(self, settings: Settings) -> None:
        if not settings.llm_model:
            raise ConfigurationError(
                "no LLM model is configured: set SKYVERN_LLM_MODEL (for example "
                "'openai/gpt-4o-mini', or 'ollama/llama3.1' with SKYVERN_LLM_API_BASE)"
            )
        self.settings = settings
        self.model = settings.llm_model
        self.litellm = _litellm()
        retryable = [
            "RateLimitError",
            "InternalServerError",
            "ServiceUnavailableError",
            "APIConnectionError",
            "Timeout",
        ]
        self._retryable = tuple(getattr(self.litellm, name) for name in retryable)

    @property
    def supports_images(self) -> bool:
        """Whether screenshots are sent (a setting, or litellm's knowledge of the model)."""
        if self.settings.llm_supports_images is not None:
            return self.settings.llm_supports_images
        try:
            return bool(self.litellm.supports_vision(model=self.model))
        except Exception:
            return False

    def supports_schema(self, model: str) -> bool:
        """Whether the model can be held to a JSON schema by the provider."""
        if self.settings.llm_structured_output is not None:
            return self.settings.llm_structured_output
        try:
            return bool(self.litellm.supports_response_schema(model=model))
        except Exception:
            return False

    def _messages(self, messages: list[LLMMessage], images: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for message in messages:
            if images and message.images:
                parts: list[dict[str, Any]] = [{"type": "text", "text": message.content}]
                for image in message.images:
                    data = base64.b64encode(image).decode()
                    url = f"data:{image_type(image)};base64,{data}"
                    parts.append({"type": "image_url", "image_url": {"url": url}})
                out.append({"role": message.role, "content": parts})
            else:
                out.append({"role": message.role, "content": message.content})
        return out

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Return one completion; rate limits and transient errors are retried with backoff,
        then each fallback model is tried in turn."""
        errors: list[str] = []
        for model in [self.model, *self.settings.llm_fallback_models]:
            try:
                return await self._complete_with_retries(model, request)
            except LLMError as exc:
                errors.append(f"{model}: {exc}")
                log.warning("model %s failed: %s", model, exc)
        raise LLMError("; ".join(errors))

    async def _complete_with_retries(self, model: str, request: LLMRequest) -> LLMResponse:
        attempts = self.settings.llm_max_retries + 1
        for attempt in range(attempts):
            try:
                return await self._call(model, request)
            except self._retryable as exc:
                if attempt + 1 >= attempts:
                    raise LLMError(f"{_short(exc)} (gave up after {attempts} attempts)") from exc
                # Exponential backoff with full jitter, so parallel tasks do not retry in step.
                delay = self.settings.llm_retry_base_delay * (2**attempt)
                await anyio.sleep(random.uniform(delay / 2, delay))
            except LLMError:
                raise
            except Exception as exc:
                raise LLMError(_short(exc)) from exc
        raise AssertionError("unreachable")

    async def _call(self, model: str, request: LLMRequest) -> LLMResponse:
        kwargs: dict[str, Any] = {
            "model": model,
            "messages": self._messages(request.messages, self.supports_images),
            "timeout": self.settings.llm_timeout,
            "num_retries": 0,
        }
        if self.settings.llm_api_base:
            kwargs["api_base"] = self.settings.llm_api_base
        if self.settings.llm_api_key:
            kwargs["api_key"] = self.settings.llm_api_key
        temperature = (
            request.temperature
            if request.temperature is not None
            else self.settings.llm_temperature
        )
        if temperature is not None:
            kwargs["temperature"] = temperature
        if request.max_output_tokens:
            kwargs["max_tokens"] = request.max_output_tokens
        if request.response_schema is not None and self.supports_schema(model):
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.schema_name,
                    "schema": request.response_schema,
                    "strict": False,
                },
            }
        response = await self.litellm.acompletion(**kwargs)
        choice = response.choices[0]
        text = choice.message.content or ""
        usage = getattr(response, "usage", None)
        input_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        output_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        try:
            cost: float | None = float(self.litellm.completion_cost(completion_response=response))
        except Exception:
            cost = None  # the model is not in the price list
        return LLMResponse(
            text=text,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost=cost,
            model=getattr(response, "model", model),
        )

    def _estimate(self, request: LLMRequest) -> CallEstimate:
        messages = self._messages(request.messages, self.supports_images)
        tokens = int(self.litellm.token_counter(model=self.model, messages=messages))
        tokens += request.max_output_tokens or 0
        try:
            prompt_cost, _ = self.litellm.cost_per_token(
                model=self.model, prompt_tokens=tokens, completion_tokens=0
            )
            cost: float | None = float(prompt_cost)
        except Exception:
            cost = None  # the model is not in the price list
        return CallEstimate(tokens=tokens, cost=cost)

    async def estimate(self, request: LLMRequest) -> CallEstimate:
        """What ``request`` would cost before it is sent: its prompt counted with the
        model's tokenizer (screenshots as the provider prices them) and priced from
        litellm's bundled price list (``cost`` None where the model is not in it)."""
        return await anyio.to_thread.run_sync(self._estimate, request)

    async def close(self) -> None:
        """Nothing to release (litellm keeps its own HTTP clients)."""


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"{type(exc).__name__}: {text[:300]}"


@hookimpl
def register_llm_providers(register: Register) -> None:
    """Register ``litellm``."""

    def factory(ctx: BackendContext) -> LiteLLMProvider:
        return LiteLLMProvider(ctx.settings)

    register("litellm", factory)
