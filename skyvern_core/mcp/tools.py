"""The tools of the MCP server: the Tasks API's operations, and a look at a page.

Each tool works on one :class:`~skyvern_core.Agent` for one organization, given per call
by an :data:`OrganizationOf` (the agent's own for stdio, the API key's over HTTP). Task
inputs are the Tasks API's fields, validated by the same models with the same limits
(:class:`~skyvern_core.asgi.schemas.TaskRequestBody`), and refused the same way: a bad
input is a tool error whose text names the field.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, Image
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, ValidationError

from skyvern_core.agent import MAX_PAGE, MAX_PAGE_SIZE, Agent
from skyvern_core.asgi.schemas import (
    StepResponse,
    TaskDetails,
    TaskListItem,
    TaskRequestBody,
    step_response,
    task_details,
    task_list_item,
)
from skyvern_core.captcha import Challenge, detect_challenges, page_evaluator
from skyvern_core.errors import InvalidTransitionError, NotFoundError, SkyvernError
from skyvern_core.limits import limit_errors
from skyvern_core.models import Step, StepStatus, TaskRequest
from skyvern_core.netpolicy import BlockedURLError, check_url
from skyvern_core.protocols import SessionOptions

__all__ = [
    "OrganizationOf",
    "StepList",
    "TaskList",
    "TaskTools",
    "describe_step",
    "validation_message",
]

log = logging.getLogger(__name__)

OrganizationOf = Callable[[Context], Awaitable[str]]
"""How a tool call's organization is found: an async function of the call's MCP context
returning an organization id (raising a ``ToolError`` when the caller has none)."""


def _tool_error(message: str) -> ToolError:
    return ToolError(message)


def validation_message(exc: ValidationError) -> str:
    """A validation error as one line per field: ``field: what is wrong``."""
    lines = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(task)"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return "invalid task request: " + "; ".join(lines)


class TaskList(BaseModel):
    """A page of the organization's tasks, newest first."""

    tasks: list[TaskListItem]


class StepList(BaseModel):
    """A task's steps in order, retries included."""

    steps: list[StepResponse]


def describe_step(step: Step, max_steps: int) -> str:
    """One line on a finished step, for a progress notification."""
    label = f"step {step.order + 1}/{max_steps}"
    if step.retry_index:
        label += f" (retry {step.retry_index})"
    actions = ", ".join(
        " ".join(p for p in (str(a.type), getattr(a, "element_id", None) or "") if p)
        for a in step.actions
    )
    line = f"{label}: {actions or 'no action'} → {step.status.value}"
    if step.failure_reason:
        line += f": {step.failure_reason}"
    return line[:500]


# The tool inputs, described as the Tasks API describes them.
_F = TaskRequest.model_fields


def _described(name: str) -> Any:
    return Field(description=_F[name].description)


Url = Annotated[str, _described("url")]
Goal = Annotated[str | None, _described("navigation_goal")]
ExtractionGoal = Annotated[str | None, _described("data_extraction_goal")]
Payload = Annotated[Any, _described("navigation_payload")]
Webhook = Annotated[str | None, _described("webhook_callback_url")]
Proxy = Annotated[
    str | None,
    Field(description="Where the traffic should come from (RESIDENTIAL, US-CA, ..., NONE)."),
]
Schema = Annotated[dict[str, Any] | bool | str | None, _described("extracted_information_schema")]
TotpUrl = Annotated[str | None, _described("totp_verification_url")]
TotpId = Annotated[str | None, _described("totp_identifier")]
MaxSteps = Annotated[
    int | None,
    Field(
        description="This task's step limit, at most the organization's (the HTTP API's "
        "x-max-steps-override)."
    ),
]
MaxCost = Annotated[float | None, _described("max_cost_usd")]
MaxTokens = Annotated[int | None, _described("max_tokens")]
BrowserProfileName = Annotated[str | None, _described("browser_profile")]
TaskId = Annotated[str, Field(description="The task's id (tsk_...).")]


