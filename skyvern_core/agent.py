"""The Agent: the one object a program needs to run browser tasks.

::

    from skyvern_core import Agent, TaskRequest

    async with Agent() as agent:
        task = await agent.run(TaskRequest(url="https://example.com", navigation_goal="..."))
        print(task.status, task.extracted_information)

``Agent.run_sync(...)`` does the same from a plain script. Backends are chosen by plugin
name or passed as instances; settings come from keyword arguments or ``SKYVERN_*``
environment variables.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any, Self

import anyio
import anyio.abc

from skyvern_core.backends import AgentBackends
from skyvern_core.captcha.challenge import CaptchaSolver
from skyvern_core.clock import SYSTEM_CLOCK, Clock
from skyvern_core.config import Settings
from skyvern_core.errors import UsageError
from skyvern_core.ids import new_id
from skyvern_core.models import (
    MAX_STEPS_LIMIT,
    Step,
    Task,
    TaskRequest,
    TaskStatus,
)
from skyvern_core.netpolicy import check_url
from skyvern_core.plugins import PluginRegistry, get_registry
from skyvern_core.protocols import (
    ArtifactStore,
    BrowserDriver,
    LLMProvider,
    Notifier,
    Planner,
    Store,
)
from skyvern_core.runner import EventCallback, RunEvent, RunHandle, TaskRunner, describe_error
from skyvern_core.totp import TotpResolver

__all__ = ["Agent", "ArtifactUrl", "RunEvent"]

log = logging.getLogger(__name__)

ArtifactUrl = Callable[[str], Awaitable[str | None]]
"""How an artifact's link is made: an async function from an artifact id to its URL (or
``None`` when it has none)."""

MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000


class Agent:
    """Runs tasks to a final status and answers questions about them.

    Each backend argument is a plugin name (see ``skyvern-core plugins``) or a ready
    instance; ``None`` takes the name from the settings. Other keyword arguments are
    settings (see :class:`~skyvern_core.config.Settings`).
    """

    def __init__(
        self,
        *,
        driver: str | BrowserDriver | None = None,
        store: str | Store | None = None,
        planner: str | Planner | None = None,
        llm_provider: str | LLMProvider | None = None,
        notifier: str | Notifier | None = None,
        artifact_store: str | ArtifactStore | None = None,
        settings: Settings | None = None,
        registry: PluginRegistry | None = None,
        organization: str = "default",
        on_event: EventCallback | None = None,
        clock: Clock | None = None,
        captcha_solver: str | CaptchaSolver | None = None,
        **setting_overrides: Any,
    ) -> None:
        if settings is None:
            settings = Settings(**setting_overrides)
        elif setting_overrides:
            settings = Settings(**{**settings.model_dump(exclude_unset=True), **setting_overrides})
        self.settings = settings
        if registry is None:
            registry = (
                PluginRegistry(only=settings.plugins)
                if settings.plugins is not None
                else get_registry()
            )
        self.registry = registry
        self.organization_name = organization
        self.organization_id: str | None = None
        self.on_event = on_event
        self.clock: Clock = clock or SYSTEM_CLOCK
        self._draining = False
        self._idle = anyio.Event()
        self._idle.set()
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{new_id('task')[-6:]}"
        self._parts = AgentBackends(
            settings,
            registry,
            {
                "driver": driver,
                "store": store,
                "planner": planner,
                "llm_provider": llm_provider,
                "notifier": notifier,
                "artifact_store": artifact_store,
                "captcha_solver": captcha_solver,
            },
            describe=self._with_urls,
        )
        # The backends built so far, by kind.
        self._backends: dict[str, Any] = self._parts.built
        self._opened = False
        self._open_lock = anyio.Lock()
        self._driver_started = False
        self._handles: dict[str, RunHandle] = {}
        self._slots = anyio.Semaphore(settings.concurrency)
        self._stack: AsyncExitStack | None = None
        self._wake: anyio.Event = anyio.Event()
        self._pool: anyio.abc.TaskGroup | None = None
        self.artifact_url: ArtifactUrl = self._artifact_store_url
        """How the links in tasks this agent returns and in its webhooks are made; by
        default the artifact store's own URLs. ``start(artifact_url=...)`` replaces it until
        :meth:`aclose`."""
        self._artifact_url_before: ArtifactUrl | None = None

    # ------------------------------------------------------------------ backends

    def backend_name(self, kind: str) -> str:
        """The plugin name used for a kind of backend (``auto`` planner resolved)."""
        return self._parts.name(kind)

    def _backend(self, kind: str) -> Any:
        return self._parts.get(kind)

    @property
    def store(self) -> Store:
        """The store (built on first use)."""
        return self._backend("store")

    @property
    def artifacts(self) -> ArtifactStore:
        """The artifact store (built on first use)."""
        return self._backend("artifact_store")

    @property
    def driver(self) -> BrowserDriver:
        """The browser driver (built on first use; started by its first session's run)."""
        return self._backend("driver")

    async def _open(self) -> None:
        async with self._open_lock:
            if self._opened:
                return
            await self.store.open()
            org = await self.store.get_or_create_organization(self.organization_name)
            self.organization_id = org.organization_id
            self._opened = True

    async def _runner(self) -> TaskRunner:
        driver: BrowserDriver = self._backend("driver")
        planner: Planner = self._backend("planner")
        return TaskRunner(
            store=self.store,
            driver=driver,
            planner=planner,
            artifacts=self.artifacts,
            notifier=self._backend("notifier"),
            settings=self.settings,
            worker_id=self.worker_id,
            on_event=self.on_event,
            describe=self._with_urls,
            totp=TotpResolver(self.store, self.settings, clock=self.clock),
            clock=self.clock,
            captcha_solver=self._captcha_solver(),
        )

    def _captcha_solver(self) -> CaptchaSolver | None:
        """The CAPTCHA solver given or configured; None when there is none."""
        if self._parts.given.get("captcha_solver") is None and not self.settings.captcha_solver:
            return None
        solver: CaptchaSolver = self._backend("captcha_solver")
        return solver

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, workers: bool = True, artifact_url: ArtifactUrl | None = None) -> None:
        """Open the backends and (with ``workers``) start the pool that runs submitted tasks.

        ``artifact_url`` makes the artifact links of tasks and webhooks until :meth:`aclose`
        puts back the one before (the HTTP API's lifespan passes its signed links). Call
        :meth:`aclose` from the same task, or use ``async with Agent(...)``.
        """
        if artifact_url is not None:
            if self._artifact_url_before is None:
                self._artifact_url_before = self.artifact_url
            self.artifact_url = artifact_url
        await self._open()
        if workers and self._pool is None:
            await self._build_off_the_loop("planner")
            self._draining = False
            self._stack = AsyncExitStack()
            self._pool = await self._stack.enter_async_context(anyio.create_task_group())
            for index in range(self.settings.concurrency):
                self._pool.start_soon(self._worker, index)
            notifier = self._backend("notifier")
            serve = getattr(notifier, "serve", None)
            if serve is not None:
                # The notifier's retry loop (webhook deliveries) lives as long as the pool.
                self._pool.start_soon(serve)

    async def _build_off_the_loop(self, kind: str) -> None:
        """Build a backend in a worker thread: a model client's import takes seconds, and an
        HTTP API served from this event loop must keep answering meanwhile. One that cannot
        be built is reported by each task that needs it, as before."""
        if kind in self._backends:
            return
        try:
            await anyio.to_thread.run_sync(self._backend, kind)
        except Exception:
            log.debug("the %s could not be built yet", kind, exc_info=True)

    async def aclose(self) -> None:
        """Stop the workers and close every backend.

        Tasks running here get ``shutdown_grace`` seconds to finish; the rest go back to
        the queue at their next step boundary (at the latest after as long again) and run
        again, from their start URL, on whichever worker claims them next. With
        ``task_max_attempts=1`` they fail instead, saying the worker shut down.
        """
        await self.drain()
        if self._pool is not None and self._stack is not None:
            self._pool.cancel_scope.cancel()
            stack, self._stack, self._pool = self._stack, None, None
            await stack.aclose()
        await self._parts.aclose()
        self._opened = False
        self._wake = anyio.Event()
        if self._artifact_url_before is not None:
            self.artifact_url, self._artifact_url_before = self._artifact_url_before, None

    async def drain(self, grace: float | None = None) -> None:
        """Stop claiming tasks and let the ones running here end (see :meth:`aclose`)."""
        self._draining = True
        self._wake.set()
        grace = self.settings.shutdown_grace if grace is None else grace
        if not await self._wait_idle(grace):
            rerun = self.settings.task_max_attempts > 1
            for handle in list(self._handles.values()):
                handle.release() if rerun else handle.stop()
            if not await self._wait_idle(grace):
                for handle in list(self._handles.values()):
                    handle.release(now=True) if rerun else handle.stop()
                await self._wait_idle(60.0)

    async def _wait_idle(self, seconds: float) -> bool:
        """Wait up to ``seconds`` (real time) until no task runs here; whether none does."""
        with anyio.move_on_after(seconds):
            await self._idle.wait()
        return not self._handles

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ tasks

    def _request(
        self, request: TaskRequest | dict[str, Any] | None, fields: dict[str, Any]
    ) -> TaskRequest:
        if isinstance(request, TaskRequest):
            data = {**dict(request), **fields}
        elif request is None:
            data = fields
        elif isinstance(request, dict):
            data = {**request, **fields}
        else:
            raise UsageError(f"expected a TaskRequest or a dict, got {type(request).__name__}")
        # Held to this agent's size limits: a pydantic ValidationError names the field.
        return TaskRequest.model_validate(data, context={"limits": self.settings.input_limits})

    async def create_task(
        self,
        request: TaskRequest | dict[str, Any] | None = None,
        /,
        *,
        organization_id: str | None = None,
        max_steps: int | None = None,
        **fields: Any,
    ) -> Task:
        """Validate and store a task as ``queued``, without running it."""
        return await self._new_task(
            request, organization_id=organization_id, max_steps=max_steps, fields=fields
        )

    async def _new_task(
        self,
        request: TaskRequest | dict[str, Any] | None,
        *,
        organization_id: str | None,
        max_steps: int | None,
        fields: dict[str, Any],
        claimed: bool = False,
    ) -> Task:
        """Store a new task: queued, or (``claimed``) already running under this agent, in
        one write, so that no other worker can take it first."""
        req = self._request(request, fields)
        for name in ("url", "webhook_callback_url", "totp_verification_url"):
            value = getattr(req, name)
            if value:
                await check_url(value, self.settings, field=name)
        await self._open()
        org_id = organization_id or self.organization_id
        assert org_id is not None
        limit = max_steps or req.max_steps
        org = None
        if limit is None:
            org = await self.store.get_organization(org_id)
            limit = org.max_steps or self.settings.max_steps
        max_cost, max_tokens = req.max_cost_usd, req.max_tokens
        if max_cost is None or max_tokens is None:
            from skyvern_core.limits import default_limits

            org = org or await self.store.get_organization(org_id)
            default_cost, default_tokens = default_limits(org, self.settings)
            max_cost = default_cost if max_cost is None else max_cost
            max_tokens = default_tokens if max_tokens is None else max_tokens
        if not 1 <= limit <= MAX_STEPS_LIMIT:
            raise UsageError(f"max_steps must be between 1 and {MAX_STEPS_LIMIT}, got {limit}")
        now = self.clock.now()
        task = Task(
            task_id=new_id("task"),
            organization_id=org_id,
            request=req,
            # Stored queued at once: "created" would only last until a second write.
            status=TaskStatus.running if claimed else TaskStatus.queued,
            max_steps=limit,
            created_at=now,
            modified_at=now,
            max_cost_usd=max_cost,
            max_tokens=max_tokens,
        )
        if claimed:
            task.worker_id = self.worker_id
            task.started_at = now
            task.lease_expires_at = now + timedelta(seconds=self.settings.lease_seconds)
        return await self.store.create_task(task)

    async def submit(
        self, request: TaskRequest | dict[str, Any] | None = None, /, **fields: Any
    ) -> str:
        """Queue a task for the worker pool and return its id at once."""
        task = await self.create_task(request, **fields)
        self._wake.set()
        return task.task_id

    async def run(
        self,
        request: TaskRequest | dict[str, Any] | None = None,
        /,
        *,
        organization_id: str | None = None,
        max_steps: int | None = None,
        **fields: Any,
    ) -> Task:
        """Run a task to a final status here and return it with its steps.

        The task is stored already claimed by this agent, so the worker pool never takes it
        first. Backends that cannot be built (an unknown name, a missing extra) raise here,
        before any task is stored. Returns only when the task is final: if this agent lost
        it (its lease ran out while the process was stalled) and it went back to the queue,
        it is run again here; if another worker has it, its end is awaited.
        """
        await self._open()
        runner = await self._runner()
        async with self._slots:
            task = await self._new_task(
                request,
                organization_id=organization_id,
                max_steps=max_steps,
                fields=fields,
                claimed=True,
            )
            await self._execute(task, runner)
            while True:
                current = await self.store.get_task(task.task_id)
                if current.status.is_final:
                    break
                claimed = None
                if current.status == TaskStatus.queued:
                    claimed = await self.store.claim_task(
                        self.worker_id,
                        lease_seconds=self.settings.lease_seconds,
                        task_id=task.task_id,
                    )
                if claimed is not None:
                    await self._execute(claimed, runner)
                else:
                    await anyio.sleep(self.settings.poll_interval)
        return await self.get_task(task.task_id, organization_id=task.organization_id, steps=True)

    def run_sync(
        self, request: TaskRequest | dict[str, Any] | None = None, /, **fields: Any
    ) -> Task:
        """Run a task from synchronous code (starts and closes the backends around it)."""

        async def main() -> Task:
            try:
                return await self.run(request, **fields)
            finally:
                await self.aclose()

        return anyio.run(main)

    async def _execute(self, task: Task, runner: TaskRunner | None = None) -> Task:
        handle = RunHandle(task.task_id)
        self._handles[task.task_id] = handle
        if self._idle.is_set():
            self._idle = anyio.Event()
        try:
            runner = runner or await self._runner()
            return await runner.run(task, handle)
        except Exception as exc:
            # The backends could not even be built: still end the task, with the reason.
            log.exception("could not run task %s", task.task_id)
            with anyio.CancelScope(shield=True):
                ended = await self.store.finish_task(
                    task.task_id,
                    status=TaskStatus.failed,
                    worker_id=self.worker_id,
                    failure_reason=describe_error(exc),
                    now=self.clock.now(),
                )
            await self._notify(ended)
            return ended
        finally:
            self._handles.pop(task.task_id, None)
            if not self._handles:
                self._idle.set()

    async def _worker(self, index: int) -> None:
        while not self._draining:
            async with self._slots:
                if self._draining:
                    break
                try:
                    await self._recover_expired()
                    task = await self.store.claim_task(
                        self.worker_id, lease_seconds=self.settings.lease_seconds
                    )
                except Exception:
                    log.warning("worker %d could not claim a task", index, exc_info=True)
                    task = None
                if task is not None:
                    await self._execute(task)
                    continue
            with anyio.move_on_after(self.settings.poll_interval):
                await self._wake.wait()
            if self._wake.is_set():
                self._wake = anyio.Event()

    async def _recover_expired(self) -> None:
        """Recover tasks whose worker stopped renewing its claim (it died or stalled): run
        them again from their start URL while they have attempts left, else fail them
        naming the attempts; a canceled one its worker never finished is finished here.
        Each decision is a conditional write: a worker that renewed in the meantime keeps
        its task."""
        attempts = self.settings.task_max_attempts
        now = self.clock.now()
        for task in await self.store.expired_leases(now):
            if task.task_id in self._handles:
                continue
            lost = "The worker running this task stopped responding (its lease expired)"
            if attempts > 1:
                reason = f"{lost} on each of its {task.attempt} attempts; not run again"
            else:
                reason = f"{lost}; not run again (task_max_attempts=1)"
            ended = await self.store.recover_task(
                task.task_id,
                task.worker_id,
                now=now,
                requeue=task.attempt < attempts,
                reason=reason,
            )
            if ended is None:
                continue
            if ended.status.is_final:
                await self._notify(ended)
            else:
                log.info(
                    "task %s lost its worker; it runs again as attempt %d",
                    ended.task_id,
                    ended.attempt,
                )
                self._wake.set()

    async def _notify(self, task: Task) -> None:
        """Tell the notifier a task ended here (bounded; the webhook also waits in the
        store's outbox, so a failure here loses nothing)."""
        notifier: Notifier | None = self._backend("notifier")
        if notifier is None:
            return
        with anyio.move_on_after(self.settings.webhook_timeout + 5):
            try:
                await notifier.notify(await self._with_urls(task))
            except Exception:
                log.exception("the notifier failed for task %s", task.task_id)

    async def cancel(
        self,
        task_id: str,
        *,
        organization_id: str | None = None,
        artifact_url: ArtifactUrl | None = None,
    ) -> Task:
        """Cancel a created, queued or running task; a running one stops before its next
        action and is finished by its worker. A task whose worker is gone (its lease ran
        out) is finished here: its step canceled, its webhook sent. Raises
        InvalidTransitionError for a task already in a final status. The task returned
        has its links made by ``artifact_url`` if given (else :attr:`artifact_url`)."""
        await self._open()
        org_id = organization_id or self.organization_id
        task = await self.store.cancel_task(task_id, org_id, now=self.clock.now())
        handle = self._handles.get(task_id)
        if handle is not None:
            handle.cancel()
        elif task.finished_at is not None:
            # Nobody runs it, so nobody else will tell the notifier.
            await self._notify(task)
        return await self._with_urls(task, artifact_url)

    # ------------------------------------------------------------------ reading

    async def get_task(
        self,
        task_id: str,
        *,
        organization_id: str | None = None,
        steps: bool = False,
        artifact_url: ArtifactUrl | None = None,
    ) -> Task:
        """Return a task, with artifact URLs (and its steps with ``steps=True``), made by
        ``artifact_url`` if given (else :attr:`artifact_url`)."""
        await self._open()
        task = await self.store.get_task(task_id, organization_id or self.organization_id)
        task = await self._with_urls(task, artifact_url)
        if steps:
            task.steps = await self.store.list_steps(task_id)
        return task

    async def list_tasks(
        self,
        page: int = 1,
        page_size: int = 10,
        *,
        organization_id: str | None = None,
        artifact_url: ArtifactUrl | None = None,
    ) -> list[Task]:
        """Return a page of tasks, newest first (``page_size`` at most 100), their links made
        by ``artifact_url`` if given (else :attr:`artifact_url`)."""
        if not 1 <= page <= MAX_PAGE:
            raise UsageError(f"page must be between 1 and {MAX_PAGE}, got {page}")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise UsageError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
        await self._open()
        org_id = organization_id or self.organization_id
        assert org_id is not None
        tasks = await self.store.list_tasks(org_id, page=page, page_size=page_size)
        return [await self._with_urls(t, artifact_url) for t in tasks]

    async def list_steps(self, task_id: str, *, organization_id: str | None = None) -> list[Step]:
        """Return a task's steps in order, retries included."""
        await self._open()
        return await self.store.list_steps(task_id, organization_id or self.organization_id)

    async def _artifact_store_url(self, artifact_id: str) -> str | None:
        artifact = await self.store.get_artifact(artifact_id)
        return await self.artifacts.url(artifact.uri)

    async def with_urls(self, task: Task, *, artifact_url: ArtifactUrl | None = None) -> Task:
        """A copy of ``task`` with its artifact URLs filled in by ``artifact_url`` if given,
        else by :attr:`artifact_url`."""
        return await self._with_urls(task, artifact_url)

    async def _with_urls(self, task: Task, artifact_url: ArtifactUrl | None = None) -> Task:
        make = artifact_url or self.artifact_url

        async def url(artifact_id: str | None) -> str | None:
            if artifact_id is None:
                return None
            try:
                return await make(artifact_id)
            except Exception:
                log.warning("no URL for artifact %s", artifact_id, exc_info=True)
                return None

        shots = [await url(a) for a in task.action_screenshot_artifact_ids]
        return task.model_copy(
            update={
                "screenshot_url": await url(task.screenshot_artifact_id),
                "recording_url": await url(task.recording_artifact_id),
                "action_screenshot_urls": [s for s in shots if s],
            }
        )
