"""Sphinx extension: the reference pages generated from the code at build time.

A line that is exactly ``<!-- generated: NAME -->`` (or ``<!-- generated: NAME ARGUMENT -->``,
indented or not) in a page is replaced, before the page
is parsed, by the Markdown that :data:`GENERATORS` makes for ``NAME``:

- ``settings``: every field of :class:`skyvern_core.config.Settings`, with its environment
  variable, type, default and description;
- ``hooks``: every hook of :mod:`skyvern_core.hookspecs`, with its signature and docstring;
- ``model dotted.path.Model``: the fields of a pydantic model (type, default, description);
- ``id-prefixes``: the prefix of each kind of ID;
- ``transitions``: the task and step lifecycles, from :mod:`skyvern_core.models`;
- ``http-api``: every route of the HTTP app, from the OpenAPI schema of
  :func:`skyvern_core.asgi.create_app` built for an agent on in-memory backends.

Nothing is fetched from the network. The generators are plain functions, so tests call them
directly.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import re
import tempfile
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "GENERATORS",
    "MODEL_NOTES",
    "SETTING_NOTES",
    "hook_functions",
    "hook_signature",
    "hooks_markdown",
    "http_api_markdown",
    "id_prefixes_text",
    "model_markdown",
    "openapi_schema",
    "settings_markdown",
    "settings_rows",
    "setup",
    "transitions_markdown",
]

MARKER = re.compile(r"^([ \t]*)<!-- generated: ([a-z-]+)(?: ([\w.]+))? -->$", re.MULTILINE)


def _cell(text: object) -> str:
    """Text safe for one cell of a Markdown table."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- settings


