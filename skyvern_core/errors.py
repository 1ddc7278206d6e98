"""Every exception skyvern-core raises.

The hierarchy separates a caller's mistake from a failure at run time::

    SkyvernError
    ├── WebhookVerificationError   a received webhook is not authentic (or too old)
    ├── LostClaimError             this worker no longer holds the task it was running
    ├── LostProfileError           this task no longer holds the browser profile it saves
    ├── UsageError                 the caller asked for something invalid
    │   ├── ConfigurationError     settings or backend choice that cannot work
    │   │   └── MissingExtraError  an optional dependency is not installed
    │   ├── UnknownBackendError    no plugin registered a backend by that name
    │   ├── InvalidTransitionError a status change the lifecycle forbids
    │   ├── ProfileInUseError      a browser profile another task holds
    │   └── NotFoundError          no such task / step / organization (or not yours)
    └── BackendError               a backend failed while doing its work
        ├── BrowserError           the browser driver
        ├── LLMError               the LLM provider or the planner
        ├── StoreError             the store
        ├── NotifierError          the notifier
        ├── ArtifactError          the artifact store
        └── TOTPError              no one-time (2FA) code could be had for a task

Backends translate their own exceptions into these, so the runner can turn any of them
into a failed step with a readable reason.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ArtifactError",
    "BackendError",
    "BrowserError",
    "ConfigurationError",
    "InvalidTransitionError",
    "LLMError",
    "LostClaimError",
    "LostProfileError",
    "MissingExtraError",
    "NotFoundError",
    "NotifierError",
    "ProfileInUseError",
    "SkyvernError",
    "StoreError",
    "TOTPError",
    "UnknownBackendError",
    "UsageError",
    "WebhookVerificationError",
]


class SkyvernError(Exception):
    """Base class of every error raised by skyvern-core."""


class WebhookVerificationError(SkyvernError):
    """A received webhook request is not authentic: its signature is missing or wrong, or
    its timestamp is too old (a replay) or too far in the future.

    Raised on the receiving side by :func:`skyvern_core.webhooks.verify`; a receiver should
    answer such a request with 401 and not act on it.
    """


class LostClaimError(SkyvernError):
    """A worker tried to record the end of a task it no longer holds.

    Its lease ran out and the task was recovered (put back in the queue, or failed), so
    another worker may be running it now: nothing the old run says is written.
    """

    def __init__(self, task_id: str, worker_id: str) -> None:
        self.task_id = task_id
        self.worker_id = worker_id
        super().__init__(f"worker {worker_id!r} no longer holds task {task_id!r}")


class LostProfileError(SkyvernError):
    """A task tried to save a browser profile it no longer holds: its hold lapsed (another
    task may have taken the profile since) or the profile was deleted. Nothing is written."""

    def __init__(self, name: str, holder_task_id: str) -> None:
        self.name = name
        self.holder_task_id = holder_task_id
        super().__init__(
            f"task {holder_task_id} no longer holds browser profile {name!r} "
            "(its hold lapsed, or the profile was deleted): its state is not saved"
        )


class UsageError(SkyvernError):
    """The caller asked for something that cannot be done as asked."""


class ConfigurationError(UsageError):
    """Settings, or a choice of backends, that cannot work."""


class MissingExtraError(ConfigurationError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, module: str, extra: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(
            f"the '{module}' package is not installed; install it with "
            f"pip install 'skyvern-core[{extra}]'"
        )


class UnknownBackendError(ConfigurationError):
    """No installed plugin registered a backend of that kind under that name."""

    def __init__(self, kind: str, name: str, available: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.available = available
        names = ", ".join(sorted(available)) or "none"
        super().__init__(f"no {kind} named {name!r} is installed (available: {names})")


class InvalidTransitionError(UsageError):
    """A status change the task or step lifecycle forbids."""

    def __init__(self, kind: str, current: str, new: str) -> None:
        self.kind = kind
        self.current = current
        self.new = new
        super().__init__(f"a {kind} cannot go from {current!r} to {new!r}")


class ProfileInUseError(UsageError):
    """A browser profile is held by another task (which restored it and has not yet saved
    it back): it cannot be taken or deleted until that task ends or its hold lapses."""

    def __init__(self, name: str, holder_task_id: str) -> None:
        self.name = name
        self.holder_task_id = holder_task_id
        super().__init__(f"browser profile {name!r} is in use by task {holder_task_id}")


class NotFoundError(UsageError):
    """No such object, or it belongs to another organization."""


class BackendError(SkyvernError):
    """A backend failed while doing its work."""


class BrowserError(BackendError):
    """The browser driver failed."""


class LLMError(BackendError):
    """The LLM provider or the planner failed.

    ``usage`` holds what the failed attempt still cost (a model may answer with
    something unusable), so the step records it.
    """

    def __init__(self, message: str, *, usage: Any = None) -> None:
        super().__init__(message)
        self.usage = usage


class StoreError(BackendError):
    """The store failed."""


class NotifierError(BackendError):
    """The notifier failed."""


class ArtifactError(BackendError):
    """The artifact store failed."""


class TOTPError(BackendError):
    """No one-time (2FA) code could be had for a task: the verification URL or the pushed
    codes gave none in time, or the TOTP secret is unusable. The message says which."""
