"""The viewer's pages: the task list, a task with its step timeline, live updates, a form
to start a task, sign-in and sign-out.

Everything is rendered on the server from Jinja templates; one small script
(``static/viewer.js``) follows a running task over server-sent events. Screenshots and
recordings are served by the API's artifact route through signed links, made only for
artifacts of tasks of the organization signed in.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import jinja2
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from skyvern_core.agent import Agent
from skyvern_core.asgi.links import ArtifactLinks
from skyvern_core.asgi.ui.session import COOKIE, Session, Sessions
from skyvern_core.auth import hash_api_key
from skyvern_core.errors import InvalidTransitionError, NotFoundError, UsageError
from skyvern_core.models import (
    MAX_STEPS_LIMIT,
    ArtifactKind,
    Step,
    Task,
    TaskRequest,
    TaskStatus,
)
from skyvern_core.netpolicy import BlockedURLError
from skyvern_core.present import (
    action_summary,
    decided_by,
    for_display,
    masked_request,
    money,
    result_summary,
    step_results,
    task_page,
    tokens,
)
from skyvern_core.server import is_loopback

__all__ = ["PAGE_SIZE", "SESSION_SECONDS", "create_ui"]

HERE = Path(__file__).parent
SESSION_SECONDS = 8 * 3600
"""How long a sign-in lasts."""
PAGE_SIZE = 20
"""Tasks per page of the list."""
KEY_CACHE_SECONDS = 30.0
STREAM_SECONDS = 300.0
"""How long one event stream lasts; the browser opens the next one by itself."""

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
_FORM_FIELDS = (
    "url",
    "navigation_goal",
    "data_extraction_goal",
    "navigation_payload",
    "extracted_information_schema",
    "max_steps",
)
_FIELD_LABELS = {
    "url": "Start URL",
    "navigation_goal": "Navigation goal",
    "data_extraction_goal": "Data extraction goal",
    "navigation_payload": "Payload",
    "extracted_information_schema": "Schema",
    "max_steps": "Max steps",
}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""
    env.filters["pretty"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False)
    return env


class _Visit:
    """What one request knows: its session (new if it had none), whether the cookie must be
    (re)set, the organization signed in, and where the viewer and the API are mounted."""

    def __init__(self, request: Request, session: Session, fresh: bool, org: str | None) -> None:
        self.request = request
        self.session = session
        self.fresh = fresh
        self.organization_id = org
        root = str(request.scope.get("root_path", "")).rstrip("/")
        self.ui = root
        self.api = root.removesuffix("/ui")


class Viewer:
    """The viewer's state and handlers (built by :func:`create_ui`)."""

    def __init__(
        self, agent: Agent, links: ArtifactLinks, *, sign_in: bool, session_ttl: float
    ) -> None:
        self.agent = agent
        self.links = links
        self.sign_in = sign_in
        self.sessions = Sessions(links.key, session_ttl)
        self.env = _environment()
        self._keys: dict[str, tuple[str | None, float]] = {}

    # ------------------------------------------------------------------ plumbing

    async def _key_org(self, key_hash: str) -> str | None:
        now = time.monotonic()
        hit = self._keys.get(key_hash)
        if hit is not None and hit[1] > now:
            return hit[0]
        org = await self.agent.store.find_api_key(key_hash)
        if len(self._keys) > 10_000:
            self._keys.clear()
        self._keys[key_hash] = (org, now + KEY_CACHE_SECONDS)
        return org

    async def visit(self, request: Request) -> _Visit:
        """Read the request's session and find who is signed in."""
        session = self.sessions.load(request.cookies.get(COOKIE))
        fresh = session is None
        if session is None:
            session = self.sessions.new()
        org: str | None = None
        if not self.sign_in:
            if self.agent.organization_id is None:
                await self.agent.start(workers=False)
            org = self.agent.organization_id
        elif session.organization_id and session.key_hash:
            if await self._key_org(session.key_hash) == session.organization_id:
                org = session.organization_id
        return _Visit(request, session, fresh, org)

    def _finish(self, visit: _Visit, response: Response) -> Response:
        if visit.fresh:
            self._set_cookie(visit, response, visit.session)
        headers = response.headers
        headers["content-security-policy"] = _CSP
        headers["x-content-type-options"] = "nosniff"
        headers["referrer-policy"] = "no-referrer"
        headers["x-frame-options"] = "DENY"
        headers.setdefault("cache-control", "no-store")
        return response

    def _set_cookie(self, visit: _Visit, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            self.sessions.dump(session),
            max_age=int(self.sessions.ttl),
            path=visit.ui or "/",
            secure=visit.request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )

    def render(self, visit: _Visit, template: str, code: int = 200, **values: Any) -> Response:
        """A page from a template, with what every page shows."""
        html = self.env.get_template(template).render(
            ui=visit.ui,
            csrf_token=self.sessions.csrf_token(visit.session),
            signed_in=visit.organization_id is not None,
            sign_in=self.sign_in,
            **values,
        )
        return self._finish(visit, HTMLResponse(html, status_code=code))

    def redirect(self, visit: _Visit, path: str) -> Response:
        """A 303 to a page of the viewer."""
        return self._finish(visit, RedirectResponse(visit.ui + path, status_code=303))

    def _refused_host(self, request: Request) -> Response | None:
        # Without sign-in, only a loopback Host may be answered: a page elsewhere whose
        # name is made to resolve to 127.0.0.1 must not read the viewer.
        if self.sign_in:
            return None
        host = urlsplit("//" + request.headers.get("host", "")).hostname or ""
        if is_loopback(host):
            return None
        return Response("this viewer answers on a loopback address only", status_code=403)

    async def form(self, visit: _Visit) -> dict[str, str] | None:
        """The fields of a posted form, or None when its CSRF token (or its origin) is not
        this session's."""
        request = visit.request
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
            return None
        body = (await request.body()).decode("utf-8", "replace")
        fields = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        token = fields.get("csrf_token") or request.headers.get("x-csrf-token")
        if visit.fresh or not self.sessions.csrf_ok(visit.session, token):
            return None
        return fields

    def refused_form(self, visit: _Visit) -> Response:
        """The answer to a form without this session's CSRF token."""
        return self.render(
            visit,
            "error.html",
            code=403,
            title="Form refused",
            message="This form was not sent from this viewer's own page (or it is too old). "
            "Reload the page and try again.",
        )

    def artifact_url(self, visit: _Visit, artifact_id: str) -> str:
        """A signed link to an artifact, through the API's artifact route."""
        return self.links.url(visit.api, artifact_id)

    # ------------------------------------------------------------------ views of data

    def step_view(self, visit: _Visit, step: Step, shots: list[str]) -> dict[str, Any]:
        """What the timeline shows of one step."""
        named = {r.screenshot_artifact_id for r in step.action_results}
        return {
            "id": f"step-{step.step_id}",
            "order": step.order,
            "retry_index": step.retry_index,
            "status": step.status.value,
            "page_url": step.page_url,
            "reasoning": step.reasoning,
            "decided_by": decided_by(step),
            "tokens": tokens(step.input_token_count, step.output_token_count),
            "cost": money(step.cost),
            "failure_reason": step.failure_reason,
            "actions": [
                {
                    "text": action_summary(action),
                    "result": result_summary(result),
                    "ok": result is not None and result.success,
                    "reasoning": getattr(action, "reasoning", None),
                    "shot": self.artifact_url(visit, shot) if shot else None,
                }
                for action, result, shot in (
                    (a, r, r.screenshot_artifact_id if r is not None else None)
                    for a, r in step_results(step)
                )
            ],
            # Screenshots of the step no action result names (kept for a retry, say).
            "shots": [self.artifact_url(visit, a) for a in shots if a not in named],
        }

    async def task_data(self, visit: _Visit, task_id: str) -> tuple[Task, list[dict[str, Any]]]:
        """A task of the visitor's organization and its timeline (NotFoundError for any
        other task)."""
        org = visit.organization_id
        assert org is not None
        task = await self.agent.get_task(
            task_id,
            organization_id=org,
            artifact_url=self._link_maker(visit),
        )
        steps = await self.agent.list_steps(task_id, organization_id=org)
        shots: dict[str, list[str]] = {}
        for artifact in await self.agent.store.list_artifacts(task.task_id):
            if artifact.kind == ArtifactKind.action_screenshot and artifact.step_id:
                shots.setdefault(artifact.step_id, []).append(artifact.artifact_id)
        return task, [self.step_view(visit, s, shots.get(s.step_id, [])) for s in steps]

    def _link_maker(self, visit: _Visit) -> Any:
        async def make(artifact_id: str) -> str:
            return self.artifact_url(visit, artifact_id)

        return make

    def header_html(self, visit: _Visit, task: Task) -> str:
        """The task page's header (status, reason, cancel button), alone."""
        macros: Any = self.env.get_template("_macros.html").make_module(
            {"ui": visit.ui, "csrf_token": self.sessions.csrf_token(visit.session)}
        )
        return str(macros.task_header(task, _task_numbers(task)))

    def step_html(self, visit: _Visit, step: dict[str, Any]) -> str:
        """One step of the timeline, alone."""
        macros: Any = self.env.get_template("_macros.html").make_module(
            {"ui": visit.ui, "csrf_token": self.sessions.csrf_token(visit.session)}
        )
        return str(macros.step_item(step))

    # ------------------------------------------------------------------ handlers

    async def guarded(self, request: Request) -> tuple[_Visit | None, Response | None]:
        """The visit of a page that needs an organization, or the answer that refuses it."""
        refused = self._refused_host(request)
        if refused is not None:
            return None, refused
        visit = await self.visit(request)
        if visit.organization_id is None:
            return visit, self.redirect(visit, "/login")
        return visit, None

    async def list_page(self, request: Request) -> Response:
        """The task list: newest first, filtered by status, in pages."""
        visit, refused = await self.guarded(request)
        if refused is not None or visit is None:
            return refused or Response(status_code=500)
        query = request.query_params
        status: TaskStatus | None = None
        problem = None
        if query.get("status"):
            try:
                status = TaskStatus(query["status"])
            except ValueError:
                problem = f"no task status is called {query['status']!r}"
        try:
            page = max(1, min(int(query.get("page", "1")), 1_000_000))
        except ValueError:
            page = 1
        org = visit.organization_id
        assert org is not None
        found = await task_page(
            self.agent.store, org, page=page, page_size=PAGE_SIZE, status=status
        )
        rows = []
        for task in found.tasks:
            steps = await self.agent.store.list_steps(task.task_id, org)
            rows.append(
                {
                    "task": task,
                    "goal": task.request.navigation_goal or task.request.data_extraction_goal,
                    "steps": len(steps),
                    "tokens": task.input_token_count + task.output_token_count,
                }
            )
        return self.render(
            visit,
            "list.html",
            rows=rows,
            status=status.value if status else "",
            statuses=[s.value for s in TaskStatus],
            page=page,
            more=found.more,
            scanned_all=found.scanned_all,
            problem=problem,
        )

    async def task_page(self, request: Request) -> Response:
        """A task: its request, status, results and step timeline."""
        visit, refused = await self.guarded(request)
        if refused is not None or visit is None:
            return refused or Response(status_code=500)
        task_id = request.path_params["task_id"]
        try:
            task, steps = await self.task_data(visit, task_id)
        except NotFoundError:
            return self._not_found(visit, task_id)
        return self.render(
            visit,
            "task.html",
            task=task,
            numbers=_task_numbers(task),
            request_fields=_request_rows(task),
            steps=steps,
            live=not task.status.is_final,
            events_url=f"{visit.ui}/tasks/{task.task_id}/events",
        )

    def _not_found(self, visit: _Visit, task_id: str) -> Response:
        return self.render(
            visit,
            "error.html",
            code=404,
            title="Task not found",
            message=f"No task {task_id} in this organization.",
        )

    async def events(self, request: Request) -> Response:
        """Server-sent events of a task while it runs: ``task`` (the header), ``step`` (a
        step, new or changed) and ``end`` (the task is final)."""
        refused = self._refused_host(request)
        if refused is not None:
            return refused
        visit = await self.visit(request)
        if visit.organization_id is None:
            return Response("sign in first", status_code=401)
        task_id = request.path_params["task_id"]
        try:
            await self.task_data(visit, task_id)
        except NotFoundError:
            return Response("no such task in this organization", status_code=404)
        interval = min(self.agent.settings.poll_interval, 0.5)

        async def stream() -> AsyncIterator[str]:
            seen: dict[str, str] = {}
            header = ""
            deadline = time.monotonic() + STREAM_SECONDS
            yield "retry: 2000\n\n"
            while True:
                task, steps = await self.task_data(visit, task_id)
                html = self.header_html(visit, task)
                if html != header:
                    header = html
                    yield _event("task", {"html": html, "status": task.status.value})
                for step in steps:
                    html = self.step_html(visit, step)
                    if seen.get(step["id"]) != html:
                        seen[step["id"]] = html
                        yield _event("step", {"id": step["id"], "html": html})
                if task.status.is_final:
                    yield _event("end", {"status": task.status.value})
                    return
                if time.monotonic() > deadline:
                    return
                await anyio.sleep(interval)

        response = StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )
        return self._finish(visit, response)

    async def cancel(self, request: Request) -> Response:
        """Cancel a task from its page."""
        visit, refused = await self.guarded(request)
        if refused is not None or visit is None:
            return refused or Response(status_code=500)
        if await self.form(visit) is None:
            return self.refused_form(visit)
        task_id = request.path_params["task_id"]
        try:
            await self.agent.cancel(task_id, organization_id=visit.organization_id)
        except NotFoundError:
            return self._not_found(visit, task_id)
        except InvalidTransitionError:
            pass  # it ended meanwhile: its page says how
        return self.redirect(visit, f"/tasks/{task_id}")

    async def new_page(self, request: Request) -> Response:
        """The form to start a task."""
        visit, refused = await self.guarded(request)
        if refused is not None or visit is None:
            return refused or Response(status_code=500)
        return self.render(visit, "new.html", values={}, errors={}, labels=_FIELD_LABELS)

    async def create(self, request: Request) -> Response:
        """Start a task from the form; its page follows it."""
        visit, refused = await self.guarded(request)
        if refused is not None or visit is None:
            return refused or Response(status_code=500)
        fields = await self.form(visit)
        if fields is None:
            return self.refused_form(visit)
        values = {name: fields.get(name, "") for name in _FORM_FIELDS}
        errors: dict[str, str] = {}
        data: dict[str, Any] = {}
        for name in ("url", "navigation_goal", "data_extraction_goal"):
            if values[name].strip():
                data[name] = values[name].strip()
        for name in ("navigation_payload", "extracted_information_schema"):
            if values[name].strip():
                try:
                    data[name] = json.loads(values[name])
                except json.JSONDecodeError as exc:
                    errors[name] = f"not valid JSON: {exc}"
        max_steps: int | None = None
        if values["max_steps"].strip():
            ceiling = await self._step_ceiling(visit)
            try:
                max_steps = int(values["max_steps"])
            except ValueError:
                max_steps = 0
            if not 1 <= max_steps <= ceiling:
                errors["max_steps"] = f"a whole number from 1 to {ceiling}"
        if not data.get("url"):
            errors.setdefault("url", "a start URL is needed")
        task_id = None
        if not errors:
            try:
                request_model = TaskRequest.model_validate(
                    data, context={"limits": self.agent.settings.input_limits}
                )
                task_id = await self.agent.submit(
                    request_model, organization_id=visit.organization_id, max_steps=max_steps
                )
            except ValidationError as exc:
                for error in exc.errors(include_url=False):
                    where = str(error["loc"][0]) if error["loc"] else "navigation_goal"
                    message = str(error["msg"]).removeprefix("Value error, ")
                    errors.setdefault(where if where in _FIELD_LABELS else "url", message)
            except BlockedURLError as exc:
                errors[exc.field if exc.field in _FIELD_LABELS else "url"] = str(exc)
            except UsageError as exc:
                errors["url"] = str(exc)
        if task_id is None:
            return self.render(
                visit, "new.html", code=422, values=values, errors=errors, labels=_FIELD_LABELS
            )
        return self.redirect(visit, f"/tasks/{task_id}")

    async def _step_ceiling(self, visit: _Visit) -> int:
        assert visit.organization_id is not None
        org = await self.agent.store.get_organization(visit.organization_id)
        return min(org.max_steps or self.agent.settings.max_steps, MAX_STEPS_LIMIT)

    async def login_page(self, request: Request) -> Response:
        """The sign-in form (straight to the tasks when signed in, or without sign-in)."""
        refused = self._refused_host(request)
        if refused is not None:
            return refused
        visit = await self.visit(request)
        if visit.organization_id is not None:
            return self.redirect(visit, "/")
        return self.render(visit, "login.html", error=None)

    async def login(self, request: Request) -> Response:
        """Sign in with an API key: a new signed session in the cookie."""
        refused = self._refused_host(request)
        if refused is not None:
            return refused
        visit = await self.visit(request)
        fields = await self.form(visit)
        if fields is None:
            return self.refused_form(visit)
        key = fields.get("api_key", "").strip()
        key_hash = hash_api_key(key) if key else None
        org = await self.agent.store.find_api_key(key_hash) if key_hash else None
        if key_hash is None or org is None:
            return self.render(visit, "login.html", code=403, error="That API key is not valid.")
        response = self.redirect(visit, "/")
        self._set_cookie(visit, response, self.sessions.new(org, key_hash))
        return response

    async def logout(self, request: Request) -> Response:
        """Sign out: the cookie is replaced by an anonymous session."""
        visit = await self.visit(request)
        if await self.form(visit) is None:
            return self.refused_form(visit)
        response = self.redirect(visit, "/login")
        self._set_cookie(visit, response, self.sessions.new())
        return response