def _type_name(annotation: Any) -> str:
    """A readable name for a field's type: ``str | None``, ``list[str]``, ``Path``..."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is not None:
        args = ", ".join(_type_name(a) for a in typing.get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation))


def _constraints(metadata: list[Any]) -> str:
    words = []
    for item in metadata:
        for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            value = getattr(item, attr, None)
            if value is not None:
                words.append(f"{sign} {value:g}" if isinstance(value, float) else f"{sign} {value}")
    return ", ".join(words)


@contextlib.contextmanager
def _default_environment() -> Iterator[None]:
    # Defaults that depend on the environment are shown for an unset XDG_DATA_HOME.
    saved = os.environ.pop("XDG_DATA_HOME", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["XDG_DATA_HOME"] = saved


def _default(field: Any) -> str:
    import datetime
    import enum

    from pydantic_core import PydanticUndefined

    if field.default_factory is not None:
        with _default_environment():
            value = field.default_factory()
        if isinstance(value, Path):
            home = str(Path.home())
            text = str(value)
            return "~" + text[len(home) :] if text.startswith(home) else text
        if isinstance(value, datetime.datetime):
            return "now (UTC)"
        return repr(value)
    if field.default is PydanticUndefined:
        return "(required)"
    value = field.default
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}" if abs(value) < 1e6 else repr(value)
    return repr(value)


def _setting_groups() -> dict[str, str]:
    """Field name → the comment heading it sits under in ``config.py``."""
    from skyvern_core.config import Settings

    groups: dict[str, str] = {}
    current = "General"
    try:
        source = inspect.getsource(Settings)
    except (OSError, TypeError):
        return groups
    for line in source.splitlines():
        comment = re.match(r"^    # (.+?)\.?$", line)
        if comment:
            current = re.sub(r"\s*\(.*\)$", "", comment.group(1)).strip()
            continue
        field = re.match(r"^    ([a-z_][a-z0-9_]*)\s*:", line)
        if field:
            groups[field.group(1)] = current
    return groups


# Descriptions for fields whose definition has none (the definition's own text wins).
SETTING_NOTES = {
    "headless": "Run the browser without a window.",
    "viewport_width": "Browser viewport width in pixels.",
    "viewport_height": "Browser viewport height in pixels.",
    "user_agent": "User-Agent header of the browser; default: the browser's own.",
    "record_video": "Record a video of each task (needs ffmpeg).",
    "record_trace": "Record a Playwright trace (trace.zip) of each task.",
    "llm_api_base": "Base URL of the model's API (a local OpenAI-compatible server).",
    "llm_api_key": "API key for the model; default: the provider's usual environment variable.",
    "llm_timeout": "Seconds one model call may take.",
    "llm_max_retries": "Retries of a model call on rate limits and server errors.",
    "llm_temperature": "Sampling temperature; None leaves the model's default.",
}

MODEL_NOTES = {
    "Task": {
        "task_id": "The task's id (``tsk_...``).",
        "organization_id": "The organization that owns the task.",
        "status": "Where the task is in its lifecycle.",
        "request": "What was asked, as given.",
        "max_steps": "The step limit that applies to this task.",
        "extracted_information": "What data_extraction_goal asked for (schema-valid).",
        "failure_reason": "Why the task failed or was terminated.",
        "screenshot_artifact_id": "The final screenshot's artifact.",
        "recording_artifact_id": "The recording's artifact.",
        "input_token_count": "Model input tokens, all steps together.",
        "output_token_count": "Model output tokens, all steps together.",
        "cost": "US dollars, all steps together, where the model's price is known.",
        "worker_id": "The worker running (or that ran) the task.",
        "lease_expires_at": "When the running worker's claim runs out unless renewed.",
        "created_at": "When the task was created.",
        "modified_at": "When the task last changed.",
        "started_at": "When a worker started it.",
        "finished_at": "When it reached a final status.",
        "screenshot_url": "URL of the final screenshot.",
        "recording_url": "URL of the recording.",
        "action_screenshot_urls": "URLs of the latest action screenshots, newest first.",
        "steps": "The steps, when read with steps=True (run and run_sync do).",
    },
    "Step": {
        "step_id": "The step's id (``stp_...``).",
        "task_id": "The task it belongs to.",
        "organization_id": "The organization that owns the task.",
        "status": "Where the step is in its lifecycle.",
        "order": "0 for the first step; a retry keeps the order of the step it retries.",
        "retry_index": "0 for a first attempt, then 1, 2... for its retries.",
        "input_token_count": "Model input tokens of this step (extraction included).",
        "output_token_count": "Model output tokens of this step.",
        "cost": "US dollars, where the model's price is known.",
        "reasoning": "The planner's reasoning.",
        "actions": "The actions decided (secrets as placeholders).",
        "action_results": "What happened for each action carried out.",
        "failure_reason": "Why the step failed.",
        "page_url": "The page the step saw.",
        "is_last": "Whether this is the task's last step.",
        "created_at": "When the step was created.",
        "modified_at": "When the step last changed.",
    },
}


def settings_rows() -> list[dict[str, str]]:
    """One row per field of :class:`~skyvern_core.config.Settings`, in definition order."""
    from skyvern_core.config import Settings

    prefix = Settings.model_config.get("env_prefix", "")
    groups = _setting_groups()
    rows = []
    for name, field in Settings.model_fields.items():
        description = field.description or SETTING_NOTES.get(name, "")
        limits = _constraints(field.metadata)
        if limits:
            description = f"{description} ({limits})" if description else f"({limits})"
        rows.append(
            {
                "name": name,
                "env": (prefix + name).upper(),
                "type": _type_name(field.annotation),
                "default": _default(field),
                "description": description,
                "group": groups.get(name, "Other"),
            }
        )
    return rows


def settings_markdown() -> str:
    """The configuration reference: one table per group of settings."""
    by_group: dict[str, list[dict[str, str]]] = {}
    for row in settings_rows():
        by_group.setdefault(row["group"], []).append(row)
    parts = []
    for group, rows in by_group.items():
        parts.append(f"### {group}\n")
        parts.append(
            _table(
                ["Setting", "Environment variable", "Type", "Default", "Description"],
                [
                    [
                        f"`{r['name']}`",
                        f"`{r['env']}`",
                        f"`{r['type']}`",
                        f"`{r['default']}`",
                        r["description"] or "",
                    ]
                    for r in rows
                ],
            )
            + "\n"
        )
    return "\n".join(parts)


# --------------------------------------------------------------------------- models


def model_markdown(path: str) -> str:
    """The fields of the pydantic model at ``path`` (``package.module.Model``) as a table."""
    import importlib

    module_name, _, name = path.rpartition(".")
    model = getattr(importlib.import_module(module_name), name)
    notes = MODEL_NOTES.get(name, {})
    rows = []
    for field_name, field in model.model_fields.items():
        description = field.description or notes.get(field_name, "")
        limits = _constraints(field.metadata)
        if limits:
            description = f"{description} ({limits})" if description else f"({limits})"
        rows.append(
            [
                f"`{field_name}`",
                f"`{_type_name(field.annotation)}`",
                f"`{_default(field)}`",
                description,
            ]
        )
    return _table(["Field", "Type", "Default", "Description"], rows) + "\n"


def transitions_markdown() -> str:
    """The allowed status changes of tasks and steps."""
    from skyvern_core.models import STEP_TRANSITIONS, TASK_TRANSITIONS

    parts = []
    for title, table in (("Task", TASK_TRANSITIONS), ("Step", STEP_TRANSITIONS)):
        rows = []
        for status, allowed in table.items():
            order = list(table)
            targets = sorted(allowed, key=order.index)
            rows.append(
                [
                    f"`{status.value}`",
                    ", ".join(f"`{t.value}`" for t in targets) or "none (final)",
                ]
            )
        parts.append(_table([f"{title} status", "May change to"], rows) + "\n")
    return "\n".join(parts)


def id_prefixes_text() -> str:
    """The prefix of each kind of ID, as one line of reST (``tsk`` task, ...)."""
    from skyvern_core.ids import PREFIXES

    return ", ".join(f"``{prefix}`` {kind.replace('_', ' ')}" for kind, prefix in PREFIXES.items())


# --------------------------------------------------------------------------- hooks


def hook_functions() -> list[Callable[..., Any]]:
    """Every hook specification of :mod:`skyvern_core.hookspecs`, in source order."""
    from skyvern_core import hookspecs

    marker = f"{hookspecs.PROJECT_NAME}_spec"
    found = [
        value
        for value in vars(hookspecs).values()
        if inspect.isfunction(value) and hasattr(value, marker)
    ]
    return sorted(found, key=lambda f: f.__code__.co_firstlineno)


def hook_signature(func: Callable[..., Any]) -> str:
    """``name(param: Type, ...)`` as the documentation shows it (without the return type)."""
    params = []
    for param in inspect.signature(func).parameters.values():
        annotation = param.annotation
        if annotation is inspect.Parameter.empty:
            params.append(param.name)
        else:
            text = annotation if isinstance(annotation, str) else _type_name(annotation)
            params.append(f"{param.name}: {text}")
    return f"{func.__name__}({', '.join(params)})"


def hooks_markdown() -> str:
    """A summary table of the hooks, then each hook with its signature and docstring."""
    from skyvern_core.plugins import BACKEND_KINDS

    kind_of = {hook: kind for kind, hook in BACKEND_KINDS.items()}
    funcs = hook_functions()
    rows = []
    for func in funcs:
        summary = inspect.getdoc(func) or ""
        rows.append(
            [
                f"`{func.__name__}`",
                f"`{kind_of.get(func.__name__, '')}`",
                summary.splitlines()[0] if summary else "",
            ]
        )
    parts = [_table(["Hook", "Backend kind (setting)", "What it registers"], rows), ""]
    for func in funcs:
        parts.append(f"### `{func.__name__}`\n")
        parts.append(f"```{{eval-rst}}\n.. autofunction:: {func.__module__}.{func.__name__}\n```\n")
    return "\n".join(parts)


# --------------------------------------------------------------------------- HTTP API


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI schema of the HTTP app, built for an agent on in-memory backends."""
    from skyvern_core import Agent
    from skyvern_core.asgi import create_app
    from skyvern_core.plugins import PluginRegistry
    from skyvern_core.testing import MemoryArtifactStore, MemoryStore, RecordingNotifier

    with tempfile.TemporaryDirectory(prefix="skyvern-docs-") as data_dir:
        agent = Agent(
            store=MemoryStore(),
            artifact_store=MemoryArtifactStore(),
            notifier=RecordingNotifier(),
            registry=PluginRegistry(entry_points=False),
            data_dir=data_dir,
            artifact_signing_secret="documentation",
        )
        return create_app(agent, base_url="http://127.0.0.1:8000").openapi()


