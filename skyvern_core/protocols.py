"""The extension points of skyvern-core, as protocols.

A backend is any object with these methods; plugins register factories that build them
(see :mod:`skyvern_core.hookspecs`). The store's protocols are in :mod:`skyvern_core.storage`
(:class:`~skyvern_core.storage.Store` is importable from here too). All work methods are
async. Backends raise the matching :mod:`skyvern_core.errors` class for their own failures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from skyvern_core.models import (
    Action,
    ActionResult,
    Decision,
    Extraction,
    PageState,
    Step,
    Task,
)

# The store's protocols live in skyvern_core.storage, one per concern; the whole store is
# still importable from here.
from skyvern_core.storage import Store as Store

if TYPE_CHECKING:
    from skyvern_core.limits import TaskBudget

__all__ = [
    "ArtifactStore",
    "BrowserDriver",
    "BrowserSession",
    "DocumentReader",
    "ExtractContext",
    "LLMMessage",
    "LLMProvider",
    "LLMRequest",
    "LLMResponse",
    "Notifier",
    "PlanContext",
    "Planner",
    "ProxySettings",
    "SessionArtifacts",
    "SessionOptions",
    "SettlingSession",
    "StorageKeeper",
]


# --------------------------------------------------------------------------- browser


@dataclass(frozen=True, slots=True)
class ProxySettings:
    """A proxy server for one browser context."""

    server: str
    username: str | None = None
    password: str | None = None
    bypass: str | None = None


@dataclass(slots=True)
class SessionOptions:
    """How to open a browser session for one task."""

    task_id: str
    artifact_dir: Path
    proxy: ProxySettings | None = None
    record_video: bool = True
    record_trace: bool = False
    viewport: tuple[int, int] = (1280, 800)
    user_agent: str | None = None
    storage_state: dict[str, Any] | None = None
    """Cookies and local storage to start with (a browser profile's), in the shape of
    :meth:`skyvern_core.models.StorageState.playwright`; None starts empty."""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class SessionArtifacts:
    """Files a browser session leaves behind when it closes."""

    recording: Path | None = None
    trace: Path | None = None
    downloads: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@runtime_checkable
class BrowserSession(Protocol):
    """One task's isolated browser context (its own cookies, storage and tabs)."""

    async def goto(self, url: str) -> None:
        """Open ``url`` in the current tab and wait for it to load."""

    async def snapshot(self) -> PageState:
        """Return what the page shows now: elements with stable ids, text, a screenshot."""

    async def execute(self, action: Action, page: PageState) -> ActionResult:
        """Carry out a browser action, check its effect and report how it went."""

    async def screenshot(self, *, full_page: bool = False) -> bytes:
        """Return a PNG of the viewport (or of the whole page)."""

    async def close(self) -> SessionArtifacts:
        """Close the context; return the recording, trace and downloads it produced."""


@runtime_checkable
class StorageKeeper(Protocol):
    """A browser session that can give back its cookies and local storage, so a browser
    profile can be saved when its task ends (optional: without it, a task naming a profile
    fails at its start, saying the driver keeps no profiles)."""

    async def storage_state(self) -> dict[str, Any]:
        """The session's cookies, and the local storage of the origins it saw, in the shape
        of :meth:`skyvern_core.models.StorageState.playwright`."""


@runtime_checkable
class DocumentReader(Protocol):
    """A browser session that can read its whole page as text, for extraction (optional).

    Sessions that have this method are read with it when a task's information is
    extracted; for others the extraction uses :attr:`PageState.content` (the text in view).
    """

    async def read_document(self, *, links: bool = False) -> str:
        """The whole current page — every frame, open shadow roots, below the fold — as
        compact structured text (the format of :mod:`skyvern_core.perception.document`);
        with ``links``, links as ``[text](url)``."""


@runtime_checkable
class SettlingSession(Protocol):
    """A browser session whose actions' wait for the page can be shortened (optional).

    Replays use it: a replayed step's actions settle once the page has loaded with no
    request in flight (``quiet_window`` 0), and its next page is seen without a
    screenshot while it may still be replayed; a page that is not is settled fully and
    seen again, screenshot and all.
    """

    quiet_window: float
    """Seconds without a request that count as settled after an action."""

    async def settle(self) -> None:
        """Wait as an action does for the page to settle, with the full quiet window."""

    async def snapshot(self, *, screenshot: bool = True) -> PageState:
        """What the page shows now (``screenshot`` False: without its screenshot)."""


@runtime_checkable
class BrowserDriver(Protocol):
    """Starts browser sessions; one browser per process, one context per task."""

    async def start(self) -> None:
        """Launch or connect to the browser (idempotent)."""

    async def new_session(self, options: SessionOptions) -> BrowserSession:
        """Open an isolated session for a task."""

    async def close(self) -> None:
        """Close the browser and everything it opened."""


# --------------------------------------------------------------------------- LLM


@dataclass(slots=True)
class LLMMessage:
    """One chat message; ``images`` are PNG bytes sent beside the text."""

    role: str
    content: str
    images: list[bytes] = field(default_factory=list)


@dataclass(slots=True)
class LLMRequest:
    """A chat completion request."""

    messages: list[LLMMessage]
    response_schema: dict[str, Any] | None = None
    schema_name: str = "decision"
    temperature: float | None = None
    max_output_tokens: int | None = None


@dataclass(slots=True)
class LLMResponse:
    """The model's answer with its own usage figures."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    model: str | None = None


@runtime_checkable
class LLMProvider(Protocol):
    """Talks to one language model (with fallbacks, retries and timeouts of its own)."""

    @property
    def supports_images(self) -> bool:
        """Whether screenshots can be attached."""

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Return one completion with token usage."""


# --------------------------------------------------------------------------- planner


@dataclass(slots=True)
class PlanContext:
    """Everything a planner may use to decide a step."""

    task: Task
    page: PageState
    history: Sequence[Step]
    step: Step
    errors: list[str] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    previous_page: PageState | None = None
    hint: str | None = None
    """What the recorded step of this page meant to do, when a replay could not run it."""
    budget: TaskBudget | None = None
    """The task's cost and token limits, with what it spent so far (None without limits).
    A planner that calls a model sends each call through
    :func:`~skyvern_core.limits.complete_within` with it."""


@dataclass(slots=True)
class ExtractContext:
    """What an extraction may use; ``errors`` lists schema mismatches to correct.

    ``document`` is the whole page as text (from :meth:`DocumentReader.read_document`), or
    None when the session cannot read it: then ``page`` (the text in view) is all there is.
    """

    task: Task
    page: PageState
    previous: Any = None
    errors: list[str] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    document: str | None = None
    budget: TaskBudget | None = None
    """As :attr:`PlanContext.budget`."""


@runtime_checkable
class Planner(Protocol):
    """Decides what to do next, and extracts information at the end."""

    async def decide(self, context: PlanContext) -> Decision:
        """Return the next actions (or complete / terminate) for the page."""

    async def extract(self, context: ExtractContext) -> Extraction:
        """Return the information the task's data_extraction_goal asks for."""


# --------------------------------------------------------------------------- notifier


@runtime_checkable
class Notifier(Protocol):
    """Tells the outside world a task reached a final status."""

    async def notify(self, task: Task) -> None:
        """Send (or queue) the notification for a finished task."""


# --------------------------------------------------------------------------- artifacts


@runtime_checkable
class ArtifactStore(Protocol):
    """Keeps artifact files and says where to fetch them."""

    async def put(self, key: str, data: bytes | Path, *, content_type: str) -> str:
        """Store bytes (or move a file) under ``key``; return its URI."""

    async def read(self, uri: str) -> bytes:
        """Return the bytes stored at ``uri``."""

    async def url(self, uri: str) -> str:
        """Return a URL a person can open for ``uri``."""
