"""The step loop: see the page, decide, act, record — until the task ends.

One :class:`TaskRunner` drives one claimed task to a final status. Whatever happens — a
backend raising, a step timing out, the wall-clock limit, a cancel — the task ends in a
final status with a readable reason, its browser session is closed and the notifier is
told. Failure texts follow the Tasks API: ``Max steps per task (N) exceeded`` and
``Max retries per step (N) exceeded``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import anyio
import anyio.lowlevel

from skyvern_core.clock import SYSTEM_CLOCK, Clock
from skyvern_core.config import Settings
from skyvern_core.errors import (
    ArtifactError,
    BackendError,
    BrowserError,
    LLMError,
    LostClaimError,
    NotifierError,
    SkyvernError,
    StoreError,
    TOTPError,
)
from skyvern_core.ids import new_id
from skyvern_core.models import (
    RUNNER_ACTIONS,
    ActionResult,
    ActionType,
    Artifact,
    ArtifactKind,
    CompleteAction,
    Decision,
    PageState,
    Step,
    StepStatus,
    Task,
    TaskStatus,
    TerminateAction,
    UploadFileAction,
    Usage,
)
from skyvern_core.netpolicy import BlockedURLError, check_url
from skyvern_core.perception.document import wants_links
from skyvern_core.protocols import (
    ArtifactStore,
    BrowserDriver,
    BrowserSession,
    ExtractContext,
    Notifier,
    PlanContext,
    Planner,
    ProxySettings,
    SessionOptions,
)
from skyvern_core.schemacheck import schema_errors
from skyvern_core.secrets import redact, reveal, reveal_action, split_secrets
from skyvern_core.storage import (
    ArtifactRecordStore,
    StepStore,
    StepUpdate,
    TaskStore,
    TaskUpdate,
)
from skyvern_core.totp import TotpResolver, wants_code, with_code
from skyvern_core.uploads import UploadError, UploadResolver, split_files

__all__ = [
    "RunEvent",
    "RunHandle",
    "RunStore",
    "TaskRunner",
    "describe_error",
    "failure_reason",
    "goes_on_after_failure",
]

log = logging.getLogger(__name__)

ACTION_SCREENSHOTS_KEPT = 3
STOPPED = "The worker running this task was shut down before the task finished"


@dataclass(slots=True)
class RunEvent:
    """Progress of a run, for live display: ``kind`` is step_started, step_finished or
    task_finished."""

    kind: str
    task: Task
    step: Step | None = None


EventCallback = Callable[[RunEvent], Any]


class RunStore(TaskStore, StepStore, ArtifactRecordStore, Protocol):
    """The parts of a store a run writes to: its task, its steps and its artifact records."""


class RunHandle:
    """Lets the outside stop a running task; a stop reaches the runner at once."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.canceled = False
        self.stopping = False
        self.releasing = False
        self.lost = False
        self._scope: anyio.CancelScope | None = None

    def _interrupt(self) -> None:
        if self._scope is not None:
            self._scope.cancel()

    def cancel(self) -> None:
        """Stop the run before its next action (an action or model call under way is
        interrupted)."""
        self.canceled = True
        self._interrupt()

    def stop(self) -> None:
        """Stop the run because this process is shutting down: the task fails, saying so
        (it is not a user's cancel). For flows that must never run twice."""
        self.stopping = True
        self._interrupt()

    def release(self, *, now: bool = False) -> None:
        """Give the task back to the queue because this process is shutting down: at the
        next step boundary, or at once with ``now`` (the step under way is abandoned). It
        then runs again, from its start URL, as its next attempt."""
        self.releasing = True
        if now:
            self._interrupt()

    def lose(self) -> None:
        """The worker no longer holds the task (its lease ran out and it was recovered):
        stop at once and write nothing more for it."""
        self.lost = True
        self._interrupt()


class _TaskFailure(Exception):
    """Ends the task at once with ``failed`` (not a retryable step failure)."""


class _Released(Exception):
    """The run gives its task back to the queue at a step boundary (shutting down)."""


# Pages the browser may show without an address check; anything else that is not http(s)
# (file:, chrome:, view-source:) would show the host's own files or settings.
_HARMLESS_SCHEMES = {"about", "data", "blob", "chrome-error"}