# Status codes the app answers beyond those its schema declares (the handlers' own).
_AUTH_ERRORS = [
    ("401", "no `x-api-key` header"),
    ("403", "the API key is unknown"),
]
_EXTRA_ERRORS: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("GET", "/api/v1/tasks/{task_id}"): [("404", "no such task in your organization")],
    ("GET", "/api/v1/tasks/{task_id}/steps"): [("404", "no such task in your organization")],
    ("POST", "/api/v1/tasks/{task_id}/cancel"): [
        ("404", "no such task in your organization"),
        ("409", "the task is already in a final status"),
    ],
    ("GET", "/api/v1/artifacts/{artifact_id}"): [
        ("403", "the link's signature is not valid, or the link has expired"),
        ("404", "no such artifact"),
    ],
}


def _schema_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _schema_link(name: str) -> str:
    return f"{{ref}}`{name} <http-schema-{name.lower()}>`"


def _json_type(schema: dict[str, Any]) -> str:
    """A readable type for a JSON Schema: ``string or null``, ``array of TaskDetails``..."""
    if "$ref" in schema:
        return _schema_name(schema["$ref"])
    if "anyOf" in schema:
        return " or ".join(_json_type(s) for s in schema["anyOf"])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {_json_type(schema.get('items', {}))}"
    if kind == "string" and "format" in schema:
        return f"string ({schema['format']})"
    if kind == "string" and "enum" in schema:
        return "string (one of the values below)"
    if kind is None:
        return "any JSON"
    return str(kind)


