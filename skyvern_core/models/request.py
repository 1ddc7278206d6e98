"""What a caller asks for: the task request, its size limits and proxy locations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from skyvern_core.schemacheck import check_patterns

__all__ = [
    "MAX_COST_USD_LIMIT",
    "MAX_STEPS_LIMIT",
    "MAX_TOKENS_LIMIT",
    "REPLAY_KEY_CHARS",
    "InputLimits",
    "ProxyLocation",
    "ReplayMode",
    "TaskRequest",
    "check_http_url",
]


MAX_STEPS_LIMIT = 10_000
"""The largest step limit a task may ask for."""

MAX_COST_USD_LIMIT = 1_000_000.0
"""The largest cost limit (US dollars) a task may ask for."""

MAX_TOKENS_LIMIT = 1_000_000_000
"""The largest token limit a task may ask for."""


class ProxyLocation(StrEnum):
    """Where a task's browser traffic should come from (``NONE``: direct)."""

    RESIDENTIAL = "RESIDENTIAL"
    RESIDENTIAL_ISP = "RESIDENTIAL_ISP"
    RESIDENTIAL_ES = "RESIDENTIAL_ES"
    RESIDENTIAL_IE = "RESIDENTIAL_IE"
    RESIDENTIAL_GB = "RESIDENTIAL_GB"
    RESIDENTIAL_IN = "RESIDENTIAL_IN"
    RESIDENTIAL_JP = "RESIDENTIAL_JP"
    RESIDENTIAL_FR = "RESIDENTIAL_FR"
    RESIDENTIAL_DE = "RESIDENTIAL_DE"
    RESIDENTIAL_NZ = "RESIDENTIAL_NZ"
    RESIDENTIAL_ZA = "RESIDENTIAL_ZA"
    RESIDENTIAL_AR = "RESIDENTIAL_AR"
    RESIDENTIAL_AU = "RESIDENTIAL_AU"
    RESIDENTIAL_BR = "RESIDENTIAL_BR"
    RESIDENTIAL_TR = "RESIDENTIAL_TR"
    RESIDENTIAL_CA = "RESIDENTIAL_CA"
    RESIDENTIAL_MX = "RESIDENTIAL_MX"
    RESIDENTIAL_IT = "RESIDENTIAL_IT"
    RESIDENTIAL_NL = "RESIDENTIAL_NL"
    RESIDENTIAL_PH = "RESIDENTIAL_PH"
    RESIDENTIAL_KR = "RESIDENTIAL_KR"
    RESIDENTIAL_SA = "RESIDENTIAL_SA"
    US_CA = "US-CA"
    US_NY = "US-NY"
    US_TX = "US-TX"
    US_FL = "US-FL"
    US_WA = "US-WA"
    NONE = "NONE"


class ReplayMode(StrEnum):
    """Whether a task reuses the recorded steps of its flow (see :mod:`skyvern_core.replay`).

    ``off``: every step is decided by the planner and nothing is recorded. ``auto``: a step
    whose page matches its recorded entry runs the recorded actions without the model; any
    other step is decided by the planner (told what the recorded step meant to do), and the
    flow is recorded when the task completes. ``only``: the model is never called; the task
    fails at the first step that does not match its entry, saying what differed.
    """

    off = "off"
    auto = "auto"
    only = "only"


REPLAY_KEY_CHARS = 200
"""The longest ``replay_key`` a task may give."""