class TaskTools:
    """The tools, bound to an agent; ``organization_of`` says whose tasks a call sees.

    The agent's URL policy applies to every address a tool is given, as it does to the
    HTTP API's.
    """

    def __init__(self, agent: Agent, organization_of: OrganizationOf) -> None:
        self.agent = agent
        self.organization_of = organization_of

    # ------------------------------------------------------------------ inputs

    async def _request(self, org_id: str, fields: dict[str, Any]) -> TaskRequest:
        """The task request from the tool's arguments, checked as ``POST /tasks`` checks
        its body (and its step-limit header)."""
        settings = self.agent.settings
        given = {k: v for k, v in fields.items() if v is not None}
        try:
            body = TaskRequestBody.model_validate(given, context={"limits": settings.input_limits})
            request = TaskRequest.model_validate(
                body.model_dump(), context={"limits": settings.input_limits}
            )
        except ValidationError as exc:
            raise _tool_error(validation_message(exc)) from exc
        org = await self.agent.store.get_organization(org_id)
        if request.max_steps is not None:
            ceiling = org.max_steps or settings.max_steps
            if request.max_steps > ceiling:
                raise _tool_error(
                    f"invalid task request: max_steps: {request.max_steps} is over this "
                    f"organization's limit of {ceiling} steps per task"
                )
        over = limit_errors(request, org, settings)
        if over:
            raise _tool_error(
                "invalid task request: " + "; ".join(f"{name}: {msg}" for name, msg in over)
            )
        return request

    async def _submit(self, ctx: Context, fields: dict[str, Any]) -> tuple[str, str]:
        org_id = await self.organization_of(ctx)
        request = await self._request(org_id, fields)
        try:
            task_id = await self.agent.submit(request, organization_id=org_id)
        except BlockedURLError as exc:
            raise _tool_error(f"invalid task request: {exc.field}: {exc}") from exc
        return org_id, task_id

    async def _details(self, task_id: str, org_id: str) -> TaskDetails:
        try:
            task = await self.agent.get_task(task_id, organization_id=org_id)
        except NotFoundError as exc:
            raise _tool_error(f"task_id: {exc}") from exc
        return task_details(task)

    # ------------------------------------------------------------------ tools

    async def run_task(
        self,
        ctx: Context,
        url: Url,
        navigation_goal: Goal = None,
        data_extraction_goal: ExtractionGoal = None,
        navigation_payload: Payload = None,
        webhook_callback_url: Webhook = None,
        proxy_location: Proxy = None,
        extracted_information_schema: Schema = None,
        totp_verification_url: TotpUrl = None,
        totp_identifier: TotpId = None,
        max_steps: MaxSteps = None,
        max_cost_usd: MaxCost = None,
        max_tokens: MaxTokens = None,
        browser_profile: BrowserProfileName = None,
    ) -> TaskDetails:
        """Run a browser task to its end and return its details (status, extracted
        information, failure reason, tokens and cost). A progress notification follows
        each step. Abandoning the call cancels the task."""
        fields = dict(locals())
        fields.pop("self"), fields.pop("ctx")
        org_id, task_id = await self._submit(ctx, fields)
        try:
            return await self._follow(ctx, task_id, org_id)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                try:
                    await self.agent.cancel(task_id, organization_id=org_id)
                except (InvalidTransitionError, NotFoundError):
                    pass  # it ended meanwhile
            raise

    async def _follow(self, ctx: Context, task_id: str, org_id: str) -> TaskDetails:
        """Wait for the task's end, reporting each step once it is recorded."""
        reported: set[str] = set()
        interval = min(self.agent.settings.poll_interval, 0.5)
        while True:
            task = await self.agent.get_task(task_id, organization_id=org_id)
            steps = await self.agent.list_steps(task_id, organization_id=org_id)
            for step in steps:
                if step.step_id in reported or step.status in (
                    StepStatus.created,
                    StepStatus.running,
                ):
                    continue
                reported.add(step.step_id)
                await ctx.report_progress(
                    len(reported), float(task.max_steps), describe_step(step, task.max_steps)
                )
            if task.status.is_final:
                return task_details(task)
            await anyio.sleep(interval)

    async def submit_task(
        self,
        ctx: Context,
        url: Url,
        navigation_goal: Goal = None,
        data_extraction_goal: ExtractionGoal = None,
        navigation_payload: Payload = None,
        webhook_callback_url: Webhook = None,
        proxy_location: Proxy = None,
        extracted_information_schema: Schema = None,
        totp_verification_url: TotpUrl = None,
        totp_identifier: TotpId = None,
        max_steps: MaxSteps = None,
        max_cost_usd: MaxCost = None,
        max_tokens: MaxTokens = None,
        browser_profile: BrowserProfileName = None,
    ) -> dict[str, str]:
        """Queue a browser task and return its id at once (follow it with get_task)."""
        fields = dict(locals())
        fields.pop("self"), fields.pop("ctx")
        _, task_id = await self._submit(ctx, fields)
        return {"task_id": task_id}

    async def get_task(self, ctx: Context, task_id: TaskId) -> TaskDetails:
        """A task's details: status, extracted information, failure reason, tokens, cost
        and artifact links."""
        return await self._details(task_id, await self.organization_of(ctx))

    async def list_tasks(
        self,
        ctx: Context,
        page: Annotated[int, Field(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
        page_size: Annotated[
            int, Field(ge=1, le=MAX_PAGE_SIZE, description="Tasks per page (at most 100).")
        ] = 10,
    ) -> TaskList:
        """The organization's tasks, newest first."""
        org_id = await self.organization_of(ctx)
        tasks = await self.agent.list_tasks(page, page_size, organization_id=org_id)
        return TaskList(tasks=[task_list_item(t) for t in tasks])

    async def get_steps(self, ctx: Context, task_id: TaskId) -> StepList:
        """A task's steps in order, retries included: actions, results, tokens, cost."""
        org_id = await self.organization_of(ctx)
        try:
            steps = await self.agent.list_steps(task_id, organization_id=org_id)
            if not steps:
                await self.agent.store.get_task(task_id, org_id)  # 'not found' for a stranger
        except NotFoundError as exc:
            raise _tool_error(f"task_id: {exc}") from exc
        return StepList(steps=[step_response(s) for s in steps])

    async def cancel_task(self, ctx: Context, task_id: TaskId) -> TaskDetails:
        """Cancel a created, queued or running task; returns its details."""
        org_id = await self.organization_of(ctx)
        try:
            task = await self.agent.cancel(task_id, organization_id=org_id)
        except NotFoundError as exc:
            raise _tool_error(f"task_id: {exc}") from exc
        except InvalidTransitionError as exc:
            raise _tool_error(f"task_id: {exc}") from exc
        return task_details(task)

    async def view_page(self, ctx: Context, url: Url) -> str:
        """What the agent sees of a page: its elements with their ids, the text in view,
        as the model reads it (the same text as `skyvern-core scrape URL`), and its token
        count."""
        from skyvern_core.perception.serializer import count_tokens, serialize

        await self.organization_of(ctx)
        page, _, challenges = await self._open(url, screenshot=False)
        prompt = serialize(page)
        shown = f"{prompt}\n\nTokens: {count_tokens(prompt)}"
        if challenges:
            found = "; ".join(
                c.describe() + ("" if c.kind.blocking else " (scores in the background)")
                for c in challenges
            )
            shown += f"\nCAPTCHA: {found}"
        return shown

    async def get_screenshot(
        self,
        ctx: Context,
        task_id: Annotated[
            str | None,
            Field(description="A task: its final screenshot, or its latest one while it runs."),
        ] = None,
        url: Annotated[
            str | None, Field(description="Or a page to open: a screenshot of its viewport.")
        ] = None,
    ) -> Image:
        """A screenshot, as an image: of a task (its final one, or the latest of its
        actions while it runs), or of a page opened for it."""
        org_id = await self.organization_of(ctx)
        if (task_id is None) == (url is None):
            raise _tool_error("give either task_id or url")
        if url is not None:
            _, shot, _ = await self._open(url, screenshot=True)
            assert shot is not None
            return Image(data=shot, format="png")
        assert task_id is not None
        try:
            task = await self.agent.store.get_task(task_id, org_id)
        except NotFoundError as exc:
            raise _tool_error(f"task_id: {exc}") from exc
        artifact_id = task.screenshot_artifact_id or next(
            iter(task.action_screenshot_artifact_ids), None
        )
        if artifact_id is None:
            raise _tool_error(f"task_id: task {task_id} has no screenshot yet")
        artifact = await self.agent.store.get_artifact(artifact_id)
        data = await self.agent.artifacts.read(artifact.uri)
        kind = artifact.content_type.removeprefix("image/") or "png"
        return Image(data=data, format=kind)

    async def _open(
        self, url: str, *, screenshot: bool
    ) -> tuple[Any, bytes | None, list[Challenge]]:
        """Open ``url`` in a fresh session of the agent's driver (the URL policy applies,
        to the address given and to where it led); its page state, a screenshot and the
        CAPTCHA challenges it shows."""
        from skyvern_core.models import check_http_url

        settings = self.agent.settings
        try:
            url = check_http_url(url, "url")
            await check_url(url, settings, field="url")
        except (ValueError, BlockedURLError) as exc:
            raise _tool_error(f"url: {exc}") from exc
        driver = self.agent.driver
        await driver.start()
        with tempfile.TemporaryDirectory(prefix="skyvern-mcp-") as tmp:
            session = await driver.new_session(
                SessionOptions(
                    task_id="view",
                    artifact_dir=Path(tmp),
                    record_video=False,
                    viewport=(settings.viewport_width, settings.viewport_height),
                    user_agent=settings.user_agent,
                )
            )
            try:
                with anyio.fail_after(settings.step_timeout):
                    await session.goto(url)
                    page = await session.snapshot()
                    try:
                        await check_url(page.url, settings, field="url (where it led)")
                    except BlockedURLError as exc:
                        raise _tool_error(str(exc)) from exc
                    shot = await session.screenshot() if screenshot else None
                    evaluate = page_evaluator(session)
                    challenges = (
                        await detect_challenges(evaluate, page.url) if evaluate is not None else []
                    )
            except SkyvernError as exc:
                raise _tool_error(f"url: {exc}") from exc
            except TimeoutError as exc:
                raise _tool_error(
                    f"url: the page did not load in {settings.step_timeout:g} s"
                ) from exc
            finally:
                with anyio.CancelScope(shield=True):
                    try:
                        await session.close()
                    except Exception:
                        log.warning("could not close the page's session", exc_info=True)
        return page, shot, challenges