def _json_constraints(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return ", ".join(filter(None, (_json_constraints(s) for s in schema["anyOf"])))
    words = []
    for key, sign in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
    ):
        if key in schema:
            value = schema[key]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            words.append(f"{sign} {value}")
    if "default" in schema:
        words.append(f"default `{schema['default']!r}`")
    return ", ".join(words)


def _describe(schema: dict[str, Any]) -> str:
    description = schema.get("description", "")
    limits = _json_constraints(schema)
    return f"{description} ({limits})" if description and limits else description or limits


def _linked_type(schema: dict[str, Any]) -> str:
    text = _json_type(schema)
    refs = re.findall(r'"\$ref": "([^"]+)"', _dump(schema))
    for name in sorted({_schema_name(r) for r in refs}, key=len, reverse=True):
        text = re.sub(rf"\b{name}\b", _schema_link(name), text)
    return text


def _dump(schema: Any) -> str:
    import json

    return json.dumps(schema)


def _route_markdown(method: str, path: str, op: dict[str, Any]) -> str:
    parts = [f"### `{method} {path}`\n"]
    if op.get("summary"):
        parts.append(f"{op['summary']}.\n")
    params = op.get("parameters", [])
    if params:
        rows = [
            [
                f"`{p['name']}`",
                p["in"],
                _json_type(p.get("schema", {})),
                # The key is optional to FastAPI only so that its absence is a 401.
                "yes" if p.get("required") or p["name"] == "x-api-key" else "no",
                _describe({**p.get("schema", {}), "description": p.get("description", "")}),
            ]
            for p in params
        ]
        parts.append("**Parameters**\n")
        parts.append(_table(["Name", "In", "Type", "Required", "Description"], rows) + "\n")
    body = op.get("requestBody")
    if body:
        for media, content in body.get("content", {}).items():
            parts.append(f"**Request body** (`{media}`): {_linked_type(content['schema'])}\n")
    rows = []
    for status, response in op.get("responses", {}).items():
        schemas = [c.get("schema") for c in response.get("content", {}).values()]
        shape = _linked_type(schemas[0]) if schemas and schemas[0] else "the file's bytes"
        rows.append([status, response.get("description", ""), shape])
    has_key = any(p["name"] == "x-api-key" for p in params)
    for status, why in (_AUTH_ERRORS if has_key else []) + _EXTRA_ERRORS.get((method, path), []):
        rows.append([status, why, '`{"detail": "..."}`'])
    parts.append("**Responses**\n")
    parts.append(_table(["Status", "When", "Body"], rows) + "\n")
    return "\n".join(parts)