def _event(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


def _task_numbers(task: Task) -> dict[str, str]:
    return {
        "tokens": tokens(task.input_token_count, task.output_token_count),
        "cost": money(task.cost),
    }


def _request_rows(task: Task) -> list[tuple[str, str, bool]]:
    """The request's fields that are set: label, text, and whether it is JSON."""
    request = for_display(masked_request(task))
    rows: list[tuple[str, str, bool]] = []
    labels = {
        "url": "Start URL",
        "navigation_goal": "Navigation goal",
        "data_extraction_goal": "Data extraction goal",
        "navigation_payload": "Payload",
        "extracted_information_schema": "Schema",
        "webhook_callback_url": "Webhook",
        "proxy_location": "Proxy location",
        "totp_verification_url": "TOTP verification URL",
        "totp_identifier": "TOTP identifier",
    }
    for name, label in labels.items():
        value = request.get(name)
        if value is None or value == "" or (name == "proxy_location" and value == "NONE"):
            continue
        if isinstance(value, dict | list | bool):
            rows.append((label, json.dumps(value, indent=2, ensure_ascii=False), True))
        else:
            rows.append((label, str(value), False))
    rows.append(("Max steps", str(task.max_steps), False))
    return rows


def create_ui(
    agent: Agent,
    links: ArtifactLinks,
    *,
    sign_in: bool = True,
    session_ttl: float = SESSION_SECONDS,
) -> Starlette:
    """The viewer as an ASGI app, to mount at ``{prefix}/ui`` of the app :func:`create_app`
    builds for ``agent`` (its artifact links go through that app's artifact route).

    With ``sign_in`` (the default) a visitor signs in with an API key and sees that key's
    organization only. Without it every visitor acts as the agent's own organization, and
    only requests to a loopback host are answered: for ``skyvern-core ui``, on this machine.
    """
    viewer = Viewer(agent, links, sign_in=sign_in, session_ttl=session_ttl)
    routes = [
        Route("/", viewer.list_page, methods=["GET"]),
        Route("/login", viewer.login_page, methods=["GET"]),
        Route("/login", viewer.login, methods=["POST"]),
        Route("/logout", viewer.logout, methods=["POST"]),
        Route("/tasks/new", viewer.new_page, methods=["GET"]),
        Route("/tasks", viewer.create, methods=["POST"]),
        Route("/tasks/{task_id}", viewer.task_page, methods=["GET"]),
        Route("/tasks/{task_id}/events", viewer.events, methods=["GET"]),
        Route("/tasks/{task_id}/cancel", viewer.cancel, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.viewer = viewer
    return app