def check_http_url(value: str, field: str) -> str:
    """Return ``value`` if it is an absolute http(s) URL, else raise ``ValueError``."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{field} must be an absolute http or https URL, got {value!r}")
    if not parts.hostname:
        raise ValueError(f"{field} has no host: {value!r}")
    return value.strip()


@dataclass(frozen=True, slots=True)
class InputLimits:
    """How large the parts of a task request may be (see the ``max_*`` settings).

    A :class:`TaskRequest` is held to them when it is validated with
    ``context={"limits": limits}``, as :class:`~skyvern_core.Agent` and the HTTP API do with
    their settings' limits (``Settings.input_limits``); without that context only the
    request's own rules apply.
    """

    goal_chars: int
    payload_bytes: int
    schema_bytes: int
    pattern_chars: int


def _limits(info: ValidationInfo) -> InputLimits | None:
    context = info.context
    found = context.get("limits") if isinstance(context, dict) else None
    return found if isinstance(found, InputLimits) else None


def _json_size(value: Any) -> int:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return len(text.encode("utf-8"))


class TaskRequest(BaseModel):
    """What a caller asks the agent to do: every field of the spec's task request.

    ``max_steps`` is the Python equivalent of the HTTP header ``x-max-steps-override``;
    ``max_cost_usd`` and ``max_tokens`` bound what the task's model calls may spend.
    Size limits (:class:`InputLimits`) apply when the request is validated with them in its
    context, as the agent does.
    """

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    url: str = Field(description="Where the browser starts; an absolute http or https URL.")
    navigation_goal: str | None = Field(
        default=None, description="What the agent should achieve, in plain words."
    )
    data_extraction_goal: str | None = Field(
        default=None, description="What to extract once the navigation goal is reached."
    )
    navigation_payload: Any = Field(
        default=None,
        description="Facts the agent may use (any JSON). A file to upload may be given "
        'inline as {"$file": {"name": "cv.pdf", "content_base64": "..."}}.',
    )
    webhook_callback_url: str | None = Field(
        default=None, description="Called with a signed POST when the task ends."
    )
    proxy_location: ProxyLocation = Field(
        default=ProxyLocation.NONE, description="Where the traffic should come from."
    )
    extracted_information_schema: dict[str, Any] | bool | None = Field(
        default=None, description="A JSON Schema the extracted information must satisfy."
    )
    totp_verification_url: str | None = Field(
        default=None, description="An endpoint that gives the 2FA code when asked."
    )
    totp_identifier: str | None = Field(
        default=None, description="The e-mail or phone number whose codes are pushed to us."
    )
    max_steps: int | None = Field(
        default=None,
        gt=0,
        le=MAX_STEPS_LIMIT,
        description="Overrides the configured maximum number of steps.",
    )
    replay: ReplayMode | None = Field(
        default=None,
        description="Replay the recorded steps of this flow: off, auto or only; None takes "
        "the deployment's replay_mode setting.",
    )
    replay_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=REPLAY_KEY_CHARS,
        description="The flow's replay key, chosen by the caller; None builds it from the "
        "start URL, the goals, the payload's keys, the schema and the planner.",
    )
    max_cost_usd: float | None = Field(
        default=None,
        gt=0,
        le=MAX_COST_USD_LIMIT,
        description="The most this task may spend on model calls, in US dollars: the call "
        "that would pass it is not made, and the task fails with 'Max cost per task ($N) "
        "exceeded'. Default: the organization's limit, else SKYVERN_MAX_COST_USD (none).",
    )
    max_tokens: int | None = Field(
        default=None,
        gt=0,
        le=MAX_TOKENS_LIMIT,
        description="The most model tokens (input and output) this task may use: the call "
        "that would pass it is not made, and the task fails with 'Max tokens per task (N) "
        "exceeded'. Default: the organization's limit, else SKYVERN_MAX_TOKENS (none).",
    )
    browser_profile: str | None = Field(
        default=None,
        description="A browser profile of the organization (1 to 64 letters, digits, - or _): "
        "its cookies and local storage are restored when the task starts and saved when it "
        "ends, so a second task starts signed in. A task waits while another one uses it.",
    )

    @field_validator("browser_profile")
    @classmethod
    def _profile_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from skyvern_core.models.profiles import check_profile_name

        return check_profile_name(value)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_http_url(value, "url")

    @field_validator("webhook_callback_url", "totp_verification_url")
    @classmethod
    def _optional_url(cls, value: str | None, info: Any) -> str | None:
        if value is None or value == "":
            return None
        return check_http_url(value, info.field_name)

    @field_validator("navigation_payload")
    @classmethod
    def _inline_files(cls, value: Any) -> Any:
        from skyvern_core.uploads import check_inline_files

        check_inline_files(value)
        return value

    @field_validator("navigation_goal", "data_extraction_goal")
    @classmethod
    def _goal_size(cls, value: str | None, info: ValidationInfo) -> str | None:
        limits = _limits(info)
        if value is not None and limits is not None and len(value) > limits.goal_chars:
            raise ValueError(
                f"{info.field_name} has {len(value)} characters; the limit is "
                f"{limits.goal_chars} (SKYVERN_MAX_GOAL_CHARS)"
            )
        return value

    @field_validator("navigation_payload")
    @classmethod
    def _payload_size(cls, value: Any, info: ValidationInfo) -> Any:
        limits = _limits(info)
        if value is not None and limits is not None:
            from skyvern_core.uploads import split_files

            # Inline files are held to upload_max_bytes (and the request to its own
            # limit), not to the size of the facts the model reads.
            size = _json_size(split_files(value)[0])
            if size > limits.payload_bytes:
                raise ValueError(
                    f"navigation_payload is {size} bytes as JSON (inline files aside); the "
                    f"limit is {limits.payload_bytes} (SKYVERN_MAX_PAYLOAD_BYTES)"
                )
        return value

    @field_validator("extracted_information_schema", mode="before")
    @classmethod
    def _schema(cls, value: Any, info: ValidationInfo) -> Any:
        limits = _limits(info)
        if isinstance(value, str) and limits is not None:
            # Measured before parsing, so an oversized string is never parsed.
            if len(value.encode("utf-8")) > limits.schema_bytes:
                raise ValueError(
                    f"extracted_information_schema is over {limits.schema_bytes} bytes as JSON "
                    "(SKYVERN_MAX_SCHEMA_BYTES)"
                )
        if isinstance(value, str):
            # Existing clients send the schema as a JSON string as often as an object.
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"extracted_information_schema is not valid JSON: {exc}") from exc
        if value is None:
            return None
        if not isinstance(value, dict | bool):
            raise ValueError("extracted_information_schema must be a JSON Schema object")
        if limits is not None:
            size = _json_size(value)
            if size > limits.schema_bytes:
                raise ValueError(
                    f"extracted_information_schema is {size} bytes as JSON; the limit is "
                    f"{limits.schema_bytes} (SKYVERN_MAX_SCHEMA_BYTES)"
                )
        # Before check_schema, which compiles every pattern itself.
        check_patterns(value, limits.pattern_chars if limits is not None else None)
        validator = jsonschema.validators.validator_for(value)
        try:
            validator.check_schema(value)
        except jsonschema.SchemaError as exc:
            where = "/".join(str(p) for p in exc.path) or "(root)"
            raise ValueError(
                f"extracted_information_schema is not a valid JSON Schema at {where}: {exc.message}"
            ) from exc
        return value

    @model_validator(mode="after")
    def _has_goal(self) -> TaskRequest:
        if (
            not (self.navigation_goal or "").strip()
            and not (self.data_extraction_goal or "").strip()
        ):
            raise ValueError("a task needs a navigation_goal, a data_extraction_goal, or both")
        return self
