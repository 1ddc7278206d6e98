"""One step of a run: see the page, decide, act, record.

:class:`StepExecutor` carries out one attempt of a step and records it; the loop over
steps (retries, limits) is the runner's. A step's time limit is measured on the run's
clock (:func:`skyvern_core.clock.time_limit`); a wait for a one-time code stops it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio.abc
import anyio.lowlevel

from skyvern_core.clock import TimeLimit, time_limit
from skyvern_core.errors import BackendError, TOTPError
from skyvern_core.ids import new_id
from skyvern_core.limits import LimitExceeded
from skyvern_core.models import (
    RUNNER_ACTIONS,
    ActionResult,
    ActionType,
    ArtifactKind,
    CompleteAction,
    DecidedBy,
    Decision,
    PageState,
    Step,
    StepStatus,
    TerminateAction,
    UploadFileAction,
    Usage,
)
from skyvern_core.netpolicy import BlockedURLError, check_url
from skyvern_core.perception.document import wants_links
from skyvern_core.protocols import (
    ExtractContext,
    PlanContext,
    ProxySettings,
    SessionOptions,
    SettlingSession,
    StorageKeeper,
)
from skyvern_core.replay import NoReplay, open_replay
from skyvern_core.run.context import RunContext, TaskFailure, describe_error, log
from skyvern_core.schemacheck import schema_errors
from skyvern_core.secrets import redact, reveal, reveal_action
from skyvern_core.storage import StepUpdate, TaskUpdate
from skyvern_core.totp import wants_code, with_code
from skyvern_core.uploads import UploadError

__all__ = [
    "ACTION_SCREENSHOTS_KEPT",
    "StepExecutor",
    "StepOutcome",
    "failure_reason",
    "goes_on_after_failure",
]

ACTION_SCREENSHOTS_KEPT = 3
"""How many of the latest action screenshots a task lists."""

# Pages the browser may show without an address check; anything else that is not http(s)
# (file:, chrome:, view-source:) would show the host's own files or settings.
_HARMLESS_SCHEMES = {"about", "data", "blob", "chrome-error"}


@dataclass(slots=True)
class StepOutcome:
    """How one attempt of a step went: its decision, action results and tokens, and
    whether it failed (``fatal``: the task fails at once), completed, terminated or
    extracted information."""

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
    decided_by: DecidedBy | None = None


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


class _Saves:
    """Action screenshots being kept while the step goes on: each is written under an id
    chosen at once, all of them before the step is recorded (:attr:`group` ends with
    them); the first that failed fails the step once its actions are done."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.group: anyio.abc.TaskGroup
        self.errors: list[Exception] = []

    def start(self, name: str, shot: bytes, step_id: str) -> str:
        """Start keeping ``shot`` as the action screenshot ``name``; its artifact id."""
        artifact_id = new_id("artifact")
        self.group.start_soon(self._save, name, shot, step_id, artifact_id)
        return artifact_id

    async def _save(self, name: str, shot: bytes, step_id: str, artifact_id: str) -> None:
        try:
            await self.ctx.save(
                ArtifactKind.action_screenshot,
                name,
                shot,
                "image/png",
                step_id=step_id,
                artifact_id=artifact_id,
            )
        except Exception as exc:
            self.errors.append(exc)

    def raise_first(self) -> None:
        """Raise the first failure to keep a screenshot, if any."""
        if self.errors:
            raise self.errors[0]


