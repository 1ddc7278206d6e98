"""The data of skyvern-core: task requests, tasks, steps, actions, page states, decisions.

These are plain pydantic models, independent of any store. Status changes go through
:func:`check_task_transition` and :func:`check_step_transition`, the one place that knows
the lifecycle; stores call them, so an illegal change raises wherever it is attempted.

The models live in modules by concept (``status``, ``request``, ``actions``, ``page``,
``records``); import them from here.
"""

from __future__ import annotations

from skyvern_core.models.actions import RUNNER_ACTIONS as RUNNER_ACTIONS
from skyvern_core.models.actions import (
    Action,
    ActionResult,
    ActionType,
    CheckAction,
    ClickAction,
    CompleteAction,
    Decision,
    ExtractAction,
    Extraction,
    GoBackAction,
    GotoUrlAction,
    HoverAction,
    InputTextAction,
    KeypressAction,
    ScrollAction,
    SelectOptionAction,
    TerminateAction,
    UploadFileAction,
    Usage,
    WaitAction,
)
from skyvern_core.models.page import Element, ElementOption, PageState, PageText
from skyvern_core.models.profiles import (
    PROFILE_NAME_PATTERN,
    BrowserProfile,
    OriginStorage,
    StorageItem,
    StorageState,
    StoredCookie,
    check_profile_name,
)
from skyvern_core.models.records import (
    Artifact,
    ArtifactKind,
    DecidedBy,
    DeliveryStatus,
    Organization,
    Step,
    Task,
    TotpCode,
    WebhookAttempt,
    WebhookDelivery,
)
from skyvern_core.models.replay import (
    LocatorBundle,
    PageFingerprint,
    RecordedAction,
    ReplayEntry,
    ReplayExtraction,
)
from skyvern_core.models.request import (
    MAX_COST_USD_LIMIT,
    MAX_STEPS_LIMIT,
    MAX_TOKENS_LIMIT,
    REPLAY_KEY_CHARS,
    InputLimits,
    ProxyLocation,
    ReplayMode,
    TaskRequest,
)
from skyvern_core.models.request import check_http_url as check_http_url
from skyvern_core.models.status import STEP_TRANSITIONS as STEP_TRANSITIONS
from skyvern_core.models.status import TASK_TRANSITIONS as TASK_TRANSITIONS
from skyvern_core.models.status import (
    StepStatus,
    TaskStatus,
    check_step_transition,
    check_task_transition,
    utcnow,
)
from skyvern_core.models.status import task_predecessors as task_predecessors

__all__ = [
    "MAX_COST_USD_LIMIT",
    "MAX_STEPS_LIMIT",
    "MAX_TOKENS_LIMIT",
    "PROFILE_NAME_PATTERN",
    "REPLAY_KEY_CHARS",
    "Action",
    "ActionResult",
    "ActionType",
    "Artifact",
    "ArtifactKind",
    "BrowserProfile",
    "CheckAction",
    "ClickAction",
    "CompleteAction",
    "DecidedBy",
    "Decision",
    "DeliveryStatus",
    "Element",
    "ElementOption",
    "ExtractAction",
    "Extraction",
    "GoBackAction",
    "GotoUrlAction",
    "HoverAction",
    "InputLimits",
    "InputTextAction",
    "KeypressAction",
    "LocatorBundle",
    "Organization",
    "OriginStorage",
    "PageFingerprint",
    "PageState",
    "PageText",
    "ProxyLocation",
    "RecordedAction",
    "ReplayEntry",
    "ReplayExtraction",
    "ReplayMode",
    "ScrollAction",
    "SelectOptionAction",
    "Step",
    "StepStatus",
    "StorageItem",
    "StorageState",
    "StoredCookie",
    "Task",
    "TaskRequest",
    "TaskStatus",
    "TerminateAction",
    "TotpCode",
    "UploadFileAction",
    "Usage",
    "WaitAction",
    "WebhookAttempt",
    "WebhookDelivery",
    "check_profile_name",
    "check_step_transition",
    "check_task_transition",
    "utcnow",
]
