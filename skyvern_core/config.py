"""Typed settings, read from keyword arguments or ``SKYVERN_*`` environment variables.

Every field below maps to an environment variable named ``SKYVERN_`` + the field name in
upper case (``SKYVERN_MAX_STEPS``, ``SKYVERN_LLM_MODEL``...). Keyword arguments win over
the environment.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from skyvern_core.models import InputLimits

__all__ = ["Settings", "check_base_url", "default_data_dir"]

_WARNED: set[str] = set()


def check_base_url(value: str, name: str = "public_base_url") -> str:
    """``value`` without its trailing slash if it is an absolute http(s) URL with no query or
    fragment (where the HTTP app is reached), else ``ValueError`` naming ``name``."""
    from urllib.parse import urlsplit

    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} must be an absolute http or https URL, got {value!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"{name} must have no query or fragment, got {value!r}")
    return text.rstrip("/")


def default_data_dir() -> Path:
    """Where the embedded store and artifacts live unless configured: the user's data folder."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "skyvern-core"


class Settings(BaseSettings):
    """Every setting of skyvern-core, with its default."""

    model_config = SettingsConfigDict(
        env_prefix="SKYVERN_", extra="forbid", validate_default=True, frozen=True
    )

    # Where things live.
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for the SQLite file and local artifacts.",
    )
    database_url: str | None = Field(
        default=None,
        description="Store URL (sqlite:///path or postgresql://...); default: a SQLite "
        "file in data_dir.",
    )
    database_pool_size: int = Field(
        default=10,
        gt=0,
        description="PostgreSQL connections each process keeps open (as many again for "
        "bursts); at least `concurrency` plus a few for the API and the webhook sender.",
    )

    # Which backends to use (plugin names; see `skyvern-core plugins`).
    driver: str = Field(default="playwright", description="Browser driver plugin.")
    store: str = Field(default="sqlite", description="Store plugin.")
    planner: str = Field(
        default="auto",
        description="Planner plugin; 'auto' picks 'llm' when llm_model is set, else 'offline'.",
    )
    llm_provider: str = Field(default="litellm", description="LLM provider plugin.")
    notifier: str = Field(default="webhook", description="Notifier plugin.")
    artifact_store: str = Field(default="local", description="Artifact store plugin.")
    captcha_solver: str | None = Field(
        default=None,
        description="CAPTCHA solver plugin; None: a task whose page shows a CAPTCHA is "
        "terminated at once, the reason naming the challenge.",
    )
    plugins: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description="Load only these plugins (entry-point names); None loads every one.",
    )

    # Limits.
    max_steps: int = Field(default=10, gt=0, description="Steps per task, retries excluded.")
    max_retries: int = Field(default=3, ge=0, description="Retries of one failing step.")
    max_cost_usd: float | None = Field(
        default=None,
        gt=0,
        description="Model spend per task, in US dollars, for tasks and organizations that "
        "set none; None: no limit. The model call that would pass it is not made.",
    )
    max_tokens: int | None = Field(
        default=None,
        gt=0,
        description="Model tokens (input and output) per task, for tasks and organizations "
        "that set none; None: no limit. The model call that would pass it is not made.",
    )
    step_timeout: float = Field(default=180.0, gt=0, description="Seconds per step.")
    task_timeout: float = Field(default=1800.0, gt=0, description="Wall-clock seconds per task.")
    concurrency: int = Field(default=4, gt=0, description="Tasks run at once by the worker pool.")
    lease_seconds: float = Field(default=60.0, gt=0, description="Claim lease of a running task.")
    poll_interval: float = Field(default=1.0, gt=0, description="Queue poll interval (seconds).")
    task_max_attempts: int = Field(
        default=2,
        ge=1,
        description="Runs a task may get: one whose worker was lost (its lease expired) or "
        "shut down runs again from its start URL until this many runs were made, then fails "
        "naming them. 1 fails it at once, for flows that must never run twice.",
    )
    shutdown_grace: float = Field(
        default=15.0,
        ge=0,
        description="Seconds running tasks get to finish when the process shuts down; then "
        "they go back to the queue at their next step boundary (at the latest after as long "
        "again).",
    )

    # Sizes of what callers send (a request over a limit is refused, naming the field).
    max_goal_chars: int = Field(
        default=20_000,
        gt=0,
        description="Characters of navigation_goal, and of data_extraction_goal, each.",
    )
    max_payload_bytes: int = Field(
        default=64 * 1024,
        gt=0,
        description="Bytes of navigation_payload, as compact JSON, inline files aside (they are "
        "held to upload_max_bytes, and a request to max_request_bytes).",
    )
    max_schema_bytes: int = Field(
        default=64 * 1024,
        gt=0,
        description="Bytes of extracted_information_schema, as compact JSON.",
    )
    max_schema_pattern_chars: int = Field(
        default=1000,
        gt=0,
        description="Characters of one pattern (or patternProperties key) of "
        "extracted_information_schema.",
    )
    schema_pattern_timeout: float = Field(
        default=0.2,
        gt=0,
        description="Seconds the patterns of extracted_information_schema may take, "
        "together, to check one extraction; past that the check fails, naming the pattern.",
    )
    max_request_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Bytes of one HTTP request body, counted as it arrives: a larger body is "
        "answered 413 without being read further.",
    )

    # Browser.
    headless: bool = True
    browser_path: str | None = Field(default=None, description="A Chromium executable to use.")
    cdp_url: str | None = Field(default=None, description="Connect to this browser over CDP.")
    remote_webdriver_url: str | None = Field(default=None, description="A Selenium Grid URL.")
    viewport_width: int = Field(default=1280, gt=0)
    viewport_height: int = Field(default=800, gt=0)
    user_agent: str | None = None
    record_video: bool = True
    record_trace: bool = False
    proxies: dict[str, str] = Field(
        default_factory=dict,
        description="proxy_location → proxy server URL (http://user:pass@host:port).",
    )

    # LLM.
    llm_model: str | None = Field(default=None, description="Any model name litellm knows.")
    llm_api_base: str | None = None
    llm_api_key: str | None = Field(default=None, repr=False)
    llm_timeout: float = Field(default=90.0, gt=0)
    llm_max_retries: int = Field(default=3, ge=0)
    llm_fallback_models: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Models tried in turn when the main one keeps failing."
    )
    llm_retry_base_delay: float = Field(
        default=1.0, ge=0, description="First backoff delay (seconds) on rate limits and errors."
    )
    llm_supports_images: bool | None = Field(
        default=None, description="Attach screenshots; None asks litellm whether the model can."
    )
    llm_structured_output: bool | None = Field(
        default=None,
        description="Use the model's JSON-schema output; None asks litellm whether it has one.",
    )
    llm_temperature: float | None = Field(default=0.0, ge=0, le=2)
    prompt_offscreen_elements: int = Field(
        default=40,
        ge=0,
        le=1000,
        description="Elements further down the page listed (tersely) in the step prompt, form "
        "fields first; a long page lists a third of the rest as well, up to twice this; the "
        "rest are counted by role. Listing them lets one step fill a form longer than the "
        "screen; 0 makes each step's prompt smaller, a screen at a time.",
    )
    extraction_chunk_tokens: int = Field(
        default=24_000,
        ge=500,
        description="Tokens of page text one extraction call may hold. A larger page is "
        "extracted in parts cut between lines (a table row is never cut; each part repeats "
        "the headings above it and its table's header line), whose answers are merged.",
    )

    # Notifications.
    webhook_secret: str | None = Field(
        default=None, repr=False, description="Signing secret for webhooks of embedded use."
    )
    webhook_max_attempts: int = Field(
        default=6, gt=0, description="Send attempts of one webhook before it is failed."
    )
    webhook_retry_base_delay: float = Field(
        default=2.0,
        ge=0,
        description="First webhook retry delay (seconds); doubled per attempt, with jitter.",
    )
    webhook_timeout: float = Field(
        default=10.0, gt=0, description="Seconds one webhook attempt may take."
    )

    # One-time (2FA) codes.
    totp_poll_interval: float = Field(
        default=5.0,
        gt=0,
        description="Seconds between asks to totp_verification_url (or the pushed codes).",
    )
    totp_timeout: float = Field(
        default=300.0, gt=0, description="Seconds to wait for a one-time code before failing."
    )
    totp_code_ttl: float = Field(
        default=600.0, gt=0, description="Seconds a pushed one-time code stays usable."
    )

    # Replays of recorded flows (skyvern_core.replay).
    replay_mode: Literal["off", "auto", "only"] = Field(
        default="off",
        description="The replay mode of a task that does not give one: 'off' (the planner "
        "decides every step), 'auto' (recorded steps run without the model where the page "
        "matches, the others are healed) or 'only' (never the model).",
    )
    replay_demote_after: int = Field(
        default=3,
        ge=1,
        description="Heals in a row after which a recorded step is demoted: it goes back to "
        "the model until it records again.",
    )

    # Artifacts.
    artifact_dir: Path | None = Field(default=None, description="Default: data_dir/artifacts.")
    public_base_url: str | None = Field(
        default=None,
        description="Absolute URL where clients reach the HTTP app, mount prefix included: "
        "artifact links in task details and webhooks start with it. `skyvern-core serve` on a "
        "loopback host defaults it to its own address and needs it on any other host; "
        "requests never change it.",
    )
    artifact_url_ttl: float = Field(
        default=7 * 24 * 3600.0, gt=0, description="Seconds a signed artifact link stays valid."
    )
    artifact_signing_secret: str | None = Field(
        default=None,
        repr=False,
        description="Key for artifact links; default: one kept in data_dir/artifact-key.",
    )

    # Browser profiles (a task's browser_profile).
    profile_key: str | None = Field(
        default=None,
        repr=False,
        description="Key that encrypts browser profiles at rest (a Fernet key: `skyvern-core "
        "profiles key` prints a new one); several, comma-separated, to rotate: the first "
        "encrypts, any decrypts. Default: one kept in data_dir/profile-key; set the same on "
        "every process of a fleet.",
    )
    max_profile_bytes: int = Field(
        default=5 * 1024 * 1024,
        gt=0,
        description="Bytes of one browser profile's cookies and local storage, as JSON: a "
        "task that ends with more saves nothing, and the profile keeps what it had.",
    )
    profile_wait: float = Field(
        default=300.0,
        ge=0,
        description="Seconds a task waits at its start for a browser profile another task is "
        "using; past that it fails, naming the task that holds it.",
    )

    # Where tasks, webhooks and TOTP URLs may point.
    refuse_private_networks: bool | None = Field(
        default=None,
        description="Also refuse private, loopback, shared and unique-local addresses "
        "(link-local, cloud metadata, multicast and reserved ones are always refused). "
        "None: refused under `skyvern-core serve` and `skyvern-core worker`, allowed for "
        "the embedded Python API; true or false wins everywhere.",
    )

    # Files a task may upload.
    upload_dirs: Annotated[list[Path] | None, NoDecode] = Field(
        default=None,
        description="Folders a task's upload_file may take local files from (never the "
        "data folder, never hidden files). None: no folder under `skyvern-core serve` and "
        "`skyvern-core worker`, the current working directory for the embedded Python API.",
    )
    upload_max_bytes: int = Field(
        default=25 * 1024 * 1024,
        gt=0,
        description="The largest file a task may upload, however it is given (local, "
        "inline in navigation_payload or by URL).",
    )
    upload_fetch_timeout: float = Field(
        default=60.0, gt=0, description="Seconds to download a file to upload from a URL."
    )

    @field_validator("plugins", "llm_fallback_models", "upload_dirs", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        # Environment variables hold "a,b,c"; a JSON list is accepted too.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("public_base_url", mode="after")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return check_base_url(value)

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    def model_post_init(self, context: Any, /) -> None:
        """Warn about ``SKYVERN_*`` variables that name no setting (a typo is silent
        otherwise)."""
        known = {f"SKYVERN_{name.upper()}" for name in type(self).model_fields}
        for name in os.environ:
            upper = name.upper()
            if (
                upper.startswith("SKYVERN_")
                and upper not in known
                and not upper.startswith("SKYVERN_TEST_")
                and upper not in _WARNED
            ):
                _WARNED.add(upper)
                logging.getLogger(__name__).warning(
                    "environment variable %s names no skyvern-core setting; ignored", name
                )

    @property
    def input_limits(self) -> InputLimits:
        """The ``max_*`` size limits of task requests, for ``TaskRequest`` validation."""
        from skyvern_core.models import InputLimits

        return InputLimits(
            goal_chars=self.max_goal_chars,
            payload_bytes=self.max_payload_bytes,
            schema_bytes=self.max_schema_bytes,
            pattern_chars=self.max_schema_pattern_chars,
        )

    @property
    def resolved_artifact_dir(self) -> Path:
        """The folder local artifacts go to."""
        return (self.artifact_dir or self.data_dir / "artifacts").expanduser()

    @property
    def resolved_database_url(self) -> str:
        """The store URL, defaulting to a SQLite file in the data folder."""
        return self.database_url or f"sqlite:///{self.data_dir / 'skyvern.db'}"