def _schema_markdown(name: str, schema: dict[str, Any]) -> str:
    parts = [f"(http-schema-{name.lower()})=", f"### {name}\n"]
    if schema.get("description"):
        parts.append(schema["description"] + "\n")
    if "enum" in schema:
        parts.append("Values: " + ", ".join(f"`{v}`" for v in schema["enum"]) + ".\n")
        return "\n".join(parts)
    required = set(schema.get("required", []))
    rows = [
        [
            f"`{field}`",
            _linked_type(spec),
            "yes" if field in required else "no",
            _describe(spec),
        ]
        for field, spec in schema.get("properties", {}).items()
    ]
    parts.append(_table(["Field", "Type", "Required", "Description"], rows) + "\n")
    if schema.get("additionalProperties") is False:
        parts.append("Other fields are refused (422).\n")
    return "\n".join(parts)


def http_api_markdown(schema: dict[str, Any] | None = None) -> str:
    """Every route (method, path, parameters, body, responses), then every schema."""
    schema = schema or openapi_schema()
    parts = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            parts.append(_route_markdown(method.upper(), path, op))
    parts.append("## Schemas\n")
    for name, spec in sorted(schema.get("components", {}).get("schemas", {}).items()):
        parts.append(_schema_markdown(name, spec))
    return "\n".join(parts)


# --------------------------------------------------------------------------- Sphinx

GENERATORS: dict[str, Callable[..., str]] = {
    "settings": settings_markdown,
    "hooks": hooks_markdown,
    "http-api": http_api_markdown,
    "model": model_markdown,
    "transitions": transitions_markdown,
    "id-prefixes": id_prefixes_text,
}


def _fill(app: Any, docname: str, source: list[str]) -> None:
    def replace(match: re.Match[str]) -> str:
        indent, name, argument = match.group(1), match.group(2), match.group(3)
        if name not in GENERATORS:
            raise ValueError(f"{docname}: no generator named {name!r}")
        text = GENERATORS[name](argument) if argument else GENERATORS[name]()
        # Indented markers (inside a directive) indent what replaces them.
        return "\n".join(indent + line if line else line for line in text.splitlines())

    source[0] = MARKER.sub(replace, source[0])


def _resolve_short_name(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a Python reference by its last name when exactly one object has it.

    Docstrings name classes as their module imports them (``:class:`Decision```); the object
    is documented where it is defined (``skyvern_core.models.Decision``).
    """
    from sphinx.util.nodes import make_refnode

    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "").lstrip("~.")
    short = target.rsplit(".", 1)[-1]
    domain = env.get_domain("py")
    found = {
        name: obj
        for name, obj in domain.objects.items()
        if (name == short or name.endswith("." + short)) and not obj.aliased
    }
    if len(found) != 1:
        return None
    name, obj = next(iter(found.items()))
    return make_refnode(app.builder, node["refdoc"], obj.docname, obj.node_id, contnode, name)


# Type aliases that signatures name, rather than spell out (autodoc expands them).
TYPE_ALIASES = [
    "skyvern_core.testing.planner.DecisionScript",
    "skyvern_core.testing.planner.ExtractionScript",
    "skyvern_core.models.Action",
    "skyvern_core.hookspecs.Register",
    "skyvern_core.runner.EventCallback",
    "skyvern_core.webhooks.SecretLookup",
]


@functools.cache
def _alias_spellings() -> list[tuple[str, str]]:
    """(expanded text, alias) pairs, longest expansion first."""
    import importlib

    from sphinx.util.typing import stringify_annotation

    pairs = []
    for path in TYPE_ALIASES:
        module_name, _, name = path.rpartition(".")
        try:
            value = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError):
            continue
        for mode in ("smart", "fully-qualified-except-typing", "fully-qualified"):
            pairs.append((stringify_annotation(value, mode), "~" + path))  # type: ignore[arg-type]
    return sorted(set(pairs), key=lambda pair: -len(pair[0]))


def _tidy_signature(
    app: Any,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None]:
    """Keep signatures parseable and short: type aliases stay names, and dataclass defaults
    made by a factory show as ``...`` (``<factory>`` is not Python, and breaks the parse)."""

    def tidy(text: str | None) -> str | None:
        if not text:
            return text
        for expanded, alias in _alias_spellings():
            text = text.replace(expanded, alias)
        return text.replace("<factory>", "...")

    return tidy(signature), tidy(return_annotation)


def setup(app: Any) -> dict[str, Any]:
    """Register the source-read hook that fills the generated sections."""
    app.connect("source-read", _fill)
    app.connect("missing-reference", _resolve_short_name)
    app.connect("autodoc-process-signature", _tidy_signature)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
