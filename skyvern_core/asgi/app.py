"""The HTTP API of the spec as a FastAPI app that mounts under any prefix."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import TypeAdapter, ValidationError

from skyvern_core.agent import MAX_PAGE, MAX_PAGE_SIZE, Agent
from skyvern_core.asgi.bodylimit import BodyLimit
from skyvern_core.asgi.links import ArtifactLinks, load_signing_key
from skyvern_core.asgi.schemas import (
    CreateTaskResponse,
    StepResponse,
    TaskDetails,
    TaskListItem,
    TaskRequestBody,
    TotpBody,
    TotpResponse,
    step_response,
    task_details,
    task_list_item,
)
from skyvern_core.auth import resolve_key
from skyvern_core.config import check_base_url
from skyvern_core.errors import (
    ArtifactError,
    InvalidTransitionError,
    MissingExtraError,
    NotFoundError,
    UsageError,
)
from skyvern_core.limits import limit_errors
from skyvern_core.models import MAX_STEPS_LIMIT, TaskRequest
from skyvern_core.netpolicy import BlockedURLError

__all__ = ["agent_lifespan", "create_app"]

log = logging.getLogger(__name__)

KEY_CACHE_SECONDS = 30.0

_TASK_LIST = TypeAdapter(list[TaskListItem])
_STEP_LIST = TypeAdapter(list[StepResponse])


def _json(body: bytes) -> Response:
    # Answering with ready JSON skips FastAPI's second validation of the response model
    # (the model still documents the route).
    return Response(content=body, media_type="application/json")


def _invalid(loc: list[str | int], msg: str, kind: str = "value_error") -> JSONResponse:
    return JSONResponse(
        status_code=422, content={"detail": [{"loc": loc, "msg": msg, "type": kind}]}
    )


@asynccontextmanager
async def agent_lifespan(
    agent: Agent, *, workers: bool = True, app: FastAPI | None = None
) -> AsyncIterator[None]:
    """Start the agent (and its workers) for the life of a server; use it in the lifespan
    of a host app that mounts the API, since mounted apps get no lifespan of their own.

    With ``app`` (what :func:`create_app` built for this agent), the tasks and webhooks
    the agent makes meanwhile carry that app's signed artifact links; the agent gets its
    own back when the lifespan ends.
    """
    artifact_url = getattr(app.state, "artifact_url", None) if app is not None else None
    mcp = getattr(app.state, "mcp", None) if app is not None else None
    await agent.start(workers=workers, artifact_url=artifact_url)
    try:
        if mcp is None:
            yield
        else:
            async with mcp.running():
                yield
    finally:
        await agent.aclose()


def _body_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": ["body", *error["loc"]], "msg": error["msg"], "type": error["type"]}
        for error in exc.errors(include_url=False)
    ]


def create_app(
    agent: Agent,
    *,
    manage_agent: bool = True,
    workers: bool = True,
    title: str = "skyvern-core Tasks API",
    base_url: str | None = None,
    ui: bool = True,
    ui_sign_in: bool = True,
    mcp: bool | None = None,
) -> FastAPI:
    """Build the app for ``agent``. With ``manage_agent`` the app starts and closes the
    agent in its lifespan (with ``workers``, tasks run in this process); else start it with
    ``agent_lifespan(agent, app=app)`` in the host's lifespan.

    Artifact links start with ``base_url`` (where clients reach this app, mount prefix
    included), else ``Settings.public_base_url``; requests never change it. With neither,
    task details and webhooks carry no links to this app (only an artifact store's own
    http(s) URLs), and a warning says so once.

    Building the app changes nothing on ``agent``: the app makes its own links for what it
    answers, and hands them to the agent (for webhooks) only while it runs the agent.

    With ``ui`` the task viewer (``skyvern_core.asgi.ui``) is mounted at ``/ui/``:
    visitors sign in with an API key, unless ``ui_sign_in`` is False (for a server only
    this machine reaches, as ``skyvern-core ui`` runs it).
    With ``mcp`` (None: when the ``mcp`` extra is installed) the app also serves the MCP
    server over streamable HTTP at ``/mcp``, behind the same API keys
    (:class:`skyvern_core.mcp.McpEndpoint`); it runs in the app's lifespan, or in
    ``agent_lifespan(agent, app=app)``.
    """
    settings = agent.settings
    links = ArtifactLinks(load_signing_key(settings), settings.artifact_url_ttl)
    base = check_base_url(base_url, "base_url") if base_url else settings.public_base_url
    if base is None:
        log.warning(
            "no public base URL for the Tasks API: task details and webhooks will carry no "
            "artifact links; pass create_app(..., base_url='https://host/prefix') or set "
            "SKYVERN_PUBLIC_BASE_URL"
        )

    async def signed_url(artifact_id: str) -> str | None:
        if base is not None:
            return links.url(base, artifact_id)
        # A link made from a request's Host header could be forged by anyone: without a
        # configured base, only an artifact store that has web links of its own gives one.
        artifact = await agent.store.get_artifact(artifact_id)
        own = await agent.artifacts.url(artifact.uri)
        return own if own and own.startswith(("https://", "http://")) else None

    lifespan: Callable[[FastAPI], Any] | None = None
    if manage_agent:

        @asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            async with agent_lifespan(agent, workers=workers, app=app):
                yield

    app = FastAPI(
        title=title,
        version="1",
        description="Create browser tasks, follow their steps, cancel them, fetch artifacts.",
        lifespan=lifespan,
    )
    app.state.agent = agent
    app.state.links = links
    app.state.base_url = base
    app.state.artifact_url = signed_url
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(InvalidTransitionError)
    async def conflict(request: Request, exc: InvalidTransitionError) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(BlockedURLError)
    async def blocked(request: Request, exc: BlockedURLError) -> JSONResponse:
        return _invalid(["body", exc.field], str(exc), "url_refused")

    @app.exception_handler(UsageError)
    async def usage(request: Request, exc: UsageError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    known_keys: dict[str, tuple[str, float]] = {}
    unlinked_warned: list[bool] = []

    async def organization(
        x_api_key: str | None = Header(default=None, description="Your API key."),
    ) -> str:
        if not x_api_key:
            raise _Unauthorized(401, "missing x-api-key header")
        now = time.monotonic()
        hit = known_keys.get(x_api_key)
        if hit is not None and hit[1] > now:
            return hit[0]
        org_id = await resolve_key(agent.store, x_api_key)
        if org_id is None:
            raise _Unauthorized(403, "invalid API key")
        if len(known_keys) > 10_000:
            known_keys.clear()
        # A short memory of good keys spares a store read on every request.
        known_keys[x_api_key] = (org_id, now + KEY_CACHE_SECONDS)
        return org_id

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for error in exc.errors():
            item = {
                "loc": list(error.get("loc", ())),
                "msg": str(error.get("msg", "")),
                "type": str(error.get("type", "value_error")),
            }
            errors.append(item)
        return JSONResponse(status_code=422, content={"detail": errors})

    router = APIRouter(prefix="/api/v1")

    def route(method: str, path: str, **kwargs: Any) -> Callable[[Any], Any]:
        # Every route answers with and without a trailing slash (no redirect: clients
        # that POST must not depend on following one).
        def decorator(func: Any) -> Any:
            router.add_api_route(path, func, methods=[method], **kwargs)
            router.add_api_route(
                path + "/", func, methods=[method], include_in_schema=False, **kwargs
            )
            return func

        return decorator

    @route(
        "POST",
        "/tasks",
        response_model=CreateTaskResponse,
        tags=["tasks"],
        summary="Create a task (queued, runs in the background)",
    )
    async def create_task(
        body: TaskRequestBody,
        org_id: str = Depends(organization),
        x_max_steps_override: str | None = Header(
            default=None, description="A positive integer: this task's step limit."
        ),
    ) -> Any:
        max_steps: int | None = None
        if x_max_steps_override is not None:
            try:
                max_steps = int(x_max_steps_override.strip())
            except ValueError:
                max_steps = 0
            if not 1 <= max_steps <= MAX_STEPS_LIMIT:
                return _invalid(
                    ["header", "x-max-steps-override"],
                    f"x-max-steps-override must be an integer from 1 to {MAX_STEPS_LIMIT}, "
                    f"got {x_max_steps_override!r}",
                )
            # A caller may lower its step limit, never raise it past its organization's.
            org = await agent.store.get_organization(org_id)
            ceiling = org.max_steps or settings.max_steps
            if max_steps > ceiling:
                return _invalid(
                    ["header", "x-max-steps-override"],
                    f"x-max-steps-override ({max_steps}) is over this organization's limit of "
                    f"{ceiling} steps per task",
                )
        try:
            request = TaskRequest.model_validate(
                body.model_dump(), context={"limits": settings.input_limits}
            )
        except ValidationError as exc:
            return JSONResponse(status_code=422, content={"detail": _body_errors(exc)})
        if request.max_cost_usd is not None or request.max_tokens is not None:
            over = limit_errors(request, await agent.store.get_organization(org_id), settings)
            if over:
                detail = [
                    {"loc": ["body", name], "msg": msg, "type": "value_error"} for name, msg in over
                ]
                return JSONResponse(status_code=422, content={"detail": detail})
        if agent.artifact_url is not signed_url and not unlinked_warned:
            # Mounted, and the host started the agent without this app: its webhooks
            # carry the agent's own links, not this app's.
            unlinked_warned.append(True)
            log.warning(
                "the agent runs without this app's artifact links, so webhooks will not "
                "carry them: start it with agent_lifespan(agent, app=...)"
            )
        task_id = await agent.submit(request, organization_id=org_id, max_steps=max_steps)
        return _json(CreateTaskResponse(task_id=task_id).model_dump_json().encode())

    @route(
        "GET",
        "/tasks",
        response_model=list[TaskListItem],
        tags=["tasks"],
        summary="List the organization's tasks, newest first",
    )
    async def list_tasks(
        org_id: str = Depends(organization),
        page: int = Query(default=1, ge=1, le=MAX_PAGE),
        page_size: int = Query(default=10, ge=1, le=MAX_PAGE_SIZE),
    ) -> Any:
        tasks = await agent.list_tasks(
            page, page_size, organization_id=org_id, artifact_url=signed_url
        )
        return _json(_TASK_LIST.dump_json([task_list_item(t) for t in tasks]))

    @route(
        "GET",
        "/tasks/{task_id}",
        response_model=TaskDetails,
        tags=["tasks"],
        summary="Task details",
    )
    async def get_task(task_id: str, org_id: str = Depends(organization)) -> Any:
        task = await agent.get_task(task_id, organization_id=org_id, artifact_url=signed_url)
        return _json(task_details(task).model_dump_json().encode())

    @route(
        "GET",
        "/tasks/{task_id}/steps",
        response_model=list[StepResponse],
        tags=["tasks"],
        summary="The task's steps, in order, retries included",
    )
    async def list_steps(task_id: str, org_id: str = Depends(organization)) -> Any:
        steps = await agent.list_steps(task_id, organization_id=org_id)
        return _json(_STEP_LIST.dump_json([step_response(s) for s in steps]))

    @route(
        "POST",
        "/tasks/{task_id}/cancel",
        response_model=TaskDetails,
        tags=["tasks"],
        summary="Cancel a created, queued or running task",
    )
    async def cancel_task(task_id: str, org_id: str = Depends(organization)) -> Any:
        task = await agent.cancel(task_id, organization_id=org_id, artifact_url=signed_url)
        return _json(task_details(task).model_dump_json().encode())

    async def _own_task(task_id: str | None, org_id: str) -> str | None:
        # A code pushed for a task is bound to it; naming another organization's task (or
        # none that exists) is a 404, as everywhere else.
        if task_id is None:
            return None
        return (await agent.store.get_task(task_id, org_id)).task_id

    @route(
        "POST",
        "/totp",
        response_model=TotpResponse,
        tags=["totp"],
        summary="Push a verification code, or the SMS or e-mail text holding one",
    )
    async def push_totp(body: TotpBody, org_id: str = Depends(organization)) -> Any:
        from skyvern_core.totp import push_code

        await agent.start(workers=False)
        try:
            expires_at = await push_code(
                agent.store,
                org_id,
                body.totp_identifier,
                body.content,
                ttl=settings.totp_code_ttl,
                task_id=await _own_task(body.task_id, org_id),
            )
        except ValueError as exc:
            return _invalid(["body", "content"], str(exc))
        return TotpResponse(totp_identifier=body.totp_identifier, expires_at=expires_at)

    @route(
        "GET",
        "/artifacts/{artifact_id}",
        tags=["artifacts"],
        response_class=Response,
        summary="An artifact, through a signed link from a task's details",
    )
    async def get_artifact(
        artifact_id: str, expires: int = Query(), signature: str = Query()
    ) -> Response:
        problem = links.check(artifact_id, expires, signature)
        if problem is not None:
            return JSONResponse(status_code=403, content={"detail": problem})
        artifact = await agent.store.get_artifact(artifact_id)
        path_of = getattr(agent.artifacts, "path_of", None)
        if path_of is not None:
            try:
                return FileResponse(path_of(artifact.uri), media_type=artifact.content_type)
            except ArtifactError:
                pass
        data = await agent.artifacts.read(artifact.uri)
        return Response(content=data, media_type=artifact.content_type)

    from skyvern_core.asgi.replays import add_replay_routes

    add_replay_routes(route, organization, agent)
    from skyvern_core.asgi.profiles import add_profile_routes

    add_profile_routes(route, organization, agent)
    app.include_router(router)
    _mount_mcp(app, agent, mcp)

    if ui:
        from skyvern_core.asgi.ui import create_ui

        app.mount("/ui", create_ui(agent, links, sign_in=ui_sign_in), name="ui")

    @app.exception_handler(_Unauthorized)
    async def unauthorized(request: Request, exc: _Unauthorized) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": exc.detail})

    return app


def _mount_mcp(app: FastAPI, agent: Agent, wanted: bool | None) -> None:
    """Serve the MCP endpoint at ``/mcp`` (and ``/mcp/``: no redirect for clients that
    POST), if wanted; None: if the ``mcp`` extra is installed."""
    from starlette.routing import Route

    if wanted is False:
        return
    try:
        from skyvern_core.mcp import McpEndpoint
    except MissingExtraError:
        if wanted:
            raise
        return
    endpoint = McpEndpoint(agent)
    app.state.mcp = endpoint
    for path in ("/mcp", "/mcp/"):
        app.router.routes.append(Route(path, endpoint, methods=["GET", "POST", "DELETE"]))


class _Unauthorized(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