class StepExecutor:
    """Carries out the steps of one run, on the run's shared
    :class:`~skyvern_core.run.context.RunContext`."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.s = ctx.s
        self._limit: TimeLimit | None = None

    async def open_session(self) -> None:
        """Open the task's browser session (with its proxy, if one is configured)."""
        proxy, note = self._proxy()
        if note:
            self.ctx.task = await self.ctx.store.update_task(
                self.ctx.task.task_id, TaskUpdate(proxy_note=note)
            )
        await self.ctx.r.driver.start()
        self.ctx.session = await self.ctx.r.driver.new_session(
            SessionOptions(
                task_id=self.ctx.task.task_id,
                artifact_dir=self.ctx.artifact_dir,
                proxy=proxy,
                record_video=self.s.record_video,
                record_trace=self.s.record_trace,
                viewport=(self.s.viewport_width, self.s.viewport_height),
                user_agent=self.s.user_agent,
                storage_state=self.ctx.profile.restored.playwright() if self.ctx.profile else None,
            )
        )
        if self.ctx.profile is not None and not isinstance(self.ctx.session, StorageKeeper):
            raise TaskFailure(
                f"The browser driver's sessions ({type(self.ctx.session).__name__}) keep no "
                f"browser profiles: browser_profile {self.ctx.profile.name!r} cannot be used"
            )

    def _proxy(self) -> tuple[ProxySettings | None, str | None]:
        location = self.ctx.task.request.proxy_location.value
        if location == "NONE":
            return None, None
        server = self.s.proxies.get(location)
        if not server:
            return None, f"no proxy is configured for {location}; the task ran direct"
        return ProxySettings(server=server), f"proxy for {location}"

    # ------------------------------------------------------------------ one step

    async def attempt(self, step: Step, errors: list[str]) -> StepOutcome:
        """Run one attempt of ``step`` within the step time limit; never raises for a
        failure of the step (it is in the outcome), only for a cancel of the run."""
        outcome = StepOutcome(ok=True)
        try:
            with time_limit(self.ctx.clock, self.s.step_timeout) as limit:
                self._limit = limit
                await self._attempt_inner(step, errors, outcome)
            if limit.expired:
                # Whatever the step was doing when its time ran out, it did not finish: it
                # is never recorded completed.
                outcome.ok, outcome.complete, outcome.terminate = False, False, None
                outcome.reason = f"Step timed out after {self.s.step_timeout:g} s"
        except (TaskFailure, LimitExceeded) as exc:
            outcome.ok, outcome.fatal, outcome.reason = False, True, str(exc)
            spent = getattr(exc, "usage", None)
            if isinstance(spent, Usage):
                outcome.usage = outcome.usage + spent
        except Exception as exc:
            log.info(
                "step %s failed: %s", step.step_id, exc, exc_info=not isinstance(exc, BackendError)
            )
            spent = getattr(exc, "usage", None)
            if isinstance(spent, Usage):
                outcome.usage = outcome.usage + spent
            outcome.ok = False
            outcome.reason = describe_error(exc)
        if outcome.reason and self.ctx.secrets:
            outcome.reason = redact(outcome.reason, self.ctx.secrets)
        return outcome

    async def _attempt_inner(self, step: Step, errors: list[str], outcome: StepOutcome) -> None:
        if self.ctx.session is None:
            await self.open_session()
        assert self.ctx.session is not None
        session = self.ctx.session
        if self.ctx.replay is None:
            self.ctx.replay = await open_replay(self.ctx, TaskFailure)
        replay = self.ctx.replay
        if not self.ctx.navigated:
            # With steps recorded, the start page settles as a replayed step's pages do.
            with replay.acting(session, replayed=True):
                await session.goto(self.ctx.task.request.url)
            self.ctx.navigated = True
        page = await replay.look(step, session)
        await self._refuse_page(page.url)
        checked = await self.ctx.captcha.check(self.ctx.session, page)
        if checked.terminate is not None:
            # No planner passes a CAPTCHA: end here rather than loop on the widget.
            self.ctx.last_page = page
            outcome.decision = Decision(
                reasoning=checked.terminate, actions=[TerminateAction(reason=checked.terminate)]
            )
            outcome.terminate = checked.terminate
            outcome.results.append(ActionResult(success=True))
            return
        if checked.solved:
            page = await self.ctx.session.snapshot()  # the page with the answer in it
        previous_page, self.ctx.last_page = self.ctx.last_page, page
        request = self.ctx.task.request

        async def plan(hint: str | None) -> Decision:
            if not (request.navigation_goal or "").strip():
                # Extraction only: nothing to navigate, extract from the start page.
                return Decision(reasoning="extraction-only task", actions=[CompleteAction()])
            return await self.ctx.r.planner.decide(
                PlanContext(
                    task=self.ctx.task,
                    page=page,
                    history=list(self.ctx.history),
                    step=step,
                    errors=list(errors),
                    secrets=dict(self.ctx.secrets),
                    previous_page=previous_page,
                    hint=hint,
                    budget=self.ctx.budget,
                )
            )

        decision, outcome.decided_by = await replay.decide(step, page, errors, plan)
        if checked.solved:
            # The step's record says what passed the challenge before the planner decided.
            solved = "; ".join(c.describe() for c in checked.solved)
            note = f"Solved {solved} with the CAPTCHA solver {self.ctx.captcha.solver_name!r}."
            decision = decision.model_copy(
                update={"reasoning": f"{note} {decision.reasoning}".strip()}
            )
        outcome.decision = decision
        outcome.usage = outcome.usage + decision.usage
        replayed = outcome.decided_by is DecidedBy.replay
        with replay.acting(session, replayed=replayed):
            if not replayed:
                await self._act(step, decision, page, outcome, None)
                return
            # A replayed step keeps its action screenshots while its next action runs.
            saves = _Saves(self.ctx)
            async with anyio.create_task_group() as saves.group:
                await self._act(step, decision, page, outcome, saves)
            saves.raise_first()

    async def _act(
        self,
        step: Step,
        decision: Decision,
        page: PageState,
        outcome: StepOutcome,
        saves: _Saves | None,
    ) -> None:
        """Carry out the step's actions in order, into ``outcome`` (``saves``: where the
        action screenshots are kept meanwhile; None: each is kept before the next
        action)."""
        assert self.ctx.session is not None
        request = self.ctx.task.request
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
                    page = await self.ctx.session.snapshot()
                    await self._refuse_page(page.url)
                    self.ctx.last_page = page
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
            result = await self.ctx.session.execute(reveal_action(acting, self.ctx.secrets), page)
            if result.error and self.ctx.secrets:
                result = result.model_copy(update={"error": redact(result.error, self.ctx.secrets)})
            acted = True
            # Before the screenshot: a refused page must not reach an artifact.
            await self._refuse_page(result.data.get("url"))
            shot = await self.ctx.session.screenshot()
            name = f"{step.step_id}/action_{index}.png"
            if saves is not None:
                artifact_id = saves.start(name, shot, step.step_id)
            else:
                artifact = await self.ctx.save(
                    ArtifactKind.action_screenshot, name, shot, "image/png", step_id=step.step_id
                )
                artifact_id = artifact.artifact_id
            result = result.model_copy(update={"screenshot_artifact_id": artifact_id})
            shots = [artifact_id, *self.ctx.action_shots]
            self.ctx.action_shots = shots[:ACTION_SCREENSHOTS_KEPT]
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
            local = await self.ctx.uploads.resolve(reveal(action.file, self.ctx.secrets))
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
        assert self.ctx.session is not None
        try:
            await self.ctx.session.goto("about:blank")
        except Exception as exc:  # the task fails either way; say why it could not leave
            log.warning("task %s: could not leave a refused page: %s", self.ctx.task.task_id, exc)
        raise TaskFailure(reason[:1].upper() + reason[1:])

    async def _one_time_code(self) -> str:
        """A one-time code for the page, by whichever way the task provides one.

        Waiting for a code does not count against the step's time limit; no code within
        the TOTP timeout fails the task with the reason (retrying would not help).
        """
        if self.ctx.r.totp is None:
            raise TaskFailure("the page asks for a one-time code and no TOTP source is set up")
        # The wait has its own budget (totp_timeout): the step's clock stops meanwhile and
        # resumes with what it had left, so the step can still act on the code.
        limit = self._limit
        if limit is not None:
            limit.pause()
        try:
            code = await self.ctx.r.totp.code_for(self.ctx.task)
        except TOTPError as exc:
            raise TaskFailure(str(exc)) from exc
        finally:
            if limit is not None:
                limit.resume()
        # Hidden like any secret in what goes back to the model or into the records.
        self.ctx.secrets["totp_code"] = code
        return code

    async def _read_document(self) -> str | None:
        """The whole page as text where the session can read it; None (extract from the
        page state) where it cannot, or reading failed."""
        reader = getattr(self.ctx.session, "read_document", None)
        if reader is None:
            return None
        request = self.ctx.task.request
        links = wants_links(request.data_extraction_goal, request.extracted_information_schema)
        try:
            return str(await reader(links=links))
        except Exception as exc:
            log.warning(
                "task %s: the whole page could not be read, extracting from what is in view: %s",
                self.ctx.task.task_id,
                describe_error(exc),
            )
            return None

    async def _extract(self, page: PageState, outcome: StepOutcome) -> tuple[Any, dict[str, Any]]:
        """The extracted information, and what the step records about it (a replayed
        step's, again, where the page's content is the recorded one)."""
        replay = self.ctx.replay or NoReplay()
        await replay.settle(self.ctx.session)
        document = await self._read_document()

        async def live() -> tuple[Any, dict[str, Any]]:
            seen = page
            if seen.screenshot is None and isinstance(self.ctx.session, SettlingSession):
                # A replayed step's page was seen without its screenshot; the model's is.
                seen = await self.ctx.session.snapshot()
            return await self._extract_live(seen, outcome, document)

        return await replay.extraction(page, document, live)

    async def _extract_live(
        self, page: PageState, outcome: StepOutcome, document: str | None
    ) -> tuple[Any, dict[str, Any]]:
        schema = self.ctx.task.request.extracted_information_schema
        extraction = await self.ctx.r.planner.extract(
            ExtractContext(
                task=self.ctx.task,
                page=page,
                secrets=dict(self.ctx.secrets),
                document=document,
                budget=self.ctx.budget,
            )
        )
        outcome.usage = outcome.usage + extraction.usage
        record = {"extraction": extraction.record()}
        if schema is None:
            return extraction.data, record
        problems = schema_errors(extraction.data, schema, timeout=self.s.schema_pattern_timeout)
        if not problems:
            return extraction.data, record
        # One correction round with the validation errors, then give up clearly.
        retry = await self.ctx.r.planner.extract(
            ExtractContext(
                task=self.ctx.task,
                page=page,
                previous=extraction.data,
                errors=problems,
                secrets=dict(self.ctx.secrets),
                document=document,
                budget=self.ctx.budget,
            )
        )
        outcome.usage = outcome.usage + retry.usage
        problems = schema_errors(retry.data, schema, timeout=self.s.schema_pattern_timeout)
        if problems:
            raise TaskFailure(
                "Extracted information does not match extracted_information_schema "
                f"after a correction round: {'; '.join(problems[:3])}"
            )
        return retry.data, {"extraction": {**retry.record(), "corrected": True}}

    async def record(self, step: Step, outcome: StepOutcome) -> Step:
        """Write the step's outcome and the task's running totals; the stored step."""
        self.ctx.usage = self.ctx.usage + outcome.usage
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
            page_url=self.ctx.last_page.url if self.ctx.last_page else None,
            is_last=outcome.ok and (outcome.complete or outcome.terminate is not None),
            decided_by=outcome.decided_by,
        )
        saved = await self.ctx.store.update_step(step.step_id, update)
        replayed = {}
        if outcome.decided_by == DecidedBy.replay and outcome.ok:
            replayed["replayed_steps"] = self.ctx.task.replayed_steps + 1
        self.ctx.task = await self.ctx.store.update_task(
            self.ctx.task.task_id,
            TaskUpdate(
                input_token_count=self.ctx.usage.input_tokens,
                output_token_count=self.ctx.usage.output_tokens,
                cost=self.ctx.usage.cost,
                action_screenshot_artifact_ids=self.ctx.action_shots,
                **replayed,
            ),
        )
        if self.ctx.replay is not None:
            await self.ctx.replay.after_step(saved, outcome.ok, decision, outcome.results)
        return saved