@dataclass(slots=True)
class _Outcome:
    ok: bool
    reason: str | None = None
    decision: Decision | None = None
    results: list[ActionResult] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    complete: bool = False
    terminate: str | None = None
    extracted: Any = None
    extracted_set: bool = False
    fatal: bool = False


def describe_error(exc: BaseException) -> str:
    """A readable one-line reason for an exception raised by a backend."""
    kinds = [
        (BrowserError, "Browser error"),
        (LLMError, "Planner error"),
        (StoreError, "Store error"),
        (NotifierError, "Notifier error"),
        (ArtifactError, "Artifact store error"),
    ]
    text = str(exc).strip() or type(exc).__name__
    for cls, label in kinds:
        if isinstance(exc, cls):
            return f"{label}: {text}"
    if isinstance(exc, SkyvernError):
        return text
    return f"Internal error ({type(exc).__name__}): {text}"


class TaskRunner:
    """Runs claimed tasks with one set of backends."""

    def __init__(
        self,
        *,
        store: RunStore,
        driver: BrowserDriver,
        planner: Planner,
        artifacts: ArtifactStore,
        notifier: Notifier | None,
        settings: Settings,
        worker_id: str,
        on_event: EventCallback | None = None,
        describe: Callable[[Task], Awaitable[Task]] | None = None,
        totp: TotpResolver | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.store = store
        self.driver = driver
        self.planner = planner
        self.artifacts = artifacts
        self.notifier = notifier
        self.settings = settings
        self.worker_id = worker_id
        self.on_event = on_event
        self.describe = describe
        self.totp = totp
        self.clock = clock

    async def run(self, task: Task, handle: RunHandle | None = None) -> Task:
        """Drive a task already claimed (status ``running``) to a final status, or back to
        the queue when the handle asks for a release."""
        handle = handle or RunHandle(task.task_id)
        run = _Run(self, task, handle)
        return await run.execute()

    async def emit(self, event: RunEvent) -> None:
        """Call the progress callback; its errors never affect the run."""
        if self.on_event is None:
            return
        try:
            result = self.on_event(event)
            if hasattr(result, "__await__"):
                await result
        except Exception:
            log.exception("progress callback failed")


# After a failed action, the fills of other fields still run (they do not depend on it and
# what sticks is kept); anything that submits, navigates or finishes waits for the next step.
_INDEPENDENT = {
    ActionType.input_text,
    ActionType.select_option,
    ActionType.check,
    ActionType.upload_file,
    ActionType.scroll,
    ActionType.hover,
    ActionType.wait,
    ActionType.keypress,
}
_SUBMIT_KEYS = {"enter", "return", "space", " ", "spacebar"}


def goes_on_after_failure(action: Any, failure: ActionResult) -> bool:
    """Whether ``action`` still runs after an earlier action of its step failed.

    Fills (input_text, select_option, check, upload_file) and harmless moves (scroll,
    hover, wait, a key other than Enter or Space) go on; a click, Enter, goto_url, go_back,
    extract, complete or terminate does not, nor does anything once the failed action left
    the page (``data["url"]`` or a new tab).
    """
    if "url" in failure.data or "new_tab" in failure.data:
        return False
    if action.type not in _INDEPENDENT:
        return False
    if action.type == ActionType.keypress:
        return not any(part.strip().lower() in _SUBMIT_KEYS for part in action.key.split("+"))
    return True


def _named(action: Any, result: ActionResult) -> str:
    error = result.error or "no reason given"
    element_id = getattr(action, "element_id", None)
    if element_id and element_id not in error:
        return f"{action.type} {element_id} failed: {error}"
    return f"{action.type} failed: {error}"


def failure_reason(failed: list[tuple[Any, ActionResult]], not_run: list[Any]) -> str:
    """A step's failure reason: every failed action with its error, then those not run.

    One failure reads ``select_option failed: <error>``; several are numbered.
    """
    if len(failed) == 1:
        reason = _named(*failed[0])
    else:
        reason = f"{len(failed)} actions failed: " + " ".join(
            f"({n}) {_named(action, result)}" for n, (action, result) in enumerate(failed, 1)
        )
    if not_run:
        reason += "; not run after the failure: " + ", ".join(
            " ".join(p for p in (a.type, getattr(a, "element_id", None) or "") if p)
            for a in not_run
        )
    return reason


class _Run:
    """The state of one task's run."""

    def __init__(self, runner: TaskRunner, task: Task, handle: RunHandle) -> None:
        self.r = runner
        self.s = runner.settings
        self.store = runner.store
        self.task = task
        self.handle = handle
        self.session: BrowserSession | None = None
        self.navigated = False
        self.step: Step | None = None
        self.history: list[Step] = []
        self.usage = Usage(
            input_tokens=task.input_token_count,
            output_tokens=task.output_token_count,
            cost=task.cost,
        )
        self.action_shots: list[str] = list(task.action_screenshot_artifact_ids)
        self.artifact_dir = Path(self.s.resolved_artifact_dir) / task.task_id
        self.last_page: PageState | None = None
        payload = task.request.navigation_payload
        self.uploads = UploadResolver(self.s, payload)
        self.secrets = split_secrets(_files_as_placeholders(payload))[1]
        self._step_scope = anyio.CancelScope()

    # ------------------------------------------------------------------ top level

    async def execute(self) -> Task:
        # The lease is kept through the end of the run too: recording the final
        # screenshot and recording takes a while, and a lease that ran out meanwhile
        # would let another worker recover a task that is being finished.
        async with anyio.create_task_group() as lease:
            lease.start_soon(self._keep_lease)
            try:
                finished = await self._execute()
            finally:
                lease.cancel_scope.cancel()
        return finished

    async def _execute(self) -> Task:
        status, reason, extracted, has_extracted = TaskStatus.failed, None, None, False
        timed_out = released = False
        try:
            with anyio.CancelScope() as scope:
                self.handle._scope = scope
                if self.handle.canceled or self.handle.stopping or self.handle.lost:
                    scope.cancel()
                with anyio.move_on_after(self.s.task_timeout) as limit:
                    status, reason, extracted, has_extracted = await self._guarded()
                timed_out = limit.cancelled_caught
            if timed_out:
                status = TaskStatus.failed
                reason = f"Task exceeded its time limit ({self.s.task_timeout:g} s)"
        except _Released:
            released = True
        except Exception as exc:  # a bug or a store failure outside a step
            log.exception("task %s failed outside a step", self.task.task_id)
            status, reason = TaskStatus.failed, describe_error(exc)
        except anyio.get_cancelled_exc_class():
            # Cancelled from outside the run (the worker pool is shutting down): still
            # record the end (the webhook is in the store's outbox, sent by whichever
            # process runs the sender next), then let the cancellation go on.
            with anyio.CancelScope(shield=True):
                if self.handle.releasing and not self.handle.canceled:
                    await self._release()
                else:
                    self.handle.stopping = True
                    await self._record_end(
                        TaskStatus.canceled if self.handle.canceled else TaskStatus.failed,
                        None if self.handle.canceled else STOPPED,
                        None,
                        False,
                    )
            self.uploads.cleanup()
            raise
        finally:
            self.handle._scope = None
        if self.handle.canceled:
            status, reason = TaskStatus.canceled, None
        elif self._releases(released or scope.cancelled_caught):
            # At a step boundary, or interrupted, because the process is shutting down.
            with anyio.CancelScope(shield=True):
                released_task = await self._release()
            self.uploads.cleanup()
            return released_task
        elif self.handle.stopping:
            status, reason = TaskStatus.failed, STOPPED
        with anyio.CancelScope(shield=True):
            finished, notify = await self._record_end(status, reason, extracted, has_extracted)
        self.uploads.cleanup()  # the session is closed: the browser has read its files
        if notify:
            await self._notify(finished)
        return finished

    def _releases(self, stopped_early: bool) -> bool:
        """Whether the run ends by giving its task back to the queue."""
        return self.handle.releasing and stopped_early and not self.handle.lost

    async def _keep_lease(self) -> None:
        """Renew the claim while running; a cancel recorded by another process stops us,
        and so does losing the claim (our lease ran out and another worker recovered the
        task): the run must not act for a task that is no longer ours."""
        interval = max(0.05, min(self.s.lease_seconds / 3, self.s.poll_interval))
        while True:
            await anyio.sleep(interval)
            try:
                status = await self.store.renew_lease(
                    self.task.task_id, self.r.worker_id, lease_seconds=self.s.lease_seconds
                )
            except Exception:
                log.warning("could not renew the lease of %s", self.task.task_id, exc_info=True)
                continue
            if status is None:
                self.handle.lose()
                return
            if status == TaskStatus.canceled and not self.handle.canceled:
                self.handle.cancel()

    async def _guarded(self) -> tuple[TaskStatus, str | None, Any, bool]:
        # Errors outside a step (the session would not open, the store failed) end the
        # task here, unwrapped, rather than as an exception group from the task group.
        try:
            return await self._drive()
        except _Released:
            raise
        except Exception as exc:
            log.warning(
                "task %s failed: %s",
                self.task.task_id,
                exc,
                exc_info=not isinstance(exc, BackendError),
            )
            return TaskStatus.failed, describe_error(exc), None, False

    async def _drive(self) -> tuple[TaskStatus, str | None, Any, bool]:
        max_steps = self.task.max_steps
        max_retries = self.s.max_retries
        order, retry_index = 0, 0
        errors: list[str] = []
        extracted: Any = None
        has_extracted = False
        while True:
            if self.handle.releasing:
                raise _Released()
            if order >= max_steps:
                return (
                    TaskStatus.failed,
                    f"Max steps per task ({max_steps}) exceeded: the goal was not reached "
                    f"in {max_steps} steps",
                    extracted,
                    has_extracted,
                )
            step = await self.store.create_step(
                Step(
                    step_id=new_id("step"),
                    task_id=self.task.task_id,
                    organization_id=self.task.organization_id,
                    order=order,
                    retry_index=retry_index,
                    attempt=self.task.attempt,
                )
            )
            self.step = await self.store.update_step(
                step.step_id, StepUpdate(status=StepStatus.running)
            )
            await self.r.emit(RunEvent("step_started", self.task, self.step))
            outcome = await self._attempt(self.step, errors)
            if outcome.extracted_set:
                extracted, has_extracted = outcome.extracted, True
            self.step = await self._record(self.step, outcome)
            self.history.append(self.step)
            await self.r.emit(RunEvent("step_finished", self.task, self.step))
            self.step = None
            if outcome.fatal:
                return TaskStatus.failed, outcome.reason, extracted, has_extracted
            if not outcome.ok:
                errors = [outcome.reason or "the step failed"]
                if retry_index >= max_retries:
                    return (
                        TaskStatus.failed,
                        f"Max retries per step ({max_retries}) exceeded: {outcome.reason}",
                        extracted,
                        has_extracted,
                    )
                retry_index += 1
                continue
            if outcome.terminate is not None:
                return TaskStatus.terminated, outcome.terminate, extracted, has_extracted
            if outcome.complete:
                return TaskStatus.completed, None, extracted, has_extracted
            order, retry_index, errors = order + 1, 0, []

    async def _open_session(self) -> None:
        proxy, note = self._proxy()
        if note:
            self.task = await self.store.update_task(self.task.task_id, TaskUpdate(proxy_note=note))
        await self.r.driver.start()
        self.session = await self.r.driver.new_session(
            SessionOptions(
                task_id=self.task.task_id,
                artifact_dir=self.artifact_dir,
                proxy=proxy,
                record_video=self.s.record_video,
                record_trace=self.s.record_trace,
                viewport=(self.s.viewport_width, self.s.viewport_height),
                user_agent=self.s.user_agent,
            )
        )

    def _proxy(self) -> tuple[ProxySettings | None, str | None]:
        location = self.task.request.proxy_location.value
        if location == "NONE":
            return None, None
        server = self.s.proxies.get(location)
        if not server:
            return None, f"no proxy is configured for {location}; the task ran direct"
        return ProxySettings(server=server), f"proxy for {location}"

    # ------------------------------------------------------------------ one step

    async def _attempt(self, step: Step, errors: list[str]) -> _Outcome:
        outcome = _Outcome(ok=True)
        try:
            with anyio.move_on_after(self.s.step_timeout) as scope:
                self._step_scope = scope
                await self._attempt_inner(step, errors, outcome)
            if scope.cancelled_caught:
                # Whatever the step was doing when its time ran out, it did not finish: it
                # is never recorded completed.
                outcome.ok, outcome.complete, outcome.terminate = False, False, None
                outcome.reason = f"Step timed out after {self.s.step_timeout:g} s"
        except _TaskFailure as exc:
            outcome.ok, outcome.fatal, outcome.reason = False, True, str(exc)
        except Exception as exc:
            log.info(
                "step %s failed: %s", step.step_id, exc, exc_info=not isinstance(exc, BackendError)
            )
            spent = getattr(exc, "usage", None)
            if isinstance(spent, Usage):
                outcome.usage = outcome.usage + spent
            outcome.ok = False
            outcome.reason = describe_error(exc)
        if outcome.reason and self.secrets:
            outcome.reason = redact(outcome.reason, self.secrets)
        return outcome

    async def _attempt_inner(self, step: Step, errors: list[str], outcome: _Outcome) -> None:
        if self.session is None:
            await self._open_session()
        assert self.session is not None
        if not self.navigated:
            await self.session.goto(self.task.request.url)
            self.navigated = True
        page = await self.session.snapshot()
        await self._refuse_page(page.url)
        previous_page, self.last_page = self.last_page, page
        request = self.task.request
        if not (request.navigation_goal or "").strip():
            # Extraction only: nothing to navigate, extract from the start page.
            decision = Decision(reasoning="extraction-only task", actions=[CompleteAction()])
        else:
            decision = await self.r.planner.decide(
                PlanContext(
                    task=self.task,
                    page=page,
                    history=list(self.history),
                    step=step,
                    errors=list(errors),
                    secrets=dict(self.secrets),
                    previous_page=previous_page,
                )
            )
        outcome.decision = decision
        outcome.usage = outcome.usage + decision.usage
        acted = False
        failed: list[tuple[Any, ActionResult]] = []
        for index, action in enumerate(decision.actions):
            if failed and not goes_on_after_failure(action, failed[-1][1]):
                break  # it may depend on what failed: not run (the history says so)
            if action.type in RUNNER_ACTIONS:
                if isinstance(action, TerminateAction):
                    outcome.terminate = action.reason or "the agent terminated the task"
                    outcome.results.append(ActionResult(success=True))
                    return
                if acted:
                    page = await self.session.snapshot()
                    await self._refuse_page(page.url)
                    self.last_page = page
                data: dict[str, Any] = {}
                if action.type == ActionType.extract or request.data_extraction_goal:
                    outcome.extracted, data = await self._extract(page, outcome)
                    outcome.extracted_set = True
                outcome.results.append(ActionResult(success=True, data=data))
                if action.type == ActionType.complete:
                    outcome.complete = True
                    return
                continue
            await anyio.lowlevel.checkpoint()  # a cancel takes effect before each action
            if wants_code(action):
                action = with_code(action, await self._one_time_code())
            refused = await self._refused_goto(action)
            if refused is not None:
                outcome.results.append(refused)
                failed.append((action, refused))
                continue
            acting = await self._upload_source(action)
            if isinstance(acting, ActionResult):
                # Refused by the upload rules: the page gets nothing; other fills go on.
                outcome.results.append(acting)
                failed.append((action, acting))
                continue
            result = await self.session.execute(reveal_action(acting, self.secrets), page)
            if result.error and self.secrets:
                result = result.model_copy(update={"error": redact(result.error, self.secrets)})
            acted = True
            # Before the screenshot: a refused page must not reach an artifact.
            await self._refuse_page(result.data.get("url"))
            shot = await self.session.screenshot()
            artifact = await self._save(
                ArtifactKind.action_screenshot,
                f"{step.step_id}/action_{index}.png",
                shot,
                "image/png",
                step_id=step.step_id,
            )
            result = result.model_copy(update={"screenshot_artifact_id": artifact.artifact_id})
            self.action_shots = [artifact.artifact_id, *self.action_shots][:ACTION_SCREENSHOTS_KEPT]
            outcome.results.append(result)
            if not result.success:
                failed.append((action, result))
        if failed:
            outcome.ok = False
            outcome.reason = failure_reason(failed, decision.actions[len(outcome.results) :])

    async def _refused_goto(self, action: Any) -> ActionResult | None:
        """A failed result for a ``goto_url`` the URL policy refuses (None: let it run)."""
        if action.type != ActionType.goto_url:
            return None
        url = str(action.url)
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            return ActionResult(success=False, error=f"only http and https URLs are opened: {url}")
        try:
            await check_url(url, self.s, field=url)
        except BlockedURLError as exc:
            return ActionResult(success=False, error=str(exc))
        return None

    async def _upload_source(self, action: Any) -> Any:
        """The action to hand the driver: for ``upload_file``, a copy naming a checked local
        file (see :mod:`skyvern_core.uploads`), or a failed result saying which rule
        refused it; other actions as they are. The step keeps the action as decided."""
        if not isinstance(action, UploadFileAction):
            return action
        try:
            local = await self.uploads.resolve(reveal(action.file, self.secrets))
        except UploadError as exc:
            return ActionResult(success=False, error=str(exc))
        return action.model_copy(update={"file": str(local)})

    async def _refuse_page(self, url: str | None) -> None:
        """End the task when the browser reached an address the URL policy refuses.

        Links and redirects go where the page says, past the checks on the task's own URL
        and on ``goto_url``. The page is left for ``about:blank`` first, so that neither
        the final screenshot nor the recording's end shows it.
        """
        if not url:
            return
        scheme = urlsplit(url).scheme.lower()
        if scheme in _HARMLESS_SCHEMES:
            return
        reason = None
        if scheme not in ("http", "https"):
            reason = f"the browser reached {url}; only http and https pages are allowed"
        else:
            try:
                await check_url(url, self.s, field=f"the browser reached {url}, which")
            except BlockedURLError as exc:
                reason = str(exc)
        if reason is None:
            return
        assert self.session is not None
        try:
            await self.session.goto("about:blank")
        except Exception as exc:  # the task fails either way; say why it could not leave
            log.warning("task %s: could not leave a refused page: %s", self.task.task_id, exc)
        raise _TaskFailure(reason[:1].upper() + reason[1:])

    async def _one_time_code(self) -> str:
        """A one-time code for the page, by whichever way the task provides one.

        Waiting for a code does not count against the step's time limit; no code within
        the TOTP timeout fails the task with the reason (retrying would not help).
        """
        if self.r.totp is None:
            raise _TaskFailure("the page asks for a one-time code and no TOTP source is set up")
        # The wait has its own budget (totp_timeout): the step's clock stops meanwhile and
        # resumes with what it had left, so the step can still act on the code.
        scope = self._step_scope
        left = scope.deadline - anyio.current_time()
        scope.deadline = math.inf
        try:
            code = await self.r.totp.code_for(self.task)
        except TOTPError as exc:
            raise _TaskFailure(str(exc)) from exc
        finally:
            scope.deadline = anyio.current_time() + max(left, 0.0)
        # Hidden like any secret in what goes back to the model or into the records.
        self.secrets["totp_code"] = code
        return code

    async def _read_document(self) -> str | None:
        """The whole page as text where the session can read it; None (extract from the
        page state) where it cannot, or reading failed."""
        reader = getattr(self.session, "read_document", None)
        if reader is None:
            return None
        request = self.task.request
        links = wants_links(request.data_extraction_goal, request.extracted_information_schema)
        try:
            return str(await reader(links=links))
        except Exception as exc:
            log.warning(
                "task %s: the whole page could not be read, extracting from what is in view: %s",
                self.task.task_id,
                describe_error(exc),
            )
            return None

    async def _extract(self, page: PageState, outcome: _Outcome) -> tuple[Any, dict[str, Any]]:
        """The extracted information, and what the step records about it."""
        schema = self.task.request.extracted_information_schema
        document = await self._read_document()
        extraction = await self.r.planner.extract(
            ExtractContext(task=self.task, page=page, secrets=dict(self.secrets), document=document)
        )
        outcome.usage = outcome.usage + extraction.usage
        record = {"extraction": extraction.record()}
        if schema is None:
            return extraction.data, record
        problems = schema_errors(extraction.data, schema, timeout=self.s.schema_pattern_timeout)
        if not problems:
            return extraction.data, record
        # One correction round with the validation errors, then give up clearly.
        retry = await self.r.planner.extract(
            ExtractContext(
                task=self.task,
                page=page,
                previous=extraction.data,
                errors=problems,
                secrets=dict(self.secrets),
                document=document,
            )
        )
        outcome.usage = outcome.usage + retry.usage
        problems = schema_errors(retry.data, schema, timeout=self.s.schema_pattern_timeout)
        if problems:
            raise _TaskFailure(
                "Extracted information does not match extracted_information_schema "
                f"after a correction round: {'; '.join(problems[:3])}"
            )
        return retry.data, {"extraction": {**retry.record(), "corrected": True}}

    async def _record(self, step: Step, outcome: _Outcome) -> Step:
        self.usage = self.usage + outcome.usage
        decision = outcome.decision
        update = StepUpdate(
            status=StepStatus.completed if outcome.ok else StepStatus.failed,
            input_token_count=outcome.usage.input_tokens,
            output_token_count=outcome.usage.output_tokens,
            cost=outcome.usage.cost,
            reasoning=decision.reasoning if decision else None,
            actions=list(decision.actions) if decision else [],
            action_results=outcome.results,
            failure_reason=None if outcome.ok else outcome.reason,
            page_url=self.last_page.url if self.last_page else None,
            is_last=outcome.ok and (outcome.complete or outcome.terminate is not None),
        )
        saved = await self.store.update_step(step.step_id, update)
        self.task = await self.store.update_task(
            self.task.task_id,
            TaskUpdate(
                input_token_count=self.usage.input_tokens,
                output_token_count=self.usage.output_tokens,
                cost=self.usage.cost,
                action_screenshot_artifact_ids=self.action_shots,
            ),
        )
        return saved

    # ------------------------------------------------------------------ the end

    async def _save(
        self,
        kind: ArtifactKind,
        name: str,
        data: bytes | Path,
        content_type: str,
        *,
        step_id: str | None = None,
    ) -> Artifact:
        key = f"{self.task.task_id}/{name}"
        uri = await self.r.artifacts.put(key, data, content_type=content_type)
        size = len(data) if isinstance(data, bytes) else _size(uri, data)
        return await self.store.add_artifact(
            Artifact(
                artifact_id=new_id("artifact"),
                task_id=self.task.task_id,
                organization_id=self.task.organization_id,
                step_id=step_id,
                kind=kind,
                uri=uri,
                content_type=content_type,
                size=size,
            )
        )

    async def _close_step(self, status: StepStatus, reason: str | None) -> None:
        """End the step under way when the run stopped (cancel, time limit, error, release)."""
        if self.step is not None:
            try:
                await self.store.update_step(
                    self.step.step_id,
                    StepUpdate(
                        status=status,
                        failure_reason=reason if status == StepStatus.failed else None,
                        is_last=status != StepStatus.canceled or self.handle.canceled,
                    ),
                )
            except Exception:
                log.warning("could not close step %s", self.step.step_id, exc_info=True)
            self.step = None
        elif self.history and self.history[-1].is_last is False and not self.handle.releasing:
            try:
                await self.store.update_step(self.history[-1].step_id, StepUpdate(is_last=True))
            except Exception:
                log.warning("could not mark the last step of %s", self.task.task_id, exc_info=True)

    async def _record_end(
        self, status: TaskStatus, reason: str | None, extracted: Any, has_extracted: bool
    ) -> tuple[Task, bool]:
        """Write the end of the run (final artifacts, status, webhook outbox) in one store
        transaction; the task as the store holds it, and whether to notify."""
        task_id = self.task.task_id
        await self._close_step(
            StepStatus.canceled if status == TaskStatus.canceled else StepStatus.failed, reason
        )
        fields: dict[str, Any] = await self._final_artifacts()
        if has_extracted:
            fields["extracted_information"] = extracted
        try:
            self.task = await self.store.finish_task(
                task_id,
                status=status,
                worker_id=self.r.worker_id,
                failure_reason=reason,
                now=self.r.clock.now(),
                update=TaskUpdate(**fields),
            )
        except LostClaimError:
            # Recovered by another worker after our lease ran out: it is theirs now.
            log.warning("task %s: this worker lost its claim; its end is not recorded", task_id)
            self.task = await self.store.get_task(task_id)
            return self.task, False
        except Exception:
            log.exception("could not record the end of task %s", task_id)
            self.task = self.task.model_copy(update={"status": status, "failure_reason": reason})
        if self.r.describe is not None:
            try:
                self.task = await self.r.describe(self.task)
            except Exception:
                log.warning("could not fill the artifact URLs of %s", task_id, exc_info=True)
        await self.r.emit(RunEvent("task_finished", self.task))
        return self.task, True

    async def _notify(self, task: Task) -> None:
        """Tell the notifier, bounded: a slow receiver must not hold this worker. A webhook
        left unsent here is in the store's outbox and goes out from the retry loop."""
        if self.r.notifier is None:
            return
        with anyio.move_on_after(self.s.webhook_timeout + 5):
            try:
                await self.r.notifier.notify(task)
            except Exception:
                log.exception("the notifier failed for task %s", task.task_id)

    async def _release(self) -> Task:
        """Give the task back to the queue (this process is shutting down): the step under
        way is canceled, the browser session closed, and the task runs again from its start
        URL as its next attempt, on whichever worker claims it."""
        await self._close_step(StepStatus.canceled, None)
        session, self.session = self.session, None
        if session is not None:
            try:
                with anyio.fail_after(60):
                    await session.close()
            except Exception as exc:
                log.warning("closing the browser session of %s failed: %s", self.task.task_id, exc)
        released = await self.store.release_task(self.task.task_id, self.r.worker_id)
        if released is not None:
            log.info(
                "task %s goes back to the queue (attempt %d next)",
                released.task_id,
                released.attempt,
            )
            self.task = released
            return released
        # Canceled meanwhile (or no longer ours): end it the ordinary way.
        current = await self.store.get_task(self.task.task_id)
        if current.status == TaskStatus.canceled and current.finished_at is None:
            self.handle.canceled = True
            finished, notify = await self._record_end(TaskStatus.canceled, None, None, False)
            if notify:
                await self._notify(finished)
            return finished
        self.task = current
        return current

    async def _final_artifacts(self) -> dict[str, Any]:
        """Final screenshot, then close the session and keep its recording and files."""
        fields: dict[str, Any] = {}
        session, self.session = self.session, None
        if session is None:
            return fields
        try:
            with anyio.fail_after(30):
                shot = await session.screenshot(full_page=True)
            art = await self._save(
                ArtifactKind.final_screenshot, "screenshot_final.png", shot, "image/png"
            )
            fields["screenshot_artifact_id"] = art.artifact_id
        except Exception as exc:
            log.warning("no final screenshot for %s: %s", self.task.task_id, describe_error(exc))
        try:
            with anyio.fail_after(60):
                left = await session.close()
        except Exception as exc:
            log.warning(
                "closing the browser session of %s failed: %s",
                self.task.task_id,
                describe_error(exc),
            )
            return fields
        for warning in left.warnings:
            log.warning("task %s: %s", self.task.task_id, warning)
        files: list[tuple[ArtifactKind, Path, str, str]] = []
        if left.recording is not None:
            files.append((ArtifactKind.recording, left.recording, "recording.webm", "video/webm"))
        if left.trace is not None:
            files.append((ArtifactKind.trace, left.trace, "trace.zip", "application/zip"))
        for path in left.downloads:
            files.append(
                (ArtifactKind.download, path, f"downloads/{path.name}", "application/octet-stream")
            )
        for kind, path, name, content_type in files:
            try:
                art = await self._save(kind, name, path, content_type)
            except Exception as exc:
                log.warning(
                    "could not keep %s of %s: %s", name, self.task.task_id, describe_error(exc)
                )
                continue
            if kind == ArtifactKind.recording:
                fields["recording_artifact_id"] = art.artifact_id
        return fields


def _files_as_placeholders(payload: Any) -> Any:
    """The payload with inline files as their placeholders (as the model sees it)."""
    try:
        return split_files(payload)[0]
    except ValueError:  # checked when the task was created; a stored one is kept as is
        return payload


def _size(uri: str, original: Path) -> int:
    for candidate in (original, Path(uri.removeprefix("file://"))):
        try:
            return candidate.stat().st_size
        except OSError:
            continue
    return 0
